//! The JSON Schema of `mbgen.toml`, generated from the spec types.
//!
//! Pinned to draft-07, the draft taplo (Even Better TOML) and VS Code understand. The
//! committed copy in `schemas/` is kept in sync by a test.

use schemars::generate::SchemaSettings;

use crate::spec::ConfigSpec;

/// Where editors find the schema in this repository.
pub const SCHEMA_PATH: &str = "schemas/mbgen.schema.json";

/// The schema as pretty-printed JSON with a final newline.
#[must_use]
pub fn schema_json() -> String {
    let generator = SchemaSettings::draft07().for_deserialize().into_generator();
    let schema = generator.into_root_schema_for::<ConfigSpec>();
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema always serialises");
    text.push('\n');
    text
}
