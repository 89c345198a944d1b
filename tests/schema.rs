//! The committed JSON Schema matches the spec types. Set `MBGEN_UPDATE_SCHEMA=1` to rewrite it.

mod common;

#[test]
fn committed_schema_is_current() {
    let path = common::root().join(mbgen::SCHEMA_PATH);
    let generated = mbgen::schema_json();
    if std::env::var_os("MBGEN_UPDATE_SCHEMA").is_some() {
        fs_err::write(&path, &generated).unwrap();
        return;
    }
    let committed = fs_err::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let diff = similar::TextDiff::from_lines(&committed, &generated)
            .unified_diff()
            .header("committed", "generated")
            .to_string();
        panic!(
            "{} is stale; run `MBGEN_UPDATE_SCHEMA=1 cargo test --test schema`\n{diff}",
            mbgen::SCHEMA_PATH
        );
    }
}

#[test]
fn schema_is_draft_07_and_strict() {
    let schema: serde_json::Value = serde_json::from_str(&mbgen::schema_json()).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(schema["additionalProperties"], false);
    let service = schema["properties"]["services"]["patternProperties"]
        .as_object()
        .and_then(|p| p.values().next())
        .expect("services are keyed by a name pattern");
    assert_eq!(service["additionalProperties"], false);
    assert_eq!(service["required"], serde_json::json!(["stack"]));
    for (key, property) in service["properties"].as_object().unwrap() {
        let described = property.get("description").is_some()
            || property
                .get("allOf")
                .or_else(|| property.get("anyOf"))
                .is_some_and(|_| property.get("description").is_some());
        assert!(described, "`{key}` has no description");
    }
}
