//! Python packages that build from source (no wheel for the chosen Python, or a source-only
//! distribution) and the Debian packages they need: compilers and headers in the build
//! stage, only the shared libraries in the final image. `libc6-dev` is named beside `gcc`:
//! the official `python:*-slim` images have neither, and gcc only recommends the C
//! library's headers, which `--no-install-recommends` leaves out. `init` proposes these as
//! `system-packages`, and the README's table is this one (a test keeps them equal).

/// A distribution (normalised name, `name[extra]` for an extra), the build packages, the
/// runtime packages.
pub(crate) const NATIVE: &[(&str, &[&str], &[&str])] = &[
    ("psycopg2", &["gcc", "libc6-dev", "libpq-dev"], &["libpq5"]),
    (
        "psycopg[c]",
        &["gcc", "libc6-dev", "libpq-dev"],
        &["libpq5"],
    ),
    ("psycopg", &[], &["libpq5"]),
    (
        "mysqlclient",
        &[
            "gcc",
            "libc6-dev",
            "pkg-config",
            "default-libmysqlclient-dev",
        ],
        &["libmariadb3"],
    ),
    ("uwsgi", &["gcc", "libc6-dev"], &[]),
    (
        "pycurl",
        &["gcc", "libc6-dev", "libcurl4-openssl-dev", "libssl-dev"],
        &["libcurl4t64"],
    ),
    (
        "python-ldap",
        &["gcc", "libc6-dev", "libldap-dev", "libsasl2-dev"],
        &["libldap2"],
    ),
];

/// The system packages the dependencies need, and the distributions that need them.
pub(super) fn system_packages(
    has: impl Fn(&str) -> bool,
) -> Option<(Vec<String>, Vec<String>, Vec<&'static str>)> {
    let mut build: Vec<String> = Vec::new();
    let mut runtime: Vec<String> = Vec::new();
    let mut why = Vec::new();
    for (name, b, r) in NATIVE {
        // `psycopg[c]` builds what plain `psycopg` only loads.
        if *name == "psycopg" && (has("psycopg[c]") || has("psycopg[binary]")) {
            continue;
        }
        if !has(name) {
            continue;
        }
        why.push(*name);
        for p in *b {
            if !build.iter().any(|x| x == p) {
                build.push((*p).to_owned());
            }
        }
        for p in *r {
            if !runtime.iter().any(|x| x == p) {
                runtime.push((*p).to_owned());
            }
        }
    }
    (!why.is_empty()).then_some((build, runtime, why))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_table_is_this_one() {
        let readme = include_str!("../../../README.md");
        for (name, build, runtime) in NATIVE {
            let row = format!(
                "| `{name}` | {} | {} |",
                if build.is_empty() {
                    "—".to_owned()
                } else {
                    build.join(" ")
                },
                if runtime.is_empty() {
                    "—".to_owned()
                } else {
                    runtime.join(" ")
                }
            );
            assert!(readme.contains(&row), "README.md lacks the row {row}");
        }
    }

    #[test]
    fn binary_builds_need_nothing() {
        assert!(system_packages(|n| n == "psycopg2-binary").is_none());
        let (build, runtime, _) = system_packages(|n| n == "psycopg2").unwrap();
        assert_eq!(build, ["gcc", "libc6-dev", "libpq-dev"]);
        assert_eq!(runtime, ["libpq5"]);
        assert!(system_packages(|n| n == "psycopg" || n == "psycopg[binary]").is_none());
    }
}
