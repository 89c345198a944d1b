//! Go: `go.mod` (module, Go version, requirements), the main package to build, `vendor/`,
//! and cgo.

use super::compiled::{
    port_in_code, runtime_files, set_found, writable_dirs, GO_DB_CALLS, GO_FILE_CALLS,
};
use super::text::major_minor;
use super::{clean_rel_path, Detector, Dir, Options, Outcome, Proposal, Value};
use crate::diagnostic::Diagnostic;
use crate::manifest::go_mod::{GoMod, GoWork};
use crate::relpath::RelPath;
use crate::spec::{ServiceKey, Stack};
use crate::versions::{self, Lang, Picked};

#[derive(Debug)]
pub(crate) struct Go;

impl Detector for Go {
    fn name(&self) -> &'static str {
        "go"
    }

    fn looks_for(&self) -> &'static str {
        "go.mod with a main package (at the module root or under cmd/<name>)"
    }

    // The detector's steps in the order it reports them (module, main package, cgo, port, notes): the sequence is the logic.
    #[allow(clippy::too_many_lines)]
    fn detect(&self, dir: Dir<'_>, options: &Options) -> Result<Outcome, Box<Diagnostic>> {
        let Some(file) = dir.manifest("go.mod")? else {
            return Ok(Outcome::Absent);
        };
        let module = GoMod::parse(&file)?;
        let sources = module_sources(dir);
        let mains = main_packages(dir, &sources);
        if mains.is_empty() {
            return Ok(Outcome::NotAnApp {
                manifest: dir.path("go.mod"),
                reason: "no `package main` in the module: a library".to_owned(),
            });
        }
        let mut p = Proposal::new("go", dir, Stack::Go, "Go module");
        p.evidence(dir.path("go.mod"));
        let main = choose_main(dir, &module, &mains, options, &mut p)?;
        p.name_hint = Some(match main.strip_prefix("cmd/") {
            Some(name) if !name.contains('/') => name.to_owned(),
            _ => module
                .path
                .rsplit('/')
                .next()
                .unwrap_or(&module.path)
                .to_owned(),
        });
        let own = module_version(&module);
        if let Some((picked, source)) = own.clone() {
            p.set_version(picked, &source);
        }
        if let Some((root, work, work_go)) = go_work_root(dir)? {
            // A go.work that uses this module decides how its imports of the other modules
            // resolve, so the module is built from there, with a Go the go.work accepts.
            p.set_str(
                ServiceKey::Context,
                RelPath::from_normal(&root).to_string(),
                format!("{work} uses this module"),
            );
            let own = own.map(|(picked, _)| picked.version);
            if let Some(wanted) = work_go.as_deref().and_then(major_minor) {
                if own
                    .as_deref()
                    .is_none_or(|o| version_key(&wanted) > version_key(o))
                {
                    if let Some(picked) = versions::range(Lang::Go, &format!(">={wanted}")) {
                        p.set_version(
                            picked,
                            &format!(
                                "the `go {}` directive in {work}, above the module's own",
                                work_go.as_deref().unwrap_or_default()
                            ),
                        );
                    }
                }
            }
        }
        if !main.is_empty() {
            let source = if options.go_main.is_some() {
                "chosen with --main".to_owned()
            } else if mains.len() == 1 {
                format!("the only main package ({main}/)")
            } else {
                format!("one of {} main packages; see the note", mains.len())
            };
            p.set_str(ServiceKey::Main, &main, source);
        }
        if dir.exists("vendor/modules.txt") {
            p.evidence(dir.path("vendor/modules.txt"));
            p.set(
                ServiceKey::Vendor,
                Value::Bool(true),
                "vendor/modules.txt: the modules are vendored",
            );
        }
        if let Some(why) = cgo(dir, &module, &sources) {
            p.set(ServiceKey::Cgo, Value::Bool(true), why);
            p.set_str(
                ServiceKey::Runtime,
                "slim",
                "a cgo binary needs the C library, which distroless/static lacks",
            );
        }
        from_the_code(dir, &module, &sources, &main, &mut p);
        embedded_build_output(dir, &sources, &mut p);
        Ok(Outcome::Found(Box::new(p)))
    }
}

/// What the sources show: the port, gRPC, the files read and the directories written at
/// run time.
fn from_the_code(dir: Dir<'_>, module: &GoMod, sources: &[&str], main: &str, p: &mut Proposal) {
    let main_files: Vec<&str> = sources
        .iter()
        .filter(|s| parent(s) == main)
        .chain(sources.iter().filter(|s| parent(s) != main))
        .copied()
        .collect();
    for path in main_files.iter().take(200) {
        // Only files that serve something: a port-like literal elsewhere means nothing.
        let serves = |t: &String| {
            parent(path) == main || ["Listen", "Serve(", "Addr:"].iter().any(|w| t.contains(w))
        };
        if let Some((port, line)) = dir.read(path).filter(serves).and_then(|t| port_in_code(&t)) {
            p.evidence(dir.path(path));
            p.set(
                ServiceKey::Port,
                Value::Int(port),
                format!("`{line}` in {}", dir.path(path)),
            );
            break;
        }
    }
    if let Some(why) = grpc_only(dir, module, sources) {
        p.set_str(ServiceKey::Protocol, "grpc", why);
    }
    let files = runtime_files(dir, sources, GO_FILE_CALLS);
    set_found(p, ServiceKey::RuntimeFiles, &files, "read at run time");
    let writable = writable_dirs(dir, sources, GO_DB_CALLS);
    set_found(
        p,
        ServiceKey::WritableDirs,
        &writable,
        "a SQLite database is written there",
    );
}

/// Why the program serves gRPC alone, when it does: the module requires grpc-go, a source
/// makes a gRPC server, and none serves HTTP.
fn grpc_only(dir: Dir<'_>, module: &GoMod, sources: &[&str]) -> Option<String> {
    const HTTP: &[&str] = &[
        "http.ListenAndServe",
        ".ListenAndServe(",
        "http.Server{",
        "gin.Default(",
        "gin.New(",
        "echo.New(",
        "fiber.New(",
        "chi.NewRouter(",
        "mux.NewRouter(",
    ];
    if !module
        .requires
        .iter()
        .any(|r| r == "google.golang.org/grpc")
    {
        return None;
    }
    let mut server = None;
    for path in sources.iter().take(400) {
        let text = dir.read(path)?;
        if HTTP.iter().any(|h| text.contains(h)) {
            return None;
        }
        if server.is_none() && text.contains("grpc.NewServer(") {
            server = Some(format!(
                "`grpc.NewServer(` in {}, and no HTTP server",
                dir.path(path)
            ));
        }
    }
    server
}

/// A `//go:embed` of a directory that is not in the tree (or holds a placeholder only): a
/// build step such as `npm run build` makes it, and `go build` fails without it. Says what
/// to add.
fn embedded_build_output(dir: Dir<'_>, sources: &[&str], p: &mut Proposal) {
    for path in sources.iter().take(400) {
        let Some(text) = dir.read(path) else { continue };
        for line in text.lines() {
            let Some(patterns) = line.trim().strip_prefix("//go:embed ") else {
                continue;
            };
            for pattern in patterns.split_whitespace() {
                let embedded = format!("{}/{}", parent(path), pattern.trim_end_matches("/*"))
                    .trim_start_matches('/')
                    .to_owned();
                let held = dir
                    .files()
                    .filter(|f| f.starts_with(&format!("{embedded}/")))
                    .count();
                if held > 1 || dir.exists(&embedded) {
                    continue;
                }
                let what = format!(
                    "`//go:embed {pattern}` in {} embeds {embedded}/, which is not committed: `go build` fails without it",
                    dir.path(path)
                );
                p.note(match front_end_of(dir, &embedded) {
                    Some(ui) => {
                        let out = embedded.strip_prefix(&format!("{ui}/")).unwrap_or("dist");
                        format!(
                            "{what}. `npm run build` in {ui} makes it: run `npm --prefix {ui} ci && npm --prefix {ui} run build` before `docker build`, or run `mbgen templates eject go.Dockerfile.j2` and add a stage `FROM node:22-trixie-slim AS assets` with `WORKDIR /assets`, `COPY {ui}/ ./` and `RUN npm ci && npm run build`, then in the build stage, before `go build`, `COPY --from=assets /assets/{out} {embedded}`"
                        )
                    }
                    None => format!("{what}: make it before `docker build`, or commit it"),
                });
            }
        }
    }
}

/// The directory of the Node project whose build writes `out` (its package.json above it).
fn front_end_of(dir: Dir<'_>, out: &str) -> Option<String> {
    let mut base = out;
    while let Some((up, _)) = base.rsplit_once('/') {
        base = up;
        if dir.exists(&format!("{base}/package.json")) {
            return Some(base.to_owned());
        }
    }
    None
}

/// A Go version as numbers, for comparing.
fn version_key(v: &str) -> Vec<u32> {
    v.split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0))
        .collect()
}

/// The nearest directory above a module whose `go.work` uses it, that file's path, and its
/// `go` directive.
type WorkRoot = (String, String, Option<String>);

/// The [`WorkRoot`] of the module in `dir`, if a go.work uses it.
fn go_work_root(dir: Dir<'_>) -> Result<Option<WorkRoot>, Box<Diagnostic>> {
    let own = dir.base();
    for above in dir.parents() {
        let base = above.base();
        if let Some(file) = above.manifest("go.work")? {
            let rel = own
                .strip_prefix(base)
                .map_or(own, |r| r.trim_start_matches('/'));
            let work = GoWork::parse(&file)?;
            if work.members().iter().any(|m| m.as_str() == rel) {
                let go = work.go;
                return Ok(Some((base.to_owned(), above.path("go.work"), go)));
            }
            return Ok(None);
        }
    }
    Ok(None)
}

/// The Go version for the image: the `toolchain` directive pins the Go the project builds
/// with; the `go` directive is a minimum, so the newest supported Go serves it.
fn module_version(m: &GoMod) -> Option<(Picked, String)> {
    if let Some(t) = m.toolchain.as_deref().filter(|t| t.starts_with("go1")) {
        let picked = versions::pin(Lang::Go, t)?;
        // A pin out of support is still a minimum for the `go` directive's reading.
        if picked.note.is_none() {
            return Some((picked, format!("the `toolchain {t}` directive in go.mod")));
        }
    }
    let go = m.go.as_deref()?;
    let picked = versions::range(Lang::Go, &format!(">={go}"))?;
    Some((
        picked,
        format!("the `go {go}` directive in go.mod, a minimum"),
    ))
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// The module's own `.go` files: not tests, not nested modules, not examples or tools.
fn module_sources(dir: Dir<'_>) -> Vec<&str> {
    let nested: Vec<&str> = dir
        .files()
        .filter_map(|f| f.strip_suffix("/go.mod"))
        .collect();
    dir.sources(&["go"])
        .into_iter()
        .filter(|f| {
            !nested.iter().any(|n| f.starts_with(&format!("{n}/")))
                && !f
                    .split('/')
                    .any(|c| matches!(c, "hack" | "scripts" | "tools" | "_tools" | "example"))
        })
        .collect()
}

/// The directories holding `package main`, relative to the module; empty for the root.
fn main_packages(dir: Dir<'_>, sources: &[&str]) -> Vec<String> {
    let mut mains: Vec<String> = Vec::new();
    for path in sources {
        let d = parent(path);
        if mains.iter().any(|m| m == d) {
            continue;
        }
        let Some(text) = dir.read(path) else {
            continue;
        };
        let clause = text
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("package "));
        if clause.is_some_and(|c| c.split_whitespace().nth(1) == Some("main")) {
            mains.push(d.to_owned());
        }
    }
    mains.sort();
    mains
}

fn choose_main(
    dir: Dir<'_>,
    module: &GoMod,
    mains: &[String],
    options: &Options,
    p: &mut Proposal,
) -> Result<String, Box<Diagnostic>> {
    if let Some(wanted) = &options.go_main {
        let wanted = clean_rel_path(wanted).unwrap_or_default();
        if mains.contains(&wanted) {
            return Ok(wanted);
        }
        let list: Vec<String> = mains.iter().map(|m| display_main(m)).collect();
        return Err(Box::new(
            Diagnostic::new(format!(
                "--main {}: there is no main package there",
                options.go_main.as_deref().unwrap_or_default()
            ))
            .in_file(std::path::Path::new(&dir.path("go.mod")))
            .help(format!("main packages of this module: {}", list.join(", "))),
        ));
    }
    if mains.len() == 1 {
        return Ok(mains[0].clone());
    }
    let base = module.path.rsplit('/').next().unwrap_or_default();
    let preferred = [
        String::new(),
        format!("cmd/{base}"),
        "cmd/server".to_owned(),
        "cmd/api".to_owned(),
        "cmd/app".to_owned(),
        "cmd/web".to_owned(),
    ];
    let chosen = preferred
        .iter()
        .find(|m| mains.contains(m))
        .unwrap_or(&mains[0])
        .clone();
    let others: Vec<String> = mains
        .iter()
        .filter(|m| **m != chosen)
        .map(|m| display_main(m))
        .collect();
    for other in &others {
        p.alternatives.push(format!("main package {other}"));
    }
    let note = format!(
        "{} main packages: {} is built, not {}. Run `mbgen init --main <dir>` to build another, or copy this service with another `main` and `dockerfile`",
        mains.len(),
        display_main(&chosen),
        others.join(", ")
    );
    p.note(note.clone());
    p.choices.push(super::Choice {
        key: ServiceKey::Main,
        values: std::iter::once(chosen.clone())
            .chain(mains.iter().filter(|m| **m != chosen).cloned())
            .collect(),
        notes: vec![note],
    });
    Ok(chosen)
}

fn display_main(m: &str) -> String {
    if m.is_empty() {
        ". (the module root)".to_owned()
    } else {
        m.to_owned()
    }
}

/// Modules that need cgo to build.
const CGO_MODULES: &[&str] = &[
    "github.com/mattn/go-sqlite3",
    "github.com/confluentinc/confluent-kafka-go",
    "gopkg.in/confluentinc/confluent-kafka-go.v1",
    "github.com/go-gl/glfw",
];

/// Why the module needs cgo, if it does.
fn cgo(dir: Dir<'_>, module: &GoMod, sources: &[&str]) -> Option<String> {
    for path in sources {
        let Some(text) = dir.read(path) else {
            continue;
        };
        let imports_c = text.lines().any(|l| {
            let l = l.trim();
            l == "import \"C\"" || l == "\"C\""
        });
        if imports_c {
            return Some(format!("`import \"C\"` in {}", dir.path(path)));
        }
    }
    module
        .requires
        .iter()
        .find(|r| CGO_MODULES.iter().any(|c| r.starts_with(c)))
        .map(|r| format!("{r} in go.mod needs cgo"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::fs::MemFs;

    const MAIN: &str = "package main\n\nfunc main() {}\n";

    fn run(files: &[(&str, &str)], main: Option<&str>) -> Result<Outcome, Box<Diagnostic>> {
        let fs = MemFs::new(files.iter().copied());
        let options = Options {
            go_main: main.map(str::to_owned),
            ..Options::default()
        };
        Go.detect(Dir::new(&fs, ""), &options)
    }

    fn found(files: &[(&str, &str)], main: Option<&str>) -> Proposal {
        match run(files, main).unwrap() {
            Outcome::Found(p) => *p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cmd_layout_picks_one_main_and_says_so() {
        let files = [
            ("go.mod", "module example.com/shop\n\ngo 1.23.4\n\nrequire (\n\tgithub.com/go-chi/chi/v5 v5.1.0\n)\n"),
            ("cmd/api/main.go", "package main\n\nfunc main() { http.ListenAndServe(\":9000\", nil) }\n"),
            ("cmd/worker/main.go", MAIN),
            ("internal/store/store.go", "package store\n"),
        ];
        let p = found(&files, None);
        assert_eq!(p.get(ServiceKey::Main), Some(&Value::Str("cmd/api".into())));
        assert_eq!(p.get(ServiceKey::Version), Some(&Value::Str("1.27".into())));
        assert_eq!(p.get(ServiceKey::Port), Some(&Value::Int(9000)));
        assert!(p.notes[0].contains("cmd/worker"), "{:?}", p.notes);
        let p = found(&files, Some("./cmd/worker"));
        assert_eq!(
            p.get(ServiceKey::Main),
            Some(&Value::Str("cmd/worker".into()))
        );
        assert!(run(&files, Some("cmd/nope")).is_err());
    }

    #[test]
    fn vendor_and_cgo() {
        let p = found(
            &[
                ("go.mod", "module x\ngo 1.24\n"),
                (
                    "main.go",
                    "package main\n\n// #include <stdio.h>\nimport \"C\"\n",
                ),
                ("vendor/modules.txt", "# none\n"),
            ],
            None,
        );
        assert_eq!(p.get(ServiceKey::Vendor), Some(&Value::Bool(true)));
        assert_eq!(p.get(ServiceKey::Cgo), Some(&Value::Bool(true)));
        assert_eq!(p.get(ServiceKey::Runtime), Some(&Value::Str("slim".into())));
        assert_eq!(p.get(ServiceKey::Main), None);
    }

    #[test]
    fn broken_go_mod_names_the_line() {
        let e = run(
            &[("go.mod", "module x\n\ngo one.two\n"), ("main.go", MAIN)],
            None,
        )
        .unwrap_err();
        assert!(e.message.contains("invalid go version"), "{}", e.message);
        assert_eq!(e.location.unwrap().0.line_col(20).0, 3);
        let e = run(
            &[
                ("go.mod", "module x\nrequire (\n  a v1\n"),
                ("main.go", MAIN),
            ],
            None,
        )
        .unwrap_err();
        assert!(e.message.contains("never closed"), "{}", e.message);
        let e = run(&[("go.mod", "go 1.22\n"), ("main.go", MAIN)], None).unwrap_err();
        assert!(e.message.contains("no `module`"), "{}", e.message);
    }

    #[test]
    fn embedded_build_output_says_what_to_add() {
        let p = found(
            &[
                ("go.mod", "module example.com/am\ngo 1.24\n"),
                ("main.go", MAIN),
                (
                    "ui/web.go",
                    "package ui\n\n//go:embed app/dist\nvar asset embed.FS\n",
                ),
                ("ui/app/package.json", "{}"),
                ("ui/app/src/main.js", ""),
            ],
            None,
        );
        let note = p
            .notes
            .iter()
            .find(|n| n.contains("go:embed"))
            .expect("a note");
        assert!(note.contains("npm --prefix ui/app ci"), "{note}");
        assert!(
            note.contains("COPY --from=assets /assets/dist ui/app/dist"),
            "{note}"
        );
    }

    #[test]
    fn library_and_absent() {
        assert!(matches!(
            run(&[("go.mod", "module x\n"), ("lib.go", "package x\n")], None).unwrap(),
            Outcome::NotAnApp { .. }
        ));
        assert!(matches!(
            run(&[("main.go", MAIN)], None).unwrap(),
            Outcome::Absent
        ));
    }
}
