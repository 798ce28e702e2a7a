//! One file per rule. Each file declares the rule with [`declare_rule!`] (its doc comment is
//! the user documentation shown by `decksmith rule CODE`) and a `check` function that pushes
//! findings. Add a rule by adding a file and a line to [`ALL`].
//!
//! [`declare_rule!`]: super::registry::declare_rule

use super::registry::Rule;

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
pub mod nam001_filename_pattern;
pub mod nam002_filename_field_mismatch;
pub mod nam003_duplicate_id;
pub mod sch001_schema_violation;
pub mod sch002_unknown_vocabulary_value;
pub mod sec001_missing_section;
pub mod sec002_transliterated_heading;
pub mod sec003_language_order;
pub mod sec004_question_not_quoted;
pub(crate) mod sections;
pub mod sup001_unused_suppression;
pub mod tag001_missing_derived_tag;

/// Every rule, in code order.
pub(crate) static ALL: &[&Rule] = &[
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
    &nam001_filename_pattern::RULE,
    &nam002_filename_field_mismatch::RULE,
    &nam003_duplicate_id::RULE,
    &sch001_schema_violation::RULE,
    &sch002_unknown_vocabulary_value::RULE,
    &sec001_missing_section::RULE,
    &sec002_transliterated_heading::RULE,
    &sec003_language_order::RULE,
    &sec004_question_not_quoted::RULE,
    &sup001_unused_suppression::RULE,
    &tag001_missing_derived_tag::RULE,
];
