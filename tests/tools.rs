//! The generated files as the tools around them see them: hadolint finds nothing in the
//! Dockerfiles, BuildKit's own parser reads the instructions mbgen meant, python-hcl2 reads
//! the Bake files and Compose v1 the Compose files as intended, and taplo (the engine of the
//! TOML editor extensions) validates every example against the JSON Schema; check-jsonschema
//! validates the GitHub Actions workflows against GitHub's schema, and pre-commit the hook
//! manifest.
//!
//! The tools come from `tests/run.sh` (a Python venv, and Debian's docker-compose); point
//! `MBGEN_TOOLS_BIN` at the venv's `bin` directory. Each test is `#[ignore]`d with the tool it
//! needs, so a plain `cargo test` lists them as ignored; `tests/run.sh` runs them with
//! `--include-ignored`, where a missing tool is a failure, never a silent pass.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use mbgen::{FileKind, Project};
use serde_json::{json, Value};

#[test]
#[ignore = "needs hadolint (tests/run.sh installs it and runs the ignored tests)"]
fn hadolint_finds_nothing() {
    let hadolint = common::tool("hadolint");
    let scratch = tempfile::tempdir().unwrap();
    for file in common::all_dockerfiles(scratch.path()) {
        let out = Command::new(&hadolint)
            .args(["--no-color", "--failure-threshold", "info"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stdout.is_empty(),
            "hadolint on {}:\n{}{}",
            file.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[derive(serde::Deserialize, Debug)]
struct Instruction {
    cmd: String,
    flags: Vec<String>,
    value: Vec<String>,
    json: bool,
}

#[test]
#[ignore = "needs BuildKit's parser (tests/run.sh installs it and runs the ignored tests)"]
fn buildkit_parses_the_intended_instructions() {
    let scratch = tempfile::tempdir().unwrap();
    let files = common::all_dockerfiles(scratch.path());
    let parsed = common::buildkit_instructions::<Instruction>(&files);
    for (file, instructions) in parsed {
        // `COPY --link` only where the variant opts in with `copy-link = true`.
        let variant = Path::new(&file)
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.split('.').next())
            .map(|stem| common::root().join(format!("tests/variants/{stem}.toml")));
        let copy_link = variant
            .and_then(|v| fs_err::read_to_string(v).ok())
            .is_some_and(|t| t.lines().any(|l| l.trim() == "copy-link = true"));
        let stages: Vec<&Instruction> = instructions.iter().filter(|i| i.cmd == "FROM").collect();
        for stage in &stages {
            assert_eq!(
                stage.value.len(),
                3,
                "{file}: every stage is named: {stage:?}"
            );
            assert_eq!(stage.value[1].to_ascii_uppercase(), "AS", "{file}");
        }
        let names: Vec<&str> = stages.iter().map(|s| s.value[2].as_str()).collect();
        assert_eq!(names.last(), Some(&"runtime"), "{file}");
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{file}: stage names are unique");
        let last_stage = instructions.iter().rposition(|i| i.cmd == "FROM").unwrap();
        let runtime = &instructions[last_stage..];
        let user = runtime
            .iter()
            .rfind(|i| i.cmd == "USER")
            .expect("a USER in the final stage");
        assert!(
            !["root", "0", "0:0"].contains(&user.value[0].as_str()),
            "{file}: runs as root"
        );
        for i in &instructions {
            if matches!(i.cmd.as_str(), "CMD" | "ENTRYPOINT") {
                assert!(i.json, "{file}: {} is in exec form", i.cmd);
            }
            assert!(i.cmd != "ADD", "{file}: ADD is not used");
            for flag in &i.flags {
                assert!(
                    copy_link || !flag.starts_with("--link"),
                    "{file}: COPY --link needs a newer frontend"
                );
            }
        }
        assert!(
            !fs_err::read_to_string(&file)
                .unwrap()
                .starts_with("# syntax="),
            "{file}: no syntax directive"
        );
    }
}

#[test]
#[ignore = "needs taplo (tests/run.sh installs it and runs the ignored tests)"]
fn taplo_validates_examples_against_the_schema() {
    let taplo = common::tool("taplo");
    for dir in common::examples() {
        let out = Command::new(&taplo)
            .args(["lint", "--no-auto-config"])
            .arg(dir.join("mbgen.toml"))
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "taplo lint {}:\n{}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
#[ignore = "needs taplo (tests/run.sh installs it and runs the ignored tests)"]
fn taplo_reports_typos_and_bad_enum_values() {
    let taplo = common::tool("taplo");
    let schema = common::root().join("schemas/mbgen.schema.json");
    let dir = tempfile::tempdir().unwrap();
    for (name, text, expected) in [
        (
            "typo.toml",
            "[services.web]\nstack = \"go\"\nprot = 8080\n",
            "prot",
        ),
        (
            "enum.toml",
            "[services.web]\nstack = \"golang\"\n",
            "golang",
        ),
    ] {
        let path = dir.path().join(name);
        fs_err::write(&path, format!("#:schema {}\n{text}", schema.display())).unwrap();
        let out = Command::new(&taplo)
            .args(["lint", "--no-auto-config"])
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "taplo accepted {name}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
    }
}

/// The workspace files of one kind in the variants, each written with every other file of its
/// variant under `scratch/<variant>/`: the variant's project, that directory, and the file.
fn workspace_files(scratch: &Path, kind: FileKind) -> Vec<(Project, PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for variant in common::variants() {
        let stem = common::variant_name(&variant);
        let project = common::resolve_config(&variant);
        let files = project.render().expect("templates render");
        let mut found = None;
        for file in files {
            let target = scratch.join(&stem).join(&file.path);
            fs_err::create_dir_all(target.parent().unwrap()).unwrap();
            fs_err::write(&target, &file.contents).unwrap();
            if file.kind == kind {
                found = Some(target);
            }
        }
        if let Some(target) = found {
            out.push((project, scratch.join(&stem), target));
        }
    }
    assert!(!out.is_empty(), "no variant has a {kind:?} file");
    out
}

/// A path relative to `dir` (relative to the project root), as a path from the root.
fn from_root(dir: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop().expect("the path stays in the project");
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

#[test]
#[ignore = "needs python-hcl2 (tests/run.sh installs it and runs the ignored tests)"]
fn python_hcl2_reads_every_bake_file_as_intended() {
    let scratch = tempfile::tempdir().unwrap();
    let files = workspace_files(scratch.path(), FileKind::Bake);
    let paths: Vec<PathBuf> = files.iter().map(|(_, _, p)| p.clone()).collect();
    let parsed =
        common::python_tool::<BTreeMap<String, Value>>("bake_targets.py", "python-hcl2", &paths);
    for (project, _, path) in &files {
        let bake = project.bake_file().unwrap();
        let dir = bake.rsplit_once('/').map_or("", |(d, _)| d);
        let mut file = parsed[&path.display().to_string()].clone();
        let variables = file["variables"].clone();
        let builds = project.builds();
        let names: Vec<&str> = builds.iter().map(|s| s.service.as_str()).collect();
        assert_eq!(
            file["groups"],
            json!({ "default": { "targets": names } }),
            "{bake}"
        );
        let targets = file["targets"].as_object_mut().unwrap();
        assert_eq!(
            targets.keys().collect::<Vec<_>>(),
            names,
            "{bake}: a target per service"
        );
        for service in &builds {
            let target = targets[&service.service].as_object_mut().unwrap();
            let context = target["context"].as_str().unwrap();
            let root_context = if service.context == "." {
                ""
            } else {
                &service.context
            };
            assert_eq!(
                from_root(dir, context),
                root_context,
                "{bake}: the context of {} is relative to the Bake file",
                service.service
            );
            target.remove("context");
            let mut expected = json!({
                "dockerfile": service.dockerfile,
                "target": service.stages.last().unwrap(),
                "tags": service
                    .tags
                    .iter()
                    .map(|t| format!("{}:{t}", service.image))
                    .collect::<Vec<_>>(),
            });
            for (key, list) in [
                ("platforms", &service.platforms),
                ("cache-from", &service.cache_from),
                ("cache-to", &service.cache_to),
            ] {
                if !list.is_empty() {
                    expected[key] = json!(list);
                }
            }
            if !service.build_args.is_empty() {
                expected["args"] = json!(service.build_args);
            }
            supply_chain(project, &variables, &mut expected);
            assert_eq!(Value::Object(target.clone()), expected, "{bake}");
        }
    }
}

/// What `attest` and `source-date-epoch` of `[workspace]` add to every target: the
/// attestations, and `SOURCE_DATE_EPOCH` (a variable with the key's default) passed to the
/// build with layer timestamps rewritten.
fn supply_chain(project: &Project, variables: &Value, expected: &mut Value) {
    let chain = &project.supply_chain;
    let mut attest: Vec<String> = Vec::new();
    if chain.sbom {
        attest.push("type=sbom".to_owned());
    }
    if let Some(provenance) = chain.provenance {
        attest.push(match format!("{provenance:?}").as_str() {
            "Off" => "type=provenance,disabled=true".to_owned(),
            mode => format!("type=provenance,mode={}", mode.to_lowercase()),
        });
    }
    if !attest.is_empty() {
        expected["attest"] = json!(attest);
    }
    match chain.source_date_epoch {
        Some(epoch) => {
            assert_eq!(
                variables["SOURCE_DATE_EPOCH"],
                json!({ "default": epoch.to_string() })
            );
            expected["args"]["SOURCE_DATE_EPOCH"] = json!("SOURCE_DATE_EPOCH");
            expected["output"] = json!(["type=image,rewrite-timestamp=true"]);
        }
        None => assert_eq!(variables, &json!({})),
    }
}

#[test]
#[ignore = "needs docker-compose (tests/run.sh installs it and runs the ignored tests)"]
fn docker_compose_config_accepts_every_compose_file() {
    let compose = common::tool("docker-compose");
    let scratch = tempfile::tempdir().unwrap();
    // A value that Compose interpolated would hold this home directory, or be reported as
    // unset.
    let home = scratch.path().join("home-INTERPOLATED");
    fs_err::create_dir_all(&home).unwrap();
    for (project, root, path) in workspace_files(scratch.path(), FileKind::Compose) {
        let compose_file = project.compose_file().unwrap();
        let config = |args: &[&str]| {
            let out = Command::new(&compose)
                .arg("-f")
                .arg(&path)
                .args(args)
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("HOME", &home)
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success() && stderr.trim().is_empty(),
                "docker-compose config {compose_file}:\n{stdout}{stderr}"
            );
            assert!(
                !stdout.contains("home-INTERPOLATED"),
                "{compose_file}: Compose interpolated a value:\n{stdout}"
            );
            stdout
        };
        let builds = project.builds();
        let mut names: Vec<String> = builds
            .iter()
            .flat_map(|s| std::iter::once(s.service.clone()).chain(s.runs.clone()))
            .collect();
        names.sort();
        let mut listed: Vec<String> = config(&["config", "--services"])
            .lines()
            .map(str::to_owned)
            .collect();
        listed.sort();
        assert_eq!(listed, names, "{compose_file}");
        let resolved = config(&["config"]);
        for service in &builds {
            let context = match service.context.as_str() {
                "." => root.clone(),
                dir => root.join(dir),
            };
            let context = context.to_str().unwrap().trim_end_matches('/');
            for line in [
                format!("image: {}:{}", service.image, service.tags[0]),
                format!("context: {context}"),
                format!("dockerfile: {}", service.dockerfile),
                format!("target: {}", service.stages.last().unwrap()),
            ] {
                assert!(
                    resolved.contains(&format!("{line}\n")),
                    "{compose_file}: no `{line}` in\n{resolved}"
                );
            }
        }
    }
}

/// The workflows `mbgen ci github` writes (ghcr.io with the workflow's token; another
/// registry with secrets; a project in a subdirectory) are valid against the GitHub Actions
/// workflow schema that check-jsonschema carries (schemastore's, as published).
#[test]
#[ignore = "needs check-jsonschema (tests/run.sh installs it and runs the ignored tests)"]
fn check_jsonschema_accepts_the_github_workflows() {
    let checker = common::tool("check-jsonschema");
    let scratch = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, registry, subdir) in [
        ("ghcr", "ghcr.io/acme", ""),
        ("other", "registry.example.com/acme", "deploy"),
    ] {
        let repo = scratch.path().join(name);
        let project = repo.join(subdir);
        fs_err::create_dir_all(&project).unwrap();
        fs_err::write(
            project.join("mbgen.toml"),
            format!(
                "[workspace]\nregistry = \"{registry}\"\nbake = \"docker/docker-bake.hcl\"\n\
                 [services.api]\nstack = \"go\"\n"
            ),
        )
        .unwrap();
        assert!(Command::new("git")
            .args(["init", "-q"])
            .current_dir(&repo)
            .status()
            .unwrap()
            .success());
        let out = common::mbgen(&project)
            .args(["ci", "github"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        files.push(repo.join(".github/workflows/images.yml"));
    }
    let out = Command::new(&checker)
        .args(["--builtin-schema", "vendor.github-workflows"])
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "check-jsonschema:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `.pre-commit-hooks.yaml` is a hook manifest pre-commit accepts.
#[test]
#[ignore = "needs pre-commit (tests/run.sh installs it and runs the ignored tests)"]
fn pre_commit_accepts_the_hook_manifest() {
    let pre_commit = common::tool("pre-commit");
    let out = Command::new(&pre_commit)
        .args(["validate-manifest", ".pre-commit-hooks.yaml"])
        .current_dir(common::root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pre-commit validate-manifest:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
