//! The JSON Schema of `mbgen.toml`, generated from the spec types.
//!
//! Pinned to draft-07, the draft taplo (Even Better TOML) and VS Code understand. The doc
//! comments of the spec types are the only source: a transform derives each property's
//! `title` (the first sentence), `default` (the "Default: `x`" of its description) and
//! `examples` (its TOML example), and drops the `null` alternative of optional keys, which
//! TOML cannot express. The base images of `[workspace.images.<stack>]` get the stack's own
//! default images as examples, from the model's defaults. The committed copy in `schemas/`
//! is kept in sync by a test.

use schemars::generate::SchemaSettings;
use schemars::transform::{transform_subschemas, Transform};
use schemars::Schema;
use serde_json::{Map, Value};

use crate::model::defaults;
use crate::spec::{ConfigSpec, Stack};

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
    let mut value = schema.to_value();
    stack_image_examples(&mut value);
    let mut text = serde_json::to_string_pretty(&value).expect("a schema always serialises");
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
            for (key, property) in properties.iter_mut() {
                if let Value::Object(property) = property {
                    annotate(key, property);
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

fn annotate(key: &str, property: &mut Map<String, Value>) {
    let Some(description) = property.get("description").and_then(Value::as_str) else {
        return;
    };
    let title = first_sentence(description);
    let default = documented_default(description);
    let example = documented_example(key, description);
    property
        .entry("title")
        .or_insert_with(|| Value::String(title));
    if let Some(default) = default {
        property.entry("default").or_insert(default);
    }
    if let Some(example) = example {
        property.insert("examples".into(), Value::Array(vec![example]));
    }
}

/// The example of `key` in its description: the last paragraph, either `` `key = value` ``
/// or a ```` ```toml ```` block in which `key` is a table (`[services.api.images]`) or an
/// array of tables (`[[services.web.secrets]]`).
fn documented_example(key: &str, description: &str) -> Option<Value> {
    let last = description.trim_end().rsplit("\n\n").next()?.trim();
    let toml_text = if let Some(block) = last.strip_prefix("```toml\n") {
        block.strip_suffix("```")?
    } else {
        last.strip_prefix('`')?.strip_suffix('`')?
    };
    let mut table: toml::Table = toml_text.parse().ok()?;
    // Down the tables of the example's header until the one holding the key.
    loop {
        if let Some(value) = table.remove(key) {
            return serde_json::to_value(value).ok();
        }
        let mut only = table.into_iter();
        let (_, next) = only.next()?;
        if only.next().is_some() {
            return None;
        }
        table = match next {
            toml::Value::Table(t) => t,
            _ => return None,
        };
    }
}

/// Each stack's own default images as the examples of `[workspace.images.<stack>]`.
fn stack_image_examples(schema: &mut Value) {
    let Some(Value::Object(stacks)) =
        schema.pointer_mut("/properties/workspace/properties/images/properties")
    else {
        return;
    };
    for (name, stack_images) in stacks.iter_mut() {
        let Some(stack) = Stack::ALL.iter().find(|s| s.as_str() == name) else {
            continue;
        };
        let (builder, runtime) = defaults::images(*stack);
        for (stage, image) in [("builder", builder), ("runtime", Some(runtime))] {
            let Some(Value::Object(p)) = stack_images.pointer_mut(&format!("/properties/{stage}"))
            else {
                continue;
            };
            match image {
                Some(image) => {
                    p.insert("examples".into(), Value::Array(vec![Value::String(image)]));
                }
                // `static` has no builder: an example would be an error.
                None => {
                    p.remove("examples");
                }
            }
        }
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

    /// Every example in the schema, with the keys of the tables it sits in: `services.*`
    /// stands for any service, `[]` for an item of an array of tables.
    fn examples(node: &Value, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, Value)>) {
        let Some(object) = node.as_object() else {
            return;
        };
        if let Some(Value::Array(list)) = object.get("examples") {
            for example in list {
                out.push((path.clone(), example.clone()));
            }
        }
        for (key, child) in object {
            match key.as_str() {
                "properties" | "patternProperties" => {
                    for (name, property) in child.as_object().into_iter().flatten() {
                        let name = if key == "patternProperties" {
                            "*"
                        } else {
                            name
                        };
                        path.push(name.to_owned());
                        examples(property, path, out);
                        path.pop();
                    }
                }
                "items" => {
                    path.push("[]".to_owned());
                    examples(child, path, out);
                    path.pop();
                }
                _ => {}
            }
        }
    }

    /// A document holding `value` at `path`, with what the spec requires around it (a
    /// service's `stack`, a secret's `id`).
    fn document(path: &[String], value: Value, stack: &str) -> Value {
        let mut value = value;
        for (i, key) in path.iter().enumerate().rev() {
            value = match key.as_str() {
                "[]" => {
                    let mut item = value;
                    if path.get(i - 1).is_some_and(|k| k == "secrets") {
                        if let Some(o) = item.as_object_mut() {
                            o.entry("id").or_insert_with(|| "npmrc".into());
                        }
                    }
                    Value::Array(vec![item])
                }
                "*" => serde_json::json!({ "svc": value }),
                key => {
                    let mut table = Map::new();
                    table.insert(key.to_owned(), value);
                    if path.first().is_some_and(|k| k == "services") && i == 2 {
                        table.entry("stack").or_insert_with(|| stack.into());
                    }
                    Value::Object(table)
                }
            };
        }
        value
    }

    /// Every example of the schema is a value of its own key: the document that holds it at
    /// its place loads.
    #[test]
    fn every_example_fits_its_key() {
        let schema: Value = serde_json::from_str(&schema_json()).unwrap();
        let mut found = Vec::new();
        examples(&schema, &mut Vec::new(), &mut found);
        assert!(found.len() > 60, "{} examples", found.len());
        for (path, example) in found {
            if path.is_empty() {
                continue;
            }
            // A service key goes into a service of a stack it applies to.
            let stack = path
                .get(2)
                .and_then(|k| {
                    crate::spec::ServiceKey::ALL
                        .iter()
                        .find(|s| s.as_str() == k)
                })
                .and_then(|k| k.stacks())
                .map_or("go", |stacks| stacks[0].as_str());
            let mut doc = document(&path, example.clone(), stack);
            if path[0] != "services" {
                doc.as_object_mut()
                    .unwrap()
                    .entry("services")
                    .or_insert_with(|| serde_json::json!({ "svc": { "stack": "go" } }));
            }
            let text = toml::to_string(&doc).unwrap();
            let loaded = crate::spec::parse(&text, std::path::Path::new("mbgen.toml"));
            assert!(
                loaded.is_ok(),
                "the example {example} of `{}` does not load:\n{text}\n{}",
                path.join("."),
                loaded.err().map(|e| e.to_string()).unwrap_or_default()
            );
        }
    }

    /// The images of `[workspace.images.<stack>]` are examples of that stack's images.
    #[test]
    fn stack_image_examples_are_the_stacks_own() {
        let schema: Value = serde_json::from_str(&schema_json()).unwrap();
        let expected: &[(&str, &str, &str)] = &[
            ("node-static", "node:", "nginx:"),
            ("node-server", "node:", "node:"),
            ("go", "golang:", "gcr.io/distroless/static"),
            ("python", "python:", "python:"),
            ("rust", "rust:", "debian:"),
            ("static", "", "nginx:"),
        ];
        for (stack, builder, runtime) in expected {
            let at = |stage: &str| {
                schema
                    .pointer(&format!(
                        "/properties/workspace/properties/images/properties/{stack}/properties/{stage}/examples/0"
                    ))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            let runtime_example = at("runtime").unwrap();
            assert!(
                runtime_example.starts_with(runtime),
                "{stack}: {runtime_example}"
            );
            match at("builder") {
                Some(b) => assert!(
                    !builder.is_empty() && b.starts_with(builder),
                    "{stack}: {b}"
                ),
                None => assert!(builder.is_empty(), "{stack} has a builder example"),
            }
        }
    }
}
