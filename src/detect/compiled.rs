//! What the Go and Rust detectors read out of sources beyond the shared port scanner: ports
//! held in constants and flag defaults, and the files a binary opens at run time by a
//! relative path (templates, static files, configuration), which must be in its image; and
//! the helpers the Python detector shares ([`set_found`], [`line_of`]).

use super::text::find_port;
use super::{Dir, Proposal, Value};
use crate::spec::ServiceKey;

/// A port in a constant, a variable or a flag default, and the text that shows it:
/// `listenPort = "5050"`, `DefaultPort = 8080`, `flag.Int("port", 8081, ...)`,
/// `flag.String("web.listen-address", ":9093", ...)`.
#[must_use]
pub(super) fn port_in_code(text: &str) -> Option<(u16, String)> {
    find_port(text)
        .or_else(|| flag_port(text))
        .or_else(|| const_port(text))
}

/// A flag whose name speaks of a port or an address, and its default.
fn flag_port(text: &str) -> Option<(u16, String)> {
    for (i, _) in text.match_indices("\", ") {
        let before = &text[..i];
        let Some(name_start) = before.rfind('"').map(|q| q + 1) else {
            continue;
        };
        let name = before[name_start..].to_ascii_lowercase();
        if !(name.contains("port") || name.contains("addr") || name.contains("listen")) {
            continue;
        }
        let value = text[i + 3..].trim_start();
        let value = value
            .strip_prefix("\":")
            .or_else(|| value.strip_prefix("\"0.0.0.0:"))
            .unwrap_or(value);
        let digits: String = value.chars().take_while(char::is_ascii_digit).collect();
        let after = value[digits.len()..].chars().next();
        if !digits.is_empty() && matches!(after, Some(',' | '"' | ')')) {
            if let Some(port) = digits.parse::<u16>().ok().and_then(app_port) {
                return Some((port, line_of(text, i)));
            }
        }
    }
    None
}

/// An identifier ending in `port` assigned a number or a quoted number.
fn const_port(text: &str) -> Option<(u16, String)> {
    for (i, _) in text.match_indices(['p', 'P']) {
        let word = &text[i..];
        if !(word.starts_with("port") || word.starts_with("Port") || word.starts_with("PORT")) {
            continue;
        }
        let rest = &word[4..];
        // the identifier ends here, and is not `port` alone (the shared scanner reads that)
        if rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') || i == 0 {
            continue;
        }
        let start = text[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |s| s + 1);
        // `listenPort`, `listen_port`, `DEFAULT_PORT`; not `report`, `import` or `EXPORT`
        let before = text[..i].chars().next_back().unwrap_or(' ');
        let word_start = match &word[..4] {
            "Port" => before.is_ascii_lowercase() || before.is_ascii_digit(),
            _ => before == '_',
        };
        if start == i || !word_start {
            continue;
        }
        let rest = rest.trim_start_matches([' ', '\t']);
        // `: u16 =` in Rust, `string =` in a Go var block
        let Some((_, rest)) = rest
            .split_once('=')
            .filter(|(ty, _)| ty.len() < 16 && !ty.contains(['\n', '(', ';', '!', '<', '>']))
        else {
            continue;
        };
        let value = rest.trim_start_matches([' ', '\t', '"']);
        let digits: String = value.chars().take_while(char::is_ascii_digit).collect();
        if digits.len() >= 2
            && !value[digits.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '.')
        {
            if let Ok(port) = digits
                .parse::<u16>()
                .map_err(drop)
                .and_then(|p| app_port(p).ok_or(()))
            {
                return Some((port, line_of(text, i)));
            }
        }
    }
    None
}

/// Ports of databases and caches are settings for reaching them, not the app's port.
fn app_port(port: u16) -> Option<u16> {
    (port > 0 && ![3306, 5432, 6379, 11211, 27017].contains(&port)).then_some(port)
}

pub(super) fn line_of(text: &str, i: usize) -> String {
    let start = text[..i].rfind('\n').map_or(0, |s| s + 1);
    let end = text[i..].find('\n').map_or(text.len(), |e| i + e);
    text[start..end].trim().chars().take(72).collect()
}

/// The calls that open a file by a path the code names, per language.
pub(super) const GO_FILE_CALLS: &[&str] = &[
    "ParseGlob(\"",
    "ParseFiles(\"",
    "http.Dir(\"",
    "Dir(\"",
    "ServeFile(w, r, \"",
    "os.ReadFile(\"",
    "ioutil.ReadFile(\"",
    "os.Open(\"",
    "LoadHTMLGlob(\"",
    "LoadHTMLFiles(\"",
    "Static(\"/",
];
pub(super) const RUST_FILE_CALLS: &[&str] = &[
    "read_to_string(\"",
    "fs::read(\"",
    "File::open(\"",
    "ServeDir::new(\"",
    "Tera::new(\"",
    "File::with_name(\"",
    "Files::new(\"",
];

/// Sets a list key to the files or directories `found` names, the texts that show them
/// joined after `why` in its comment; nothing when none was found.
pub(super) fn set_found(p: &mut Proposal, key: ServiceKey, found: &[(String, String)], why: &str) {
    if found.is_empty() {
        return;
    }
    let shown: Vec<&str> = found.iter().map(|(_, s)| s.as_str()).collect();
    p.set(
        key,
        Value::List(found.iter().map(|(f, _)| f.clone()).collect()),
        format!("{why}: {}", shown.join("; ")),
    );
}

/// The top-level files and directories of the project that `sources` open at run time by a
/// relative path, sorted, each with the text that shows it.
pub(super) fn runtime_files(
    dir: Dir<'_>,
    sources: &[&str],
    calls: &[&str],
) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    for path in sources.iter().take(400) {
        let Some(text) = dir.read(path) else { continue };
        for call in calls {
            for (i, _) in text.match_indices(call) {
                let mut literal = &text[i + call.len()..];
                // gin's and echo's `Static("/static", "./static")`: the second argument
                if *call == "Static(\"/" {
                    let Some((_, second)) = literal.split_once(", \"") else {
                        continue;
                    };
                    literal = second;
                }
                let Some(end) = literal.find('"') else {
                    continue;
                };
                let Some(top) = top_component(&literal[..end]) else {
                    continue;
                };
                let is_dir = dir.files().any(|f| f.starts_with(&format!("{top}/")));
                if (is_dir || dir.exists(&top)) && !found.iter().any(|(t, _)| *t == top) {
                    found.push((
                        top,
                        format!("`{}` in {}", line_of(&text, i), dir.path(path)),
                    ));
                }
            }
        }
    }
    found.sort();
    found
}

/// The calls that open a `SQLite` database file by a path the code names, per language.
pub(super) const GO_DB_CALLS: &[&str] = &["sql.Open(\"sqlite3\", \"", "sqlite.Open(\""];
pub(super) const RUST_DB_CALLS: &[&str] = &["Connection::open(\"", "connect(\"sqlite:"];

/// The directories, relative to the working directory, in which `sources` write a `SQLite`
/// database (`.` for the working directory itself), each with the text that shows it.
pub(super) fn writable_dirs(
    dir: Dir<'_>,
    sources: &[&str],
    calls: &[&str],
) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    for path in sources.iter().take(400) {
        let Some(text) = dir.read(path) else { continue };
        for call in calls {
            for (i, _) in text.match_indices(call) {
                let literal = &text[i + call.len()..];
                let Some(end) = literal.find('"') else {
                    continue;
                };
                let file = literal[..end]
                    .trim_start_matches("file:")
                    .trim_start_matches("//")
                    .split('?')
                    .next()
                    .unwrap_or_default();
                if file.is_empty()
                    || file.contains(":memory:")
                    || file.starts_with('/')
                    || file.contains("..")
                {
                    continue;
                }
                let parent = file
                    .trim_start_matches("./")
                    .rsplit_once('/')
                    .map_or(".", |(d, _)| d);
                if !found.iter().any(|(d, _)| d == parent) {
                    found.push((
                        parent.to_owned(),
                        format!("`{}` in {}", line_of(&text, i), dir.path(path)),
                    ));
                }
            }
        }
    }
    found.sort();
    found
}

/// `./static/` → `static`, `templates/*.html` → `templates`; none for absolute paths,
/// parents, or paths with placeholders.
fn top_component(path: &str) -> Option<String> {
    let path = path.trim_start_matches("./");
    let top = path.split('/').next()?;
    let bad = top.is_empty()
        || top == ".."
        || top.starts_with('.')
        || path.starts_with('/')
        || top.contains(['*', '{', '%', '$', ':']);
    (!bad).then(|| top.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::fs::MemFs;

    #[test]
    fn ports_of_constants_and_flags() {
        let port = |t: &str| port_in_code(t).map(|(p, _)| p);
        assert_eq!(port("var (\n\tlistenPort = \"5050\"\n)\n"), Some(5050));
        assert_eq!(port("const defaultPort = \"50051\""), Some(50051));
        assert_eq!(port("pub const DEFAULT_PORT: u16 = 8888;"), Some(8888));
        assert_eq!(
            port("rootCmd.Flags().Int(\"port\", 8081, \"port of server\")"),
            Some(8081)
        );
        assert_eq!(
            port("flag.String(\"web.listen-address\", \":9093\", \"Address to listen on\")"),
            Some(9093)
        );
        assert_eq!(port("dbPort = 5432"), None);
        assert_eq!(port("report = 42"), None);
    }

    #[test]
    fn files_read_at_run_time() {
        let fs = MemFs::new([
            ("main.go", "tmpl := template.Must(template.New(\"\").ParseGlob(\"templates/*.html\"))\nhttp.Handle(\"/static/\", http.FileServer(http.Dir(\"./static/\")))\nos.ReadFile(\"/etc/passwd\")\n"),
            ("templates/home.html", ""),
            ("static/app.css", ""),
        ]);
        let dir = Dir::new(&fs, "");
        let found: Vec<String> = runtime_files(dir, &["main.go"], GO_FILE_CALLS)
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(found, ["static", "templates"]);
    }
}
