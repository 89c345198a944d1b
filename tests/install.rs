//! mbgen as a user gets it: `cargo install --locked --path .` into a fresh root, as the
//! README's install section says, then the installed binary's `init` and `render` on a
//! repository outside the checkout.
//!
//! The install reuses the target directory the tests were built in (`CARGO_TARGET_DIR`) and
//! their profile (`--debug` beside a debug build), so nothing is compiled again.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("the command starts");
    assert!(out.status.success(), "{cmd:?} failed:\n{}", text(&out));
    out
}

/// `cargo install --locked --path <checkout> --root <root>`; the installed binary.
fn install(root: &Path) -> PathBuf {
    let built = Path::new(env!("CARGO_BIN_EXE_mbgen"));
    let profile_dir = built.parent().expect("target/<profile>");
    let target_dir = profile_dir.parent().expect("target");
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(["install", "--quiet", "--locked", "--path"])
        .arg(common::root())
        .arg("--root")
        .arg(root)
        .env("CARGO_TARGET_DIR", target_dir);
    if profile_dir.file_name().is_some_and(|p| p == "debug") {
        cmd.arg("--debug");
    }
    run(&mut cmd);
    root.join("bin").join("mbgen")
}

#[test]
fn an_installed_mbgen_inits_and_renders_a_repository_of_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    let mbgen = install(&tmp.path().join("root"));

    let version = text(&run(Command::new(&mbgen).arg("--version")));
    assert!(
        version.starts_with(&format!("mbgen {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );

    // a repository of the user's, outside the checkout
    let repo = tmp.path().join("express-app");
    common::copy_dir(
        &common::root().join("tests/fixtures/init/express-app"),
        &repo,
    );
    let init = text(&run(Command::new(&mbgen).arg("init").current_dir(&repo)));
    assert!(init.contains("found 1 service"), "{init}");
    assert!(repo.join("mbgen.toml").is_file());
    let render = text(&run(Command::new(&mbgen).arg("render").current_dir(&repo)));
    assert!(render.contains("created ./Dockerfile"), "{render}");
    let dockerfile = fs_err::read_to_string(repo.join("Dockerfile")).unwrap();
    assert!(
        dockerfile.contains("CMD [\"node\", \"./bin/www\"]"),
        "{dockerfile}"
    );
    run(Command::new(&mbgen)
        .args(["render", "--check"])
        .current_dir(&repo));
}

/// Every package of Cargo.lock builds with the Rust that Cargo.toml's `rust-version` names
/// (`.cargo/config.toml` makes `cargo update` choose so); mbgen's own image is built with it.
#[test]
fn the_lockfile_builds_with_the_declared_rust_version() {
    // `1.85` is `1.85.0`
    let version = |text: &str| -> [u64; 3] {
        let mut parts = text.split('.').map(|p| p.parse().unwrap_or(0));
        [0; 3].map(|_| parts.next().unwrap_or(0))
    };
    let ours = version(env!("CARGO_PKG_RUST_VERSION"));
    let out = run(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["metadata", "--format-version", "1", "--locked", "--offline"])
            .current_dir(common::root()),
    );
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let too_new: Vec<String> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            let needs = p["rust_version"].as_str()?;
            let (name, at) = (p["name"].as_str()?, p["version"].as_str()?);
            (version(needs) > ours).then(|| format!("{name} {at} needs Rust {needs}"))
        })
        .collect();
    assert!(
        too_new.is_empty(),
        "Cargo.toml says rust-version {}, but: {too_new:?}; run \
         `cargo update -p <package>` (.cargo/config.toml picks versions that fit)",
        env!("CARGO_PKG_RUST_VERSION")
    );
}
