//! The system packages that Rust crates binding C libraries (`-sys` crates) and build tools
//! need: one table, read by `init` (a crate in Cargo.lock proposes its packages in
//! `system-packages`) and rendered into `docs/rust-system-libraries.md` by a test, so the
//! documentation is this table.
//!
//! Package names are Debian trixie's, the family of mbgen's default images.

/// What one crate needs of the system.
#[derive(Debug)]
pub(crate) struct SystemCrate {
    /// The crate's name in Cargo.lock.
    pub krate: &'static str,
    /// Packages its build needs (headers, pkg-config, tools).
    pub build: &'static [&'static str],
    /// Packages the binary needs at run time (shared libraries).
    pub runtime: &'static [&'static str],
    /// When it needs none of these, or what else to know (for the documentation).
    #[cfg_attr(not(test), allow(dead_code))]
    pub note: &'static str,
    /// A feature or crate in Cargo.toml that makes the crate build its own copy of the
    /// library, so that nothing is needed.
    pub bundled_by: Option<&'static str>,
}

/// Every crate mbgen knows, by name.
pub(crate) const SYSTEM_CRATES: &[SystemCrate] = &[
    SystemCrate {
        krate: "openssl-sys",
        build: &["pkg-config", "libssl-dev"],
        runtime: &["libssl3t64"],
        note: "OpenSSL, for `native-tls` (reqwest, sqlx `runtime-tokio-native-tls`...); the `vendored` feature compiles OpenSSL instead (see openssl-src)",
        bundled_by: Some("vendored"),
    },
    SystemCrate {
        krate: "openssl-src",
        build: &["perl", "make"],
        runtime: &[],
        note: "OpenSSL compiled from source (the `vendored` feature of openssl): its build runs Perl and make",
        bundled_by: None,
    },
    SystemCrate {
        krate: "pq-sys",
        build: &["libpq-dev"],
        runtime: &["libpq5"],
        note: "PostgreSQL's libpq, for diesel's `postgres` feature",
        bundled_by: Some("bundled"),
    },
    SystemCrate {
        krate: "mysqlclient-sys",
        build: &["pkg-config", "default-libmysqlclient-dev"],
        runtime: &["libmariadb3"],
        note: "the MySQL/MariaDB client library, for diesel's `mysql` feature",
        bundled_by: Some("bundled"),
    },
    SystemCrate {
        krate: "libsqlite3-sys",
        build: &["pkg-config", "libsqlite3-dev"],
        runtime: &["libsqlite3-0"],
        note: "SQLite, unless the `bundled` feature compiles its own copy (rusqlite `bundled`, sqlx `sqlite`)",
        bundled_by: Some("bundled"),
    },
    SystemCrate {
        krate: "curl-sys",
        build: &["pkg-config", "libcurl4-openssl-dev"],
        runtime: &["libcurl4t64"],
        note: "libcurl, for the curl crate",
        bundled_by: Some("static-curl"),
    },
    SystemCrate {
        krate: "libudev-sys",
        build: &["pkg-config", "libudev-dev"],
        runtime: &["libudev1"],
        note: "udev, for device access",
        bundled_by: None,
    },
    SystemCrate {
        krate: "servo-fontconfig-sys",
        build: &["pkg-config", "libfontconfig-dev"],
        runtime: &["libfontconfig1"],
        note: "fontconfig, for font rendering",
        bundled_by: None,
    },
    SystemCrate {
        krate: "yeslogic-fontconfig-sys",
        build: &["pkg-config", "libfontconfig-dev"],
        runtime: &["libfontconfig1"],
        note: "fontconfig, for font rendering",
        bundled_by: None,
    },
    SystemCrate {
        krate: "librocksdb-sys",
        build: &["clang", "libclang-dev"],
        runtime: &[],
        note: "RocksDB, compiled from source: its bindings are generated with libclang",
        bundled_by: None,
    },
    SystemCrate {
        krate: "prost-build",
        build: &["protobuf-compiler"],
        runtime: &[],
        note: "Protocol Buffers code generation in build.rs (tonic-build, prost-build) runs `protoc`",
        bundled_by: None,
    },
    SystemCrate {
        krate: "zstd-sys",
        build: &[],
        runtime: &[],
        note: "nothing: it compiles its own copy of zstd with the image's C compiler",
        bundled_by: None,
    },
    SystemCrate {
        krate: "libz-sys",
        build: &[],
        runtime: &[],
        note: "nothing: without a system zlib it compiles its own copy with the image's C compiler",
        bundled_by: None,
    },
    SystemCrate {
        krate: "ring",
        build: &[],
        runtime: &[],
        note: "nothing: rustls' cryptography compiles with the image's C compiler",
        bundled_by: None,
    },
];

/// The crates of `lock` (a Cargo.lock) that need system packages, unless `manifest` (the
/// crate's Cargo.toml) turns on the feature that bundles the library.
pub(crate) fn needed<'a>(lock: &str, manifest: &str) -> Vec<&'a SystemCrate> {
    let names: Vec<&str> = lock
        .lines()
        .filter_map(|l| l.trim().strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .collect();
    SYSTEM_CRATES
        .iter()
        .filter(|c| names.contains(&c.krate))
        .filter(|c| !(c.build.is_empty() && c.runtime.is_empty()))
        .filter(|c| {
            c.bundled_by
                .is_none_or(|f| !manifest.contains(&format!("\"{f}\"")))
        })
        // sqlx's SQLite driver bundles SQLite unless `sqlite-unbundled` is asked for.
        .filter(|c| {
            c.krate != "libsqlite3-sys"
                || !names.contains(&"sqlx-sqlite")
                || manifest.contains("sqlite-unbundled")
        })
        .collect()
}

/// The table as Markdown, for `docs/rust-system-libraries.md`.
#[cfg(test)]
fn markdown() -> String {
    use std::fmt::Write as _;
    let mut out = String::from(
        "# System libraries of Rust crates\n\n\
         <!-- Generated from src/detect/rust_system.rs by its test: edit the table there. -->\n\n\
         `mbgen init` reads `Cargo.lock`: a crate of this table proposes its packages in\n\
         `system-packages` (Debian trixie's names; with `family = \"alpine\"`, use Alpine's).\n\
         A feature that compiles the library from source (`bundled`, `vendored`) needs none.\n\n\
         | crate | build packages | runtime packages | notes |\n|---|---|---|---|\n",
    );
    for c in SYSTEM_CRATES {
        let list = |p: &[&str]| {
            if p.is_empty() {
                "—".to_owned()
            } else {
                p.iter()
                    .map(|x| format!("`{x}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            c.krate,
            list(c.build),
            list(c.runtime),
            c.note
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documentation is the table: `MBGEN_UPDATE_DOCS=1` rewrites it.
    #[test]
    fn docs_are_the_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rust-system-libraries.md");
        let want = markdown();
        if std::env::var("MBGEN_UPDATE_DOCS").as_deref() == Ok("1") {
            fs_err::write(path, &want).unwrap();
        }
        let have = fs_err::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "docs/rust-system-libraries.md is stale: run `MBGEN_UPDATE_DOCS=1 cargo test --lib rust_system`"
        );
    }

    #[test]
    fn crates_of_the_lockfile() {
        let lock = "[[package]]\nname = \"openssl-sys\"\n[[package]]\nname = \"libsqlite3-sys\"\n[[package]]\nname = \"zstd-sys\"\n";
        let names = |m: &str| needed(lock, m).iter().map(|c| c.krate).collect::<Vec<_>>();
        assert_eq!(names(""), ["openssl-sys", "libsqlite3-sys"]);
        assert_eq!(
            names("rusqlite = { version = \"0.32\", features = [\"bundled\"] }"),
            ["openssl-sys"]
        );
        assert_eq!(
            names("openssl = { version = \"0.10\", features = [\"vendored\"] }"),
            ["libsqlite3-sys"]
        );
        let with_sqlx = format!("{lock}[[package]]\nname = \"sqlx-sqlite\"\n");
        let found: Vec<&str> = needed(&with_sqlx, "").iter().map(|c| c.krate).collect();
        assert_eq!(found, ["openssl-sys"]);
    }
}
