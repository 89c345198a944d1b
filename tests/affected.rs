//! `mbgen affected` against throwaway git repositories: which services a change reaches, in
//! the project's own files, its mbgen.toml and its templates, and the errors git can cause.

mod common;

use fs_err as fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{mbgen, run};

/// A git repository in a temporary directory, with git's user and system configuration out
/// of the way.
struct Repo {
    dir: tempfile::TempDir,
}

/// Keeps the tests independent of the machine's git configuration and language.
fn hermetic<'a>(cmd: &'a mut Command, top: &Path) -> &'a mut Command {
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CEILING_DIRECTORIES", top.parent().unwrap())
        .env("LC_ALL", "C")
        .env("LANGUAGE", "C")
}

impl Repo {
    fn new() -> Self {
        let repo = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "Test"]);
        repo.git(&["config", "user.email", "test@example.com"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn git(&self, args: &[&str]) -> String {
        let out = hermetic(&mut Command::new("git"), self.path())
            .arg("-C")
            .arg(self.path())
            .args(args)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn write(&self, path: &str, text: &str) -> &Self {
        let path = self.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
        self
    }

    fn commit(&self, message: &str) -> &Self {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
        self
    }

    /// `mbgen affected --since <rev> <args>` run in `dir` (relative to the repository), with
    /// the exit code, stdout and stderr.
    fn affected_in(&self, dir: &str, rev: &str, args: &[&str]) -> String {
        let dir: PathBuf = self.path().join(dir);
        run(hermetic(&mut mbgen(&dir), self.path())
            .args(["affected", "--since", rev])
            .args(args))
    }

    /// The services printed by `mbgen affected --since <rev>` at the top of the repository,
    /// after checking it succeeded.
    fn affected(&self, rev: &str) -> String {
        let out = self.affected_in("", rev, &[]);
        let stdout = out
            .strip_prefix("exit: 0\n--- stdout\n")
            .and_then(|o| o.strip_suffix("--- stderr\n"))
            .unwrap_or_else(|| panic!("{out}"));
        stdout.to_owned()
    }

    fn json(&self, rev: &str) -> serde_json::Value {
        let out = hermetic(&mut mbgen(self.path()), self.path())
            .args(["affected", "--since", rev, "--json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

/// Two services in their own directories.
const TWO: &str = r#"[services.api]
stack = "go"
path = "services/api"

[services.web]
stack = "static"
path = "services/web"
"#;

fn two_services() -> Repo {
    let repo = Repo::new();
    repo.write("mbgen.toml", TWO)
        .write("services/api/go.mod", "module example.com/api\n\ngo 1.24\n")
        .write("services/api/main.go", "package main\n\nfunc main() {}\n")
        .write("services/web/index.html", "<h1>hi</h1>\n")
        .write("README.md", "# shop\n")
        .commit("first");
    repo
}

#[test]
fn an_edit_affects_only_the_service_whose_directory_holds_it() {
    let repo = two_services();
    assert_eq!(repo.affected("HEAD"), "");
    repo.write(
        "services/api/main.go",
        "package main\n\nfunc main() { println() }\n",
    );
    assert_eq!(repo.affected("HEAD"), "api\n");
    repo.commit("api");
    assert_eq!(repo.affected("HEAD~1"), "api\n", "committed changes count");
    assert_eq!(repo.affected("HEAD"), "");
    repo.write("README.md", "# shop, the README\n");
    assert_eq!(repo.affected("HEAD"), "", "a file of no service");
    repo.write("services/web/index.html", "<h1>hello</h1>\n");
    assert_eq!(repo.affected("HEAD~1"), "api\nweb\n");
}

#[test]
fn an_untracked_file_counts_and_an_ignored_one_does_not() {
    let repo = two_services();
    repo.write(".gitignore", "*.tmp\n").commit("ignore");
    repo.write("services/web/new.css", "h1 {}\n");
    repo.write("services/api/scratch.tmp", "x\n");
    assert_eq!(repo.affected("HEAD"), "web\n");
}

#[test]
fn a_rename_affects_both_sides() {
    let repo = two_services();
    repo.write("services/api/util.txt", "x\n").commit("util");
    repo.git(&["mv", "services/api/util.txt", "services/web/util.txt"]);
    assert_eq!(repo.affected("HEAD"), "api\nweb\n");
    repo.commit("moved");
    assert_eq!(repo.affected("HEAD~1"), "api\nweb\n");
}

#[test]
fn a_generated_dockerfile_counts_for_its_service() {
    let repo = two_services();
    assert!(run(mbgen(repo.path()).arg("render")).starts_with("exit: 0"));
    repo.commit("rendered");
    let dockerfile = repo.path().join("services/web/Dockerfile");
    let text = fs::read_to_string(&dockerfile).unwrap();
    fs::write(&dockerfile, format!("{text}# edited\n")).unwrap();
    assert_eq!(repo.affected("HEAD"), "web\n");
}

#[test]
fn an_edit_of_mbgen_toml_affects_the_services_it_changes() {
    let repo = two_services();
    repo.write(
        "mbgen.toml",
        &TWO.replace(
            "path = \"services/api\"",
            "path = \"services/api\"\nport = 9090",
        ),
    );
    assert_eq!(repo.affected("HEAD"), "api\n");
    let report = repo.json("HEAD");
    assert_eq!(
        report["services"][0]["reasons"],
        serde_json::json!(["mbgen.toml: service `api` changed: Dockerfile"])
    );
    repo.write("mbgen.toml", &format!("# Two services.\n{TWO}"));
    assert_eq!(repo.affected("HEAD"), "", "a comment renders nothing new");
    repo.write("mbgen.toml", &TWO.replace("services/web", "site"));
    assert_eq!(repo.affected("HEAD"), "web\n", "a service that moved");
    repo.write(
        "mbgen.toml",
        &format!("{TWO}tags = [\"1.0\"]\nplatforms = [\"linux/arm64\"]\n"),
    );
    assert_eq!(
        repo.json("HEAD")["services"],
        serde_json::json!([{
            "name": "web",
            "reasons": ["mbgen.toml: service `web` changed: tags, platforms"]
        }]),
        "what the Bake file builds"
    );
}

#[test]
fn every_service_is_affected_when_the_old_mbgen_toml_does_not_load() {
    let repo = Repo::new();
    repo.write("mbgen.toml", "[services.api]\nstack = \"goo\"\n")
        .commit("broken");
    repo.write("mbgen.toml", TWO);
    assert_eq!(repo.affected("HEAD"), "api\nweb\n");
    let report = repo.json("HEAD");
    assert_eq!(
        report["services"][0]["reasons"],
        serde_json::json!([
            "mbgen.toml: the version at HEAD does not load: unknown value `goo` for `stack`"
        ])
    );
    let first = repo.git(&["rev-list", "--max-parents=0", "HEAD"]);
    repo.git(&["rm", "-qf", "mbgen.toml"]);
    repo.commit("gone");
    repo.write("mbgen.toml", TWO);
    assert_eq!(repo.affected("HEAD"), "api\nweb\n");
    let report = repo.json("HEAD");
    assert_eq!(
        report["services"][1]["reasons"],
        serde_json::json!(["mbgen.toml: it did not exist at HEAD"])
    );
    assert_eq!(repo.affected(first.trim()), "api\nweb\n");
}

/// An npm workspace: `services/api` uses `packages/shared`, `services/web` uses nothing.
fn workspace() -> Repo {
    let repo = Repo::new();
    repo.write(
        "mbgen.toml",
        r#"[services.api]
stack = "node-server"
path = "services/api"
context = "."
start = ["node", "index.js"]

[services.web]
stack = "node-server"
path = "services/web"
context = "."
start = ["node", "index.js"]
"#,
    )
    .write(
        "package.json",
        r#"{"name": "shop", "private": true, "workspaces": ["packages/*", "services/*"]}"#,
    )
    .write("package-lock.json", "{\"lockfileVersion\": 3}\n")
    .write(
        "packages/shared/package.json",
        r#"{"name": "@shop/shared", "version": "1.0.0"}"#,
    )
    .write("packages/shared/index.js", "module.exports = 1;\n")
    .write(
        "services/api/package.json",
        r#"{"name": "api", "dependencies": {"@shop/shared": "*"}}"#,
    )
    .write("services/api/index.js", "require('@shop/shared');\n")
    .write(
        "services/web/package.json",
        r#"{"name": "web", "dependencies": {"express": "^5.0.0"}}"#,
    )
    .write("services/web/index.js", "require('express');\n")
    .write("docs/guide.md", "# guide\n")
    .commit("workspace");
    repo
}

#[test]
fn a_workspace_package_affects_the_services_that_use_it() {
    let repo = workspace();
    repo.write("packages/shared/index.js", "module.exports = 2;\n");
    assert_eq!(repo.affected("HEAD"), "api\n");
    repo.git(&["checkout", "-q", "--", "."]);
    repo.write("services/web/index.js", "require('express')();\n");
    assert_eq!(repo.affected("HEAD"), "web\n");
    repo.git(&["checkout", "-q", "--", "."]);
    repo.write("docs/guide.md", "# the guide\n");
    assert_eq!(
        repo.affected("HEAD"),
        "",
        "below the workspace root, in no input"
    );
}

#[test]
fn the_root_lockfile_of_a_workspace_affects_every_service_built_from_it() {
    let repo = workspace();
    repo.write(
        "package-lock.json",
        "{\"lockfileVersion\": 3, \"packages\": {}}\n",
    );
    assert_eq!(repo.affected("HEAD"), "api\nweb\n");
}

#[test]
fn a_project_in_a_subdirectory_of_the_repository() {
    let repo = Repo::new();
    repo.write("apps/shop/mbgen.toml", TWO)
        .write("apps/shop/services/api/main.go", "package main\n")
        .write("apps/shop/services/web/index.html", "hi\n")
        .write("services/web/index.html", "another project\n")
        .write("README.md", "# monorepo\n")
        .commit("first");
    repo.write("apps/shop/services/web/index.html", "hello\n")
        .write("services/web/index.html", "another project, edited\n")
        .write("README.md", "# the monorepo\n");
    let at_top = repo.affected_in("", "HEAD", &["apps/shop"]);
    assert_eq!(at_top, "exit: 0\n--- stdout\nweb\n--- stderr\n");
    let inside = repo.affected_in("apps/shop", "HEAD", &[]);
    assert_eq!(inside, at_top);
    let config_file = repo.affected_in("", "HEAD", &["apps/shop/mbgen.toml"]);
    assert_eq!(config_file, at_top);
    repo.commit("edits");
    repo.write(
        "apps/shop/mbgen.toml",
        &TWO.replace(
            "path = \"services/api\"",
            "path = \"services/api\"\nport = 9090",
        ),
    );
    let toml_only = repo.affected_in("apps/shop", "HEAD", &[]);
    assert_eq!(toml_only, "exit: 0\n--- stdout\napi\n--- stderr\n");
}

#[test]
fn a_project_template_affects_the_services_rendered_with_it() {
    let repo = two_services();
    repo.write(
        ".mbgen/templates/go.Dockerfile.j2",
        "{% extends \"mbgen/go.Dockerfile.j2\" %}\n",
    )
    .write(
        ".mbgen/templates/notes.txt",
        "not a template anyone loads\n",
    )
    .commit("template");
    repo.write(
        ".mbgen/templates/go.Dockerfile.j2",
        "{% extends \"mbgen/go.Dockerfile.j2\" %}\n{% block command %}\n{{ super() }}\nCMD [\"--verbose\"]\n{% endblock %}\n",
    );
    assert_eq!(repo.affected("HEAD"), "api\n");
    repo.git(&["checkout", "-q", "--", "."]);
    repo.write(".mbgen/templates/notes.txt", "still not loaded\n");
    assert_eq!(repo.affected("HEAD"), "");
    repo.git(&["checkout", "-q", "--", "."]);
    repo.write(
        ".mbgen/templates/static.Dockerfile.j2",
        "{% extends \"mbgen/static.Dockerfile.j2\" %}\n",
    );
    assert_eq!(repo.affected("HEAD"), "web\n", "a new override");
    fs::remove_file(repo.path().join(".mbgen/templates/static.Dockerfile.j2")).unwrap();
    fs::remove_file(repo.path().join(".mbgen/templates/go.Dockerfile.j2")).unwrap();
    assert_eq!(
        repo.affected("HEAD"),
        "api\nweb\n",
        "a deleted template could have been loaded by any service"
    );
}

#[test]
fn json_report() {
    let repo = two_services();
    repo.write(
        "mbgen.toml",
        &format!(
            "{}\n[services.worker]\nstack = \"go\"\npath = \"services/worker\"\n",
            TWO.replace(
                "[services.web]\nstack = \"static\"\npath = \"services/web\"\n",
                ""
            )
            .replace(
                "path = \"services/api\"",
                "path = \"services/api\"\nport = 9090"
            )
        ),
    )
    .write(
        "services/api/main.go",
        "package main\n\nfunc main() { println() }\n",
    )
    .write("services/api/handlers.go", "package main\n")
    .write("services/worker/main.go", "package main\n");
    let commit = repo.git(&["rev-parse", "HEAD"]);
    let out = repo
        .affected_in("", "HEAD", &["--json"])
        .replace(commit.trim(), "<commit>");
    insta::assert_snapshot!(out);
}

#[test]
fn an_unknown_revision_is_an_error() {
    let repo = two_services();
    insta::assert_snapshot!(repo.affected_in("", "nope", &[]));
    let tree = repo.affected_in("", "HEAD^{tree}", &[]);
    assert!(tree.starts_with("exit: 1\n"), "{tree}");
    assert!(tree.contains("expected commit type"), "{tree}");
    let option = run(
        hermetic(&mut mbgen(repo.path()), repo.path()).args(["affected", "--since=--output=x"])
    );
    assert!(option.starts_with("exit: 1\n"), "{option}");
    assert!(!repo.path().join("x").exists());
}

#[test]
fn outside_a_repository_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("mbgen.toml"), TWO).unwrap();
    insta::assert_snapshot!(run(
        hermetic(&mut mbgen(dir.path()), dir.path()).args(["affected", "--since", "HEAD"])
    ));
}

#[test]
fn help() {
    let dir = tempfile::tempdir().unwrap();
    insta::assert_snapshot!(run(mbgen(dir.path()).args(["affected", "--help"])));
}
