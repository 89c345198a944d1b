//! Arbitrary text as `mbgen.toml`: loading never panics, a project that resolves never fails
//! to render with a bug of mbgen's, and what renders is files without NUL bytes or other
//! control characters, with no line longer than BuildKit reads, that end with exactly one
//! newline and whose header carries mbgen's checksum.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // No workspace files exist there: a service built from a workspace root fails to resolve.
    let Ok(project) = mbgen::Project::from_text(text, Path::new("/nonexistent")) else {
        return;
    };
    let files = match project.render() {
        Ok(files) => files,
        Err(e) if e.exit_code() == mbgen::exit::INTERNAL => {
            panic!("a resolved project failed to render: {e}")
        }
        // The user's to fix, such as a line too long for BuildKit.
        Err(_) => return,
    };
    for file in files {
        let name = file.path.display();
        assert!(
            !file
                .contents
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{name} contains a control character"
        );
        assert!(
            file.contents.lines().all(|l| l.len() <= 65_535),
            "{name} has a line longer than BuildKit reads"
        );
        assert!(
            file.contents.lines().next().is_some_and(|l| l.contains("; checksum ")),
            "{name} has no checksum in its header"
        );
        assert!(
            file.contents.ends_with('\n') && !file.contents.ends_with("\n\n"),
            "{name} does not end with exactly one newline"
        );
    }
});
