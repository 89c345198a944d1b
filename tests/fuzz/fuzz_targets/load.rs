//! Arbitrary text as `mbgen.toml`: loading never panics, and whatever loads and resolves
//! renders to files without NUL bytes that end with exactly one newline.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(loaded) = mbgen::spec::parse(text, Path::new("mbgen.toml")) else {
        return;
    };
    // No workspace files exist there: a service built from a workspace root fails to resolve.
    let tree = mbgen::workspace::Tree::new(Path::new("/nonexistent"), Path::new(""));
    let Ok(project) = mbgen::model::resolve(&loaded, &tree) else {
        return;
    };
    let files = mbgen::render::render_project(&project)
        .unwrap_or_else(|e| panic!("a resolved project failed to render: {e}"));
    for file in files {
        let name = file.path.display();
        assert!(!file.contents.contains('\0'), "{name} contains a NUL byte");
        assert!(
            file.contents.ends_with('\n') && !file.contents.ends_with("\n\n"),
            "{name} does not end with exactly one newline"
        );
    }
});
