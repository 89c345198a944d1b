//! `mbgen explain`: what each step of the examples' Dockerfiles reads, what a change runs
//! again (by `--changed` and by `--since` on a throwaway git repository), and its errors.

mod common;

use std::path::Path;
use std::process::Command;

use common::{mbgen, run};

fn example(name: &str) -> std::path::PathBuf {
    common::root().join("examples").join(name)
}

#[test]
fn explains_every_step_of_an_example() {
    let out = run(mbgen(&example("node-server")).arg("explain"));
    insta::assert_snapshot!(out);
}

#[test]
fn a_source_edit_runs_the_build_again_not_the_install() {
    let out = run(mbgen(&example("node-server")).args(["explain", "--changed", "src/server.ts"]));
    insta::assert_snapshot!(out);
}

#[test]
fn a_lockfile_edit_runs_the_install_again() {
    let out = run(mbgen(&example("go")).args(["explain", "--changed", "go.sum", "--json"]));
    assert!(out.starts_with("exit: 0"), "{out}");
    let json = out.split_once("--- stdout\n").unwrap().1;
    let json = json.split_once("--- stderr").unwrap().0;
    let services: serde_json::Value = serde_json::from_str(json).unwrap();
    let reruns: Vec<&str> = services[0]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["steps"].as_array().unwrap())
        .filter(|s| s["rerun"] == true)
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        reruns,
        [
            "[deps 3/4]",
            "[deps 4/4]",
            "[build 1/2]",
            "[build 2/2]",
            "[runtime 3/3]"
        ]
    );
}

#[test]
fn an_ignored_file_runs_nothing_again() {
    let out = run(mbgen(&example("go")).args(["explain", "--changed", "bin/hello", ".git/HEAD"]));
    assert!(out.contains(": 0 of "), "{out}");
}

#[test]
fn an_unknown_service_gets_a_suggestion() {
    let out = run(mbgen(&example("workspace")).args(["explain", "--service", "apii"]));
    insta::assert_snapshot!(out);
}

/// `--since` takes the changed files from git, as `mbgen affected` does.
#[test]
fn since_a_revision() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&example("go"), dir.path());
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env(
                "GIT_CEILING_DIRECTORIES",
                dir.path().parent().unwrap_or(Path::new("/")),
            )
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    git(&[
        "-c",
        "user.name=T",
        "-c",
        "user.email=t@example.com",
        "add",
        "-A",
    ]);
    git(&[
        "-c",
        "user.name=T",
        "-c",
        "user.email=t@example.com",
        "commit",
        "-q",
        "-m",
        "first",
    ]);
    fs_err::write(
        dir.path().join("main.go"),
        "package main\n\nfunc main() {}\n",
    )
    .unwrap();
    let out = run(mbgen(dir.path()).args(["explain", "--since", "HEAD"]));
    assert!(out.contains("runs    [build 1/2]"), "{out}");
    assert!(out.contains("cached  [deps 4/4]"), "{out}");
}
