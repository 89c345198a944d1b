//! Every example is a test: its committed output is what `mbgen render` writes (checked the
//! way users and CI check it, with `mbgen render --check`), and rendering is deterministic.
//! The variants, which have no committed output, are snapshot-tested.

mod common;

use std::path::Path;

/// Renders an example as `mbgen render` does: with its own templates directory.
fn render_example(dir: &Path) -> Vec<mbgen::GeneratedFile> {
    let loaded = mbgen::load_project(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    loaded.render().expect("templates render")
}

/// Configurations that exercise what the examples do not: other families, package managers,
/// runtimes, secrets, certificates, packages, users.
#[test]
fn variant_snapshots() {
    for path in common::variants() {
        let name = common::variant_name(&path);
        let files = common::render_config(&path);
        insta::assert_snapshot!(format!("variant_{name}"), common::combined(&files));
    }
}

/// The examples, and mbgen's own image (the repository's mbgen.toml): CI fails when a
/// change to mbgen leaves their committed files behind.
#[test]
fn render_check_passes_on_every_example() {
    for dir in common::committed_projects() {
        let out = common::mbgen(&dir)
            .args(["render", "--check"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}{}",
            dir.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn rendering_is_deterministic() {
    for dir in common::committed_projects() {
        let first = render_example(&dir);
        for _ in 0..5 {
            assert_eq!(first, render_example(&dir), "{}", dir.display());
        }
    }
}

#[test]
fn generated_files_follow_the_whitespace_policy() {
    for dir in common::committed_projects() {
        for f in render_example(&dir) {
            let text = &f.contents;
            assert!(
                text.ends_with('\n') && !text.ends_with("\n\n"),
                "{}",
                f.path.display()
            );
            assert!(
                !text.contains('\r') && !text.contains('\t'),
                "{}",
                f.path.display()
            );
            assert!(
                text.lines().all(|l| l == l.trim_end()),
                "{}",
                f.path.display()
            );
        }
    }
}
