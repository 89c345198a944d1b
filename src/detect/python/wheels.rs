//! The Python versions a lockfile's compiled packages have wheels for. A lock made a while
//! ago pins releases of `pydantic-core`, `psycopg2-binary` or `numpy` that ship wheels up to
//! the Python of their day: on a newer Python, the install compiles them from source, which
//! needs a toolchain the image lacks. `uv.lock` and `poetry.lock` name every wheel, so the
//! newest version they all have wheels for is known without asking the index.

use std::collections::BTreeSet;

use crate::detect::Dir;

/// A limit on the Python version: the minors (`3.12` as `12`) that every compiled package of
/// the lock has Linux wheels for, and the package that limits it most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Limit {
    pub lockfile: String,
    pub minors: BTreeSet<u32>,
    /// `pydantic-core 2.20.1`
    pub package: String,
}

/// The limit `uv.lock` or `poetry.lock` sets, if a compiled package sets one.
pub(super) fn limit(dir: Dir<'_>) -> Option<Limit> {
    for (name, list) in [("uv.lock", "wheels"), ("poetry.lock", "files")] {
        let Some(text) = dir.read(name) else {
            continue;
        };
        let Ok(table) = text.parse::<toml::Table>() else {
            return None;
        };
        let packages = table.get("package").and_then(toml::Value::as_array)?;
        let mut limit: Option<Limit> = None;
        for package in packages {
            let files: Vec<&str> = package
                .get(list)
                .and_then(toml::Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|w| w.get("url").or_else(|| w.get("file")))
                .filter_map(toml::Value::as_str)
                .collect();
            let Some(minors) = compiled_for(&files) else {
                continue;
            };
            let label = format!(
                "{} {}",
                package
                    .get("name")
                    .and_then(toml::Value::as_str)
                    .unwrap_or("?"),
                package
                    .get("version")
                    .and_then(toml::Value::as_str)
                    .unwrap_or("?")
            );
            limit = Some(match limit {
                None => Limit {
                    lockfile: dir.path(name),
                    minors,
                    package: label,
                },
                Some(mut l) => {
                    let narrower = minors.last() < l.minors.last();
                    l.minors = l.minors.intersection(&minors).copied().collect();
                    if narrower {
                        l.package = label;
                    }
                    l
                }
            });
        }
        return limit;
    }
    None
}

/// The Python minors a package's Linux wheels are built for, when it has only such wheels
/// (`None` for a pure-Python wheel, an `abi3` one, or no wheel at all).
fn compiled_for(files: &[&str]) -> Option<BTreeSet<u32>> {
    let mut minors = BTreeSet::new();
    for file in files {
        let base = file.rsplit('/').next().unwrap_or(file);
        let Some(stem) = base.strip_suffix(".whl") else {
            continue;
        };
        let parts: Vec<&str> = stem.split('-').collect();
        let [.., python, abi, platform] = parts.as_slice() else {
            continue;
        };
        if *abi == "none" || *abi == "abi3" || python.starts_with("py") {
            return None;
        }
        if !platform.contains("linux") {
            continue;
        }
        minors.extend(
            python
                .split('.')
                .filter_map(|t| t.strip_prefix("cp3"))
                .filter_map(|m| m.parse::<u32>().ok()),
        );
    }
    (!minors.is_empty()).then_some(minors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_wheels_name_their_pythons() {
        let files = [
            "https://x/pydantic_core-2.20.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "https://x/pydantic_core-2.20.1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "https://x/pydantic_core-2.20.1-cp313-cp313-macosx_11_0_arm64.whl",
        ];
        assert_eq!(compiled_for(&files), Some(BTreeSet::from([11, 12])));
        assert_eq!(compiled_for(&["fastapi-0.112.1-py3-none-any.whl"]), None);
        assert_eq!(
            compiled_for(&["cryptography-43.0.0-cp39-abi3-manylinux_2_28_x86_64.whl"]),
            None
        );
        assert_eq!(compiled_for(&[]), None);
    }
}
