//! The files of the whole workspace: model → the contexts of `docker-bake.hcl` and
//! `compose.yaml`.
//!
//! Both name every service's build once more (context, Dockerfile, final stage, image tags,
//! caches), with paths relative to their own directory. Every string they print is quoted and
//! escaped here for its language, so that no value of `mbgen.toml` can change their structure:
//! HCL strings cannot start a template sequence, YAML strings are double-quoted, and Compose
//! never interpolates a `$` from mbgen.toml.

use std::fmt::Write as _;

use serde::Serialize;

use super::{stages, TEMPLATE_API};
use crate::model::{Project, Service};

/// Everything the Bake file template reads. Strings are HCL text: quoted strings, or keys.
#[derive(Debug, Serialize)]
pub struct BakeContext {
    pub template_api: u32,
    /// Comment lines for the top of the file, without the leading `# `.
    pub header: Vec<String>,
    /// The `default` group: every target, quoted, in service name order.
    pub group: Vec<String>,
    pub targets: Vec<BakeTarget>,
}

/// One `target` block: one service.
#[derive(Debug, Serialize)]
pub struct BakeTarget {
    /// The service name, plain.
    pub service: String,
    /// The block label: the service name, quoted.
    pub name: String,
    /// A comment line above the block, without `# `.
    pub comment: String,
    /// The build context, relative to the Bake file's directory.
    pub context: String,
    /// The Dockerfile, relative to the context.
    pub dockerfile: String,
    /// The final stage.
    pub target: String,
    /// `<image>:<tag>` for every tag.
    pub tags: Vec<String>,
    pub platforms: Vec<String>,
    pub cache_from: Vec<String>,
    pub cache_to: Vec<String>,
    /// Build arguments, in name order.
    pub args: Vec<Entry>,
}

/// Everything the Compose file template reads. Strings are YAML text: keys, or JSON-style
/// double-quoted strings with `$` doubled for Compose.
#[derive(Debug, Serialize)]
pub struct ComposeContext {
    pub template_api: u32,
    /// Comment lines for the top of the file, without the leading `# `.
    pub header: Vec<String>,
    pub services: Vec<ComposeService>,
}

/// One entry of `services:`.
#[derive(Debug, Serialize)]
pub struct ComposeService {
    /// The service name, plain.
    pub service: String,
    /// The service name as a YAML key.
    pub key: String,
    /// `<image>:<first tag>`, or the image alone when there is no tag.
    pub image: String,
    /// The build context, relative to the Compose file's directory.
    pub context: String,
    /// The Dockerfile, relative to the context.
    pub dockerfile: String,
    /// The final stage.
    pub target: String,
    /// Build arguments, in name order.
    pub args: Vec<Entry>,
    pub cache_from: Vec<String>,
}

/// A key and its value, both ready to print.
#[derive(Debug, Serialize)]
pub struct Entry {
    pub key: String,
    pub value: String,
}

/// Plans the Bake file written at `path` (relative to the project root).
#[must_use]
pub fn bake(project: &Project, path: &str) -> BakeContext {
    let dir = parent(path);
    let targets = project
        .services
        .iter()
        .map(|service| {
            let hcl_list = |items: &[String]| items.iter().map(|s| hcl_string(s)).collect();
            BakeTarget {
                service: service.name.clone(),
                name: hcl_string(&service.name),
                comment: format!(
                    "{}: stack {}, {}.",
                    service.name,
                    service.stack.as_str(),
                    dockerfile_path(service)
                ),
                context: hcl_string(&relative(dir, &service.context)),
                dockerfile: hcl_string(&service.dockerfile),
                target: hcl_string(final_stage(service)),
                tags: service
                    .tags
                    .iter()
                    .map(|tag| hcl_string(&format!("{}:{tag}", service.image)))
                    .collect(),
                platforms: hcl_list(&service.platforms),
                cache_from: hcl_list(&service.cache_from),
                cache_to: hcl_list(&service.cache_to),
                args: service
                    .build_args
                    .iter()
                    .map(|(k, v)| Entry {
                        key: hcl_key(k),
                        value: hcl_string(v),
                    })
                    .collect(),
            }
        })
        .collect();
    BakeContext {
        template_api: TEMPLATE_API,
        header: vec![
            format!(
                "{} {}{}, for every service.",
                file_name(path),
                super::HEADER_MARK,
                project.config_name
            ),
            do_not_edit(project),
            "Paths are relative to this directory: build every service with `docker buildx bake`"
                .into(),
            "here, or one with `docker buildx bake <service>`.".into(),
        ],
        group: project
            .services
            .iter()
            .map(|s| hcl_string(&s.name))
            .collect(),
        targets,
    }
}

/// Plans the Compose file written at `path` (relative to the project root).
#[must_use]
pub fn compose(project: &Project, path: &str) -> ComposeContext {
    let dir = parent(path);
    let services = project
        .services
        .iter()
        .map(|service| {
            let image = match service.tags.first() {
                Some(tag) => format!("{}:{tag}", service.image),
                None => service.image.clone(),
            };
            ComposeService {
                service: service.name.clone(),
                key: yaml_key(&service.name),
                image: compose_string(&image),
                context: compose_string(&relative(dir, &service.context)),
                dockerfile: compose_string(&service.dockerfile),
                target: compose_string(final_stage(service)),
                args: service
                    .build_args
                    .iter()
                    .map(|(k, v)| Entry {
                        key: yaml_key(k),
                        value: compose_string(v),
                    })
                    .collect(),
                cache_from: service
                    .cache_from
                    .iter()
                    .map(|c| compose_string(c))
                    .collect(),
            }
        })
        .collect();
    ComposeContext {
        template_api: TEMPLATE_API,
        header: vec![
            format!(
                "{} {}{}: the image and build of every service.",
                file_name(path),
                super::HEADER_MARK,
                project.config_name
            ),
            do_not_edit(project),
            "Paths are relative to this directory. Build with `docker compose build`; put ports,"
                .into(),
            "volumes and the rest in a Compose file of your own here, and pass both with -f."
                .into(),
        ],
        services,
    }
}

fn do_not_edit(project: &Project) -> String {
    format!(
        "Do not edit: change {} and run `mbgen render`.",
        project.config_name
    )
}

/// The stage the image is built from: the last one.
fn final_stage(service: &Service) -> &'static str {
    stages(service).last().copied().unwrap_or("runtime")
}

/// The Dockerfile relative to the project root, for comments.
fn dockerfile_path(service: &Service) -> String {
    crate::model::join(&service.context, &service.dockerfile)
}

/// The directory part of a normalised relative path: `""` for the project root.
fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn file_name(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, name)| name)
}

/// `to` relative to the directory `from`, both normalised relative paths from the project
/// root (`""` is the root itself); `.` when they are the same.
#[must_use]
pub fn relative(from: &str, to: &str) -> String {
    let parts = |p: &str| -> Vec<String> {
        p.split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let (from, to) = (parts(from), parts(to));
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out: Vec<&str> = vec![".."; from.len() - common];
    out.extend(to[common..].iter().map(String::as_str));
    if out.is_empty() {
        ".".to_owned()
    } else {
        out.join("/")
    }
}

/// A quoted HCL string whose value is `value` exactly: `\` and `"` escaped, control
/// characters as `\uNNNN`, and `${` and `%{` escaped as `$${` and `%%{` so that they never
/// start an interpolation or a directive.
#[must_use]
pub fn hcl_string(value: &str) -> String {
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
fn hcl_key(key: &str) -> String {
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
pub fn yaml_string(value: &str) -> String {
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
fn compose_string(value: &str) -> String {
    yaml_string(&value.replace('$', "$$"))
}

/// A YAML mapping key: plain when it is a name that every YAML reader takes as a string,
/// quoted otherwise (`on`, `no`, `null` and the like are booleans or null in YAML 1.1, which
/// Compose v1 reads).
fn yaml_key(key: &str) -> String {
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
    fn relative_paths() {
        assert_eq!(relative("", ""), ".");
        assert_eq!(relative("", "services/api"), "services/api");
        assert_eq!(relative("docker", "services/api"), "../services/api");
        assert_eq!(relative("docker", ""), "..");
        assert_eq!(relative("docker/bake", "docker"), "..");
        assert_eq!(relative("services", "services/api"), "api");
        assert_eq!(relative("a/b", "a/c/d"), "../c/d");
        assert_eq!(relative("services/api", "services/api"), ".");
    }

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
}
