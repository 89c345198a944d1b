//! Customising the output: the project's templates before the built-ins, `mbgen templates`,
//! errors that point into a user's template, and the documented template context.

mod common;

use fs_err as fs;
use std::path::Path;

use common::{mbgen, run};

const GO: &str = "[services.hello]\nstack = \"go\"\n";

/// A project with `mbgen.toml` and the given files (paths relative to the project).
fn project(toml: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("mbgen.toml"), toml).unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

fn stdout_of(dir: &Path, args: &[&str]) -> String {
    let out = mbgen(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn help_texts() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["templates", "--help"][..],
        &["templates", "list", "--help"],
        &["templates", "show", "--help"],
        &["templates", "eject", "--help"],
    ] {
        let name = format!("help_{}", args.join("_").replace("--", ""));
        insta::assert_snapshot!(name, run(mbgen(dir.path()).args(args)));
    }
}

#[test]
fn list_marks_what_the_project_replaces() {
    let dir = project(
        GO,
        &[
            (
                ".mbgen/templates/go.Dockerfile.j2",
                "{% extends \"mbgen/go.Dockerfile.j2\" %}\n",
            ),
            (
                ".mbgen/templates/api.Dockerfile.j2",
                "FROM scratch AS runtime\n",
            ),
            (".mbgen/templates/.go.Dockerfile.j2.swp", ""),
            (".mbgen/templates/my notes.txt", ""),
            (".mbgen/templates/mbgen/go.Dockerfile.j2", ""),
        ],
    );
    insta::assert_snapshot!(run(mbgen(dir.path()).args(["templates", "list"])));
}

#[test]
fn list_without_mbgen_toml_shows_the_builtins() {
    let dir = tempfile::tempdir().unwrap();
    insta::assert_snapshot!(run(mbgen(dir.path()).args(["templates", "list"])));
}

#[test]
fn list_follows_templates_dir() {
    let dir = project(
        &format!("templates-dir = \"docker/templates\"\n{GO}"),
        &[("docker/templates/go.Dockerfile.j2", "x")],
    );
    let out = stdout_of(dir.path(), &["templates", "list"]);
    assert!(
        out.contains("go.Dockerfile.j2           docker/templates/go.Dockerfile.j2"),
        "{out}"
    );
}

#[test]
fn show_prints_the_winner_or_the_builtin() {
    let dir = project(GO, &[(".mbgen/templates/go.Dockerfile.j2", "mine\n")]);
    let root = common::root();
    let builtin = fs::read_to_string(root.join("templates/go.Dockerfile.j2")).unwrap();
    assert_eq!(
        stdout_of(dir.path(), &["templates", "show", "go.Dockerfile.j2"]),
        "mine\n"
    );
    assert_eq!(
        stdout_of(dir.path(), &["templates", "show", "mbgen/go.Dockerfile.j2"]),
        builtin
    );
    let macros = fs::read_to_string(root.join("templates/_macros.j2")).unwrap();
    assert_eq!(
        stdout_of(dir.path(), &["templates", "show", "_macros.j2"]),
        macros
    );
    insta::assert_snapshot!(
        "show_unknown",
        run(mbgen(dir.path()).args(["templates", "show", "go.Dockerfle.j2"]))
    );
    insta::assert_snapshot!(
        "show_escaping_name",
        run(mbgen(dir.path()).args(["templates", "show", "../mbgen.toml"]))
    );
}

/// A generated file without the checksum at the end of its first line, which covers every
/// other byte.
fn unsealed(text: &str) -> String {
    let (first, rest) = text.split_once('\n').unwrap();
    let first = match first.split_once("; checksum ") {
        Some((head, _)) => format!("{head}."),
        None => first.to_owned(),
    };
    format!("{first}\n{rest}")
}

#[test]
fn eject_copies_a_builtin_and_never_overwrites_without_force() {
    let dir = project(GO, &[]);
    let before = stdout_of(dir.path(), &["render", "--stdout"]);
    insta::assert_snapshot!(
        "eject_first",
        run(mbgen(dir.path()).args(["templates", "eject", "go.Dockerfile.j2"]))
    );
    let target = dir.path().join(".mbgen/templates/go.Dockerfile.j2");
    let ejected = fs::read_to_string(&target).unwrap();
    let builtin = fs::read_to_string(common::root().join("templates/go.Dockerfile.j2")).unwrap();
    assert!(ejected.ends_with(&builtin), "{ejected}");
    assert!(ejected.starts_with("{#- Ejected from mbgen "), "{ejected}");
    // The ejected copy renders what the built-in did, save the header naming it.
    let after = stdout_of(dir.path(), &["render", "--stdout"]);
    assert_eq!(
        unsealed(&after).replace(
            "# Rendered with the project's templates: .mbgen/templates/go.Dockerfile.j2.\n",
            ""
        ),
        unsealed(&before)
    );

    fs::write(&target, "edited\n").unwrap();
    insta::assert_snapshot!(
        "eject_refused",
        run(mbgen(dir.path()).args(["templates", "eject", "mbgen/go.Dockerfile.j2"]))
    );
    assert_eq!(fs::read_to_string(&target).unwrap(), "edited\n");
    let forced = run(mbgen(dir.path()).args(["templates", "eject", "go.Dockerfile.j2", "--force"]));
    assert!(forced.starts_with("exit: 0"), "{forced}");
    assert_eq!(fs::read_to_string(&target).unwrap(), ejected);

    insta::assert_snapshot!(
        "eject_unknown",
        run(mbgen(dir.path()).args(["templates", "eject", "java.Dockerfile.j2"]))
    );
}

#[test]
fn eject_goes_to_templates_dir() {
    let dir = project(&format!("templates-dir = \"ci/templates\"\n{GO}"), &[]);
    let out = run(mbgen(dir.path()).args([
        "templates",
        "eject",
        "_macros.j2",
        "--project",
        "mbgen.toml",
    ]));
    assert!(out.starts_with("exit: 0"), "{out}");
    assert!(dir.path().join("ci/templates/_macros.j2").is_file());
}

#[test]
fn a_service_can_name_its_own_template() {
    let dir = project(
        &format!("{GO}template = \"custom/hello.Dockerfile.j2\"\n"),
        &[
            (
                ".mbgen/templates/custom/hello.Dockerfile.j2",
                "{% for line in header %}# {{ line }}\n{% endfor %}\
             # {{ service }} on {{ runtime.image }}, API {{ template_api }}\n\
             FROM {{ builder_image }} AS build\n\
             {% include \"parts/copy.j2\" %}\n\
             FROM {{ runtime.image }} AS runtime\n\
             USER {{ runtime.user }}\n",
            ),
            (".mbgen/templates/parts/copy.j2", "COPY . .\n"),
        ],
    );
    insta::assert_snapshot!(stdout_of(dir.path(), &["render", "--stdout"]));
}

#[test]
fn overriding_a_shared_template_changes_every_stack_template() {
    let dir = project(
        GO,
        &[(
            ".mbgen/templates/_base.Dockerfile.j2",
            "{% extends \"mbgen/_base.Dockerfile.j2\" %}\n\
             {% block header %}\n{{ super() }}\n# Owned by the platform team.\n{% endblock %}\n",
        )],
    );
    let out = stdout_of(dir.path(), &["render", "--stdout"]);
    assert!(
        out.contains("# Owned by the platform team.\n# ---- deps:"),
        "{out}"
    );
    assert!(
        out.contains(
            "# Rendered with the project's templates: .mbgen/templates/_base.Dockerfile.j2.\n"
        ),
        "{out}"
    );
}

/// Files of a test project: (path, contents).
type Files<'a> = &'a [(&'a str, &'a str)];

/// Broken templates of a project: each error is the user's (exit 1), points into the file
/// that fails, and nothing is written.
#[test]
fn broken_user_templates() {
    let cases: &[(&str, &str, Files)] = &[
        (
            "undefined_variable",
            GO,
            &[(
                ".mbgen/templates/go.Dockerfile.j2",
                "{% extends \"mbgen/go.Dockerfile.j2\" %}\n{% block runtime_extras %}\nLABEL image=\"{{ runtime.imag }}\"\n{% endblock %}\n",
            )],
        ),
        (
            "syntax_error",
            GO,
            &[(
                ".mbgen/templates/go.Dockerfile.j2",
                "{% extends \"mbgen/go.Dockerfile.j2\" %}\n{% block runtime_extras %}\n{% if runtime.healthcheck %}\nHEALTHCHECK NONE\n{% endblock %}\n",
            )],
        ),
        (
            "builtin_macro_misused",
            GO,
            &[(
                ".mbgen/templates/go.Dockerfile.j2",
                "{% extends \"mbgen/go.Dockerfile.j2\" %}\n{% block runtime_extras %}\n{{ m.run(runtime) }}\n{% endblock %}\n",
            )],
        ),
        (
            "include_leaves_the_directory",
            GO,
            &[(
                ".mbgen/templates/go.Dockerfile.j2",
                "{% extends \"mbgen/go.Dockerfile.j2\" %}\n{% block runtime_extras %}\n{% include \"../../mbgen.toml\" %}\n{% endblock %}\n",
            )],
        ),
        (
            "include_missing",
            GO,
            &[(
                ".mbgen/templates/go.Dockerfile.j2",
                "{% extends \"mbgen/go.Dockerfile.j2\" %}\n{% block runtime_extras %}\n{% include \"labels.j2\" %}\n{% endblock %}\n",
            )],
        ),
        (
            "broken_macros_override",
            GO,
            &[(
                ".mbgen/templates/_macros.j2",
                "{% macro run(step) %}\nRUN {{ step.command }}\n{% endmacro %}\n",
            )],
        ),
        (
            "chosen_builtin_for_another_stack",
            "[services.hello]\nstack = \"go\"\ntemplate = \"mbgen/python.Dockerfile.j2\"\n",
            &[],
        ),
        (
            "template_not_found",
            "[services.hello]\nstack = \"go\"\ntemplate = \"helo.Dockerfile.j2\"\n",
            &[(".mbgen/templates/hello.Dockerfile.j2", "x")],
        ),
        (
            "templates_dir_missing",
            "templates-dir = \"docker/templates\"\n[services.hello]\nstack = \"go\"\n",
            &[],
        ),
        (
            "template_not_utf8",
            GO,
            &[],
        ),
    ];
    check_broken(cases);
}

/// A template that would run until it is killed, or one that writes no header: each fails,
/// naming itself.
#[test]
fn templates_run_on_a_budget_and_print_the_header() {
    let cases: &[(&str, &str, Files)] = &[
        (
            "endless_loop",
            GO,
            &[(
                ".mbgen/templates/go.Dockerfile.j2",
                "{% extends \"mbgen/go.Dockerfile.j2\" %}\n{% block runtime_extras %}\n{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}\n{% endblock %}\n",
            )],
        ),
        (
            "string_doubling",
            GO,
            &[(
                ".mbgen/templates/go.Dockerfile.j2",
                "{% extends \"mbgen/go.Dockerfile.j2\" %}\n{% block runtime_extras %}\n{% set s = namespace(v=\"x\") %}\n{% for i in range(64) %}{% set s.v = s.v ~ s.v %}{% endfor %}\n{% endblock %}\n",
            )],
        ),
        (
            "no_header",
            "[services.hello]\nstack = \"go\"\ntemplate = \"mine.Dockerfile.j2\"\n",
            &[(
                ".mbgen/templates/mine.Dockerfile.j2",
                "FROM {{ runtime.image }}\nUSER {{ runtime.user }}\n",
            )],
        ),
    ];
    check_broken(cases);
}

/// Each case fails with exit code 1, writes nothing, and says why (a snapshot).
fn check_broken(cases: &[(&str, &str, Files)]) {
    for (name, toml, files) in cases {
        let dir = project(toml, files);
        if *name == "template_not_utf8" {
            let templates = dir.path().join(".mbgen/templates");
            fs::create_dir_all(&templates).unwrap();
            fs::write(templates.join("go.Dockerfile.j2"), [0xff, 0xfe]).unwrap();
        }
        let out = run(mbgen(dir.path()).arg("render"));
        assert!(out.starts_with("exit: 1\n"), "{name}: {out}");
        assert!(
            !dir.path().join("Dockerfile").exists(),
            "{name}: nothing is written"
        );
        insta::assert_snapshot!(format!("broken_{name}"), out);
    }
}

/// A file in the templates directory that no render loads (a picture, notes) changes
/// nothing; `templates list` says it cannot be used.
#[test]
fn an_unusable_file_fails_only_the_renders_that_load_it() {
    let dir = project(GO, &[(".mbgen/templates/README.md", "notes\n")]);
    fs::write(
        dir.path().join(".mbgen/templates/logo.png"),
        [0x89, b'P', b'N', b'G', 0xff, 0x00],
    )
    .unwrap();
    let out = run(mbgen(dir.path()).arg("render"));
    assert!(out.starts_with("exit: 0\n"), "{out}");
    let listed = run(mbgen(dir.path()).args(["templates", "list"]));
    assert!(
        listed.contains("logo.png cannot be used (it is not UTF-8 text"),
        "{listed}"
    );
}

/// Every variable of the contexts (Dockerfile, Bake, Compose), in every example and variant,
/// is described in docs/templates.md: as `path.to.key` from the top (the items of a list of
/// objects under the list's path), or as `Type.key` for the shared object types (`Run`, `Stage`,
/// `CaTrust`, `InstructionLines`, `Entry`).
#[test]
fn the_context_is_documented() {
    let doc = fs::read_to_string(common::root().join("docs/templates.md")).unwrap();
    assert!(
        doc.starts_with(&format!(
            "# Templates: customising the generated Dockerfiles\n\n**Template API {}.**",
            mbgen::TEMPLATE_API
        )),
        "docs/templates.md names another template API than mbgen::TEMPLATE_API"
    );
    let mut configs: Vec<_> = common::variants();
    configs.extend(common::examples().iter().map(|d| d.join("mbgen.toml")));
    let mut missing = std::collections::BTreeSet::new();
    for config in configs {
        let project = common::resolve_config(&config);
        for context in project.template_contexts() {
            walk(&context, "", &doc, &mut missing);
        }
    }
    assert!(
        missing.is_empty(),
        "docs/templates.md does not describe: {missing:?}"
    );
}

/// The documented type of an object, known by its keys.
fn object_type(object: &serde_json::Map<String, serde_json::Value>) -> Option<&'static str> {
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    match keys.as_slice() {
        ["commands", "comments", "hadolint_ignore", "mounts"] => Some("Run"),
        ["copies", "env", "run"] => Some("CaTrust"),
        ["comments", "lines"] => Some("InstructionLines"),
        ["key", "value"] => Some("Entry"),
        ["from", "name", "title"] => Some("Stage"),
        _ => None,
    }
}

fn walk(
    value: &serde_json::Value,
    path: &str,
    doc: &str,
    missing: &mut std::collections::BTreeSet<String>,
) {
    let serde_json::Value::Object(object) = value else {
        return;
    };
    for (key, child) in object {
        let name = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        if !doc.contains(&format!("| `{name}` |")) {
            missing.insert(name.clone());
        }
        let items = match child {
            serde_json::Value::Array(items) => items.as_slice(),
            other => std::slice::from_ref(other),
        };
        for item in items {
            if let serde_json::Value::Object(inner) = item {
                match object_type(inner) {
                    Some(ty) => walk(item, ty, doc, missing),
                    None => walk(item, &name, doc, missing),
                }
            }
        }
    }
}

#[test]
fn workspace_templates_can_be_replaced_block_by_block() {
    let toml = format!("[workspace]\n\n{GO}");
    let dir = project(
        &toml,
        &[
            (
                ".mbgen/templates/docker-bake.hcl.j2",
                "{% extends \"mbgen/docker-bake.hcl.j2\" %}\n\
                 {% block target_extras %}\n  labels = { \"com.example.service\" = \"{{ t.service }}\" }\n{% endblock %}\n",
            ),
            (
                ".mbgen/templates/compose.yaml.j2",
                "{% extends \"mbgen/compose.yaml.j2\" %}\n\
                 {% block service_extras %}\n    pull_policy: never\n{% endblock %}\n",
            ),
        ],
    );
    let out = run(mbgen(dir.path()).arg("render"));
    assert!(out.starts_with("exit: 0"), "{out}");
    let bake = fs::read_to_string(dir.path().join("docker-bake.hcl")).unwrap();
    assert!(
        bake.ends_with(
            "  tags = [\"hello:latest\"]\n  labels = { \"com.example.service\" = \"hello\" }\n}\n"
        ),
        "{bake}"
    );
    assert!(
        bake.contains(
            "# Rendered with the project's templates: .mbgen/templates/docker-bake.hcl.j2.\n"
        ),
        "{bake}"
    );
    let compose = fs::read_to_string(dir.path().join("compose.yaml")).unwrap();
    assert!(
        compose.ends_with("      target: \"runtime\"\n    pull_policy: never\n"),
        "{compose}"
    );
    let dockerfile = fs::read_to_string(dir.path().join("Dockerfile")).unwrap();
    assert!(!dockerfile.contains("Rendered with"), "{dockerfile}");
}

#[test]
fn a_broken_workspace_template_is_the_users_to_fix() {
    let toml = format!("[workspace]\n\n{GO}");
    let dir = project(
        &toml,
        &[(
            ".mbgen/templates/compose.yaml.j2",
            "{% extends \"mbgen/compose.yaml.j2\" %}\n\
             {% block service_extras %}\n    platform: {{ s.platform }}\n{% endblock %}\n",
        )],
    );
    let out = run(mbgen(dir.path()).arg("render"));
    assert!(out.starts_with("exit: 1\n"), "{out}");
    assert!(
        !dir.path().join("Dockerfile").exists(),
        "nothing is written"
    );
    insta::assert_snapshot!(out);
}
