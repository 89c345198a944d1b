//! What cargo needs on disk to load a crate from its `Cargo.toml` alone: the source file of
//! every target it declares or finds, and its build script. A dependency layer compiled
//! against stand-ins of exactly these files (the recipe cargo-chef computes) works for every
//! crate shape: `[lib]` and `[[bin]]` at custom paths, `build.rs`, benches, examples and tests
//! declared in the manifest.

use std::collections::BTreeSet;

/// The stand-in files of one crate, relative to its directory.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Stubs {
    /// Files that get `fn main() {}`: binaries, the build script, declared benches,
    /// examples and tests.
    pub mains: BTreeSet<String>,
    /// Library roots, which get an empty file.
    pub libs: BTreeSet<String>,
}

/// The stand-ins of the crate whose manifest is `manifest`; `exists` tells whether a file
/// (relative to the crate) is in the project, for the targets cargo finds by their files.
pub(crate) fn stubs(manifest: &toml::Table, exists: &dyn Fn(&str) -> bool) -> Stubs {
    let mut out = Stubs::default();
    let package = manifest.get("package").and_then(toml::Value::as_table);
    // Targets cargo finds by their files, when the manifest does not turn that off.
    let auto = |key: &str| {
        package
            .and_then(|p| p.get(key))
            .and_then(toml::Value::as_bool)
            .unwrap_or(true)
    };
    if let Some(lib) = manifest.get("lib") {
        let path = lib.get("path").and_then(toml::Value::as_str);
        out.libs.insert(path.unwrap_or("src/lib.rs").to_owned());
    } else if exists("src/lib.rs") {
        out.libs.insert("src/lib.rs".to_owned());
    }
    for (key, dir) in [
        ("bin", "src/bin"),
        ("bench", "benches"),
        ("example", "examples"),
        ("test", "tests"),
    ] {
        for target in manifest
            .get(key)
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
        {
            let path = target.get("path").and_then(toml::Value::as_str);
            let name = target.get("name").and_then(toml::Value::as_str);
            let file = match (path, name) {
                (Some(path), _) => path.to_owned(),
                // A binary named after the package is src/main.rs when that exists.
                (None, Some(name))
                    if key == "bin"
                        && package
                            .and_then(|p| p.get("name"))
                            .and_then(toml::Value::as_str)
                            == Some(name)
                        && exists("src/main.rs") =>
                {
                    "src/main.rs".to_owned()
                }
                (None, Some(name)) if exists(&format!("{dir}/{name}/main.rs")) => {
                    format!("{dir}/{name}/main.rs")
                }
                (None, Some(name)) => format!("{dir}/{name}.rs"),
                (None, None) => continue,
            };
            out.mains.insert(file);
        }
    }
    if auto("autobins") && exists("src/main.rs") {
        out.mains.insert("src/main.rs".to_owned());
    }
    match package.and_then(|p| p.get("build")) {
        Some(toml::Value::String(path)) => {
            out.mains.insert(path.clone());
        }
        Some(toml::Value::Boolean(false)) => {}
        _ if exists("build.rs") => {
            out.mains.insert("build.rs".to_owned());
        }
        _ => {}
    }
    if out.mains.is_empty() && out.libs.is_empty() {
        // cargo refuses a package without targets; the default binary stands in.
        out.mains.insert("src/main.rs".to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(manifest: &str, files: &[&str]) -> Stubs {
        let table: toml::Table = manifest.parse().unwrap();
        stubs(&table, &|f| files.contains(&f))
    }

    #[test]
    fn every_shape() {
        let s = run(
            "[package]\nname = \"zero2prod\"\n[lib]\npath = \"src/lib.rs\"\n[[bin]]\npath = \"src/main.rs\"\nname = \"zero2prod\"\n",
            &["src/main.rs", "src/lib.rs"],
        );
        assert_eq!(s.mains.iter().collect::<Vec<_>>(), ["src/main.rs"]);
        assert_eq!(s.libs.iter().collect::<Vec<_>>(), ["src/lib.rs"]);
        let s = run(
            "[package]\nname = \"atuin-server\"\n[lib]\nname = \"atuin_server\"\npath = \"src/lib.rs\"\n[[bin]]\nname = \"atuin-server\"\npath = \"src/bin/main.rs\"\n[[bench]]\nname = \"load\"\nharness = false\n[[example]]\nname = \"client\"\n",
            &["src/lib.rs", "src/bin/main.rs", "build.rs"],
        );
        assert_eq!(
            s.mains.iter().collect::<Vec<_>>(),
            [
                "benches/load.rs",
                "build.rs",
                "examples/client.rs",
                "src/bin/main.rs"
            ]
        );
        let s = run(
            "[package]\nname = \"x\"\nbuild = \"tools/gen.rs\"\nautobins = false\n",
            &["src/main.rs"],
        );
        assert_eq!(s.mains.iter().collect::<Vec<_>>(), ["tools/gen.rs"]);
        let s = run("[package]\nname = \"x\"\n", &[]);
        assert_eq!(s.mains.iter().collect::<Vec<_>>(), ["src/main.rs"]);
    }
}
