//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) mod transcript;

/// The repository root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A command running the built `mbgen` binary in `dir`.
pub(crate) fn mbgen(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mbgen"));
    cmd.current_dir(dir)
        .env_remove("RUST_BACKTRACE")
        .env("NO_COLOR", "1");
    cmd
}

/// Runs a command and formats its exit code, stdout and stderr for a snapshot.
pub(crate) fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("mbgen runs");
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The example directories, sorted.
pub(crate) fn examples() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs_err::read_dir(root().join("examples"))
        .expect("examples/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.join("mbgen.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// Loads and resolves an `mbgen.toml`.
pub(crate) fn resolve_config(path: &Path) -> mbgen::Project {
    let text = fs_err::read_to_string(path).unwrap();
    let dir = path.parent().expect("a file in a directory");
    mbgen::Project::from_text(&text, dir).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Loads, resolves and renders an `mbgen.toml`.
pub(crate) fn render_config(path: &Path) -> Vec<mbgen::GeneratedFile> {
    resolve_config(path).render().expect("templates render")
}

/// A variant's name: the file's stem, or for a workspace tree `workspace-<directory>`.
pub(crate) fn variant_name(path: &Path) -> String {
    if path.file_name().is_some_and(|n| n == "mbgen.toml") {
        let dir = path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy();
        format!("workspace-tree-{dir}")
    } else {
        path.file_stem().unwrap().to_string_lossy().into_owned()
    }
}

/// The variant configurations in tests/variants, then the workspace trees in
/// tests/workspaces (an `mbgen.toml` with the manifests it reads), sorted.
pub(crate) fn variants() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs_err::read_dir(root().join("tests/variants"))
        .expect("tests/variants exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut trees: Vec<PathBuf> = fs_err::read_dir(root().join("tests/workspaces"))
        .expect("tests/workspaces exists")
        .map(|e| e.expect("readable entry").path().join("mbgen.toml"))
        .filter(|p| p.is_file())
        .collect();
    trees.sort();
    files.extend(trees);
    files
}

/// The projects whose generated files are committed: the examples, and the repository's own
/// mbgen.toml, which describes mbgen's image.
pub(crate) fn committed_projects() -> Vec<PathBuf> {
    let mut dirs = examples();
    dirs.push(root());
    dirs
}

/// Every generated Dockerfile: the committed projects', and variants rendered into `scratch`.
pub(crate) fn all_dockerfiles(scratch: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for example in committed_projects() {
        for file in render_config(&example.join("mbgen.toml")) {
            if file.kind == mbgen::FileKind::Dockerfile {
                out.push(example.join(&file.path));
            }
        }
    }
    for variant in variants() {
        let stem = variant_name(&variant);
        for file in render_config(&variant) {
            if file.kind == mbgen::FileKind::Dockerfile {
                // A variant may have several services: one file each.
                let target = scratch.join(format!("{stem}.{}.Dockerfile", file.service));
                fs_err::write(&target, &file.contents).unwrap();
                out.push(target);
            }
        }
    }
    out
}

/// Generated files as one text, each under a `==> path <==` line, for a snapshot.
pub(crate) fn combined(files: &[mbgen::GeneratedFile]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for f in files {
        let _ = writeln!(out, "==> {} <==\n{}", f.path.display(), f.contents);
    }
    out
}

/// The tests that need a tool are `#[ignore]`d with the tool named, so that a plain
/// `cargo test` says what it skipped; `tests/run.sh` installs the tools and runs them with
/// `--include-ignored`, where a missing tool fails.
const INSTALL: &str =
    "run tests/run.sh, which installs it, or set MBGEN_TOOLS_BIN to its bin directory";

/// A test tool from `MBGEN_TOOLS_BIN` (the venv `tests/run.sh` makes), or else from `PATH`.
pub(crate) fn tool(name: &str) -> PathBuf {
    let from_env = std::env::var_os("MBGEN_TOOLS_BIN").map(|d| PathBuf::from(d).join(name));
    from_env
        .filter(|p| p.is_file())
        .or_else(|| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join(name))
                    .find(|p| p.is_file())
            })
        })
        .unwrap_or_else(|| panic!("{name} is not installed: {INSTALL}"))
}

/// The instructions of each Dockerfile as BuildKit's own parser reads them
/// (`tests/tools/dockerfile_instructions.py`), keyed by path.
pub(crate) fn buildkit_instructions<T: serde::de::DeserializeOwned>(
    files: &[PathBuf],
) -> std::collections::BTreeMap<String, Vec<T>> {
    python_tool("dockerfile_instructions.py", "BuildKit's parser", files)
}

/// What a script of `tests/tools` prints as JSON for `files`. Only the venv's Python has the
/// libraries the scripts use, so it is looked up in `MBGEN_TOOLS_BIN` alone.
pub(crate) fn python_tool<T: serde::de::DeserializeOwned>(
    script: &str,
    what: &str,
    files: &[PathBuf],
) -> T {
    let python = std::env::var_os("MBGEN_TOOLS_BIN")
        .map(|d| PathBuf::from(d).join("python3"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| panic!("{what} is not installed: {INSTALL}"));
    let out = Command::new(python)
        .arg(root().join("tests/tools").join(script))
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Copies a directory tree.
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    fs_err::create_dir_all(to).unwrap();
    for entry in fs_err::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs_err::copy(entry.path(), target).unwrap();
        }
    }
}
