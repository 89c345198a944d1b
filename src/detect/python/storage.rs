//! Where a Python app writes a `SQLite` database by default: a Django `DATABASES` entry under
//! `BASE_DIR`, or an `SQLAlchemy` URL (`sqlite:///app.db`, `'sqlite:///' + os.path.join(basedir,
//! 'app.db')`). The directory must be writable by the unprivileged user of the final image, or
//! the first request that touches the database fails.

use super::super::compiled::line_of;
use super::Dir;

/// The directories, relative to the service (`.` for the service itself), where `sources`
/// keep a `SQLite` database, each with the text that shows it. `settings` is the file of the
/// Django settings module the image runs with: when it sets `DATABASES` itself, the other
/// settings files' databases are not the image's.
pub(super) fn sqlite_dirs(
    dir: Dir<'_>,
    sources: &[&str],
    settings: Option<&str>,
) -> Vec<(String, String)> {
    let own_databases = settings
        .and_then(|f| dir.read(f))
        .is_some_and(|t| t.contains("DATABASES"));
    let mut found: Vec<(String, String)> = Vec::new();
    for path in sources.iter().take(400) {
        let Some(text) = dir.read(path) else { continue };
        let django = !own_databases || settings == Some(*path);
        let here = path.rsplit_once('/').map_or(".", |(d, _)| d);
        let mut add = |sub: String, i: usize| {
            if !found.iter().any(|(d, _)| *d == sub) {
                found.push((
                    sub,
                    format!("`{}` in {}", line_of(&text, i), dir.path(path)),
                ));
            }
        };
        for (i, _) in text
            .match_indices("django.db.backends.sqlite3")
            .filter(|_| django)
        {
            if let Some((sub, at)) = django_name(&text[i..]) {
                add(sub, i + at);
            }
        }
        for (i, _) in text.match_indices("sqlite:///") {
            if let Some(sub) = sqlalchemy_dir(&text[i + "sqlite:///".len()..], here) {
                add(sub, i);
            }
        }
    }
    found.sort();
    found
}

/// The directory of the `NAME` that follows a Django `ENGINE`, when it is under `BASE_DIR`
/// (the project's root, where manage.py is): `BASE_DIR / "db.sqlite3"` → `.`,
/// `os.path.join(BASE_DIR, "data", "db.sqlite3")` → `data`; with the offset of `NAME`.
fn django_name(after_engine: &str) -> Option<(String, usize)> {
    let window = after_engine
        .char_indices()
        .nth(400)
        .map_or(after_engine, |(i, _)| &after_engine[..i]);
    let at = window.find("\"NAME\"").or_else(|| window.find("'NAME'"))?;
    // the value: up to the end of the entry (the next key, or the end of the dict)
    let value = &window[at + 6..];
    let end = value
        .find(['}'])
        .into_iter()
        .chain(
            value
                .find("\"OPTIONS\"")
                .or_else(|| value.find("'OPTIONS'")),
        )
        .min()
        .unwrap_or(value.len());
    let value = &value[..end];
    let base = value.find("BASE_DIR")?;
    Some((parent_of(&literals(&value[base..])), at))
}

/// The directory of an `SQLAlchemy` `SQLite` URL's path, given what follows `sqlite:///` and the
/// directory of the source file: a path in the URL itself is relative to the working
/// directory; one joined to `basedir` (the file's own directory) is relative to that file.
fn sqlalchemy_dir(after_scheme: &str, here: &str) -> Option<String> {
    let (path, rest) = after_scheme.split_once(['"', '\''])?;
    if !path.is_empty() {
        // `sqlite:////abs/path` and in-memory databases are not the image's business
        if path.starts_with('/') || path.contains(":memory:") || path.contains("..") {
            return None;
        }
        return Some(parent_of(&[path.trim_start_matches("./").to_owned()]));
    }
    let line = rest.lines().take(2).collect::<Vec<_>>().join(" ");
    let join = line.find("os.path.join(")?;
    let args = &line[join..];
    let base = args.find("basedir").or_else(|| args.find("BASE_DIR"))?;
    let parent = parent_of(&literals(&args[base..]));
    Some(match (here, parent.as_str()) {
        (".", p) => p.to_owned(),
        (h, ".") => h.to_owned(),
        (h, p) => format!("{h}/{p}"),
    })
}

/// The quoted strings of an expression, in order; environment variable names (`"DB_NAME"`)
/// are left out, as they are not parts of a path.
fn literals(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(start) = rest.find(['"', '\'']) {
        let quote = rest.as_bytes()[start] as char;
        let Some(len) = rest[start + 1..].find(quote) else {
            break;
        };
        let text = &rest[start + 1..start + 1 + len];
        let env_name = !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !env_name && !text.is_empty() {
            out.push(text.to_owned());
        }
        rest = &rest[start + len + 2..];
    }
    out
}

/// The directory of the path whose parts are `parts` (the last one the file): `.` for a file
/// alone.
fn parent_of(parts: &[String]) -> String {
    let joined = parts.join("/");
    let joined = joined.trim_start_matches("./");
    match joined.rsplit_once('/') {
        Some((d, _)) if !d.is_empty() && !d.split('/').any(|p| p == ".." || p.is_empty()) => {
            d.to_owned()
        }
        _ => ".".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::fs::MemFs;

    fn dirs(files: &[(&str, &str)]) -> Vec<String> {
        let fs = MemFs::new(files.iter().copied());
        let dir = Dir::new(&fs, "");
        let sources: Vec<&str> = files.iter().map(|(p, _)| *p).collect();
        sqlite_dirs(dir, &sources, None)
            .into_iter()
            .map(|(d, _)| d)
            .collect()
    }

    #[test]
    fn django_databases_under_base_dir() {
        let settings = |name: &str| {
            format!(
                "DATABASES = {{\n    \"default\": {{\n        \"ENGINE\": \"django.db.backends.sqlite3\",\n        \"NAME\": {name},\n    }}\n}}\n"
            )
        };
        let root = settings("BASE_DIR / \"db.sqlite3\"");
        assert_eq!(dirs(&[("site/settings.py", &root)]), ["."]);
        let env = settings("os.getenv(\"DB_NAME\", BASE_DIR / \"hc.sqlite\")");
        assert_eq!(dirs(&[("hc/settings.py", &env)]), ["."]);
        let joined = settings("os.path.join(BASE_DIR, 'data', 'db.sqlite3')");
        assert_eq!(dirs(&[("site/settings.py", &joined)]), ["data"]);
        let elsewhere = settings("\"/var/lib/site/db.sqlite3\"");
        assert!(dirs(&[("site/settings.py", &elsewhere)]).is_empty());
        let production = settings("os.environ.get(\"SQLITE_PATH\", \"/tmp/db.sqlite3\")");
        let fs = MemFs::new([
            ("shop/settings/base.py", root.as_str()),
            ("shop/settings/production.py", production.as_str()),
        ]);
        let dir = Dir::new(&fs, "");
        let sources = ["shop/settings/base.py", "shop/settings/production.py"];
        assert!(sqlite_dirs(dir, &sources, Some("shop/settings/production.py")).is_empty());
        assert_eq!(
            sqlite_dirs(dir, &sources, Some("shop/settings/dev.py")).len(),
            1
        );
        let postgres =
            "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql', 'NAME': 'site'}}";
        assert!(dirs(&[("site/settings.py", postgres)]).is_empty());
    }

    #[test]
    fn sqlalchemy_urls() {
        let config = "basedir = os.path.abspath(os.path.dirname(__file__))\nSQLALCHEMY_DATABASE_URI = os.environ.get('DATABASE_URL') or \\\n    'sqlite:///' + os.path.join(basedir, 'app.db')\n";
        assert_eq!(dirs(&[("config.py", config)]), ["."]);
        assert_eq!(dirs(&[("app/config.py", config)]), ["app"]);
        assert_eq!(
            dirs(&[(
                "db.py",
                "engine = create_engine(\"sqlite:///./data/app.db\")"
            )]),
            ["data"]
        );
        assert!(dirs(&[("db.py", "create_engine('sqlite:///:memory:')")]).is_empty());
        assert!(dirs(&[("db.py", "create_engine('sqlite:////var/app.db')")]).is_empty());
    }
}
