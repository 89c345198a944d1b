//! Rust: `Cargo.toml`, its binary targets, the toolchain pin, and `Cargo.lock`.

use std::collections::BTreeMap;

use super::compiled::{
    port_in_code, runtime_files, set_found, writable_dirs, RUST_DB_CALLS, RUST_FILE_CALLS,
};
use super::text::{find_port, major_minor};
use super::{Detector, Dir, Options, Outcome, Proposal, Value};
use crate::diagnostic::{Diagnostic, SourceFile};
use crate::manifest::source::{parse_toml, wrong_type};
use crate::relpath::RelPath;
use crate::spec::value::Ident;
use crate::spec::{ServiceKey, Stack};

#[derive(Debug)]
pub(crate) struct Rust;

impl Detector for Rust {
    fn name(&self) -> &'static str {
        "rust"
    }

    fn looks_for(&self) -> &'static str {
        "Cargo.toml with a binary target (src/main.rs, src/bin/, [[bin]])"
    }

    // The detector's steps in the order it reports them (manifest, binary, system packages, port, notes): the sequence is the logic.
    #[allow(clippy::too_many_lines)]
    fn detect(&self, dir: Dir<'_>, _options: &Options) -> Result<Outcome, Box<Diagnostic>> {
        let Some(file) = dir.manifest("Cargo.toml")? else {
            return Ok(Outcome::Absent);
        };
        let table = parse_toml(&file)?;
        let Some(package) = table.get("package") else {
            let reason = if table.contains_key("workspace") {
                "a Cargo workspace root without a package of its own"
            } else {
                "Cargo.toml has no [package]"
            };
            return Ok(Outcome::NotAnApp {
                manifest: dir.path("Cargo.toml"),
                reason: reason.to_owned(),
            });
        };
        let Some(package) = package.as_table() else {
            return Err(Box::new(wrong_type(&file, "package", "a table")));
        };
        let Some(name) = package.get("name").and_then(toml::Value::as_str) else {
            return Err(Box::new(wrong_type(&file, "name", "a string in [package]")));
        };
        let bins = binaries(dir, &table, name, &file)?;
        if bins.is_empty() {
            return Ok(Outcome::NotAnApp {
                manifest: dir.path("Cargo.toml"),
                reason: "no binary target: a library crate".to_owned(),
            });
        }
        let mut p = Proposal::new("rust", dir, Stack::Rust, "Rust binary");
        p.evidence(dir.path("Cargo.toml"));
        p.name_hint = Some(name.to_owned());
        let (bin, source) = choose_bin(&bins, name, package);
        if Ident::try_from(bin.clone()).is_err() {
            return Err(Box::new(wrong_type(
                &file,
                "name",
                "a binary name of letters, digits, `.`, `_` and `-`",
            )));
        }
        let others: Vec<String> = bins
            .iter()
            .filter(|b| b.name != bin)
            .map(|b| b.name.clone())
            .collect();
        if !others.is_empty() {
            p.alternatives
                .extend(others.iter().map(|o| format!("binary `{o}`")));
            p.note(format!(
                "{} binary targets: `{bin}` is built; set `bin` to build {}",
                bins.len(),
                others
                    .iter()
                    .map(|o| format!("`{o}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ));
        }
        p.set_str(ServiceKey::Bin, &bin, source);
        if let Some((version, source)) = version(dir) {
            p.set_str(ServiceKey::Version, version, source);
        }
        lockfile_notes(dir, &mut p);
        let chosen_path = bins
            .iter()
            .find(|b| b.name == bin)
            .map_or("", |b| b.path.as_str());
        let files = runtime_files(dir, &dir.sources(&["rs"]), RUST_FILE_CALLS);
        let found_port = port(dir, chosen_path).or_else(|| {
            // a port in the configuration the binary reads at run time
            files.iter().find_map(|(f, _)| config_port(dir, f))
        });
        if let Some((port, source, file)) = found_port {
            p.evidence(file);
            p.set(ServiceKey::Port, Value::Int(port), source);
        }
        set_found(&mut p, ServiceKey::RuntimeFiles, &files, "read at run time");
        let writable = writable_dirs(dir, &dir.sources(&["rs"]), RUST_DB_CALLS);
        set_found(
            &mut p,
            ServiceKey::WritableDirs,
            &writable,
            "a SQLite database is written there",
        );
        system_packages(dir, &file.text, &mut p);
        sqlx_offline(dir, &mut p);
        Ok(Outcome::Found(Box::new(p)))
    }
}

/// The Cargo.lock of the crate: its own, or its workspace root's.
fn lockfile_text(dir: Dir<'_>) -> Option<String> {
    dir.read("Cargo.lock")
        .or_else(|| dir.parents().find_map(|d| d.read("Cargo.lock")))
}

/// `system-packages` for the `-sys` crates of Cargo.lock (the table of
/// [`super::rust_system`]).
fn system_packages(dir: Dir<'_>, manifest: &str, p: &mut Proposal) {
    let Some(lock) = lockfile_text(dir) else {
        return;
    };
    let crates = super::rust_system::needed(&lock, manifest);
    if crates.is_empty() {
        return;
    }
    let mut build: Vec<String> = Vec::new();
    let mut runtime: Vec<String> = Vec::new();
    for c in &crates {
        build.extend(c.build.iter().map(|s| (*s).to_owned()));
        runtime.extend(c.runtime.iter().map(|s| (*s).to_owned()));
    }
    build.sort();
    build.dedup();
    runtime.sort();
    runtime.dedup();
    let mut table = BTreeMap::new();
    if !build.is_empty() {
        table.insert("build".to_owned(), build);
    }
    if !runtime.is_empty() {
        table.insert("runtime".to_owned(), runtime);
    }
    let names: Vec<&str> = crates.iter().map(|c| c.krate).collect();
    p.set(
        ServiceKey::SystemPackages,
        Value::Lists(table),
        format!(
            "{} in Cargo.lock (docs/rust-system-libraries.md)",
            names.join(", ")
        ),
    );
}

/// sqlx's `query!` macros check queries against a database at compile time, or against
/// the offline data of `.sqlx/` with `SQLX_OFFLINE=true`.
fn sqlx_offline(dir: Dir<'_>, p: &mut Proposal) {
    let uses_macros = lockfile_text(dir).is_some_and(|l| l.contains("name = \"sqlx-macros\""))
        && dir.sources(&["rs"]).iter().take(400).any(|f| {
            dir.read(f).is_some_and(|t| {
                ["query!(", "query_as!(", "query_scalar!(", "query_file!("]
                    .iter()
                    .any(|m| t.contains(m))
            })
        });
    if !uses_macros {
        return;
    }
    if dir.files().any(|f| f.starts_with(".sqlx/")) {
        p.set(
            ServiceKey::BuildArgs,
            Value::Map(BTreeMap::from([(
                "SQLX_OFFLINE".to_owned(),
                "true".to_owned(),
            )])),
            "sqlx's query macros, with their offline data committed in .sqlx/",
        );
    } else {
        p.note("sqlx's query macros check their queries against a database when they compile, and the image build has none: run `cargo sqlx prepare`, commit .sqlx/, and set `build-args = { SQLX_OFFLINE = \"true\" }`");
    }
}

/// A port in a configuration file or directory the binary reads (`port = 8000`,
/// `port: 8000`).
fn config_port(dir: Dir<'_>, path: &str) -> Option<(u16, String, String)> {
    let files: Vec<&str> = if dir.exists(path) {
        vec![path]
    } else {
        dir.files()
            .filter(|f| f.starts_with(&format!("{path}/")))
            .take(20)
            .collect()
    };
    files.into_iter().find_map(|f| {
        let text = dir.read(f)?;
        let (port, line) = find_port(&text)?;
        let shown = dir.path(f);
        Some((port, format!("`{line}` in {shown}"), shown))
    })
}

#[derive(Debug)]
struct Bin {
    name: String,
    path: String,
}

/// The binary targets: `[[bin]]` entries, then Cargo's automatic ones.
fn binaries(
    dir: Dir<'_>,
    table: &toml::Table,
    package: &str,
    file: &SourceFile,
) -> Result<Vec<Bin>, Box<Diagnostic>> {
    let mut bins = Vec::new();
    if let Some(list) = table.get("bin") {
        let Some(list) = list.as_array() else {
            return Err(Box::new(wrong_type(
                file,
                "bin",
                "an array of tables ([[bin]])",
            )));
        };
        for entry in list {
            let name = entry.get("name").and_then(toml::Value::as_str);
            let path = entry.get("path").and_then(toml::Value::as_str);
            let Some(name) = name else {
                return Err(Box::new(wrong_type(file, "bin", "tables with a `name`")));
            };
            let path = path.map_or_else(|| format!("src/bin/{name}.rs"), str::to_owned);
            bins.push(Bin {
                name: name.to_owned(),
                path,
            });
        }
    }
    let auto = table
        .get("package")
        .and_then(|p| p.get("autobins"))
        .and_then(toml::Value::as_bool)
        .unwrap_or(true);
    if !auto {
        return Ok(bins);
    }
    let mut add = |name: String, path: String| {
        if !bins.iter().any(|b| b.name == name || b.path == path) {
            bins.push(Bin { name, path });
        }
    };
    if dir.exists("src/main.rs") {
        add(package.to_owned(), "src/main.rs".to_owned());
    }
    let mut auto_bins: Vec<(String, String)> = dir
        .files()
        .filter_map(|f| {
            let rest = f.strip_prefix("src/bin/")?;
            match rest.split_once('/') {
                None => rest
                    .strip_suffix(".rs")
                    .map(|n| (n.to_owned(), f.to_owned())),
                Some((d, "main.rs")) => Some((d.to_owned(), f.to_owned())),
                Some(_) => None,
            }
        })
        .collect();
    auto_bins.sort();
    for (name, path) in auto_bins {
        add(name, path);
    }
    Ok(bins)
}

/// The port the binary listens on: from its own file, or from another source file that
/// serves something. Unit tests are left out: their addresses are not the app's.
fn port(dir: Dir<'_>, main: &str) -> Option<(u16, String, String)> {
    const SERVES: &[&str] = &[
        "TcpListener",
        ".bind(",
        "serve(",
        "HttpServer",
        "SocketAddr",
        "listen(",
    ];
    let others = dir
        .sources(&["rs"])
        .into_iter()
        .filter(|s| s.starts_with("src/") && *s != main);
    for (path, any) in std::iter::once((main, true))
        .chain(others.map(|o| (o, false)))
        .take(200)
    {
        let Some(text) = dir.read(path) else {
            continue;
        };
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        if !any && !SERVES.iter().any(|w| code.contains(w)) {
            continue;
        }
        if let Some((port, line)) = port_in_code(code) {
            let path = dir.path(path);
            return Some((port, format!("`{line}` in {path}"), path));
        }
    }
    None
}

/// The binary to build: `default-run`, the only one, the one named after the package, or
/// the first.
fn choose_bin(bins: &[Bin], package_name: &str, package: &toml::Table) -> (String, String) {
    let default_run = package.get("default-run").and_then(toml::Value::as_str);
    if let Some(run) = default_run.filter(|r| bins.iter().any(|b| b.name == *r)) {
        (run.to_owned(), "`default-run` in Cargo.toml".to_owned())
    } else if bins.len() == 1 {
        (
            bins[0].name.clone(),
            format!("the only binary target ({})", bins[0].path),
        )
    } else if let Some(b) = bins.iter().find(|b| b.name == package_name) {
        (
            b.name.clone(),
            format!("the binary named after the package ({})", b.path),
        )
    } else {
        (
            bins[0].name.clone(),
            format!("the first binary target ({})", bins[0].path),
        )
    }
}

/// The version pinned by a toolchain file, here or in a parent (a workspace root).
fn version(dir: Dir<'_>) -> Option<(String, String)> {
    let mut base = dir.base().to_owned();
    loop {
        let here = Dir::new(dir.fs(), &base);
        if let Some(text) = here.read("rust-toolchain.toml") {
            let channel = text.parse::<toml::Table>().ok().and_then(|t| {
                t.get("toolchain")?
                    .get("channel")?
                    .as_str()
                    .map(str::to_owned)
            });
            if let Some(channel) = channel {
                if let Some(v) = numeric(&channel) {
                    return Some((
                        v,
                        format!(
                            "channel \"{channel}\" in {}",
                            here.path("rust-toolchain.toml")
                        ),
                    ));
                }
            }
            break;
        }
        if let Some(text) = here.read("rust-toolchain") {
            let channel = text.trim().to_owned();
            if let Some(v) = numeric(&channel) {
                return Some((v, format!("{} ({channel})", here.path("rust-toolchain"))));
            }
            break;
        }
        if base.is_empty() {
            break;
        }
        base = base
            .rsplit_once('/')
            .map_or_else(String::new, |(b, _)| b.to_owned());
    }
    // `rust-version` is only a minimum, which mbgen's default toolchain meets.
    None
}

/// `1.82.0` → `1.82`; channels such as `stable` or `nightly` keep mbgen's default.
fn numeric(channel: &str) -> Option<String> {
    channel
        .starts_with(|c: char| c.is_ascii_digit())
        .then(|| major_minor(channel))
        .flatten()
}

fn lockfile_notes(dir: Dir<'_>, p: &mut Proposal) {
    if dir.exists("Cargo.lock") {
        p.evidence(dir.path("Cargo.lock"));
        return;
    }
    for here in dir.parents() {
        if here.exists("Cargo.lock") {
            // The workspace root's lock: the crate is built from there.
            let lock = here.path("Cargo.lock");
            p.evidence(&lock);
            p.set_str(
                ServiceKey::Context,
                RelPath::from_normal(here.base()).to_string(),
                format!("the Cargo workspace root, where {lock} is"),
            );
            return;
        }
    }
    p.note("no Cargo.lock: the image builds with `--locked`; run `cargo generate-lockfile` and commit Cargo.lock");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::fs::MemFs;
    use crate::detect::Value;

    fn run(files: &[(&str, &str)]) -> Result<Outcome, Box<Diagnostic>> {
        let fs = MemFs::new(files.iter().copied());
        Rust.detect(Dir::new(&fs, ""), &Options::default())
    }

    #[test]
    fn binaries_and_toolchain() {
        let Outcome::Found(p) = run(&[
            (
                "Cargo.toml",
                "[package]\nname = \"web_api\"\nversion = \"0.1.0\"\n",
            ),
            ("Cargo.lock", ""),
            ("rust-toolchain.toml", "[toolchain]\nchannel = \"1.86.0\"\n"),
            (
                "src/main.rs",
                "let listener = TcpListener::bind(\"0.0.0.0:3000\").await?;",
            ),
            ("src/bin/migrate.rs", "fn main() {}"),
        ])
        .unwrap() else {
            panic!()
        };
        assert_eq!(p.get(ServiceKey::Bin), Some(&Value::Str("web_api".into())));
        assert_eq!(p.get(ServiceKey::Version), Some(&Value::Str("1.86".into())));
        assert_eq!(p.get(ServiceKey::Port), Some(&Value::Int(3000)));
        assert!(p.notes[0].contains("migrate"), "{:?}", p.notes);
    }

    #[test]
    fn library_broken_and_absent() {
        assert!(matches!(
            run(&[
                ("Cargo.toml", "[package]\nname = \"lib\"\n"),
                ("src/lib.rs", "")
            ])
            .unwrap(),
            Outcome::NotAnApp { .. }
        ));
        let e = run(&[("Cargo.toml", "[package]\nname = \"x\"\nversion = 1.0.0\n")]).unwrap_err();
        let (file, span) = e.location.unwrap();
        assert_eq!(file.line_col(span.start).0, 3);
        assert!(matches!(run(&[("go.mod", "")]).unwrap(), Outcome::Absent));
    }
}
