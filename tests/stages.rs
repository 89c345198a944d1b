//! The stage layout is decided once, in the plan: every Dockerfile's `FROM … AS` names are the
//! planned stages (the ones `docker build --target`, Bake and Compose use), and every `FROM`,
//! `COPY --from` and `RUN --mount=…,from=` names a stage or a real image. Checked over every
//! example, variant and workspace tree, and over a generated matrix of options per stack.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mbgen::{FileKind, Project};

/// The services' stage names as the plan decided them, and each rendered Dockerfile.
struct Rendered {
    what: String,
    planned: BTreeMap<String, Vec<String>>,
    dockerfiles: Vec<(String, String)>,
}

fn rendered(what: String, project: &Project) -> Rendered {
    let planned = project
        .builds()
        .into_iter()
        .map(|b| (b.service, b.stages))
        .collect();
    let dockerfiles = project
        .render()
        .expect("templates render")
        .into_iter()
        .filter(|f| f.kind == FileKind::Dockerfile)
        .map(|f| (f.service, f.contents))
        .collect();
    Rendered {
        what,
        planned,
        dockerfiles,
    }
}

/// Every project of the examples, variants and workspace trees.
fn committed() -> Vec<Rendered> {
    let mut out: Vec<Rendered> = common::examples()
        .into_iter()
        .map(|dir| {
            let loaded = mbgen::load_project(&dir).unwrap();
            let files = loaded.render().unwrap();
            let project = loaded.project();
            let mut r = rendered(dir.display().to_string(), project);
            // With the example's own templates, as `mbgen render` writes them.
            r.dockerfiles = files
                .into_iter()
                .filter(|f| f.kind == FileKind::Dockerfile)
                .map(|f| (f.service, f.contents))
                .collect();
            r
        })
        .collect();
    out.extend(
        common::variants()
            .into_iter()
            .map(|v| rendered(v.display().to_string(), &common::resolve_config(&v))),
    );
    out
}

/// `[a, b]` × `[c, d]`: every combination of one line from each list.
fn combine(lists: &[&[&str]]) -> Vec<String> {
    lists.iter().fold(vec![String::new()], |acc, list| {
        acc.iter()
            .flat_map(|prefix| list.iter().map(move |line| format!("{prefix}{line}\n")))
            .collect()
    })
}

/// A generated matrix: per stack, the options that change the stage layout or what the
/// stages copy from each other.
fn matrix() -> Vec<(String, String)> {
    let ca = &[
        "",
        "ca-certificates = [\"corp.crt\"]\nkeep-ca-certificates = true",
    ][..];
    let node_pm = &[
        "",
        "package-manager = \"yarn\"",
        "package-manager = \"pnpm\"",
    ][..];
    let mounts = &["", "cache-mounts = false"][..];
    // without an init, the init stage goes
    let init = &["", "init = false"][..];
    let stacks: Vec<(&str, Vec<String>)> = vec![
        (
            "node-static",
            combine(&[node_pm, mounts, &["", "build = \"npm run build:prod\""]]),
        ),
        (
            "node-server",
            combine(&[
                node_pm,
                &["", "install = \"npm ci --ignore-scripts\""],
                &["", "build = \"npm run build\""],
                ca,
                init,
                &["start = [\"node\", \"server.js\"]"],
            ]),
        ),
        (
            "go",
            combine(&[
                &[
                    "",
                    "vendor = true",
                    "runtime = \"scratch\"",
                    "runtime = \"slim\"\ncgo = true",
                ],
                mounts,
                ca,
                init,
            ]),
        ),
        (
            "python",
            combine(&[
                &[
                    "",
                    "package-manager = \"uv\"",
                    "package-manager = \"poetry\"",
                    "package-manager = \"pdm\"",
                    "package-manager = \"pipenv\"",
                ],
                &["", "install = \"pip wheel --wheel-dir /wheels .\""],
                ca,
                init,
                &["start = [\"gunicorn\", \"app:app\"]"],
            ]),
        ),
        (
            "rust",
            combine(&[&["", "runtime = \"distroless\""], mounts, ca, init]),
        ),
        (
            "static",
            combine(&[&["", "spa = true"], &["", "output-dir = \"public\""]]),
        ),
    ];
    stacks
        .into_iter()
        .flat_map(|(stack, options)| {
            options.into_iter().map(move |o| {
                let text = format!("[services.svc]\nstack = \"{stack}\"\n{o}");
                (format!("{stack}: {}", o.trim().replace('\n', ", ")), text)
            })
        })
        .collect()
}

fn generated() -> Vec<Rendered> {
    matrix()
        .into_iter()
        .map(|(what, text)| {
            let project = Project::from_text(&text, Path::new("/nonexistent"))
                .unwrap_or_else(|e| panic!("{what}:\n{text}\n{e}"));
            rendered(what, &project)
        })
        .collect()
}

/// `FROM` lines: the base and the stage name, as written (a whitespace policy keeps every
/// instruction on a line of its own that starts with its keyword).
fn stages_written(dockerfile: &str) -> Vec<(String, String)> {
    dockerfile
        .lines()
        .filter_map(|l| l.strip_prefix("FROM "))
        .map(|rest| {
            let words: Vec<&str> = rest
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            assert_eq!(words.len(), 3, "every stage is named: FROM {rest}");
            assert!(words[1].eq_ignore_ascii_case("AS"), "FROM {rest}");
            (words[0].to_owned(), words[2].to_owned())
        })
        .collect()
}

/// The stages that `COPY --from=` and `RUN --mount=…,from=` lines name.
fn stage_references(dockerfile: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in dockerfile.split_whitespace() {
        if let Some(from) = word.strip_prefix("--from=") {
            out.push(from.to_owned());
        }
        if let Some(mount) = word.strip_prefix("--mount=") {
            out.extend(
                mount
                    .split(',')
                    .filter_map(|kv| kv.strip_prefix("from="))
                    .map(str::to_owned),
            );
        }
    }
    out
}

/// A reference that is not a stage must be an image: `name:tag`, `host/name`, a digest, or
/// `scratch`.
fn is_image(name: &str) -> bool {
    name == "scratch" || name.contains([':', '/', '@'])
}

fn check(r: &Rendered) {
    for (service, dockerfile) in &r.dockerfiles {
        let written = stages_written(dockerfile);
        let names: Vec<&str> = written.iter().map(|(_, n)| n.as_str()).collect();
        let planned: Vec<&str> = r.planned[service].iter().map(String::as_str).collect();
        assert_eq!(
            names, planned,
            "{}: service {service}: the Dockerfile's stages are not the planned ones\n{dockerfile}",
            r.what
        );
        for (i, (base, _)) in written.iter().enumerate() {
            assert!(
                names[..i].contains(&base.as_str()) || is_image(base),
                "{}: service {service}: `FROM {base}` names neither an earlier stage nor an image\n{dockerfile}",
                r.what
            );
        }
        for reference in stage_references(dockerfile) {
            assert!(
                names.contains(&reference.as_str()) || is_image(&reference),
                "{}: service {service}: `{reference}` names neither a stage nor an image\n{dockerfile}",
                r.what
            );
        }
    }
}

#[test]
fn committed_dockerfiles_print_the_planned_stages() {
    for r in committed() {
        check(&r);
    }
}

#[test]
fn every_combination_of_options_prints_the_planned_stages() {
    let all = generated();
    assert!(all.len() > 80, "the matrix has {} projects", all.len());
    for r in &all {
        check(r);
    }
}

/// A custom `install` with no `build` prunes the dependencies of a `deps` stage, which must
/// then exist (it once was referenced but not written).
#[test]
fn node_server_with_a_custom_install_and_no_build_has_its_deps_stage() {
    let text = "[services.api]\nstack = \"node-server\"\ninstall = \"npm ci --ignore-scripts\"\nstart = [\"node\", \"server.js\"]\n";
    let project = Project::from_text(text, Path::new("/nonexistent")).unwrap();
    assert_eq!(
        project.builds()[0].stages,
        ["deps", "prod-deps", "init", "runtime"]
    );
    let r = rendered("custom install, no build".into(), &project);
    check(&r);
    assert!(r.dockerfiles[0].1.contains("FROM deps AS prod-deps"));
}

#[derive(serde::Deserialize, Debug)]
struct Instruction {
    cmd: String,
    value: Vec<String>,
}

/// What BuildKit's own parser sees agrees with the plan too, for the same projects.
#[test]
#[ignore = "needs BuildKit's parser (tests/run.sh installs it and runs the ignored tests)"]
fn buildkit_sees_the_planned_stages() {
    let scratch = tempfile::tempdir().unwrap();
    let mut files: Vec<(PathBuf, Vec<String>)> = Vec::new();
    for (i, r) in committed().iter().chain(&generated()).enumerate() {
        for (j, (service, dockerfile)) in r.dockerfiles.iter().enumerate() {
            let path = scratch.path().join(format!("{i}-{j}.Dockerfile"));
            fs_err::write(&path, dockerfile).unwrap();
            files.push((path, r.planned[service].clone()));
        }
    }
    let paths: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
    let parsed = common::buildkit_instructions::<Instruction>(&paths);
    for (path, planned) in &files {
        let names: Vec<&str> = parsed[&path.display().to_string()]
            .iter()
            .filter(|i| i.cmd == "FROM")
            .map(|i| i.value[2].as_str())
            .collect();
        assert_eq!(names, *planned, "{}", path.display());
    }
}
