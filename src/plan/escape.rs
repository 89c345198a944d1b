//! Escaping for every language mbgen writes: Dockerfile values and exec-form arrays, `printf`
//! arguments, HCL and YAML strings. Every string a template prints went through one of these,
//! so that no value of `mbgen.toml` can change the structure of a generated file.

use std::fmt::Write as _;

/// Quotes a value for `ENV`, `LABEL` or `ARG`: inside double quotes, `\`, `"` and `$` are
/// escaped so the value is taken literally.
#[must_use]
pub(crate) fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '\\' | '"' | '$') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Whether a path prints bare in every file mbgen writes: letters, digits and `._@+/-`, plus
/// `*` for the globs mbgen itself composes (`go.sum*`; a user's path cannot hold one).
fn is_plain(word: &str) -> bool {
    !word.is_empty()
        && word.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '+' | '/' | '-' | '*')
        })
}

/// The arguments of a `COPY` (sources, then the destination): bare words when every one is
/// plain, otherwise BuildKit's JSON form, `["a b", "./"]`, whose items may hold spaces.
/// BuildKit still expands variables and quotes in each item, so `\`, `$`, `"` and `'` are
/// escaped with a backslash first.
#[must_use]
pub(crate) fn copy_args<S: AsRef<str>>(words: &[S]) -> String {
    if words.iter().all(|w| is_plain(w.as_ref())) {
        return words
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(" ");
    }
    let items: Vec<String> = words
        .iter()
        .map(|w| serde_json::to_string(&dockerfile_word(w.as_ref())).expect("a string serialises"))
        .collect();
    format!("[{}]", items.join(", "))
}

/// A word of an instruction whose arguments BuildKit expands (`WORKDIR`, items of `COPY`):
/// `\`, `$`, `"` and `'` escaped with a backslash, so it is taken literally.
#[must_use]
pub(crate) fn dockerfile_word(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        if matches!(c, '\\' | '$' | '"' | '\'') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A word for the shell of a `RUN` step: bare when plain, single-quoted otherwise.
#[must_use]
pub(crate) fn shell_word(word: &str) -> String {
    if is_plain(word) && !word.contains('*') {
        word.to_owned()
    } else {
        shell_single_quote(word)
    }
}

/// A double-quoted shell string: `\`, `$`, `` ` `` and `"` escaped.
#[must_use]
pub(crate) fn shell_double_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '\\' | '$' | '`' | '"') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// A `.dockerignore` pattern matching exactly the path `path`: the pattern characters
/// (`*`, `?`, `[`, `]`, `\`) and a leading `#` or `!` escaped with a backslash.
#[must_use]
pub(crate) fn ignore_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for (i, c) in path.chars().enumerate() {
        // A control character (possible only in a name from the file system, such as the
        // configuration file's) cannot be written in a pattern line: `?` stands for it.
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') {
            out.push('?');
            continue;
        }
        if matches!(c, '*' | '?' | '[' | ']' | '\\') || (i == 0 && matches!(c, '#' | '!')) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text for a comment line of any file mbgen writes: control characters, line breaks
/// included, as `\u{..}`, so that a name from the file system cannot end the comment.
#[must_use]
pub(crate) fn comment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// An exec-form argument list as a JSON array.
#[must_use]
pub(crate) fn exec_form(args: &[String]) -> String {
    let items: Vec<String> = args
        .iter()
        .map(|a| serde_json::to_string(a).expect("a string always serialises"))
        .collect();
    format!("[{}]", items.join(", "))
}

/// A single-quoted shell word for `printf '%s\n' …`: `'` becomes `'\''`.
#[must_use]
pub(crate) fn shell_single_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

/// A quoted HCL string whose value is `value` exactly: `\` and `"` escaped, control
/// characters as `\uNNNN`, and `${` and `%{` escaped as `$${` and `%%{` so that they never
/// start an interpolation or a directive.
#[must_use]
pub(crate) fn hcl_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An HCL object key: bare when it is an identifier (build argument names are), quoted
/// otherwise. `true`, `false` and `null` are quoted too, to read as strings everywhere.
pub(crate) fn hcl_key(key: &str) -> String {
    let identifier = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    if identifier && !matches!(key, "true" | "false" | "null") {
        key.to_owned()
    } else {
        hcl_string(key)
    }
}

/// A double-quoted YAML string (JSON style) whose value is `value` exactly: `\` and `"`
/// escaped, and every character YAML does not print as itself (control characters, the
/// Unicode line separators, non-characters) as `\uNNNN`.
#[must_use]
pub(crate) fn yaml_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control()
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                ) =>
            {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A YAML string for a Compose value: Compose replaces `$NAME` and `${NAME}` in values with
/// variables of its environment, and `$$` with `$`.
pub(crate) fn compose_string(value: &str) -> String {
    yaml_string(&value.replace('$', "$$"))
}

/// A YAML mapping key: plain when it is a name that every YAML reader takes as a string,
/// quoted otherwise (`on`, `no`, `null` and the like are booleans or null in YAML 1.1, which
/// Compose v1 reads).
pub(crate) fn yaml_key(key: &str) -> String {
    let plain = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
    let special = matches!(
        key.to_ascii_lowercase().as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
    );
    if plain && !special {
        key.to_owned()
    } else {
        yaml_string(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl_strings_are_taken_literally() {
        assert_eq!(hcl_string("plain"), r#""plain""#);
        assert_eq!(
            hcl_string(r#"a "b" \ ${HOME} %{if} $HOME 100%"#),
            r#""a \"b\" \\ $${HOME} %%{if} $HOME 100%""#
        );
        // `$${` in the value: a literal `$`, then an escaped `${`.
        assert_eq!(hcl_string("$${x}"), r#""$$${x}""#);
        assert_eq!(hcl_string("tab\there\u{1b}"), r#""tab\there\u001b""#);
        assert_eq!(hcl_key("GIT_SHA"), "GIT_SHA");
        assert_eq!(hcl_key("null"), r#""null""#);
    }

    #[test]
    fn yaml_strings_are_taken_literally() {
        assert_eq!(yaml_string(r#"a "b" \ c"#), r#""a \"b\" \\ c""#);
        assert_eq!(
            yaml_string("x\u{85}\u{2028}\u{7f}\t"),
            r#""x\u0085\u2028\u007f\t""#
        );
        assert_eq!(compose_string("$HOME ${X} $$"), r#""$$HOME $${X} $$$$""#);
        assert_eq!(yaml_key("api"), "api");
        assert_eq!(yaml_key("on"), r#""on""#);
        assert_eq!(yaml_key("No"), r#""No""#);
    }

    #[test]
    fn paths_are_taken_literally() {
        assert_eq!(copy_args(&["go.mod", "go.sum*", "./"]), "go.mod go.sum* ./");
        assert_eq!(
            copy_args(&["my app/", "my app/"]),
            r#"["my app/", "my app/"]"#
        );
        assert_eq!(
            copy_args(&["$x 'q' \"d\" \\", "./"]),
            r#"["\\$x \\'q\\' \\\"d\\\" \\\\", "./"]"#
        );
        assert_eq!(dockerfile_word("/app/a b$"), "/app/a b\\$");
        assert_eq!(shell_word("services/api"), "services/api");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_double_quote("{./a $b}..."), r#""{./a \$b}...""#);
        assert_eq!(ignore_path("#a/[b]*?\\"), r"\#a/\[b\]\*\?\\");
        assert_eq!(ignore_path("!x"), r"\!x");
        assert_eq!(ignore_path("a\nRUN x"), "a?RUN x");
        assert_eq!(comment("a\nb\u{1b}"), r"a\u{a}b\u{1b}");
    }

    #[test]
    fn quoting() {
        assert_eq!(quote(r#"a "b" $HOME \n"#), r#""a \"b\" \$HOME \\n""#);
        assert_eq!(
            exec_form(&["a\"b".into(), "c d".into()]),
            r#"["a\"b", "c d"]"#
        );
    }
}
