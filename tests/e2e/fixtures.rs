//! The realistic repositories of tests/fixtures/init (cases `init-fixture-<name>`): what
//! `mbgen init` writes for each must build and serve, not only match its snapshot.
//!
//! In a scratch copy: `mbgen init --yes` writes mbgen.toml, which must be the committed
//! snapshot of tests/init.rs (`tests/snapshots/init__realistic_<name>.snap`); `mbgen render`
//! writes the Dockerfiles; then every service in that mbgen.toml builds cold from its context,
//! serves HTTP 200 on the port its Dockerfile exposes, at the path of [`FIXTURES`] (a
//! command-line tool is only built), and runs unprivileged. There is no dependency change:
//! the examples' cases check caching; a fixture with a [`SourceChange`] (a stack that no
//! example covers) is rebuilt after it, with its dependency steps `CACHED`, and served again.

use fs_err as fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::report::{round1, CaseReport};
use super::services::{self, build_all_cold, Probe};
use super::{
    builder_stage, copy_tree, first_difference, from_lines, prune_layer_cache, run_mbgen, Case,
    Suite, SHORT,
};

/// A fixture that the suite builds, and the path its services answer 200 at.
#[derive(Debug)]
pub(crate) struct Fixture {
    pub name: &'static str,
    /// `/` unless the app answers it with 404 (an API with only its own routes).
    pub path: &'static str,
    /// Services that are built but not run: command-line tools, which exit at once.
    pub build_only: &'static [&'static str],
    /// A source edit after the cold build, for a stack no example covers.
    pub source_change: Option<SourceChange>,
    /// A Go fixture whose first service, given `platforms`, is built for linux/arm64 on the
    /// amd64 engine: its build stage must cross-compile an aarch64 binary without emulation.
    pub cross_arm64: bool,
}

/// A line appended to a source file of every service of a fixture (relative to the
/// service's directory) before a rebuild.
#[derive(Debug)]
pub(crate) struct SourceChange {
    pub file: &'static str,
    pub append: &'static str,
}

/// The fixtures that are built, in the order they run. Left out (see the README's Tests
/// section): `pnpm-workspace`, `sveltekit-static` and `vue-app`, which install with
/// pnpm or yarn through corepack, which checks registry signatures that the test machines' npm
/// registry does not serve; `next-app` and `next-standalone`, whose `next build` fetches the
/// Google Fonts of the scaffolded layout, and the test machines reach no other host than the
/// package registries.
pub(crate) const FIXTURES: &[Fixture] = &[
    Fixture {
        name: "angular-app",
        path: "/",
        build_only: &[],
        source_change: None,
        cross_arm64: false,
    },
    Fixture {
        name: "cargo-workspace",
        path: "/",
        build_only: &["cli"],
        source_change: None,
        cross_arm64: false,
    },
    Fixture {
        name: "django-gunicorn",
        path: "/polls/",
        build_only: &[],
        source_change: None,
        cross_arm64: false,
    },
    Fixture {
        name: "express-app",
        path: "/",
        build_only: &[],
        source_change: None,
        cross_arm64: false,
    },
    Fixture {
        name: "fastapi-uv",
        path: "/healthz",
        build_only: &[],
        source_change: None,
        cross_arm64: false,
    },
    Fixture {
        name: "flask-gunicorn",
        path: "/",
        build_only: &[],
        source_change: None,
        cross_arm64: false,
    },
    Fixture {
        name: "go-chi-frontend",
        path: "/healthz",
        build_only: &[],
        source_change: None,
        cross_arm64: true,
    },
    Fixture {
        name: "go-grpc-server",
        path: "/",
        build_only: &[],
        source_change: None,
        cross_arm64: false,
    },
    Fixture {
        name: "go-cmd-layout",
        path: "/healthz",
        build_only: &[],
        source_change: None,
        cross_arm64: false,
    },
    Fixture {
        name: "go-sqlite-cgo",
        path: "/healthz",
        build_only: &[],
        source_change: None,
        cross_arm64: false,
    },
    Fixture {
        name: "nest-api",
        path: "/",
        build_only: &[],
        source_change: None,
        cross_arm64: false,
    },
    Fixture {
        name: "rust-axum",
        path: "/healthz",
        build_only: &[],
        source_change: None,
        cross_arm64: false,
    },
    Fixture {
        name: "rust-build-script",
        path: "/",
        build_only: &[],
        source_change: None,
        cross_arm64: false,
    },
    Fixture {
        name: "rust-lib-bin",
        path: "/",
        build_only: &[],
        source_change: None,
        cross_arm64: false,
    },
    Fixture {
        name: "rust-openssl",
        path: "/",
        build_only: &[],
        source_change: None,
        cross_arm64: false,
    },
    Fixture {
        name: "spring-boot-maven",
        path: "/healthz",
        build_only: &[],
        source_change: Some(SourceChange {
            file: "src/main/java/com/example/demo/GreetingController.java",
            append: "// e2e: source change",
        }),
        cross_arm64: false,
    },
    Fixture {
        name: "static-site",
        path: "/",
        build_only: &[],
        source_change: None,
        cross_arm64: false,
    },
    Fixture {
        name: "vite-react",
        path: "/",
        build_only: &[],
        source_change: None,
        cross_arm64: false,
    },
];

/// The case name of a fixture.
pub(crate) fn case_name(fixture: &Fixture) -> String {
    format!("init-fixture-{}", fixture.name)
}

/// The cases of the fixtures, in the order of [`FIXTURES`]; those `wanted` names when given.
pub(crate) fn cases(root: &Path, wanted: Option<&[String]>) -> Vec<Case> {
    FIXTURES
        .iter()
        .map(|f| (f, case_name(f)))
        .filter(|(_, name)| wanted.is_none_or(|w| w.contains(name)))
        .map(|(f, name)| Case {
            name,
            example: root.join("tests/fixtures/init").join(f.name),
            naive: PathBuf::new(),
            settings: None,
            from_init: true,
            workspace: false,
            starter: None,
            fixture: Some(f),
        })
        .collect()
}

pub(crate) fn run_case(
    suite: &mut Suite,
    case: &Case,
    fixture: &Fixture,
    root: &Path,
) -> CaseReport {
    let started = Instant::now();
    let mut rep = CaseReport {
        name: case.name.clone(),
        ..CaseReport::default()
    };
    if let Err(e) = run(suite, case, fixture, root, &mut rep) {
        rep.failures.push(e);
    }
    rep.naive
        .problems
        .push("no naive build: a fixture is only built, served and checked for its user".into());
    rep.passed = rep.failures.is_empty();
    rep.total_s = round1(started.elapsed().as_secs_f64());
    rep
}

fn run(
    suite: &mut Suite,
    case: &Case,
    fixture: &Fixture,
    root: &Path,
    rep: &mut CaseReport,
) -> Result<(), String> {
    // named as the fixture: init names a service after its directory when nothing else does
    let tmp = tempfile::Builder::new()
        .prefix(&format!("mbgen-e2e-{}-", case.name))
        .tempdir()
        .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
    let dir = tmp.path().join(fixture.name);
    copy_tree(&case.example, &dir)
        .map_err(|e| format!("copying {} failed: {e}", case.example.display()))?;
    prune_layer_cache(&suite.docker)?;

    // 1. init writes the snapshot's mbgen.toml, and render succeeds on it
    run_mbgen("init", &dir, "--yes")?;
    let written =
        fs::read_to_string(dir.join("mbgen.toml")).map_err(|e| format!("mbgen.toml: {e}"))?;
    if let Err(e) = compare_snapshot(root, fixture.name, &written) {
        rep.failures.push(e);
    }
    run_mbgen("render", &dir, "--quiet")
        .map_err(|e| format!("{e} (on the mbgen.toml init wrote)"))?;
    let services = services::read(&case.name, &dir)?;
    if let Some(first) = services.first() {
        rep.port = first.port;
        rep.stages = from_lines(&first.text)
            .into_iter()
            .filter_map(|(_, stage)| stage)
            .collect();
        rep.target_stage = builder_stage(&first.text);
    }

    // 2. every service builds cold, serves and runs unprivileged
    let probe = Probe {
        path: fixture.path,
        build_only: fixture.build_only,
    };
    build_all_cold(suite, &case.name, &services, rep, probe)?;

    // 3. a source edit rebuilds the sources only, and the rebuilt image serves
    if let Some(change) = &fixture.source_change {
        for s in &services {
            let file = s.dockerfile.parent().unwrap_or(&dir).join(change.file);
            let mut text = fs::read_to_string(&file).map_err(|e| format!("source change: {e}"))?;
            text.push_str(change.append);
            text.push('\n');
            fs::write(&file, text).map_err(|e| format!("source change: {e}"))?;
            let started = Instant::now();
            let steps = services::build(suite, &case.name, s, "source", false)?;
            rep.mbgen.source_s = Some(round1(started.elapsed().as_secs_f64()));
            let rerun: Vec<String> = steps
                .iter()
                .filter(|st| st.is_dependency_install() && !st.cached())
                .map(ToString::to_string)
                .collect();
            let (cached, total) = super::progress::cached_of_total(&steps);
            rep.mbgen.source_cached = Some(cached);
            rep.mbgen.source_total = Some(total);
            if !rerun.is_empty()
                || !steps
                    .iter()
                    .any(super::progress::Step::is_dependency_install)
            {
                rep.failures.push(format!(
                    "{}: after the source edit the dependency steps must be CACHED; ran: {}",
                    s.name,
                    if rerun.is_empty() {
                        "no dependency step found".into()
                    } else {
                        rerun.join("; ")
                    }
                ));
            }
            services::serve(suite, rep, &case.name, s, probe.path, "source");
        }
    }

    // 4. with `platforms`, the Go builder cross-compiles for arm64 on this amd64 engine
    if fixture.cross_arm64 {
        if let Err(e) = cross_arm64(suite, case, &dir) {
            rep.failures
                .push(format!("cross-compilation for linux/arm64: {e}"));
        }
    }
    Ok(())
}

/// Adds `platforms` to the (only) service, renders, builds the `build` stage with
/// `--platform linux/arm64` and reads the binary's ELF header: its machine must be aarch64.
/// The engine has no emulator, so a builder that ran as arm64 could not run at all.
fn cross_arm64(suite: &mut Suite, case: &Case, dir: &Path) -> Result<(), String> {
    let config = dir.join("mbgen.toml");
    let mut text = fs::read_to_string(&config).map_err(|e| e.to_string())?;
    text.push_str("platforms = [\"linux/amd64\", \"linux/arm64\"]\n");
    fs::write(&config, text).map_err(|e| e.to_string())?;
    run_mbgen("render", dir, "--quiet")?;
    let s = services::read(&case.name, dir)?.remove(0);
    let binary = s
        .text
        .lines()
        .find_map(|l| l.strip_prefix("COPY --from=build /usr/local/bin/"))
        .and_then(|rest| rest.split_whitespace().next())
        .map(|name| format!("/usr/local/bin/{name}"))
        .ok_or("the Dockerfile copies no binary from the build stage")?;
    let tag = format!("mbgen-e2e/{}-arm64:build", case.name);
    suite.tags.push(tag.clone());
    let started = Instant::now();
    let context = s.context.to_string_lossy().into_owned();
    let dockerfile = s.dockerfile.to_string_lossy().into_owned();
    let args = [
        "build",
        "--network",
        "host",
        "--platform",
        "linux/arm64",
        "--target",
        "build",
        "-t",
        &tag,
        "-f",
        &dockerfile,
        &context,
    ];
    let out = suite.docker.output(&args, suite.build_timeout)?;
    let _ = fs::write(
        suite.out.join(format!("{}-arm64.log", case.name)),
        out.text(),
    );
    if !out.ok {
        return Err(format!(
            "`docker build --platform linux/arm64 --target build` failed:\n{}",
            super::tail(&out.text(), 20)
        ));
    }
    let container = format!("mbgen-e2e-{}-arm64", case.name);
    suite.docker.remove_container(&container);
    suite
        .docker
        .ok(&["create", "--name", &container, &tag], SHORT)?;
    let copied = dir.join("arm64-binary");
    let cp = suite.docker.ok(
        &[
            "cp",
            &format!("{container}:{binary}"),
            &copied.to_string_lossy(),
        ],
        SHORT,
    );
    suite.docker.remove_container(&container);
    cp?;
    let bytes = fs::read(&copied).map_err(|e| e.to_string())?;
    // ELF: the magic, then e_machine (little-endian u16 at offset 18); 183 is aarch64
    let machine = bytes.get(18..20).map(|m| u16::from_le_bytes([m[0], m[1]]));
    if !bytes.starts_with(b"\x7fELF") || machine != Some(183) {
        return Err(format!(
            "{binary} is not an aarch64 ELF binary (e_machine {machine:?})"
        ));
    }
    println!(
        "e2e: {}: linux/arm64 build stage cross-compiled an aarch64 {binary} in {:.0} s",
        case.name,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The written mbgen.toml must be the body of tests/init.rs's snapshot of the fixture, so the
/// file that is built is the one that is reviewed.
fn compare_snapshot(root: &Path, name: &str, written: &str) -> Result<(), String> {
    let shown = format!("tests/snapshots/init__realistic_{name}.snap");
    let text = fs::read_to_string(root.join(&shown)).map_err(|e| format!("{shown}: {e}"))?;
    // insta's header is a YAML block between two `---` lines
    let body = text
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map(|(_, body)| body)
        .ok_or_else(|| format!("{shown}: no `---` header"))?;
    if body.trim_end() == written.trim_end() {
        Ok(())
    } else {
        Err(format!(
            "mbgen init wrote an mbgen.toml that is not {shown} ({}): run \
             `cargo insta test --test init --review`",
            first_difference(body.trim_end(), written.trim_end())
        ))
    }
}
