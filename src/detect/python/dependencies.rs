//! What the image installs from: requirements files, `pyproject.toml` and lockfiles, and
//! the Python version the project asks for.

use std::collections::BTreeSet;

use crate::detect::{Dir, Proposal};
use crate::diagnostic::{Diagnostic, SourceFile};
use crate::manifest::source::wrong_type;
use crate::spec::ServiceKey;
use crate::versions::{self, Lang, Picked};

/// Requirement files, the one to install first: `requirements.txt`, then production ones,
/// never development or test ones.
pub(super) fn requirement_files(dir: Dir<'_>) -> Vec<String> {
    let mut found: Vec<&str> = dir
        .files()
        .filter(|f| {
            let Some(stem) = f.strip_suffix(".txt") else {
                return false;
            };
            let top = stem == "requirements"
                || stem.starts_with("requirements-")
                || stem.starts_with("requirements_");
            let nested = stem
                .strip_prefix("requirements/")
                .is_some_and(|s| !s.contains('/'));
            let excluded = ["dev", "test", "lint", "doc", "ci", "local", "type"]
                .iter()
                .any(|w| {
                    stem.rsplit(['/', '-', '_'])
                        .next()
                        .is_some_and(|last| last.starts_with(w))
                });
            (top || nested) && !excluded
        })
        .collect();
    let rank = |f: &str| -> u8 {
        if f == "requirements.txt" {
            0
        } else if f.contains("prod") {
            1
        } else if ["base", "main", "common", "requirements/requirements"]
            .iter()
            .any(|w| f.contains(w))
        {
            3
        } else {
            2
        }
    };
    found.sort_by_key(|f| (rank(f), *f));
    found.into_iter().map(str::to_owned).collect()
}

#[derive(Debug, Default)]
pub(super) struct Deps {
    /// Normalised distribution names, extras as `name[extra]` too.
    pub(super) names: BTreeSet<String>,
    /// Files a requirements file includes with `-r`.
    pub(super) includes: Vec<String>,
}

impl Deps {
    pub(super) fn has(&self, name: &str) -> bool {
        self.names.contains(name)
    }
}

pub(super) fn normalize(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace(['_', '.'], "-")
}

/// Adds a PEP 508 requirement (`fastapi[standard]>=0.110; python_version>"3.8"`).
pub(super) fn add_requirement(line: &str, deps: &mut Deps) {
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(line.len());
    let name = normalize(&line[..end]);
    if name.is_empty() {
        return;
    }
    if let Some(extras) = line[end..].trim_start().strip_prefix('[') {
        for extra in extras.split(']').next().unwrap_or_default().split(',') {
            deps.names.insert(format!("{name}[{}]", normalize(extra)));
        }
    }
    deps.names.insert(name);
}

pub(super) fn read_requirements(dir: Dir<'_>, path: &str, deps: &mut Deps, depth: usize) {
    let Some(text) = dir.read(path) else {
        return;
    };
    let base = path.rsplit_once('/').map_or("", |(d, _)| d);
    for line in text.lines() {
        let line = line.split(" #").next().unwrap_or_default().trim();
        if let Some(include) = line
            .strip_prefix("-r ")
            .or_else(|| line.strip_prefix("--requirement "))
        {
            let include = include.trim();
            let include = if base.is_empty() {
                include.to_owned()
            } else {
                format!("{base}/{include}")
            };
            deps.includes.push(include.clone());
            if depth < 3 {
                read_requirements(dir, &include, deps, depth + 1);
            }
        } else if !line.starts_with(['-', '#']) && !line.is_empty() && !line.contains("://") {
            add_requirement(line, deps);
        }
    }
}

pub(super) fn pyproject_deps(
    table: &toml::Table,
    file: &SourceFile,
    deps: &mut Deps,
) -> Result<(), Box<Diagnostic>> {
    if let Some(list) = table.get("project").and_then(|p| p.get("dependencies")) {
        let Some(list) = list.as_array() else {
            return Err(Box::new(wrong_type(
                file,
                "dependencies",
                "an array of requirement strings",
            )));
        };
        for item in list {
            let Some(req) = item.as_str() else {
                return Err(Box::new(wrong_type(
                    file,
                    "dependencies",
                    "an array of requirement strings",
                )));
            };
            add_requirement(req, deps);
        }
    }
    let poetry = table
        .get("tool")
        .and_then(|t| t.get("poetry"))
        .and_then(|p| p.get("dependencies"));
    if let Some(poetry) = poetry {
        let Some(poetry) = poetry.as_table() else {
            return Err(Box::new(wrong_type(file, "dependencies", "a table")));
        };
        for (name, spec) in poetry {
            let name = normalize(name);
            if let Some(extras) = spec.get("extras").and_then(toml::Value::as_array) {
                for extra in extras.iter().filter_map(toml::Value::as_str) {
                    deps.names.insert(format!("{name}[{}]", normalize(extra)));
                }
            }
            deps.names.insert(name);
        }
    }
    Ok(())
}

/// A committed lock of uv, Poetry, PDM or Pipenv, whose tool exports it at build time: sets
/// `package-manager` and says whether there was one.
pub(super) fn locked_by_tool(
    dir: Dir<'_>,
    p: &mut Proposal,
    requirements: &[String],
) -> Result<bool, Box<Diagnostic>> {
    for (lock, manifest, pm) in [
        ("uv.lock", "pyproject.toml", "uv"),
        ("poetry.lock", "pyproject.toml", "poetry"),
        ("pdm.lock", "pyproject.toml", "pdm"),
        ("Pipfile.lock", "Pipfile", "pipenv"),
    ] {
        if !dir.exists(lock) {
            continue;
        }
        if !dir.exists(manifest) {
            return Err(Box::new(
                Diagnostic::new(format!("{} has no {manifest} beside it", dir.path(lock))).help(
                    format!("{lock} is read together with {manifest}: commit both"),
                ),
            ));
        }
        p.evidence(dir.path(lock));
        p.set_str(ServiceKey::PackageManager, pm, dir.path(lock));
        if let Some(first) = requirements.first() {
            p.alternatives.push(format!("pip with {}", dir.path(first)));
        }
        return Ok(true);
    }
    Ok(uv_workspace_member(dir, p))
}

/// A member of a uv workspace above it, whose `uv.lock` is at the workspace root: built from
/// there (`context`), with uv.
fn uv_workspace_member(dir: Dir<'_>, p: &mut Proposal) -> bool {
    for above in dir.parents() {
        if !above.exists("uv.lock") {
            continue;
        }
        let declares = above.read("pyproject.toml").is_some_and(|t| {
            t.parse::<toml::Table>().ok().is_some_and(|t| {
                t.get("tool")
                    .and_then(|t| t.get("uv"))
                    .and_then(|t| t.get("workspace"))
                    .is_some()
            })
        });
        if !declares {
            return false;
        }
        let lock = above.path("uv.lock");
        p.evidence(lock.clone());
        p.set_str(ServiceKey::PackageManager, "uv", lock.clone());
        p.set_str(
            ServiceKey::Context,
            crate::relpath::RelPath::from_normal(above.base()).to_string(),
            format!(
                "the uv workspace root ([tool.uv.workspace] in {}), where {lock} is",
                above.path("pyproject.toml")
            ),
        );
        return true;
    }
    false
}

/// A `requirements.txt` that only includes a file of a folder
/// (`-r requirements/production.txt`): that file is the one to install, and its folder (with
/// what it includes) is copied.
fn only_include(dir: Dir<'_>, file: &str) -> Option<String> {
    let text = dir.read(file)?;
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.split(" #").next().unwrap_or_default().trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let [one] = lines.as_slice() else {
        return None;
    };
    one.strip_prefix("-r ")
        .or_else(|| one.strip_prefix("--requirement "))
        .map(|f| f.trim().trim_start_matches("./").to_owned())
        .filter(|f| f.contains('/') && dir.exists(f))
}

/// Writes `package-manager` and `lockfile`, or explains what mbgen needs.
// One arm per package manager and lockfile, side by side so that they stay alike.
#[allow(clippy::too_many_lines)]
pub(super) fn dependencies(
    dir: Dir<'_>,
    p: &mut Proposal,
    requirements: &[String],
    pyproject: Option<&toml::Table>,
    pipfile: bool,
) -> Result<(), Box<Diagnostic>> {
    let tool = |name: &str| {
        pyproject
            .and_then(|t| t.get("tool"))
            .and_then(|t| t.get(name))
            .is_some()
    };
    if locked_by_tool(dir, p, requirements)? {
        return Ok(());
    }
    if let Some(first) = requirements.first() {
        if let Some(included) = only_include(dir, first) {
            p.evidence(dir.path(first));
            p.set_str(ServiceKey::PackageManager, "pip", dir.path(first));
            p.set_str(
                ServiceKey::Lockfile,
                &included,
                format!("{} only includes it", dir.path(first)),
            );
            return Ok(());
        }
        p.evidence(dir.path(first));
        p.set_str(ServiceKey::PackageManager, "pip", dir.path(first));
        if first != "requirements.txt" {
            let mut source = "the requirements file for production".to_owned();
            if requirements.len() > 1 {
                source = format!("{source}; also found: {}", requirements[1..].join(", "));
            }
            p.set_str(ServiceKey::Lockfile, first, source);
        }
        let deps_includes = {
            let mut d = Deps::default();
            read_requirements(dir, first, &mut d, 0);
            d.includes
        };
        // The image copies the folder of a requirements file in a folder, so includes beside it
        // come along; anything else is left behind.
        let folder = first.rsplit_once('/').map(|(d, _)| format!("{d}/"));
        let outside: Vec<&String> = deps_includes
            .iter()
            .filter(|i| folder.as_ref().is_none_or(|f| !i.starts_with(f.as_str())))
            .collect();
        if !outside.is_empty() {
            let copied = folder
                .as_ref()
                .map_or_else(|| first.to_owned(), |f| format!("the folder {f}"));
            p.note(format!(
                "{first} includes {} with `-r`; the dependency layer copies only {copied}, so list every requirement in it (for example with `pip-compile`)",
                outside.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        return Ok(());
    }
    let (what, file, export) = if tool("poetry") {
        (
            "Poetry without a committed poetry.lock",
            "pyproject.toml",
            "poetry lock",
        )
    } else if tool("pdm") {
        (
            "PDM without a committed pdm.lock",
            "pyproject.toml",
            "pdm lock",
        )
    } else if pipfile {
        (
            "Pipenv without a committed Pipfile.lock",
            "Pipfile",
            "pipenv lock",
        )
    } else if pyproject.is_some() {
        (
            "pyproject.toml without a lockfile",
            "pyproject.toml",
            "uv lock\n\n    or: pip-compile pyproject.toml --output-file requirements.txt",
        )
    } else {
        (
            "setup.py without a lockfile",
            "setup.py",
            "pip-compile setup.py --output-file requirements.txt",
        )
    };
    let who = if dir.base().is_empty() {
        "this project"
    } else {
        dir.base()
    };
    Err(Box::new(
        Diagnostic::new(format!(
            "{who} uses {what}, and mbgen installs Python dependencies from a lockfile (uv.lock, poetry.lock, pdm.lock, Pipfile.lock) or a requirements file"
        ))
        .in_file(std::path::Path::new(&dir.path(file)))
        .help(format!(
            "lock the dependencies and commit the lockfile, then run `mbgen init` again:\n\n    {export}\n"
        )),
    ))
}

/// The Python version: an exact pin (`.python-version`, `runtime.txt`, `.tool-versions`,
/// Pipfile's `python_version`) at its major.minor, else the newest supported version that
/// `requires-python` or Poetry's `python` constraint allows.
pub(super) fn version(
    dir: Dir<'_>,
    pyproject: Option<&toml::Table>,
    pipfile: Option<&toml::Table>,
) -> Option<(Picked, String)> {
    let first_line = |name: &str| {
        dir.read(name)
            .map(|t| t.lines().next().unwrap_or_default().trim().to_owned())
    };
    for name in [".python-version", "runtime.txt"] {
        if let Some(line) = first_line(name) {
            // `.python-version` may name an interpreter (`pypy3.10`, `system`).
            let usable = name == "runtime.txt" || line.starts_with(|c: char| c.is_ascii_digit());
            if let Some(picked) = versions::pin(Lang::Python, &line).filter(|_| usable) {
                return Some((picked, format!("{} ({line})", dir.path(name))));
            }
        }
    }
    if let Some(text) = dir.read(".tool-versions") {
        for line in text.lines() {
            let mut words = line.split_whitespace();
            if words.next() == Some("python") {
                if let Some(v) = words.next() {
                    if let Some(picked) = versions::pin(Lang::Python, v) {
                        return Some((
                            picked,
                            format!("{} (python {v})", dir.path(".tool-versions")),
                        ));
                    }
                }
            }
        }
    }
    let pipfile_version = pipfile
        .and_then(|t| t.get("requires"))
        .and_then(|r| {
            r.get("python_version")
                .or_else(|| r.get("python_full_version"))
        })
        .and_then(toml::Value::as_str);
    if let Some(v) = pipfile_version {
        if let Some(picked) = versions::pin(Lang::Python, v) {
            return Some((
                picked,
                format!("python_version \"{v}\" in {}", dir.path("Pipfile")),
            ));
        }
    }
    let requires = pyproject.and_then(|t| {
        t.get("project")
            .and_then(|p| p.get("requires-python"))
            .map(|v| ("requires-python", v))
            .or_else(|| {
                t.get("tool")
                    .and_then(|t| t.get("poetry"))
                    .and_then(|p| p.get("dependencies"))
                    .and_then(|d| d.get("python"))
                    .map(|v| ("tool.poetry.dependencies.python", v))
            })
    });
    let (key, spec) = requires.and_then(|(k, v)| v.as_str().map(|s| (k, s)))?;
    let picked = versions::range(Lang::Python, spec)?;
    Some((
        picked,
        format!("{key} \"{spec}\" in {}", dir.path("pyproject.toml")),
    ))
}
