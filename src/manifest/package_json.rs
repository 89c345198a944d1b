//! `package.json`: the keys mbgen reads, with their types checked.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::source::{parse_json, wrong_type};
use crate::diagnostic::{Diagnostic, SourceFile};

/// What package.json says, with its types checked.
#[derive(Debug, Default)]
pub(crate) struct PackageJson {
    pub name: Option<String>,
    pub scripts: BTreeMap<String, String>,
    pub dependencies: BTreeSet<String>,
    pub dev_dependencies: BTreeSet<String>,
    pub main: Option<String>,
    pub engines_node: Option<String>,
    pub volta_node: Option<String>,
    pub package_manager: Option<String>,
    /// The workspace member patterns, when this is a workspace root.
    pub workspaces: Vec<String>,
    /// The version range of every dependency, runtime and dev.
    pub versions: BTreeMap<String, String>,
    /// `prisma.schema`: where the Prisma schema is, when not in `prisma/`.
    pub prisma_schema: Option<String>,
}

impl PackageJson {
    pub(crate) fn parse(file: &SourceFile) -> Result<Self, Box<Diagnostic>> {
        let json = parse_json(file)?;
        let Json::Object(root) = &json else {
            return Err(Box::new(wrong_type(file, "package.json", "a JSON object")));
        };
        let string = |key: &str| -> Result<Option<String>, Box<Diagnostic>> {
            match root.get(key) {
                None | Some(Json::Null) => Ok(None),
                Some(Json::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(Box::new(wrong_type(file, key, "a string"))),
            }
        };
        let object =
            |key: &str| -> Result<Option<&serde_json::Map<String, Json>>, Box<Diagnostic>> {
                match root.get(key) {
                    None | Some(Json::Null) => Ok(None),
                    Some(Json::Object(o)) => Ok(Some(o)),
                    Some(_) => Err(Box::new(wrong_type(file, key, "an object"))),
                }
            };
        let mut m = Self {
            name: string("name")?,
            main: string("main")?,
            package_manager: string("packageManager")?,
            ..Self::default()
        };
        if let Some(scripts) = object("scripts")? {
            for (name, script) in scripts {
                let Json::String(script) = script else {
                    return Err(Box::new(wrong_type(file, name, "a string (a script)")));
                };
                m.scripts.insert(name.clone(), script.clone());
            }
        }
        for (key, set) in [
            ("dependencies", &mut m.dependencies),
            ("devDependencies", &mut m.dev_dependencies),
        ] {
            if let Some(deps) = object(key)? {
                set.extend(deps.keys().cloned());
                for (name, range) in deps {
                    if let Json::String(range) = range {
                        m.versions.insert(name.clone(), range.clone());
                    }
                }
            }
        }
        if let Some(Json::String(node)) = object("engines")?.and_then(|e| e.get("node")) {
            m.engines_node = Some(node.clone());
        }
        if let Some(Json::String(schema)) = object("prisma")?.and_then(|e| e.get("schema")) {
            m.prisma_schema = Some(schema.clone());
        }
        if let Some(Json::String(node)) = object("volta")?.and_then(|e| e.get("node")) {
            m.volta_node = Some(node.clone());
        }
        m.workspaces = match root.get("workspaces") {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(list)) => strings(list),
            Some(Json::Object(o)) => match o.get("packages") {
                Some(Json::Array(list)) => strings(list),
                _ => return Err(Box::new(wrong_type(file, "packages", "an array of paths"))),
            },
            Some(_) => {
                return Err(Box::new(wrong_type(
                    file,
                    "workspaces",
                    "an array of paths",
                )))
            }
        };
        Ok(m)
    }

    pub(crate) fn has(&self, dep: &str) -> bool {
        self.dependencies.contains(dep) || self.dev_dependencies.contains(dep)
    }

    pub(crate) fn has_prefix(&self, prefix: &str) -> bool {
        self.dependencies
            .iter()
            .chain(&self.dev_dependencies)
            .any(|d| d.starts_with(prefix))
    }
}

fn strings(list: &[Json]) -> Vec<String> {
    list.iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

impl PackageJson {
    /// Every package it depends on (runtime and dev), for finding the workspace packages a
    /// service uses.
    pub(crate) fn all_dependencies(&self) -> BTreeSet<String> {
        self.dependencies
            .iter()
            .chain(&self.dev_dependencies)
            .cloned()
            .collect()
    }
}
