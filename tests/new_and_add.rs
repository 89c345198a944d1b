//! `mbgen new` and `mbgen add`: a service from a starter or from an app already there, added
//! to mbgen.toml with its comments and layout kept; every refusal, each leaving the tree as it
//! was; and a `mbgen render` that succeeds on the result and is then up to date.

mod common;

use fs_err as fs;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use common::{mbgen, run};

const STACKS: [&str; 6] = [
    "go",
    "node-server",
    "node-static",
    "python",
    "rust",
    "static",
];

/// Every file below `dir`, relative to it, sorted, `/`-separated.
fn files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// `mbgen render`, then `mbgen render --check`, must both succeed.
fn assert_renders(root: &Path) {
    let render = mbgen(root).arg("render").output().unwrap();
    assert!(
        render.status.success(),
        "render failed: {}",
        String::from_utf8_lossy(&render.stderr)
    );
    let check = mbgen(root).args(["render", "--check"]).output().unwrap();
    assert!(
        check.status.success(),
        "render --check is not clean after render: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}

/// The command's output, then the files of the project and the text of mbgen.toml.
fn outcome(root: &Path, output: &str) -> String {
    let mut out = output.to_owned();
    out.push_str("--- files\n");
    for f in files(root) {
        let _ = writeln!(out, "{f}");
    }
    let _ = write!(
        out,
        "--- mbgen.toml\n{}",
        fs::read_to_string(root.join("mbgen.toml")).unwrap_or_default()
    );
    out
}

fn fixture(name: &str) -> PathBuf {
    common::root().join("tests/fixtures/init").join(name)
}

// ---- new ----

#[test]
fn help_texts() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["new", "add"] {
        insta::assert_snapshot!(
            format!("help_{command}"),
            run(mbgen(dir.path()).args([command, "--help"]))
        );
    }
}

#[test]
fn new_in_an_empty_directory_writes_the_starter_and_mbgen_toml() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(mbgen(dir.path()).args(["new", "api", "--stack", "node-server"]));
    insta::assert_snapshot!(outcome(dir.path(), &out));
    assert_renders(dir.path());
    let schema = fs::read_to_string(dir.path().join(".mbgen/mbgen.schema.json")).unwrap();
    assert_eq!(schema, mbgen::schema_json());
}

#[test]
fn every_starter_renders_and_its_dockerfile_builds_what_the_starter_has() {
    let dir = tempfile::tempdir().unwrap();
    for stack in STACKS {
        let out = mbgen(dir.path())
            .args(["new", &format!("{stack}-app"), "--stack", stack])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{stack}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_renders(dir.path());
    let dockerfile = |stack: &str| {
        fs::read_to_string(dir.path().join(format!("services/{stack}-app/Dockerfile"))).unwrap()
    };
    // npm creates no node_modules without dependencies; the final stage copies it.
    let node = dockerfile("node-server");
    let mkdir = node.find("&& mkdir -p node_modules").expect(&node);
    assert!(
        mkdir < node.find("COPY --from=prod-deps").unwrap(),
        "{node}"
    );
    assert!(node.contains(r#"CMD ["node", "server.js"]"#), "{node}");
    assert!(dockerfile("python").contains(r#"CMD ["gunicorn", "app:app"]"#));
    assert!(dockerfile("rust").contains("--bin rust-app"));
    assert!(dockerfile("go").contains("-o /usr/local/bin/go-app ."));
    assert!(dockerfile("node-static").contains("COPY --from=build /app/dist "));
    for stack in STACKS {
        assert!(
            dockerfile(stack).contains("EXPOSE 8080\n"),
            "{stack}: {}",
            dockerfile(stack)
        );
    }
}

#[test]
fn new_into_an_existing_mbgen_toml_keeps_its_comments_and_key_order() {
    let dir = tempfile::tempdir().unwrap();
    let before = "\
#:schema ./schema.json
# Our services, one image each.

[workspace]
registry = \"ghcr.io/acme\"   # pushed by CI

[services.web]
path = \"apps/web\"
stack = \"static\"      # plain files for now

[services.api]
port = 3000
stack = \"go\"
path = \"apps/api\"
[services.api.env]
LOG = \"debug\"
# port = 4000 (before the proxy)
";
    fs::write(dir.path().join("mbgen.toml"), before).unwrap();
    fs::create_dir_all(dir.path().join("apps/web")).unwrap();
    fs::write(dir.path().join("apps/web/index.html"), "<p>hi</p>\n").unwrap();
    fs::create_dir_all(dir.path().join("apps/api")).unwrap();
    fs::write(
        dir.path().join("apps/api/go.mod"),
        "module api\n\ngo 1.24\n",
    )
    .unwrap();
    fs::write(dir.path().join("apps/api/main.go"), "package main\n").unwrap();

    let out = run(mbgen(dir.path()).args(["new", "worker", "--stack", "python", "--port", "9000"]));
    let after = fs::read_to_string(dir.path().join("mbgen.toml")).unwrap();
    assert!(after.starts_with(before), "{after}");
    insta::assert_snapshot!(outcome(dir.path(), &out));
    assert!(
        !dir.path().join(".mbgen").exists(),
        "the schema is written with a new file only"
    );
    assert_renders(dir.path());
}

#[test]
fn new_with_a_path_and_a_project_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("shop");
    fs::create_dir(&project).unwrap();
    let out = run(mbgen(dir.path()).args([
        "new",
        "site",
        "--stack",
        "static",
        "--path",
        "web/site/",
        "--project",
        "shop",
    ]));
    insta::assert_snapshot!(outcome(&project, &out));
    assert_renders(&project);
}

/// Runs a command that must be refused, and checks that it changed nothing.
fn refused(dir: &Path, args: &[&str]) -> String {
    let before = files(dir);
    let toml = fs::read_to_string(dir.join("mbgen.toml")).ok();
    let out = run(mbgen(dir).args(args));
    assert!(out.starts_with("exit: 1\n"), "{out}");
    assert_eq!(files(dir), before, "{out}");
    assert_eq!(
        fs::read_to_string(dir.join("mbgen.toml")).ok(),
        toml,
        "{out}"
    );
    out
}

#[test]
fn new_refuses_a_name_that_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("mbgen.toml"),
        "# the site\n[services.web]\nstack = \"static\"\npath = \"web\"\n",
    )
    .unwrap();
    fs::create_dir(dir.path().join("web")).unwrap();
    fs::write(dir.path().join("web/index.html"), "<p>hi</p>\n").unwrap();
    insta::assert_snapshot!(refused(dir.path(), &["new", "web", "--stack", "go"]));
}

#[test]
fn new_refuses_a_directory_that_is_not_empty() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("services/api")).unwrap();
    fs::write(dir.path().join("services/api/notes.txt"), "mine\n").unwrap();
    insta::assert_snapshot!(refused(dir.path(), &["new", "api", "--stack", "go"]));
}

#[test]
fn new_fills_an_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("services/api")).unwrap();
    let out = mbgen(dir.path())
        .args(["new", "api", "--stack", "rust"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("services/api/Cargo.toml").is_file());
}

#[test]
fn new_refuses_a_bad_name() {
    let dir = tempfile::tempdir().unwrap();
    insta::assert_snapshot!(refused(dir.path(), &["new", "My_App", "--stack", "go"]));
}

#[test]
fn new_refuses_a_path_outside_the_project() {
    let dir = tempfile::tempdir().unwrap();
    insta::assert_snapshot!(refused(
        dir.path(),
        &["new", "api", "--stack", "go", "--path", "../api"]
    ));
}

#[test]
fn new_refuses_an_mbgen_toml_with_errors() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("mbgen.toml"),
        "[services.web]\nstack = \"static\"\nprot = 80\n",
    )
    .unwrap();
    insta::assert_snapshot!(refused(dir.path(), &["new", "api", "--stack", "go"]));
}

#[test]
fn new_refuses_to_replace_a_file_where_the_schema_of_a_new_mbgen_toml_goes() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join(".mbgen")).unwrap();
    fs::write(dir.path().join(".mbgen/mbgen.schema.json"), "{}\n").unwrap();
    insta::assert_snapshot!(refused(
        dir.path(),
        &["new", "api", "--stack", "go", "--path", "apps/backend/api"]
    ));
    assert!(!dir.path().join("apps").exists());
}

// ---- add ----

#[test]
fn add_detects_an_app_and_writes_where_each_value_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(
        root.join("mbgen.toml"),
        "#:schema ./schema.json\n\n# The front end.\n[services.web]\nstack = \"static\" # for now\npath = \"web\"\n",
    )
    .unwrap();
    fs::create_dir(root.join("web")).unwrap();
    fs::write(root.join("web/index.html"), "<p>hi</p>\n").unwrap();
    common::copy_dir(&fixture("flask-gunicorn"), &root.join("services/shop"));
    let out = run(mbgen(root).args(["add", "services/shop"]));
    insta::assert_snapshot!(outcome(root, &out));
    assert_renders(root);
}

#[test]
fn add_builds_a_workspace_member_from_the_workspace_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    common::copy_dir(&fixture("pnpm-workspace"), &root);
    let out = run(mbgen(&root).args(["add", "apps/api", "--name", "backend"]));
    insta::assert_snapshot!(
        fs::read_to_string(root.join("mbgen.toml")).unwrap() + "--- output\n" + &out
    );
    assert_renders(&root);
    let dockerfile = fs::read_to_string(root.join("apps/api/Dockerfile")).unwrap();
    assert!(dockerfile.contains("pnpm-lock.yaml"), "{dockerfile}");
}

#[test]
fn add_refuses_a_directory_with_no_app() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("docs")).unwrap();
    fs::write(dir.path().join("docs/README.md"), "# docs\n").unwrap();
    insta::assert_snapshot!(refused(dir.path(), &["add", "docs"]));
}

#[test]
fn add_refuses_a_name_or_a_directory_that_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(
        root.join("mbgen.toml"),
        "[services.shop]\nstack = \"static\"\npath = \"web\"\n",
    )
    .unwrap();
    fs::create_dir(root.join("web")).unwrap();
    fs::write(root.join("web/index.html"), "<p>hi</p>\n").unwrap();
    common::copy_dir(&fixture("flask-gunicorn"), &root.join("services/shop"));
    let name = refused(root, &["add", "services/shop"]);
    let dir_taken = refused(root, &["add", "web", "--name", "site"]);
    let bad_name = refused(root, &["add", "services/shop", "--name", "Shop"]);
    insta::assert_snapshot!(format!("{name}\n{dir_taken}\n{bad_name}"));
}

#[test]
fn add_refuses_a_directory_outside_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    common::copy_dir(&fixture("flask-gunicorn"), &dir.path().join("elsewhere"));
    fs::create_dir(&project).unwrap();
    let out = refused(&project, &["add", "../elsewhere"]);
    assert!(out.contains("is outside the project directory"), "{out}");
}
