//! `mbgen templates`: list and print the templates a project renders with, and eject a
//! built-in into the project's templates directory.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::cli::{
    TemplatesArgs, TemplatesCommand, TemplatesEjectArgs, TemplatesListArgs, TemplatesShowArgs,
};
use crate::diagnostic::{suggest, Diagnostic};
use crate::guard::Confined;
use crate::model::DEFAULT_TEMPLATES_DIR;
use crate::output::write_atomic;
use crate::plan::TEMPLATE_API;
use crate::project::{locate, shown};
use crate::render::templates::{builtin, Origin, BUILTIN, BUILTIN_PREFIX};
use crate::render::ProjectTemplates;
use crate::spec::{self, value::TemplateName};
use crate::Error;

/// What `templates` does, from the command line.
enum Settings {
    List {
        project: PathBuf,
    },
    Show {
        project: PathBuf,
        name: String,
    },
    Eject {
        project: PathBuf,
        name: String,
        force: bool,
    },
}

pub(super) fn run(args: TemplatesArgs) -> Result<(), Error> {
    let TemplatesArgs { command } = args;
    let settings = match command {
        TemplatesCommand::List(TemplatesListArgs { project }) => Settings::List { project },
        TemplatesCommand::Show(TemplatesShowArgs { name, project }) => {
            Settings::Show { project, name }
        }
        TemplatesCommand::Eject(TemplatesEjectArgs {
            name,
            project,
            force,
        }) => Settings::Eject {
            project,
            name,
            force,
        },
    };
    match settings {
        Settings::List { project } => list(&open(&project)?),
        Settings::Show { project, name } => show(&open(&project)?, &name),
        Settings::Eject {
            project,
            name,
            force,
        } => eject(&open(&project)?, &name, force),
    }
}

/// A project's templates directory and what it holds.
struct Project {
    /// The project directory, which ejecting may not write out of.
    confined: Confined,
    /// The templates directory, relative to the project directory.
    relative: PathBuf,
    templates: ProjectTemplates,
}

/// The templates directory of the project at `path`: from `mbgen.toml` when there is one
/// (only the file's syntax and `templates-dir` matter here), otherwise the default.
fn open(path: &Path) -> Result<Project, Error> {
    let (root, file, display) = locate(path);
    let relative = if path.is_dir() && !file.exists() {
        DEFAULT_TEMPLATES_DIR.to_owned()
    } else {
        let config = spec::load(&file, &display)?;
        match &config.spec.templates_dir {
            None => DEFAULT_TEMPLATES_DIR.to_owned(),
            Some(dir) if dir.is_root() => {
                return Err(config
                    .error_at_value(
                        &["templates-dir"],
                        "`templates-dir` cannot be the project directory itself",
                    )
                    .help("name a directory of its own, for example `docker/templates`")
                    .into())
            }
            Some(dir) => dir.as_str().to_owned(),
        }
    };
    let shown_dir = shown(&root.join(&relative));
    let confined = Confined::new(&root).map_err(Error::io("read", shown(&root)))?;
    let templates = ProjectTemplates::read(&confined, Path::new(&relative), &shown_dir)?;
    Ok(Project {
        confined,
        relative: PathBuf::from(relative),
        templates,
    })
}

fn list(project: &Project) -> Result<(), Error> {
    let t = &project.templates;
    let mut names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
    names.extend(t.names());
    names.sort_unstable();
    names.dedup();
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
    let mut out = String::new();
    for name in names {
        let line = match (t.get(name).is_some(), builtin(name).is_some()) {
            (true, true) => format!(
                "{}  (replaces the built-in, still reachable as {BUILTIN_PREFIX}{name})",
                t.path_of(name).display()
            ),
            (true, false) => t.path_of(name).display().to_string(),
            _ => "built-in".to_owned(),
        };
        let _ = writeln!(out, "{name:<width$}  {line}");
    }
    std::io::stdout()
        .write_all(out.as_bytes())
        .map_err(Error::io("write", "standard output"))?;
    eprintln!(
        "project templates in {}, used before the built-ins (template API {TEMPLATE_API}, see docs/templates.md)",
        t.dir().display()
    );
    for (name, why) in t.ignored() {
        eprintln!("note: {} is never used: {why}", t.path_of(name).display());
    }
    for (name, why) in t.broken_ones() {
        eprintln!(
            "note: {} cannot be used ({why}): a render that loads it fails",
            t.path_of(name).display()
        );
    }
    Ok(())
}

fn show(project: &Project, name: &str) -> Result<(), Error> {
    let t = &project.templates;
    check_name(name)?;
    let resolved = t
        .resolve(name)
        .ok_or_else(|| Error::from(not_found(t, name, "no template named")))?;
    if resolved.origin == Origin::Project {
        eprintln!("{}:", t.path_of(name).display());
    }
    std::io::stdout()
        .write_all(resolved.source.as_bytes())
        .map_err(Error::io("write", "standard output"))
}

fn eject(project: &Project, name: &str, force: bool) -> Result<(), Error> {
    let t = &project.templates;
    check_name(name)?;
    let plain = name.strip_prefix(BUILTIN_PREFIX).unwrap_or(name);
    let Some(source) = builtin(plain) else {
        return Err(not_found(t, name, "no built-in template named").into());
    };
    let shown_target = t.path_of(plain);
    // Written where the path really leads, which must be inside the project.
    let target = project
        .confined
        .check(&project.relative.join(plain), &shown_target)
        .map_err(|d| Error::from(*d))?;
    if target.exists() && !force {
        return Err(
            Diagnostic::new(format!("{} already exists", shown_target.display()))
                .in_file(&shown_target)
                .help("eject never replaces a project template on its own: pass --force to replace it, or delete it first")
                .into(),
        );
    }
    let header = format!(
        "{{#- Ejected from mbgen {} (template API {TEMPLATE_API}) with `mbgen templates eject {plain}`.\n    \
         mbgen renders with this file instead of its built-in, which stays reachable as\n    \
         {BUILTIN_PREFIX}{plain}. The variables and blocks are described in docs/templates.md. -#}}\n",
        env!("CARGO_PKG_VERSION")
    );
    write_atomic(&target, &format!("{header}{source}"))?;
    eprintln!(
        "wrote {}: edit it, then run `mbgen render`",
        shown_target.display()
    );
    let uses: Vec<&str> = BUILTIN
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| *n != plain && source.contains(&format!("\"{n}\"")))
        .filter(|n| t.get(n).is_none())
        .collect();
    if !uses.is_empty() {
        eprintln!(
            "note: it uses {}, which stay built-in unless ejected too",
            uses.join(" and ")
        );
    }
    Ok(())
}

fn check_name(name: &str) -> Result<(), Error> {
    TemplateName::check(name).map_err(|why| {
        Diagnostic::new(why)
            .help("name a template as `mbgen templates list` shows it")
            .into()
    })
}

fn not_found(t: &ProjectTemplates, name: &str, what: &str) -> Diagnostic {
    let prefixed: Vec<String> = BUILTIN
        .iter()
        .map(|(n, _)| format!("{BUILTIN_PREFIX}{n}"))
        .collect();
    // Template names share long suffixes, so only a near miss is worth suggesting.
    let near = BUILTIN
        .iter()
        .map(|(n, _)| *n)
        .chain(t.names())
        .chain(prefixed.iter().map(String::as_str))
        .filter(|c| strsim::damerau_levenshtein(name, c) <= 2);
    let help = match suggest(name, near) {
        Some(s) => format!("did you mean `{s}`?"),
        None => "`mbgen templates list` shows every template".to_owned(),
    };
    Diagnostic::new(format!("{what} `{name}`")).help(help)
}
