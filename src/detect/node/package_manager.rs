//! The package manager and its lockfile, and the Node version a project asks for.

use serde_json::Value as Json;

use crate::detect::text::node_major;
use crate::detect::Dir;
use crate::diagnostic::{Diagnostic, SourceFile};
use crate::manifest::package_json::PackageJson;
use crate::manifest::source::wrong_type;
use crate::spec::PackageManager;
use crate::versions::{self, Lang, Picked};

/// The package manager, its source, and where its lockfile is.
#[derive(Debug)]
pub(super) struct Pm {
    pub(super) manager: PackageManager,
    pub(super) source: String,
    pub(super) lockfile: Option<String>,
    /// The directory of a lockfile found above the app's: the workspace root.
    pub(super) workspace_root: Option<String>,
    pub(super) berry: bool,
    pub(super) notes: Vec<String>,
}

pub(super) const LOCKFILES: &[(&str, PackageManager)] = &[
    ("pnpm-lock.yaml", PackageManager::Pnpm),
    ("yarn.lock", PackageManager::Yarn),
    ("package-lock.json", PackageManager::Npm),
    ("npm-shrinkwrap.json", PackageManager::Npm),
    ("bun.lock", PackageManager::Bun),
    ("bun.lockb", PackageManager::Bun),
];

/// Finds the lockfile in the directory or, for a workspace member, in a parent directory.
pub(super) fn find_lockfile(dir: Dir<'_>) -> Vec<(String, PackageManager)> {
    std::iter::once(dir)
        .chain(dir.parents())
        .map(|here| {
            LOCKFILES
                .iter()
                .filter(|(name, _)| here.exists(name))
                .map(|(name, pm)| (here.path(name), *pm))
                .collect::<Vec<_>>()
        })
        .find(|found| !found.is_empty())
        .unwrap_or_default()
}

pub(super) fn package_manager(
    dir: Dir<'_>,
    m: &PackageJson,
    file: &SourceFile,
) -> Result<Pm, Box<Diagnostic>> {
    let lockfiles = find_lockfile(dir);
    let mut notes = Vec::new();
    let declared = match &m.package_manager {
        Some(field) => {
            let name = field.split('@').next().unwrap_or_default();
            let pm = match name {
                "npm" => PackageManager::Npm,
                "yarn" => PackageManager::Yarn,
                "pnpm" => PackageManager::Pnpm,
                "bun" => PackageManager::Bun,
                _ => {
                    return Err(Box::new(wrong_type(
                        file,
                        "packageManager",
                        "`npm@<version>`, `yarn@<version>`, `pnpm@<version>` or `bun@<version>`",
                    )));
                }
            };
            Some((pm, field.clone()))
        }
        None => None,
    };
    let lockfile = match &declared {
        Some((pm, _)) => lockfiles.iter().find(|(_, l)| l == pm).cloned(),
        None => lockfiles.first().cloned(),
    };
    let (pm, source) = match (&declared, &lockfile) {
        (Some((pm, field)), _) => (*pm, format!("`packageManager` \"{field}\" in package.json")),
        (None, Some((path, pm))) => (*pm, path.clone()),
        _ => {
            notes.push("no lockfile: the image installs with `npm ci`, which needs package-lock.json; run `npm install` and commit it".to_owned());
            (
                PackageManager::Npm,
                "no lockfile or `packageManager` field: npm".to_owned(),
            )
        }
    };
    let others: Vec<&str> = lockfiles
        .iter()
        .filter(|(p, _)| lockfile.as_ref().is_none_or(|(l, _)| l != p))
        .map(|(p, _)| p.as_str())
        .collect();
    if !others.is_empty() {
        notes.push(format!(
            "{} also present: remove the lockfiles of package managers the project does not use",
            others.join(", ")
        ));
    }
    // A lockfile above the app's directory is a workspace root's: the app is built from there.
    let workspace_root = lockfile.as_ref().and_then(|(path, _)| {
        let at = path.rsplit_once('/').map_or("", |(d, _)| d);
        (at != dir.base()).then(|| at.to_owned())
    });
    let berry = pm == PackageManager::Yarn
        && match &declared {
            Some((_, field)) => !field.starts_with("yarn@1."),
            None => lockfile
                .as_ref()
                .and_then(|(p, _)| dir.fs().read(p).ok())
                .is_some_and(|text| text.contains("__metadata:")),
        };
    Ok(Pm {
        manager: pm,
        source,
        lockfile: lockfile.map(|(p, _)| p),
        workspace_root,
        berry,
        notes,
    })
}

/// The Node version: version files and package.json of the app, then of the directories
/// above it (a workspace root), read through the table of supported versions. `None` keeps
/// mbgen's default.
pub(super) fn version(dir: Dir<'_>, m: &PackageJson) -> Option<(Picked, String)> {
    let mut base = dir.base().to_owned();
    loop {
        let here = Dir::new(dir.fs(), &base);
        if let Some(found) = version_files(here) {
            return found;
        }
        let (volta, engines) = if base == dir.base() {
            (m.volta_node.clone(), m.engines_node.clone())
        } else {
            let pkg = here
                .read("package.json")
                .and_then(|t| serde_json::from_str::<Json>(&t).ok());
            let field = |a: &str, b: &str| {
                pkg.as_ref()
                    .and_then(|p| p.get(a)?.get(b)?.as_str().map(str::to_owned))
            };
            (field("volta", "node"), field("engines", "node"))
        };
        let manifest = here.path("package.json");
        // volta pins the exact version; `engines` is a range of what the app accepts.
        if let Some(picked) = volta.as_deref().and_then(|v| versions::pin(Lang::Node, v)) {
            let value = volta.unwrap_or_default();
            return Some((picked, format!("volta.node \"{value}\" in {manifest}")));
        }
        if let Some(picked) = engines
            .as_deref()
            .and_then(|v| versions::range(Lang::Node, v))
        {
            let value = engines.unwrap_or_default();
            return Some((picked, format!("engines.node \"{value}\" in {manifest}")));
        }
        if base.is_empty() {
            return None;
        }
        base = base
            .rsplit_once('/')
            .map_or_else(String::new, |(b, _)| b.to_owned());
    }
}

/// A version file's line as a pin: `v24.14.1`, `22`, or an LTS name (`lts/iron`).
fn pinned(line: &str) -> Option<Picked> {
    if line.starts_with("lts/") {
        return node_major(line).and_then(|major| versions::pin(Lang::Node, &major));
    }
    versions::pin(Lang::Node, line).filter(|_| {
        line.trim_start_matches(['v', 'V'])
            .starts_with(|c: char| c.is_ascii_digit())
    })
}

/// `.nvmrc`, `.node-version` or `.tool-versions` in one directory: `None` when there is
/// none, `Some(None)` for a file that names no fixed version (`lts/*`, `node`), which leaves
/// mbgen's default rather than sending the search further up.
#[allow(clippy::option_option)]
pub(super) fn version_files(dir: Dir<'_>) -> Option<Option<(Picked, String)>> {
    for name in [".nvmrc", ".node-version"] {
        if let Some(text) = dir.read(name) {
            let line = text.lines().next().unwrap_or_default().trim().to_owned();
            let path = dir.path(name);
            return Some(pinned(&line).map(|v| (v, format!("{path} ({line})"))));
        }
    }
    let text = dir.read(".tool-versions")?;
    text.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        if !matches!(words.next(), Some("nodejs" | "node")) {
            return None;
        }
        let v = words.next().unwrap_or_default();
        Some(pinned(v).map(|picked| {
            (
                picked,
                format!("{} (nodejs {v})", dir.path(".tool-versions")),
            )
        }))
    })
}

// Built once per directory and unpacked at once: boxing would only add noise.
pub(super) fn package_manager_name(dir: Dir<'_>, m: &PackageJson) -> &'static str {
    if let Some(field) = &m.package_manager {
        for pm in ["pnpm", "yarn", "bun"] {
            if field.starts_with(pm) {
                return pm;
            }
        }
        return "npm";
    }
    match find_lockfile(dir).first() {
        Some((_, pm)) => pm.as_str(),
        None => "npm",
    }
}
