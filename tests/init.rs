//! `mbgen init` on throwaway trees and on realistic repositories: each detector's found,
//! broken and missing cases, monorepos, the command's guarantees, and for every realistic
//! repository the written mbgen.toml (snapshot) and a `mbgen render` that succeeds on it.

mod common;

use fs_err as fs;
use std::path::PathBuf;

use common::{mbgen, run};

/// A throwaway source tree.
#[derive(Default)]
struct Tree {
    files: Vec<(String, String)>,
}

impl Tree {
    fn new() -> Self {
        Self::default()
    }

    fn file(mut self, path: &str, contents: &str) -> Self {
        self.files.push((path.to_owned(), contents.to_owned()));
        self
    }

    /// Writes the tree into a fresh directory named `project` (the name of last resort for
    /// a service), and returns the temporary parent with the project path.
    fn build(self) -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("project");
        fs::create_dir_all(&root).unwrap();
        for (path, contents) in self.files {
            let target = root.join(path);
            fs::create_dir_all(target.parent().unwrap()).unwrap();
            fs::write(target, contents).unwrap();
        }
        (tmp, root)
    }
}

/// `mbgen init --stdout` on a tree: the proposed file, or the error.
fn init_stdout(tree: Tree) -> String {
    let (_tmp, root) = tree.build();
    run(mbgen(&root).args(["init", "--stdout"]))
}

fn fixtures() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(common::root().join("tests/fixtures/init"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Every realistic repository: `mbgen init` writes mbgen.toml (snapshot), and `mbgen render`
/// writes a Dockerfile for every service from it.
#[test]
fn realistic_repositories() {
    let fixtures = fixtures();
    assert!(fixtures.len() >= 8, "{fixtures:?}");
    for fixture in fixtures {
        let name = fixture.file_name().unwrap().to_string_lossy().into_owned();
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join(&name);
        common::copy_dir(&fixture, &root);
        let out = mbgen(&root).arg("init").output().unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let written = fs::read_to_string(root.join("mbgen.toml")).unwrap();
        insta::assert_snapshot!(format!("realistic_{name}"), written);

        // A repository with hand-written Docker files: init says how to take them over, and
        // the test follows only that.
        let said = String::from_utf8_lossy(&out.stderr);
        let mut render = mbgen(&root);
        render.arg("render");
        if said.contains("`mbgen render --force`") {
            render.arg("--force");
        }
        let render = render.output().unwrap();
        assert!(
            render.status.success(),
            "{name}: render failed: {}",
            String::from_utf8_lossy(&render.stderr)
        );
        let stderr = String::from_utf8_lossy(&render.stderr);
        let config: toml::Table = written.parse().unwrap();
        for (service, table) in config["services"].as_table().unwrap() {
            let path = table.get("path").and_then(|p| p.as_str()).unwrap_or(".");
            assert!(
                root.join(path).join("Dockerfile").is_file(),
                "{name}: no Dockerfile for {service}: {stderr}"
            );
        }
    }
}

#[test]
fn help_text() {
    let dir = tempfile::tempdir().unwrap();
    insta::assert_snapshot!(run(mbgen(dir.path()).args(["init", "--help"])));
}

// ---- node ----

#[test]
fn node_found_server_with_port_from_the_code() {
    let out = init_stdout(
        Tree::new()
            .file(
                "package.json",
                r#"{"name": "@acme/api", "engines": {"node": ">=20.11"}, "scripts": {"build": "tsc", "start": "NODE_ENV=production LOG_LEVEL=info node dist/server.js"}, "dependencies": {"express": "^4.21.0"}}"#,
            )
            .file("pnpm-lock.yaml", "lockfileVersion: '9.0'\n")
            .file("tsconfig.json", "{\n  // comments are allowed here\n  \"compilerOptions\": { \"outDir\": \"./build\" }\n}\n")
            .file("src/server.ts", "const port = process.env.PORT || 4000;\napp.listen(port);\n"),
    );
    insta::assert_snapshot!(out);
}

#[test]
fn node_broken_package_json_names_the_line() {
    let out = init_stdout(Tree::new().file(
        "package.json",
        "{\n  \"name\": \"web\",\n  \"scripts\": {\n    \"build\": \"vite build\",\n  }\n}\n",
    ));
    insta::assert_snapshot!(out);
}

#[test]
fn node_wrong_type_in_package_json_names_the_key() {
    let out = init_stdout(Tree::new().file(
        "package.json",
        "{\n  \"name\": \"web\",\n  \"dependencies\": [\"express\"]\n}\n",
    ));
    insta::assert_snapshot!(out);
}

#[test]
fn node_missing_app_is_reported() {
    let out = init_stdout(Tree::new().file(
        "package.json",
        r#"{"name": "lib", "main": "index.js", "scripts": {"test": "node --test"}}"#,
    ));
    insta::assert_snapshot!(out);
}

#[test]
fn node_bun_lockb_with_a_node_start() {
    let out = init_stdout(
        Tree::new()
            .file(
                "package.json",
                r#"{"scripts": {"start": "node server.js"}}"#,
            )
            .file("bun.lockb", ""),
    );
    insta::assert_snapshot!(out);
}

#[test]
fn node_tracked_env_file_is_kept_and_an_untracked_one_is_not() {
    let out = init_stdout(
        Tree::new()
            .file(
                "package.json",
                r#"{"scripts": {"build": "vite build"}, "devDependencies": {"vite": "7"}}"#,
            )
            .file("package-lock.json", "{}")
            .file(".gitignore", ".env.local\n")
            .file(".env", "VITE_API_URL=https://api.example.com\n")
            .file(".env.production", "VITE_API_URL=https://api.example.com\n")
            .file(".env.local", "SECRET=1\n"),
    );
    insta::assert_snapshot!(out);
}

#[test]
fn node_yarn_berry_next_standalone() {
    let out = init_stdout(
        Tree::new()
            .file(
                "package.json",
                r#"{"packageManager": "yarn@4.5.3", "scripts": {"build": "next build", "start": "next start"}, "dependencies": {"next": "15.1.0"}}"#,
            )
            .file("yarn.lock", "__metadata:\n  version: 8\n")
            .file("next.config.mjs", "/** @type {import('next').NextConfig} */\nexport default { output: 'standalone' };\n")
            .file("public/robots.txt", ""),
    );
    insta::assert_snapshot!(out);
}

// ---- go ----

#[test]
fn go_found_with_vendor_and_cgo() {
    let out = init_stdout(
        Tree::new()
            .file("go.mod", "module example.com/thumbs\n\ngo 1.24.2\n\nrequire github.com/mattn/go-sqlite3 v1.14.24\n")
            .file("vendor/modules.txt", "# github.com/mattn/go-sqlite3 v1.14.24\n")
            .file("main.go", "package main\n\nfunc main() {\n\thttp.ListenAndServe(\":9090\", nil)\n}\n"),
    );
    insta::assert_snapshot!(out);
}

#[test]
fn go_broken_go_mod_names_the_line() {
    let out = init_stdout(
        Tree::new()
            .file("go.mod", "module example.com/api\n\ngo 1.22\n\nrequire (\n\tgithub.com/go-chi/chi/v5 v5.1.0\n\nreplace example.com/x => ../x\n")
            .file("main.go", "package main\n"),
    );
    insta::assert_snapshot!(out);
}

#[test]
fn go_missing_main_package_is_a_library() {
    let out = init_stdout(
        Tree::new()
            .file("go.mod", "module example.com/lib\n\ngo 1.24\n")
            .file("lib.go", "package lib\n"),
    );
    insta::assert_snapshot!(out);
}

#[test]
fn go_main_flag_picks_the_package() {
    let (_tmp, root) = Tree::new()
        .file("go.mod", "module example.com/shop\n\ngo 1.24\n")
        .file("cmd/api/main.go", "package main\n")
        .file("cmd/worker/main.go", "package main\n")
        .build();
    let out = run(mbgen(&root).args(["init", "--stdout", "--main", "cmd/worker"]));
    assert!(
        out.contains("main = \"cmd/worker\" # chosen with --main"),
        "{out}"
    );
    let out = run(mbgen(&root).args(["init", "--stdout", "--main", "cmd/nope"]));
    insta::assert_snapshot!(out);
}

// ---- python ----

#[test]
fn python_found_flask_with_gunicorn_conf() {
    let out = init_stdout(
        Tree::new()
            .file("requirements.txt", "flask==3.1.0\ngunicorn==23.0.0\n")
            .file("gunicorn.conf.py", "bind = \"0.0.0.0:8000\"\nworkers = 2\n")
            .file("src/shop/__init__.py", "from flask import Flask\n\n\ndef create_app():\n    app = Flask(__name__)\n    return app\n"),
    );
    insta::assert_snapshot!(out);
}

#[test]
fn python_broken_pyproject_names_the_line() {
    let out = init_stdout(
        Tree::new()
            .file(
                "pyproject.toml",
                "[project]\nname = \"api\"\ndependencies = [\"fastapi\",\n",
            )
            .file("main.py", "app = FastAPI()\n"),
    );
    insta::assert_snapshot!(out);
}

#[test]
fn python_missing_app_is_reported() {
    let out = init_stdout(
        Tree::new()
            .file("requirements.txt", "requests\n")
            .file("sync.py", "import requests\n"),
    );
    insta::assert_snapshot!(out);
}

#[test]
fn python_poetry_needs_an_export() {
    let out = init_stdout(
        Tree::new()
            .file("pyproject.toml", "[tool.poetry]\nname = \"api\"\n\n[tool.poetry.dependencies]\npython = \"^3.12\"\nfastapi = \"^0.115\"\nuvicorn = \"^0.34\"\n")
            .file("poetry.lock", "")
            .file("api/main.py", "from fastapi import FastAPI\n\napp = FastAPI()\n"),
    );
    insta::assert_snapshot!(out);
}

#[test]
fn python_pipenv_needs_a_lockfile() {
    let out = init_stdout(
        Tree::new()
            .file("Pipfile", "[packages]\nflask = \"*\"\ngunicorn = \"*\"\n")
            .file("app.py", "app = Flask(__name__)\n"),
    );
    assert!(out.starts_with("exit: 1"), "{out}");
    assert!(out.contains("pipenv lock"), "{out}");
}

#[test]
fn python_pipenv_with_its_lockfile() {
    let out = init_stdout(
        Tree::new()
            .file("Pipfile", "[packages]\nflask = \"*\"\ngunicorn = \"*\"\n")
            .file("Pipfile.lock", "{}\n")
            .file("app.py", "from flask import Flask\napp = Flask(__name__)\n"),
    );
    assert!(out.starts_with("exit: 0"), "{out}");
    assert!(
        out.contains("package-manager = \"pipenv\" # Pipfile.lock"),
        "{out}"
    );
}

// ---- rust ----

#[test]
fn rust_found_with_several_binaries() {
    let out = init_stdout(
        Tree::new()
            .file("Cargo.toml", "[package]\nname = \"relay\"\nversion = \"0.1.0\"\nedition = \"2021\"\ndefault-run = \"relay\"\n")
            .file("Cargo.lock", "version = 4\n")
            .file("src/main.rs", "fn main() {\n    let addr = \"0.0.0.0:7000\";\n}\n")
            .file("src/bin/relay-admin.rs", "fn main() {}\n"),
    );
    insta::assert_snapshot!(out);
}

#[test]
fn rust_broken_cargo_toml_names_the_line() {
    let out = init_stdout(
        Tree::new()
            .file(
                "Cargo.toml",
                "[package]\nname = \"relay\"\nversion = 0.1.0\n",
            )
            .file("src/main.rs", "fn main() {}\n"),
    );
    insta::assert_snapshot!(out);
}

#[test]
fn rust_missing_binary_is_a_library() {
    let out = init_stdout(
        Tree::new()
            .file(
                "Cargo.toml",
                "[package]\nname = \"parser\"\nversion = \"0.1.0\"\n",
            )
            .file("src/lib.rs", "pub fn parse() {}\n"),
    );
    insta::assert_snapshot!(out);
}

// ---- static ----

#[test]
fn static_found_in_public() {
    let out = init_stdout(
        Tree::new()
            .file("public/index.html", "<!doctype html>\n")
            .file("README.md", "# Site\n"),
    );
    insta::assert_snapshot!(out);
}

#[test]
fn static_broken_package_json_beside_index_html() {
    let out = init_stdout(Tree::new().file("index.html", "<!doctype html>\n").file(
        "package.json",
        "{\"devDependencies\": {\"prettier\": \"3\"}\n",
    ));
    assert!(out.starts_with("exit: 1"), "{out}");
    assert!(out.contains("--> package.json:1:"), "{out}");
}

#[test]
fn static_missing_when_the_html_is_a_build_input() {
    let out = init_stdout(
        Tree::new()
            .file("index.html", "<!doctype html>\n")
            .file("package.json", r#"{"scripts": {"build": "webpack"}}"#),
    );
    assert!(out.contains("stack = \"node-static\""), "{out}");
    assert!(!out.contains("stack = \"static\""), "{out}");
}

// ---- monorepos and walking ----

#[test]
fn nothing_found_says_what_each_detector_looked_for() {
    let out = init_stdout(
        Tree::new()
            .file("README.md", "# Notes\n")
            .file("notes/todo.txt", ""),
    );
    insta::assert_snapshot!(out);
}

#[test]
fn go_work_members() {
    let out = init_stdout(
        Tree::new()
            .file(
                "go.work",
                "go 1.24\n\nuse (\n\t./services/billing\n\t./services/users\n\t./pkg/auth\n)\n",
            )
            .file(
                "services/billing/go.mod",
                "module example.com/billing\n\ngo 1.24\n",
            )
            .file("services/billing/main.go", "package main\n")
            .file(
                "services/users/go.mod",
                "module example.com/users\n\ngo 1.23\n",
            )
            .file("services/users/cmd/users/main.go", "package main\n")
            .file("pkg/auth/go.mod", "module example.com/auth\n\ngo 1.24\n")
            .file("pkg/auth/auth.go", "package auth\n"),
    );
    insta::assert_snapshot!(out);
}

#[test]
fn sibling_directories_without_a_workspace_file() {
    let out = init_stdout(
        Tree::new()
            .file("README.md", "# Shop\n")
            .file("backend/requirements.txt", "fastapi\nuvicorn\n")
            .file(
                "backend/main.py",
                "from fastapi import FastAPI\napp = FastAPI()\n",
            )
            .file(
                "frontend/package.json",
                r#"{"scripts": {"build": "vite build"}, "devDependencies": {"vite": "6"}}"#,
            )
            .file("frontend/package-lock.json", "{}")
            .file("frontend/index.html", "<!doctype html>\n"),
    );
    insta::assert_snapshot!(out);
}

#[test]
fn app_at_the_root_with_another_app_beside_it() {
    let out = init_stdout(
        Tree::new()
            .file("package.json", r#"{"name": "shop", "scripts": {"start": "node server.js"}, "dependencies": {"express": "4"}}"#)
            .file("package-lock.json", "{}")
            .file("server.js", "app.use(express.static('public'));\napp.listen(3000);\n")
            .file("public/index.html", "<!doctype html>\n")
            .file("admin/package.json", r#"{"scripts": {"build": "vite build"}, "devDependencies": {"vite": "6"}}"#)
            .file("admin/package-lock.json", "{}"),
    );
    insta::assert_snapshot!(out);
}

#[test]
fn walking_honours_gitignore_and_skips_dependency_directories() {
    let out = init_stdout(
        Tree::new()
            .file(".gitignore", "legacy/\n")
            .file(
                "legacy/package.json",
                r#"{"scripts": {"start": "node old.js"}}"#,
            )
            .file(
                "node_modules/some-server/package.json",
                r#"{"scripts": {"start": "node x.js"}}"#,
            )
            .file("api/go.mod", "module example.com/api\n\ngo 1.24\n")
            .file("api/main.go", "package main\n"),
    );
    assert!(out.starts_with("exit: 0"), "{out}");
    assert!(out.contains("[services.api]"), "{out}");
    assert!(!out.contains("legacy"), "{out}");
    assert!(!out.contains("some-server"), "{out}");
}

#[test]
fn json_report_lists_evidence_alternatives_and_skipped() {
    let (_tmp, root) = Tree::new()
        .file("package.json", r#"{"private": true, "workspaces": ["apps/*", "packages/*"]}"#)
        .file("package-lock.json", "{}")
        .file("apps/site/package.json", r#"{"name": "site", "scripts": {"build": "astro build"}, "dependencies": {"astro": "5"}}"#)
        .file("apps/site/astro.config.mjs", "export default defineConfig({});\n")
        .file("apps/worker/requirements.txt", "flask\ngunicorn\n")
        .file("apps/worker/app.py", "app = Flask(__name__)\n")
        .file("apps/worker/package.json", r#"{"scripts": {"start": "node tail.js"}}"#)
        .file("packages/config/package.json", r#"{"name": "config"}"#)
        .build();
    let out = run(mbgen(&root).args(["init", "--json"]));
    insta::assert_snapshot!(out);
    assert!(!root.join("mbgen.toml").exists(), "--json writes nothing");
}

// ---- the command ----

#[test]
fn existing_config_is_never_overwritten_without_force() {
    let (_tmp, root) = Tree::new().file("index.html", "<!doctype html>\n").build();
    fs::write(root.join("mbgen.toml"), "# mine\n").unwrap();
    let refused = run(mbgen(&root).arg("init"));
    insta::assert_snapshot!(refused);
    assert_eq!(
        fs::read_to_string(root.join("mbgen.toml")).unwrap(),
        "# mine\n"
    );
    let forced = run(mbgen(&root).args(["init", "--force"]));
    assert!(forced.starts_with("exit: 0"), "{forced}");
    assert!(fs::read_to_string(root.join("mbgen.toml"))
        .unwrap()
        .contains("stack = \"static\""));
}

#[test]
fn stdout_writes_nothing_and_schema_is_configurable() {
    let (_tmp, root) = Tree::new().file("index.html", "<!doctype html>\n").build();
    let out = mbgen(&root)
        .args([
            "init",
            "--stdout",
            "--schema",
            "../schemas/mbgen.schema.json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("#:schema ../schemas/mbgen.schema.json\n"),
        "{text}"
    );
    assert!(!root.join("mbgen.toml").exists());
}

#[test]
fn directory_argument_and_first_line() {
    let (tmp, root) = Tree::new().file("index.html", "<!doctype html>\n").build();
    let out = run(mbgen(tmp.path()).args(["init", "project", "--yes"]));
    assert!(out.contains("wrote project/mbgen.toml"), "{out}");
    let text = fs::read_to_string(root.join("mbgen.toml")).unwrap();
    assert!(
        text.starts_with("#:schema .mbgen/mbgen.schema.json\n"),
        "{text}"
    );
    assert!(text.contains("[services.project]"), "{text}");
    // The schema the first line names is written too, so editors work offline.
    let schema = fs::read_to_string(root.join(".mbgen/mbgen.schema.json")).unwrap();
    assert_eq!(schema, mbgen::schema_json());
    let rendered = run(mbgen(&root).arg("render"));
    assert!(rendered.starts_with("exit: 0"), "{rendered}");
    let ignore = fs::read_to_string(root.join(".dockerignore")).unwrap();
    assert!(ignore.lines().any(|l| l == ".mbgen"), "{ignore}");
}

#[test]
fn a_schema_url_writes_no_schema_file() {
    let (tmp, root) = Tree::new().file("index.html", "<!doctype html>\n").build();
    let url = "https://example.com/mbgen.schema.json";
    let out = run(mbgen(tmp.path()).args(["init", "project", "--schema", url]));
    assert!(out.starts_with("exit: 0"), "{out}");
    let text = fs::read_to_string(root.join("mbgen.toml")).unwrap();
    assert!(text.starts_with(&format!("#:schema {url}\n")), "{text}");
    assert!(!root.join(".mbgen").exists());
}

/// `mbgen init` at a terminal, answering its prompts; returns the session and the written
/// mbgen.toml.
fn init_at_terminal(tree: Tree, answers: &[&str]) -> (String, String) {
    let (_tmp, root) = tree.build();
    let script = common::root().join("tests/tools/pty_session.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(serde_json::to_string(answers).unwrap())
        .arg(env!("CARGO_BIN_EXE_mbgen"))
        .arg("init")
        .arg(&root)
        .output()
        .expect("python3 runs");
    let session = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{session}");
    let written = fs::read_to_string(root.join("mbgen.toml")).unwrap();
    (session, written)
}

fn two_apps_one_with_two_mains() -> Tree {
    Tree::new()
        .file("api/go.mod", "module example.com/api\n\ngo 1.24\n")
        .file("api/cmd/api/main.go", "package main\n\nfunc main() {}\n")
        .file(
            "api/cmd/migrate/main.go",
            "package main\n\nfunc main() {}\n",
        )
        .file("worker/go.mod", "module example.com/worker\n\ngo 1.24\n")
        .file("worker/main.go", "package main\n\nfunc main() {}\n")
}

#[test]
fn at_a_terminal_init_asks_which_services_and_which_main() {
    let (session, written) = init_at_terminal(two_apps_one_with_two_mains(), &["", "n", "2"]);
    assert!(
        session.contains("keep service `api` (go, api)? [Y/n]"),
        "{session}"
    );
    assert!(
        session.contains("keep service `worker` (go, worker)? [Y/n]"),
        "{session}"
    );
    assert!(session.contains("`main` of service `api`:"), "{session}");
    assert!(!written.contains("[services.worker]"), "{written}");
    assert!(
        written.contains("main = \"cmd/migrate\" # chosen at the prompt"),
        "{written}"
    );
    assert!(!written.contains("main packages:"), "{written}");
}

#[test]
fn at_a_terminal_enter_takes_every_proposal_and_yes_asks_nothing() {
    let (session, written) = init_at_terminal(two_apps_one_with_two_mains(), &[]);
    assert!(session.contains("[Y/n]"), "{session}");
    assert!(written.contains("[services.worker]"), "{written}");
    assert!(written.contains("main = \"cmd/api\""), "{written}");

    let (_tmp, root) = two_apps_one_with_two_mains().build();
    let out = std::process::Command::new("python3")
        .arg(common::root().join("tests/tools/pty_session.py"))
        .arg("[]")
        .arg(env!("CARGO_BIN_EXE_mbgen"))
        .args(["init", "--yes"])
        .arg(&root)
        .output()
        .unwrap();
    let session = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{session}");
    assert!(!session.contains("[Y/n]"), "{session}");
}

// ---- the whole repository ----

/// `mbgen init --json`: its report, or the error, parsed.
fn init_json(tree: Tree) -> (serde_json::Value, bool) {
    let (_tmp, root) = tree.build();
    let out = mbgen(&root).args(["init", "--json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("init --json printed no JSON ({e}): {out:?}"));
    (report, out.status.success())
}

#[test]
fn every_manifest_is_proposed_or_left_out_with_its_language() {
    let (report, ok) = init_json(
        Tree::new()
            .file("src/api/go.mod", "module example.com/api\n\ngo 1.26\n")
            .file("src/api/main.go", "package main\n\nfunc main() {}\n")
            .file("src/ads/build.gradle", "plugins { id 'application' }\n")
            .file(
                "src/cart/cart.csproj",
                "<Project Sdk=\"Microsoft.NET.Sdk.Web\" />\n",
            )
            .file("src/shop/Gemfile", "source 'https://rubygems.org'\n")
            .file("src/web/package.json", "{\"name\": \"web\",\n"),
    );
    assert!(ok);
    let services: Vec<&str> = report["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(services, ["api"]);
    let skipped: Vec<(String, String)> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_owned(),
                s["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    insta::assert_debug_snapshot!(skipped);
    assert!(report.get("error").is_none());
}

#[test]
fn json_report_is_printed_when_nothing_is_proposed() {
    let (report, ok) = init_json(
        Tree::new()
            .file("pom.xml", "<project />\n")
            .file("src/main/java/App.java", "class App {}\n"),
    );
    assert!(!ok);
    assert_eq!(report["services"].as_array().unwrap().len(), 0);
    assert_eq!(report["skipped"][0]["language"], "Java (Maven)");
    let error = report["error"].as_str().unwrap();
    assert!(error.contains("found no app"), "{error}");
}

#[test]
fn evidence_procfile_worker_release_and_dockerfile() {
    let out = init_stdout(
        Tree::new()
            .file("requirements.txt", "flask==3.1.2\ngunicorn==23.0.0\nrq==2.6.0\n")
            .file("app/__init__.py", "from flask import Flask\n\ndef create_app(config_name):\n    return Flask(__name__)\n")
            .file("flasky.py", "import os\nfrom app import create_app\n\napp = create_app(os.getenv('FLASK_CONFIG') or 'default')\n")
            .file("Procfile", "web: gunicorn flasky:app\nworker: rq worker flasky-tasks\n")
            .file("boot.sh", "#!/bin/bash\nflask deploy\nexec gunicorn -b :5000 --access-logfile - flasky:app\n")
            .file("Dockerfile", "FROM python:3.6-alpine\nENV FLASK_APP flasky.py\nEXPOSE 5000\nENTRYPOINT [\"./boot.sh\"]\n"),
    );
    insta::assert_snapshot!(out);
}

/// A Dockerfile mbgen wrote and a person edited since is read as theirs: init takes its
/// `EXPOSE`, and says that `render` replaces it only with `--force`. mbgen's own, untouched,
/// says nothing new and is not mentioned.
#[test]
fn dockerfile_edited_since_mbgen_wrote_it_is_read_as_hand_written() {
    let (_tmp, root) = Tree::new()
        .file("requirements.txt", "flask==3.1.2\ngunicorn==23.0.0\n")
        .file(
            "app.py",
            "from flask import Flask\n\napp = Flask(__name__)\n",
        )
        .build();
    let status = |cmd: &mut std::process::Command| cmd.output().unwrap().status.success();
    assert!(status(mbgen(&root).args(["init", "--yes"])));
    assert!(status(mbgen(&root).arg("render")));
    let untouched = run(mbgen(&root).args(["init", "--stdout"]));
    assert!(!untouched.contains("by hand"), "{untouched}");
    let dockerfile = root.join("Dockerfile");
    let text = fs::read_to_string(&dockerfile).unwrap();
    fs::write(&dockerfile, text.replace("EXPOSE 8080", "EXPOSE 5005")).unwrap();
    let edited = run(mbgen(&root).args(["init", "--stdout"]));
    assert!(
        edited.contains("note (project): Dockerfile was edited by hand"),
        "{edited}"
    );
    assert!(edited.contains("port = 5005"), "{edited}");
}
