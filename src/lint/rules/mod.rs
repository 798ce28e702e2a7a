//! One file per rule. Each file declares the rule with `declare_rule!` (its doc comment is
//! the user documentation shown by `decksmith rule CODE`) and a `check` function that pushes
//! findings. Add a rule by adding a file and a line to `ALL`.

use super::registry::Rule;

pub mod ank001_slug_format;
pub mod ank002_stale_slug_base;
pub mod ank003_language_mismatch;
pub mod ank004_incomplete_entry;
pub mod ank005_index_gap;
pub mod ank006_duplicate_anki_id;
pub mod ank007_synced_at_format;
pub mod ank008_language_without_card;
pub mod ank009_untagged_language;
pub(crate) mod anki;
pub mod dat001_updated_before_created;
pub mod fm001_missing_front_matter;
pub mod fm002_unterminated_front_matter;
pub mod fm003_broken_fence;
pub mod fm004_fence_merged_key;
pub mod fm005_dashed_key;
pub mod fm006_metadata_in_body;
pub mod fm007_duplicate_key;
pub mod fm008_yaml_syntax_error;
pub mod fm009_cards_only_front_matter;
pub mod fm010_front_matter_not_mapping;
pub mod fs001_unreadable_file;
pub mod lng001_original_language_untagged;
pub mod lnk001_unresolved_link;
pub mod lnk002_self_link;
pub mod lnk003_unknown_anchor;
pub mod lnk004_missing_embed;
pub mod lnk005_link_outside_vault;
pub mod lnk006_duplicate_link;
pub mod lnk007_orphan_note;
pub mod nam001_filename_pattern;
pub mod nam002_filename_field_mismatch;
pub mod nam003_duplicate_id;
pub mod ref001_unresolved_reference;
pub mod ref002_self_reference;
pub mod ref003_related_count;
pub mod ref004_related_without_concept;
pub(crate) mod resolved;
pub mod sch001_schema_violation;
pub mod sch002_unknown_vocabulary_value;
pub mod sec001_missing_section;
pub mod sec002_transliterated_heading;
pub mod sec003_language_order;
pub mod sec004_question_not_quoted;
pub mod sup001_unused_suppression;
pub mod tag001_missing_derived_tag;

/// Every rule, in code order.
pub(crate) static ALL: &[&Rule] = &[
    &ank001_slug_format::RULE,
    &ank002_stale_slug_base::RULE,
    &ank003_language_mismatch::RULE,
    &ank004_incomplete_entry::RULE,
    &ank005_index_gap::RULE,
    &ank006_duplicate_anki_id::RULE,
    &ank007_synced_at_format::RULE,
    &ank008_language_without_card::RULE,
    &ank009_untagged_language::RULE,
    &dat001_updated_before_created::RULE,
    &fm001_missing_front_matter::RULE,
    &fm002_unterminated_front_matter::RULE,
    &fm003_broken_fence::RULE,
    &fm004_fence_merged_key::RULE,
    &fm005_dashed_key::RULE,
    &fm006_metadata_in_body::RULE,
    &fm007_duplicate_key::RULE,
    &fm008_yaml_syntax_error::RULE,
    &fm009_cards_only_front_matter::RULE,
    &fm010_front_matter_not_mapping::RULE,
    &fs001_unreadable_file::RULE,
    &lng001_original_language_untagged::RULE,
    &lnk001_unresolved_link::RULE,
    &lnk002_self_link::RULE,
    &lnk003_unknown_anchor::RULE,
    &lnk004_missing_embed::RULE,
    &lnk005_link_outside_vault::RULE,
    &lnk006_duplicate_link::RULE,
    &lnk007_orphan_note::RULE,
    &nam001_filename_pattern::RULE,
    &nam002_filename_field_mismatch::RULE,
    &nam003_duplicate_id::RULE,
    &ref001_unresolved_reference::RULE,
    &ref002_self_reference::RULE,
    &ref003_related_count::RULE,
    &ref004_related_without_concept::RULE,
    &sch001_schema_violation::RULE,
    &sch002_unknown_vocabulary_value::RULE,
    &sec001_missing_section::RULE,
    &sec002_transliterated_heading::RULE,
    &sec003_language_order::RULE,
    &sec004_question_not_quoted::RULE,
    &sup001_unused_suppression::RULE,
    &tag001_missing_derived_tag::RULE,
];
