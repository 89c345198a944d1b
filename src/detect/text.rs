//! Small scanners for what detectors read out of sources and manifests: versions, ports and
//! config values.

/// The first run of digits in `s`, as a number.
fn leading_number(s: &str) -> Option<u32> {
    let start = s.find(|c: char| c.is_ascii_digit())?;
    let digits: String = s[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The Node major version for the image tag, from a version or a range: `>=20.11` → `20`,
/// `v18.19.0` → `18`, `^18 || ^20` → `20`, `lts/iron` → `20`. `None` for `lts/*`, `node`,
/// `latest` and other moving targets, which mbgen's default serves.
#[must_use]
pub(crate) fn node_major(spec: &str) -> Option<String> {
    let spec = spec.trim();
    if let Some(name) = spec.strip_prefix("lts/") {
        let major = match name.to_ascii_lowercase().as_str() {
            "gallium" => "16",
            "hydrogen" => "18",
            "iron" => "20",
            "jod" => "22",
            "krypton" => "24",
            _ => return None,
        };
        return Some(major.to_owned());
    }
    spec.split("||")
        .filter_map(|alternative| {
            let alternative = alternative.trim();
            // An upper bound alone (`<21`) says nothing about what to run.
            if alternative.starts_with('<') {
                return None;
            }
            leading_number(alternative)
        })
        .max()
        .map(|n| n.to_string())
}

/// `major.minor` of the first version in `s`: `3.12.1` → `3.12`, `python-3.11.4` → `3.11`.
#[must_use]
pub(crate) fn major_minor(s: &str) -> Option<String> {
    let start = s.find(|c: char| c.is_ascii_digit())?;
    let mut parts = s[start..].split('.');
    let major: String = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let minor: String = parts
        .next()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!major.is_empty() && !minor.is_empty()).then(|| format!("{major}.{minor}"))
}

/// A string value assigned to `key` in a JavaScript, TypeScript or JSON config:
/// `outDir: 'build'`, `"outDir": "build"`, `output = "standalone"`.
#[must_use]
pub(crate) fn config_string(text: &str, key: &str) -> Option<String> {
    for (i, _) in text.match_indices(key) {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let mut rest = &text[i + key.len()..];
        if let Some(r) = rest.strip_prefix(['"', '\'']) {
            rest = r;
        }
        let rest = rest.trim_start();
        let Some(rest) = rest.strip_prefix([':', '=']) else {
            continue;
        };
        let rest = rest.trim_start();
        let Some(quote) = rest
            .chars()
            .next()
            .filter(|c| matches!(c, '"' | '\'' | '`'))
        else {
            continue;
        };
        let body = &rest[1..];
        if let Some(end) = body.find(quote) {
            return Some(body[..end].to_owned());
        }
    }
    None
}

/// The text with `//` line comments and `/* */` block comments removed (roughly: a `//`
/// inside a string such as a URL ends the line early, which is harmless for the scanners).
#[must_use]
pub(crate) fn strip_js_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("/*") {
            rest = r.find("*/").map_or("", |end| &r[end + 2..]);
        } else if rest.starts_with("//") && !out.ends_with(':') {
            rest = rest.find('\n').map_or("", |end| &rest[end..]);
        } else {
            let c = rest.chars().next().unwrap_or_default();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// Ports that name a database or cache, not the app: a `port: 5432` is a connection setting.
const NOT_APP_PORTS: &[u16] = &[3306, 5432, 6379, 11211, 27017];

/// A port the code listens on, and the text that shows it: `listen(3000)`,
/// `process.env.PORT || 3000`, `os.environ.get("PORT", 8000)`, `":8080"`, `port = 5000`.
#[must_use]
pub(crate) fn find_port(text: &str) -> Option<(u16, String)> {
    let text = strip_js_comments(text);
    // Strongest evidence first: a listen call beats a variable named `port`.
    let patterns = [
        "listen(",
        "PORT ||",
        "PORT ??",
        "PORT\",",
        "PORT',",
        "\":",
        "0.0.0.0:",
        "0.0.0.0\",",
        "127.0.0.1:",
        "localhost:",
        "port",
        "Port",
        "PORT",
    ];
    for pattern in patterns {
        for (i, _) in text.match_indices(pattern) {
            let rest = &text[i + pattern.len()..];
            let found = match pattern {
                "\":" => address_port(rest, false),
                "0.0.0.0:" | "127.0.0.1:" | "localhost:" => address_port(rest, true),
                "port" | "Port" | "PORT" => assignment_port(&text, i, pattern.len()),
                _ => number_after(rest),
            };
            if let Some(port) = found.filter(|p| *p > 0 && !NOT_APP_PORTS.contains(p)) {
                return Some((port, line_at(&text, i)));
            }
        }
    }
    None
}

/// A number right after optional spaces, `=`, and one quote: `  3000`, ` '3000'`.
fn number_after(rest: &str) -> Option<u16> {
    let rest = rest.trim_start();
    let rest = rest.strip_prefix(['"', '\'', '`']).unwrap_or(rest);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || digits.len() > 5 {
        return None;
    }
    let after = rest[digits.len()..].chars().next();
    if after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '.') {
        return None;
    }
    digits.parse().ok()
}

/// The port of an address literal such as `":8080"` or `"0.0.0.0:8080"` (Go, Rust, Python):
/// digits right after the colon, then the closing quote.
fn address_port(rest: &str, host: bool) -> Option<u16> {
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let closed = rest[digits.len()..].starts_with(['"', '\'', '`']);
    if digits.is_empty()
        || !(closed
            || host && !rest[digits.len()..].starts_with(|c: char| c.is_ascii_alphanumeric()))
    {
        return None;
    }
    digits.parse().ok()
}

/// `port = 5000`, `port: 3000`, `PORT=3000`, `httpPort := 8080`, `port=5000` in a call.
fn assignment_port(text: &str, at: usize, len: usize) -> Option<u16> {
    let ident_start = text[..at]
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let ident_end = at
        + len
        + text[at + len..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(text.len() - at - len);
    let ident = &text[ident_start..ident_end];
    let lower = ident.to_ascii_lowercase();
    let known = matches!(
        lower.as_str(),
        "port"
            | "http_port"
            | "httpport"
            | "server_port"
            | "serverport"
            | "listen_port"
            | "listenport"
            | "default_port"
            | "defaultport"
            | "app_port"
            | "appport"
            | "grpc_port"
            | "grpcport"
    );
    if !known {
        return None;
    }
    let rest = text[ident_end..].trim_start_matches([' ', '\t', '"', '\'']);
    let rest = rest
        .strip_prefix(":=")
        .or_else(|| rest.strip_prefix(':'))
        .or_else(|| rest.strip_prefix('='))?;
    if rest.starts_with('=') {
        return None;
    }
    number_after(rest)
}

/// The line around byte `i`, cut to a window around it when long.
fn line_at(text: &str, i: usize) -> String {
    const WHOLE: usize = 64;
    const BEFORE: usize = 24;
    const AFTER: usize = 36;
    let start = text[..i].rfind('\n').map_or(0, |s| s + 1);
    let end = text[i..].find('\n').map_or(text.len(), |e| i + e);
    let line = text[start..end].trim();
    if line.chars().count() <= WHOLE {
        return line.to_owned();
    }
    let lead = text[start..i].trim_start();
    let tail = text[i..end].trim_end();
    let mut out = String::new();
    if lead.chars().count() > BEFORE {
        // Start the window at the beginning of a word.
        let skip = lead.chars().count() - BEFORE;
        let window: String = lead.chars().skip(skip).collect();
        let word = |c: char| c.is_alphanumeric() || c == '_';
        let window = window.trim_start_matches(word);
        out.push_str("...");
        out.push_str(if window.is_empty() { tail } else { window });
        if window.is_empty() {
            return out;
        }
    } else {
        out.push_str(lead);
    }
    if tail.chars().count() > AFTER {
        out.extend(tail.chars().take(AFTER));
        out.push_str("...");
    } else {
        out.push_str(tail);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_versions() {
        assert_eq!(node_major(">=20.11").as_deref(), Some("20"));
        assert_eq!(node_major("v18.19.0").as_deref(), Some("18"));
        assert_eq!(node_major("^18 || ^20").as_deref(), Some("20"));
        assert_eq!(node_major("20.x").as_deref(), Some("20"));
        assert_eq!(node_major("lts/iron").as_deref(), Some("20"));
        assert_eq!(node_major("lts/*"), None);
        assert_eq!(node_major("node"), None);
        assert_eq!(node_major("<21"), None);
    }

    #[test]
    fn config_strings() {
        let vite = "export default defineConfig({\n  build: { outDir: 'build/web' },\n})";
        assert_eq!(config_string(vite, "outDir").as_deref(), Some("build/web"));
        assert_eq!(
            config_string("{ \"outDir\": \"./lib\" }", "outDir").as_deref(),
            Some("./lib")
        );
        assert_eq!(config_string("const myoutDir = 'x'", "outDir"), None);
    }

    #[test]
    fn ports() {
        let port = |t: &str| find_port(t).map(|(p, _)| p);
        assert_eq!(port("app.listen(3000, () => {})"), Some(3000));
        assert_eq!(
            port("var port = normalizePort(process.env.PORT || '3000');"),
            Some(3000)
        );
        assert_eq!(
            port("await app.listen(process.env.PORT ?? 3000);"),
            Some(3000)
        );
        assert_eq!(
            port("port = int(os.environ.get(\"PORT\", 5000))"),
            Some(5000)
        );
        assert_eq!(port("http.ListenAndServe(\":8081\", mux)"), Some(8081));
        assert_eq!(port("app.run(host='0.0.0.0', port=5000)"), Some(5000));
        assert_eq!(port("const db = { port: 5432 }"), None);
        assert_eq!(port("import x from 'y'; // listen(3000)"), None);
        assert_eq!(port("transport: 3000"), None);
        // Go constants read through `os.Getenv("PORT")` with a fallback.
        assert_eq!(port("\tlistenPort = \"5050\"\n"), Some(5050));
        assert_eq!(port("const defaultPort = \"50051\"\n"), Some(50051));
        assert_eq!(
            port("uvicorn.run(app, host=\"0.0.0.0\", port=8001)"),
            Some(8001)
        );
        assert_eq!(
            port("server.listen({ port: 4000, host: '0.0.0.0' })"),
            Some(4000)
        );
    }

    #[test]
    fn more_ports_and_snippets() {
        assert_eq!(
            find_port("TcpListener::bind((\"0.0.0.0\", 8000))?;").map(|(p, _)| p),
            Some(8000)
        );
        let long =
            "    let listener = tokio::net::TcpListener::bind(\"0.0.0.0:3000\").await.unwrap();";
        assert_eq!(
            find_port(long).unwrap().1,
            "...::TcpListener::bind(\"0.0.0.0:3000\").await.unwrap();"
        );
    }
}
