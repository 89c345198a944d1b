//! `mbgen init`: detect the apps of a project and write, print or report an `mbgen.toml`.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

use crate::cli::InitArgs;
use crate::detect::{self, DiskFs, Layout, Options, Report};
use crate::diagnostic::Diagnostic;
use crate::guard::{self, Confined};
use crate::output::write_atomic;
use crate::scaffold;
use crate::spec::seal::{ownership, Ownership};
use crate::spec::CONFIG_FILE;
use crate::Error;

/// What `init` does, from the command line.
struct Settings {
    dir: PathBuf,
    mode: Mode,
    force: bool,
    schema: String,
    options: Options,
}

enum Mode {
    Write,
    Stdout,
    Json,
}

pub(super) fn run(args: InitArgs) -> Result<(), Error> {
    let InitArgs {
        dir,
        force,
        stdout,
        json,
        schema,
        main,
        yes,
    } = args;
    // Questions only at a terminal, and only when the file is to be written.
    let interactive = !yes
        && !stdout
        && !json
        && std::io::stdin().is_terminal()
        && std::io::stderr().is_terminal();
    let root_name = fs_err::canonicalize(&dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
    let settings = Settings {
        mode: match (stdout, json) {
            (_, true) => Mode::Json,
            (true, _) => Mode::Stdout,
            _ => Mode::Write,
        },
        dir,
        force,
        schema,
        options: Options {
            go_main: main,
            root_name,
        },
    };
    let target = settings.dir.join(CONFIG_FILE);
    let display = display_path(&target);
    let fs = DiskFs::new(&settings.dir).map_err(|e| Error::from(*e))?;
    let confined =
        Confined::new(&settings.dir).map_err(Error::io("read", display_path(&settings.dir)))?;
    // mbgen.toml is written where it really is, which must be inside the project.
    let target = confined
        .check(Path::new(CONFIG_FILE), &display)
        .map_err(|d| Error::from(*d))?;
    if matches!(settings.mode, Mode::Write) && target.exists() && !settings.force {
        return Err(Diagnostic::new(format!("{} already exists", display.display()))
            .in_file(&display)
            .help("init never replaces it on its own: pass --force to replace it, or --stdout to print what init would write")
            .into());
    }
    let report = detect::discover(&fs, &settings.options);
    if let Mode::Json = settings.mode {
        // Printed even when nothing was proposed: tools reading it get the reasons.
        let text = serde_json::to_string_pretty(&report).expect("the report serialises");
        std::io::stdout()
            .write_all(format!("{text}\n").as_bytes())
            .map_err(Error::io("write", "standard output"))?;
        report.into_result()?;
        return Ok(());
    }
    let report = report.into_result()?;
    print_summary(&report);
    let mut report = report;
    if interactive {
        ask(&mut report, &mut std::io::stdin().lock())?;
    }
    let tree = crate::project::tree(&settings.dir);
    let taken_over = take_over(&settings.dir, &mut report, &settings.schema, &tree)?;
    let text = scaffold::to_toml(&report, &settings.schema);
    scaffold::verify(&text, &tree)?;
    say_taken_over(&taken_over);
    match settings.mode {
        Mode::Stdout => std::io::stdout()
            .write_all(text.as_bytes())
            .map_err(Error::io("write", "standard output")),
        Mode::Write => {
            write_schema_copy(&confined, &settings.dir, &settings.schema)?;
            write_atomic(&target, &text)?;
            eprintln!(
                "wrote {}: check it, then run `mbgen render`",
                display.display()
            );
            Ok(())
        }
        Mode::Json => unreachable!("handled above"),
    }
}

/// At a terminal: which services to keep (when there are several), and the value of each
/// setting detection had to pick among several. An empty answer (or the end of input)
/// takes the proposal.
fn ask(report: &mut Report, input: &mut dyn std::io::BufRead) -> Result<(), Error> {
    let mut line = String::new();
    let mut read = |prompt: &str| -> Result<String, Error> {
        eprint!("{prompt}");
        let _ = std::io::stderr().flush();
        line.clear();
        input
            .read_line(&mut line)
            .map_err(Error::io("read", "standard input"))?;
        Ok(line.trim().to_owned())
    };
    eprintln!("(press Enter to take a proposal; --yes takes them all without asking)");
    if report.services.len() > 1 {
        let mut kept = Vec::new();
        for p in std::mem::take(&mut report.services) {
            let path = p.path.clone();
            loop {
                let answer = read(&format!(
                    "keep service `{}` ({}, {path})? [Y/n] ",
                    p.name,
                    p.stack.as_str()
                ))?;
                match answer.to_ascii_lowercase().as_str() {
                    "" | "y" | "yes" => {
                        kept.push(p);
                        break;
                    }
                    "n" | "no" => break,
                    _ => eprintln!("answer y or n"),
                }
            }
        }
        if kept.is_empty() {
            return Err(
                Diagnostic::new("every service was left out: nothing to write")
                    .help("run `mbgen init` again and keep at least one")
                    .into(),
            );
        }
        report.services = kept;
    }
    for p in &mut report.services {
        for choice in std::mem::take(&mut p.choices) {
            eprintln!("`{}` of service `{}`:", choice.key, p.name);
            for (i, v) in choice.values.iter().enumerate() {
                let shown = if v.is_empty() { "." } else { v.as_str() };
                eprintln!(
                    "  {}) {shown}{}",
                    i + 1,
                    if i == 0 { "  (proposed)" } else { "" }
                );
            }
            let picked = loop {
                let answer = read(&format!("pick 1-{} [1] ", choice.values.len()))?;
                if answer.is_empty() {
                    break 0;
                }
                match answer.parse::<usize>() {
                    Ok(n) if (1..=choice.values.len()).contains(&n) => break n - 1,
                    _ => eprintln!("answer a number from 1 to {}", choice.values.len()),
                }
            };
            if picked > 0 {
                let value = choice.values[picked].clone();
                p.notes.retain(|n| !choice.notes.contains(n));
                p.alternatives
                    .retain(|a| !a.contains(value.as_str()) || value.is_empty());
                if value.is_empty() {
                    // The module's own directory: the default, so no key.
                    p.settings.retain(|s| s.key != choice.key);
                } else {
                    p.set_str(choice.key, &value, "chosen at the prompt");
                }
            }
        }
    }
    Ok(())
}

/// Writes the schema where a relative `#:schema` path points, unless a file that is not
/// mbgen's schema is there already. The path must lead to a place inside the project `dir`.
pub(super) fn write_schema_copy(
    confined: &Confined,
    dir: &Path,
    schema: &str,
) -> Result<(), Error> {
    if schema.contains("://") || Path::new(schema).is_absolute() {
        return Ok(());
    }
    let shown = display_path(&dir.join(schema));
    let target = confined.check(Path::new(schema), &shown).map_err(|d| {
        Error::from(d.help(
            "the schema copy is written inside the project only: pass --schema with a path inside it, or a URL",
        ))
    })?;
    let contents = crate::schema::schema_json();
    if let Ok(existing) = guard::read_text(&target, guard::MAX_MANIFEST_BYTES) {
        if existing == contents {
            return Ok(());
        }
        if !existing.contains("\"title\": \"mbgen.toml\"") {
            return Err(Diagnostic::new(format!(
                "{} exists and is not mbgen's schema",
                shown.display()
            ))
            .help("pass --schema with another path, or a URL")
            .into());
        }
    }
    write_atomic(&target, &contents)?;
    eprintln!("wrote {} for editors", shown.display());
    Ok(())
}

fn display_path(path: &Path) -> PathBuf {
    path.strip_prefix("./").unwrap_or(path).to_owned()
}

/// What was found, on standard error: the services, what was left out, what to check.
fn print_summary(report: &Report) {
    let how = match &report.layout {
        Layout::Single => String::new(),
        Layout::Workspace { declared_by } => {
            format!(", workspace members of {}", declared_by.join(" and "))
        }
        Layout::Directories => ", one per app directory".to_owned(),
    };
    let count = report.services.len();
    eprintln!(
        "found {count} service{}{how}:",
        if count == 1 { "" } else { "s" }
    );
    let width = report
        .services
        .iter()
        .map(|p| p.name.len())
        .max()
        .unwrap_or(0);
    for p in &report.services {
        let path = &p.path;
        eprintln!(
            "  {:<width$}  {:<11}  {path}  ({})",
            p.name,
            p.stack.as_str(),
            p.summary
        );
    }
    if !report.skipped.is_empty() {
        eprintln!("left out:");
        for s in &report.skipped {
            eprintln!("  {}: {}", s.path, s.reason);
        }
    }
    for p in &report.services {
        for note in &p.notes {
            eprintln!("note ({}): {note}", p.name);
        }
    }
    for unread in &report.unread {
        eprintln!("warning: {unread}");
    }
}

/// Docker files of a service that `mbgen render` will replace only with `--force`: written
/// by hand, or edited since mbgen wrote them.
struct TakenOver {
    service: String,
    files: Vec<String>,
    /// Whether one of them is mbgen's own output, edited since mbgen wrote it.
    edited: bool,
}

/// Reads each service's hand-written (or hand-edited) `.dockerignore` into its
/// `dockerignore` key (the patterns mbgen's own file lacks), and lists the files `render`
/// would replace only with `--force`.
fn take_over(
    dir: &Path,
    report: &mut Report,
    schema: &str,
    tree: &crate::model::Tree,
) -> Result<Vec<TakenOver>, Error> {
    let text = scaffold::to_toml(report, schema);
    let files = scaffold::render_proposal(&text, tree)?;
    let mut out = Vec::new();
    for p in &mut report.services {
        let mut taken = Vec::new();
        let mut edited = false;
        for name in ["Dockerfile", ".dockerignore"] {
            let shown = p.path.join_str(name).to_string();
            let Ok(existing) = guard::read_text(&dir.join(&shown), guard::MAX_MANIFEST_BYTES)
            else {
                continue;
            };
            match ownership(&existing) {
                Ownership::Intact => continue,
                Ownership::Edited => edited = true,
                Ownership::Unsealed | Ownership::Foreign => {}
            }
            taken.push(shown.clone());
            if name != ".dockerignore" {
                continue;
            }
            let ours = files
                .iter()
                .find(|f| f.path == Path::new(&shown))
                .map(|f| f.contents.as_str())
                .unwrap_or_default();
            // `__pycache__/` and `**/__pycache__` exclude the same files.
            let plain = |l: &str| {
                l.trim()
                    .trim_start_matches("**/")
                    .trim_end_matches('/')
                    .to_owned()
            };
            let ours: Vec<String> = ours.lines().map(plain).collect();
            let extra: Vec<String> = existing
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .filter(|l| !ours.contains(&plain(l)))
                .filter(|l| crate::spec::value::IgnorePattern::try_from(l.to_string()).is_ok())
                .map(str::to_owned)
                .collect();
            if !extra.is_empty() {
                p.set(
                    crate::spec::ServiceKey::Dockerignore,
                    detect::Value::List(extra),
                    format!("the patterns of the hand-written {shown} that mbgen's own lacks"),
                );
            }
        }
        if !taken.is_empty() {
            out.push(TakenOver {
                service: p.name.clone(),
                files: taken,
                edited,
            });
        }
    }
    Ok(out)
}

/// `render` refuses to replace files it did not write: say so now, with the way to do it.
fn say_taken_over(taken: &[TakenOver]) {
    for t in taken {
        eprintln!(
            "note ({}): {} {} by hand; mbgen.toml carries what {} said (command, port, ignore patterns). Replace {} once with `mbgen render --force`, or set `dockerfile = \"Dockerfile.mbgen\"` to write beside {}",
            t.service,
            t.files.join(" and "),
            match (t.files.len(), t.edited) {
                (1, false) => "was written",
                (1, true) => "was edited",
                (_, false) => "were written",
                (_, true) => "were written or edited",
            },
            if t.files.len() == 1 { "it" } else { "they" },
            if t.files.len() == 1 { "it" } else { "them" },
            if t.files.len() == 1 { "it" } else { "them" },
        );
    }
}
