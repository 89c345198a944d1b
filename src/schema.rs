//! The JSON Schema of `mbgen.toml`, generated from the spec types.
//!
//! Pinned to draft-07, the draft taplo (Even Better TOML) and VS Code understand. The doc
//! comments of the spec types are the only source: a transform derives each property's
//! `title` (the first sentence) and `default` (the "Default: `x`" of its description), and
//! drops the `null` alternative of optional keys, which TOML cannot express. The committed
//! copy in `schemas/` is kept in sync by a test.

use schemars::generate::SchemaSettings;
use schemars::transform::{transform_subschemas, Transform};
use schemars::Schema;
use serde_json::{Map, Value};

use crate::spec::ConfigSpec;

/// Where editors find the schema in this repository.
pub const SCHEMA_PATH: &str = "schemas/mbgen.schema.json";

/// The schema as pretty-printed JSON with a final newline.
#[must_use]
pub fn schema_json() -> String {
    // Inline every definition: taplo's completion loops on a property that is an `allOf`
    // around a reference to a definition without properties.
    let generator = SchemaSettings::draft07()
        .for_deserialize()
        .with(|s| s.inline_subschemas = true)
        .with_transform(EditorFriendly)
        .into_generator();
    let schema = generator.into_root_schema_for::<ConfigSpec>();
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema always serialises");
    text.push('\n');
    text
}

#[derive(Debug, Clone)]
struct EditorFriendly;

impl Transform for EditorFriendly {
    fn transform(&mut self, schema: &mut Schema) {
        transform_subschemas(self, schema);
        let Some(object) = schema.as_object_mut() else {
            return;
        };
        drop_null_alternative(object);
        if let Some(Value::Object(properties)) = object.get_mut("properties") {
            for property in properties.values_mut() {
                if let Value::Object(property) = property {
                    annotate(property);
                }
            }
        }
    }
}

/// `anyOf: [X, {type: null}]` → X (wrapped in `allOf` when X is a reference, so that a
/// sibling description is not ignored under draft-07).
fn drop_null_alternative(object: &mut Map<String, Value>) {
    if let Some(Value::Array(types)) = object.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            object.insert("type".into(), only);
        }
    }
    let Some(Value::Array(any_of)) = object.get("anyOf") else {
        return;
    };
    let is_null = |v: &Value| v.get("type") == Some(&Value::String("null".into()));
    if any_of.len() != 2 || !any_of.iter().any(is_null) {
        return;
    }
    let Some(inner) = any_of.iter().find(|v| !is_null(v)).cloned() else {
        return;
    };
    object.remove("anyOf");
    match inner {
        Value::Object(inner) if inner.contains_key("$ref") => {
            object.insert("allOf".into(), Value::Array(vec![Value::Object(inner)]));
        }
        Value::Object(inner) => {
            for (k, v) in inner {
                object.entry(k).or_insert(v);
            }
        }
        _ => {}
    }
}

fn annotate(property: &mut Map<String, Value>) {
    let Some(description) = property.get("description").and_then(Value::as_str) else {
        return;
    };
    let title = first_sentence(description);
    let default = documented_default(description);
    property
        .entry("title")
        .or_insert_with(|| Value::String(title));
    if let Some(default) = default {
        property.entry("default").or_insert(default);
    }
}

fn first_sentence(text: &str) -> String {
    let paragraph = text.split("\n\n").next().unwrap_or(text).replace('\n', " ");
    let end = paragraph
        .find(". ")
        .or_else(|| paragraph.find(": "))
        .unwrap_or(paragraph.len());
    paragraph[..end].trim_end_matches('.').to_owned()
}

/// The value in "Default: `x`", as JSON: numbers and booleans as themselves, otherwise the
/// string.
fn documented_default(text: &str) -> Option<Value> {
    let text = text.replace('\n', " ");
    let rest = text.split("Default: `").nth(1)?;
    let raw = rest.split('`').next()?;
    Some(serde_json::from_str::<Value>(raw).map_or_else(
        |_| Value::String(raw.to_owned()),
        |v| match v {
            Value::Number(_) | Value::Bool(_) => v,
            _ => Value::String(raw.to_owned()),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_defaults_come_from_the_docs() {
        assert_eq!(first_sentence("The port. Default: `8080`."), "The port");
        assert_eq!(
            documented_default("Port. Default: `8080`."),
            Some(Value::from(8080))
        );
        assert_eq!(
            documented_default("Default: `false`."),
            Some(Value::from(false))
        );
        assert_eq!(documented_default("Default:\n`.`."), Some(Value::from(".")));
        assert_eq!(documented_default("Default: taken from the image"), None);
    }
}
