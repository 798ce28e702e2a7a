//! A static bound on what validating front matter against a schema can cost.
//!
//! The validator has no budget of its own, and a schema is a small file with a large
//! reach: 40 levels of `anyOf` over two `$ref`s to the next level fit in 3 KB, and
//! checking one value against them tries 2⁴⁰ branches (20 levels already took 9 s and
//! 1.7 GB; 40 ran past any patience). A long chain of `$ref`s is the other danger: each
//! link is a nested call in the validator, and 12,000 of them overflow a worker's stack.
//!
//! So every schema is measured once, when it is compiled, and refused (a setup error, exit
//! 2) when it is above either limit:
//!
//! * [`MAX_EVALUATIONS`]: how many subschemas validating one value may evaluate. The count
//!   follows every applicator and every `$ref` as the validator does, adding up the
//!   branches of `anyOf`, `oneOf`, `allOf`, `not`, `if`/`then`/`else`, dependent schemas,
//!   and the subschemas that apply to the value's entries (`properties`, `items`, …). It is
//!   an upper bound: one value meets at most this many evaluations, so a note costs at most
//!   the bound times its number of values, and a DAG of references is counted as the tree
//!   it unfolds into, which is where the exponent comes from.
//! * [`MAX_NESTING`]: how deeply evaluations may nest.
//!
//! A schema within both limits can still meet a note with tens of thousands of values, so
//! validating one note is bounded too ([`MAX_NOTE_EVALUATIONS`], against [`values`]); a
//! note above it is reported instead of validated.
//!
//! Recursive schemas are measured against the deepest front matter a note can have
//! ([`crate::vault::yaml::MAX_DEPTH`] levels): a `$ref` back to an enclosing schema that
//! descends into the value ends there. A cycle that never descends is counted once: the
//! validator does not go round it again for the same value.

use std::collections::{HashMap, HashSet};

use referencing::{Draft, Registry, Resolver};
use serde_json::Value;

use crate::vault::yaml;

/// Subschema evaluations one value may cost. The built-in schemas cost 4 to 6 (the root,
/// then one subschema per level of the value); `anyOf`s of a few alternatives over shared
/// definitions cost tens. At the limit, a value that fails every branch (the slowest case,
/// as every failure is recorded) takes a fraction of a millisecond.
pub const MAX_EVALUATIONS: u64 = 1_000;

/// How deeply evaluations may nest: subschema in subschema, through `$ref`s and the levels
/// of the value. The built-in schemas nest 3 or 4 deep. The validator spends a few hundred
/// bytes of stack per level (about 12,000 levels overflow the 2 MiB of a worker thread in a
/// release build, and debug builds need several times more).
pub const MAX_NESTING: usize = 256;

/// Subschema evaluations the validation of one note may take: the schema's cost per value
/// times the note's number of values. A note of 40,000 keys validated against a built-in
/// schema stays below it; at the limit, a note whose every value fails every branch takes
/// about a third of a second and 60 MB.
pub const MAX_NOTE_EVALUATIONS: u64 = 1_000_000;

/// Visits the measuring itself may make; only schemas whose references form many cycles
/// come near it.
const MAX_STEPS: u64 = 1_000_000;

/// Upper bounds for one value, as measured by [`measure`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cost {
    /// Subschema evaluations to validate the value and report every failure.
    pub evaluations: u64,
    /// Subschema evaluations to decide only whether the value is valid, as `anyOf`, `oneOf`,
    /// `not` and `if` do with their subschemas (the first two then evaluate a failed branch
    /// again for its errors).
    pub checks: u64,
    /// How deeply evaluations nest.
    pub nesting: usize,
}

/// A boolean schema, or a cycle followed once more.
const ONE: Cost = Cost {
    evaluations: 1,
    checks: 1,
    nesting: 1,
};

/// Applicators whose subschemas apply to the value itself: they are validated (references
/// are too), …
const APPLIED: Keywords = Keywords {
    one: &["then", "else"],
    list: &["allOf"],
    map: &["dependentSchemas", "dependencies"],
};
/// … only checked, …
const CHECKED: Keywords = Keywords {
    one: &["not", "if"],
    list: &[],
    map: &[],
};
/// … or checked, and validated again when they fail.
const RETRIED: Keywords = Keywords {
    one: &[],
    list: &["anyOf", "oneOf"],
    map: &[],
};
/// Applicators for one entry of an object or a list, of which an entry meets one
/// (`properties/name`, the `n`th of `prefixItems`).
const OBJECT_ONE_OF: Keywords = Keywords {
    one: &[],
    list: &[],
    map: &["properties"],
};
const ARRAY_ONE_OF: Keywords = Keywords {
    one: &[],
    list: &["prefixItems", "items"],
    map: &[],
};
/// Applicators for the entries of an object or a list that may all apply to one entry.
const OBJECT_ALL: Keywords = Keywords {
    one: &[
        "additionalProperties",
        "unevaluatedProperties",
        "propertyNames",
    ],
    list: &[],
    map: &["patternProperties"],
};
const ARRAY_ALL: Keywords = Keywords {
    one: &["items", "additionalItems", "contains", "unevaluatedItems"],
    list: &[],
    map: &[],
};
const UNEVALUATED: &[&str] = &["unevaluatedItems", "unevaluatedProperties"];

/// Keywords holding a schema, a list of schemas, or a map of names to schemas.
struct Keywords {
    one: &'static [&'static str],
    list: &'static [&'static str],
    map: &'static [&'static str],
}

/// The cost of validating one value against `schema` (whose references the validator
/// resolved already), or why it is refused: the error names the limit and the subschema
/// where it is crossed.
pub fn measure(schema: &Value, draft: Draft) -> Result<Cost, String> {
    let id = if draft == Draft::Draft4 { "id" } else { "$id" };
    let base = schema
        .get(id)
        .and_then(Value::as_str)
        .filter(|id| id.contains(':'))
        .unwrap_or(DEFAULT_BASE);
    let registry = Registry::new()
        .draft(draft)
        .add(base, draft.create_resource_ref(schema))
        .and_then(|builder| builder.prepare())
        .map_err(|e| format!("cannot index the schema: {e}"))?;
    let root_uri = referencing::uri::from_str(base.trim_end_matches('#'))
        .map_err(|e| format!("cannot index the schema: {e}"))?;
    let root = registry.resolver(root_uri);
    let (locations, dynamic) = survey(schema);
    let mut walk = Walk {
        draft,
        root: &root,
        locations,
        dynamic,
        memo: HashMap::new(),
        active: HashSet::new(),
        back_edges: 0,
        steps: 0,
    };
    walk.visit(schema, &root, yaml::MAX_DEPTH, 1)
}

/// The base the validator gives a schema without an absolute `$id`.
const DEFAULT_BASE: &str = "json-schema:///";

/// What one visit is keyed by: the subschema, the base its references resolve against, and
/// how many levels of the value are left below it.
type Key = (usize, String, usize);

struct Walk<'s, 'r> {
    draft: Draft,
    root: &'s Resolver<'r>,
    /// Where each subschema of the document sits, for messages.
    locations: HashMap<usize, String>,
    /// `$dynamicAnchor` names (and `""` for `$recursiveAnchor: true`) → their subschemas.
    dynamic: HashMap<String, Vec<String>>,
    memo: HashMap<Key, Cost>,
    /// Subschemas being measured: meeting one again is a cycle.
    active: HashSet<Key>,
    /// Cycles met so far; a result that met one depends on its path and is not memoised.
    back_edges: usize,
    /// Visits so far, to bound the measuring itself on schemas full of cycles.
    steps: u64,
}

impl<'r> Walk<'_, 'r> {
    fn visit(
        &mut self,
        schema: &'r Value,
        resolver: &Resolver<'r>,
        levels: usize,
        nesting: usize,
    ) -> Result<Cost, String> {
        if !schema.is_object() {
            return Ok(ONE);
        }
        if nesting > MAX_NESTING {
            return Err(self.too_deep(schema));
        }
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(format!(
                "the schema's references are too entangled to measure (more than {MAX_STEPS} steps); decksmith refuses it"
            ));
        }
        let resolver = resolver
            .in_subresource(self.draft.create_resource_ref(schema))
            .map_err(|e| {
                format!(
                    "cannot resolve the `$id` at `{}`: {e}",
                    self.location(schema)
                )
            })?;
        let key: Key = (
            std::ptr::from_ref(schema) as usize,
            resolver.base_uri().as_str().to_string(),
            levels,
        );
        if let Some(cost) = self.memo.get(&key).copied() {
            return self.within_limits(schema, cost, nesting);
        }
        if !self.active.insert(key.clone()) {
            self.back_edges += 1;
            return Ok(ONE);
        }
        let back_edges = self.back_edges;
        let result = self.children(schema, &resolver, levels, nesting);
        self.active.remove(&key);
        let cost = self.within_limits(schema, result?, nesting)?;
        if self.back_edges == back_edges {
            self.memo.insert(key, cost);
        }
        Ok(cost)
    }

    /// `cost`, when the subschema it was measured on, reached at `nesting`, is within the
    /// limits.
    fn within_limits(&self, schema: &Value, cost: Cost, nesting: usize) -> Result<Cost, String> {
        if cost.evaluations > MAX_EVALUATIONS {
            return Err(format!(
                "validating one value against `{}` may take more than {MAX_EVALUATIONS} subschema evaluations (the branches of `anyOf`, `oneOf`, `allOf` and `$ref` multiply); decksmith refuses schemas above that limit",
                self.location(schema)
            ));
        }
        if nesting + cost.nesting - 1 > MAX_NESTING {
            return Err(self.too_deep(schema));
        }
        Ok(cost)
    }

    fn too_deep(&self, schema: &Value) -> String {
        format!(
            "subschemas nest more than {MAX_NESTING} deep at `{}` (through `$ref`s, applicators and the levels of a note); decksmith refuses schemas above that limit",
            self.location(schema)
        )
    }

    /// The cost of one subschema for one value: itself, everything it applies to the value,
    /// and what it applies to the one entry of the value that costs the most.
    fn children(
        &mut self,
        schema: &'r Value,
        resolver: &Resolver<'r>,
        levels: usize,
        nesting: usize,
    ) -> Result<Cost, String> {
        let mut applied = Tally::default();
        for landings in self.references(schema, resolver)? {
            // The validator follows one of them.
            let mut most = Tally::default();
            for (contents, target) in landings {
                most.add(self.visit(contents, &target, levels, nesting + 1)?);
            }
            applied.add(Cost {
                evaluations: most.most_evaluations,
                checks: most.most_checks,
                nesting: most.nesting,
            });
        }
        applied.merge(self.tally(subschemas(schema, &APPLIED), resolver, levels, nesting)?);
        let checked = self.tally(subschemas(schema, &CHECKED), resolver, levels, nesting)?;
        let retried = self.tally(subschemas(schema, &RETRIED), resolver, levels, nesting)?;
        let mut entry = Tally::default();
        if levels > 0 {
            let below = levels - 1;
            for (one_of, all) in [(&OBJECT_ONE_OF, &OBJECT_ALL), (&ARRAY_ONE_OF, &ARRAY_ALL)] {
                let one = self.tally(subschemas(schema, one_of), resolver, below, nesting)?;
                let all = self.tally(subschemas(schema, all), resolver, below, nesting)?;
                entry.evaluations = entry
                    .evaluations
                    .max(all.evaluations.saturating_add(one.most_evaluations));
                entry.checks = entry.checks.max(all.checks.saturating_add(one.most_checks));
                entry.nesting = entry.nesting.max(all.nesting).max(one.nesting);
            }
        }
        // `unevaluated*` checks the applicators beside it again, level by level, to learn
        // which entries they covered.
        let in_place_nesting = applied.nesting.max(checked.nesting).max(retried.nesting);
        let marking = if UNEVALUATED.iter().any(|k| schema.get(k).is_some()) {
            [applied.checks, checked.checks, retried.checks]
                .into_iter()
                .fold(0u64, u64::saturating_add)
                .saturating_mul(1 + in_place_nesting as u64)
        } else {
            0
        };
        let sum = |parts: &[u64]| parts.iter().fold(1u64, |a, b| a.saturating_add(*b));
        Ok(Cost {
            evaluations: sum(&[
                applied.evaluations,
                checked.checks,
                retried.checks,
                retried.evaluations,
                marking,
                entry.evaluations,
            ]),
            checks: sum(&[
                applied.checks,
                checked.checks,
                retried.checks,
                marking,
                entry.checks,
            ]),
            nesting: 1 + in_place_nesting.max(entry.nesting),
        })
    }

    /// Visit each of `subschemas` one level deeper in the evaluation.
    fn tally(
        &mut self,
        subschemas: Vec<&'r Value>,
        resolver: &Resolver<'r>,
        levels: usize,
        nesting: usize,
    ) -> Result<Tally, String> {
        let mut tally = Tally::default();
        for sub in subschemas {
            tally.add(self.visit(sub, resolver, levels, nesting + 1)?);
        }
        Ok(tally)
    }

    /// What `$ref`, `$dynamicRef` and `$recursiveRef` stand for, each as the subschemas it
    /// may land on, with the resolvers that continue from them. A `$ref` lands on one; a
    /// dynamic reference on its static target or on any subschema with its anchor,
    /// depending on how the value was reached.
    fn references(
        &self,
        schema: &'r Value,
        resolver: &Resolver<'r>,
    ) -> Result<Vec<Vec<(&'r Value, Resolver<'r>)>>, String> {
        let unresolved = |reference: &str, e: referencing::Error| {
            format!(
                "cannot resolve `{reference}` at `{}`: {e}",
                self.location(schema)
            )
        };
        let lookup = |from: &Resolver<'r>, reference: &str, shown: &str| {
            from.lookup(reference)
                .map(|resolved| {
                    let (contents, next, _) = resolved.into_inner();
                    (contents, next)
                })
                .map_err(|e| unresolved(shown, e))
        };
        let mut out = Vec::new();
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            out.push(vec![lookup(resolver, reference, reference)?]);
        }
        let dynamic = [
            schema
                .get("$dynamicRef")
                .and_then(Value::as_str)
                .map(|r| (r, r.rsplit_once('#').map_or("", |(_, a)| a))),
            schema
                .get("$recursiveRef")
                .and_then(Value::as_str)
                .map(|r| (r, "")),
        ];
        for (reference, anchor) in dynamic.into_iter().flatten() {
            let mut landings = vec![lookup(resolver, reference, reference)?];
            for pointer in self.dynamic.get(anchor).into_iter().flatten() {
                landings.push(lookup(self.root, &format!("#{pointer}"), reference)?);
            }
            out.push(landings);
        }
        Ok(out)
    }

    fn location(&self, schema: &Value) -> String {
        let pointer = self
            .locations
            .get(&(std::ptr::from_ref(schema) as usize))
            .map_or("", String::as_str);
        format!("#{pointer}")
    }
}

/// The costs of several subschemas: their sums, the largest, and the deepest nesting.
#[derive(Default)]
struct Tally {
    evaluations: u64,
    checks: u64,
    most_evaluations: u64,
    most_checks: u64,
    nesting: usize,
}

impl Tally {
    fn add(&mut self, cost: Cost) {
        self.merge(Tally {
            evaluations: cost.evaluations,
            checks: cost.checks,
            most_evaluations: cost.evaluations,
            most_checks: cost.checks,
            nesting: cost.nesting,
        });
    }

    fn merge(&mut self, other: Tally) {
        self.evaluations = self.evaluations.saturating_add(other.evaluations);
        self.checks = self.checks.saturating_add(other.checks);
        self.most_evaluations = self.most_evaluations.max(other.most_evaluations);
        self.most_checks = self.most_checks.max(other.most_checks);
        self.nesting = self.nesting.max(other.nesting);
    }
}

/// The subschemas `schema` holds under `keywords` (`dependencies` also holds lists of
/// names, and `items` one schema or a list, depending on the draft; what is not a schema is
/// skipped).
fn subschemas<'v>(schema: &'v Value, keywords: &Keywords) -> Vec<&'v Value> {
    let is_schema = |v: &&Value| v.is_object() || v.is_boolean();
    let ones = keywords.one.iter().filter_map(|k| schema.get(k));
    let lists = keywords
        .list
        .iter()
        .filter_map(|k| schema.get(k).and_then(Value::as_array))
        .flatten();
    let maps = keywords
        .map
        .iter()
        .filter_map(|k| schema.get(k).and_then(Value::as_object))
        .flat_map(|m| m.values());
    ones.chain(lists).chain(maps).filter(is_schema).collect()
}

/// How many values `instance` holds, counting every entry, key and nested value: each may
/// meet [`Cost::evaluations`] evaluations.
pub fn values(instance: &Value) -> u64 {
    let mut count = 0u64;
    let mut stack = vec![instance];
    while let Some(value) = stack.pop() {
        count += 1;
        match value {
            Value::Object(map) => {
                // A key is a value of its own to `propertyNames`.
                count += map.len() as u64;
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    count
}

/// Where every subschema of the document sits (JSON pointers by address), and the
/// subschemas a dynamic reference may land on: by `$dynamicAnchor` name, and under `""`
/// those with `$recursiveAnchor: true`. Iterative, like everything that follows input.
fn survey(schema: &Value) -> (HashMap<usize, String>, HashMap<String, Vec<String>>) {
    let mut locations = HashMap::new();
    let mut dynamic: HashMap<String, Vec<String>> = HashMap::new();
    let mut stack = vec![(schema, String::new())];
    while let Some((value, pointer)) = stack.pop() {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    let escaped = k.replace('~', "~0").replace('/', "~1");
                    stack.push((v, format!("{pointer}/{escaped}")));
                }
                if let Some(name) = value.get("$dynamicAnchor").and_then(Value::as_str) {
                    dynamic
                        .entry(name.to_string())
                        .or_default()
                        .push(pointer.clone());
                }
                if value.get("$recursiveAnchor").and_then(Value::as_bool) == Some(true) {
                    dynamic
                        .entry(String::new())
                        .or_default()
                        .push(pointer.clone());
                }
                locations.insert(std::ptr::from_ref(value) as usize, pointer);
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    stack.push((v, format!("{pointer}/{i}")));
                }
            }
            _ => {}
        }
    }
    (locations, dynamic)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cost(schema: &Value) -> Result<Cost, String> {
        measure(schema, Draft::Draft202012)
    }

    /// `levels` definitions, each an `anyOf` of two references to the next.
    fn doubling(levels: usize) -> Value {
        let mut defs = serde_json::Map::new();
        for i in 0..levels {
            let next = format!("#/$defs/l{}", i + 1);
            defs.insert(
                format!("l{i}"),
                json!({"anyOf": [{"$ref": next}, {"$ref": next}]}),
            );
        }
        defs.insert(format!("l{levels}"), json!({"type": "integer"}));
        json!({"$defs": defs, "properties": {"title": {"$ref": "#/$defs/l0"}}})
    }

    #[test]
    fn builtin_schemas_are_far_below_the_limits() {
        for (name, text) in crate::config::BUILTIN_SCHEMAS {
            let json: Value = serde_json::from_str(text).expect("json");
            let cost = cost(&json).expect("accepted");
            assert!(
                cost.evaluations * 100 <= MAX_EVALUATIONS,
                "{name}: {cost:?}"
            );
            assert!(cost.nesting * 20 <= MAX_NESTING, "{name}: {cost:?}");
        }
    }

    /// (checks, evaluations) of `l{i}` in [`doubling`], from the bottom level up: a level
    /// is itself and two reference holders, each checked, then validated again.
    fn doubling_costs(levels: usize) -> Vec<(u64, u64)> {
        let mut out = vec![(1, 1)];
        for _ in 0..levels {
            let (checks, evaluations) = out[out.len() - 1];
            let holder = (1 + checks, 1 + evaluations);
            out.push((1 + 2 * holder.0, 1 + 2 * holder.0 + 2 * holder.1));
        }
        out
    }

    #[test]
    fn shared_branches_are_counted_as_the_tree_they_unfold_into() {
        for levels in 1..=4 {
            let (checks, evaluations) = doubling_costs(levels)[levels];
            let got = cost(&doubling(levels)).expect("small");
            // The root, then `properties/title`, a reference holder.
            assert_eq!((got.checks, got.evaluations), (2 + checks, 2 + evaluations));
        }
    }

    #[test]
    fn exponential_schemas_are_refused_where_the_limit_is_crossed() {
        let started = std::time::Instant::now();
        let err = cost(&doubling(40)).expect_err("refused");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert!(err.contains(&MAX_EVALUATIONS.to_string()), "{err}");
        // The first level from the bottom above the limit.
        let above = doubling_costs(40)
            .iter()
            .position(|(_, e)| *e > MAX_EVALUATIONS)
            .expect("crossed");
        assert!(err.contains(&format!("`#/$defs/l{}`", 40 - above)), "{err}");
    }

    #[test]
    fn values_count_entries_keys_and_the_root() {
        assert_eq!(values(&json!("x")), 1);
        assert_eq!(values(&json!({"a": 1, "b": [1, 2]})), 1 + 2 + 1 + 1 + 2);
    }

    #[test]
    fn long_reference_chains_are_refused() {
        let mut defs = serde_json::Map::new();
        for i in 0..12_000 {
            defs.insert(
                format!("l{i}"),
                json!({"$ref": format!("#/$defs/l{}", i + 1)}),
            );
        }
        defs.insert("l12000".into(), json!({"type": "object"}));
        let err = cost(&json!({"$defs": defs, "$ref": "#/$defs/l0"})).expect_err("refused");
        assert!(
            err.contains(&format!("more than {MAX_NESTING} deep")),
            "{err}"
        );
    }

    #[test]
    fn recursion_through_the_value_is_bounded_by_its_depth() {
        // A tree: each level meets one subschema per entry, whatever the number of keys.
        let tree = json!({
            "type": "object",
            "properties": {"left": {"$ref": "#"}, "right": {"$ref": "#"}},
            "additionalProperties": false
        });
        let got = cost(&tree).expect("linear in the depth");
        assert!(
            got.evaluations <= 3 * (yaml::MAX_DEPTH as u64 + 1),
            "{got:?}"
        );
        // Branching in place at every level of the value doubles per level.
        let branching = json!({
            "properties": {"child": {"anyOf": [{"$ref": "#"}, {"$ref": "#"}]}}
        });
        assert!(cost(&branching).is_err());
    }

    #[test]
    fn cycles_that_never_descend_are_counted_once() {
        assert!(cost(&json!({"$ref": "#"})).is_ok());
        let pair = json!({
            "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}},
            "anyOf": [{"$ref": "#/$defs/a"}, {"type": "object"}]
        });
        assert!(cost(&pair).expect("finite").evaluations < 20);
    }

    #[test]
    fn schemas_in_every_style_are_measured() {
        let schemas = [
            r##"{"$id": "notes/qa.json", "$ref": "#/$defs/a", "$defs": {"a": {"type": "object"}}}"##,
            r##"{"$schema": "http://json-schema.org/draft-07/schema#", "definitions": {"s": {"type": "string"}}, "properties": {"x": {"$ref": "#/definitions/s", "title": "ignored sibling"}}}"##,
            r##"{"$schema": "http://json-schema.org/draft-04/schema#", "id": "http://example.invalid/s.json", "properties": {"x": {"$ref": "#/definitions/s"}}, "definitions": {"s": {"type": "string"}}}"##,
            r##"{"properties": {"x": {"$ref": "#leaf"}}, "$defs": {"l": {"$anchor": "leaf", "type": "string"}}}"##,
            r##"{"$dynamicAnchor": "node", "properties": {"kids": {"items": {"$dynamicRef": "#node"}}}}"##,
            r##"{"$schema": "https://json-schema.org/draft/2019-09/schema", "$recursiveAnchor": true, "properties": {"kids": {"items": {"$recursiveRef": "#"}}}}"##,
            r##"{"if": {"properties": {"kind": {"const": "a"}}}, "then": {"required": ["x"]}, "else": {"required": ["y"]}, "unevaluatedProperties": false, "dependentSchemas": {"x": {"not": {"required": ["y"]}}}}"##,
        ];
        for text in schemas {
            let schema = crate::lint::schema::Schema::compile("t", text);
            assert!(schema.is_ok(), "{text}: {:?}", schema.err());
        }
    }

    #[test]
    fn references_resolve_against_nested_ids() {
        let schema = json!({
            "$id": "https://example.invalid/root.json",
            "properties": {"x": {"$ref": "item.json"}},
            "$defs": {"item": {"$id": "item.json", "$ref": "#/$defs/leaf", "$defs": {"leaf": {"type": "string"}}}}
        });
        assert!(cost(&schema).expect("resolves").evaluations >= 4);
    }
}
