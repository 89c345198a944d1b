//! Validated newtypes for values that end up in a Dockerfile.
//!
//! Each type rejects bad input while the TOML is parsed, so the error points at the
//! offending value and no later stage can see a value that would break the output.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

/// Implements `Deserialize` through `TryFrom<String>`, `Display` and `as_str`.
macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                $name::try_from(raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

fn is_lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// Rejects characters that can never appear in a single-line Dockerfile value.
fn check_single_line(what: &str, value: &str) -> Result<(), String> {
    if value.contains('\0') {
        return Err(format!("{what} contains a NUL character"));
    }
    if value.contains(['\n', '\r']) {
        return Err(format!(
            "{what} contains a line break; Dockerfile values must fit on one line"
        ));
    }
    Ok(())
}

/// A service name: lowercase letters, digits and `-`, starting with a letter (at most 63
/// characters). It names the image, the Compose service and the Bake target.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema)]
#[schemars(
    extend("pattern" = r"^[a-z][a-z0-9-]{0,62}$"),
    example = &"web"
)]
pub struct ServiceName(String);
string_newtype!(ServiceName);

impl TryFrom<String> for ServiceName {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        let ok = value.len() <= 63
            && value.starts_with(|c: char| c.is_ascii_lowercase())
            && value.chars().all(|c| is_lower_alnum(c) || c == '-')
            && !value.ends_with('-');
        if ok {
            Ok(Self(value))
        } else {
            Err(format!(
                "invalid service name `{}`: use lowercase letters, digits and `-`, starting with a letter (for example `api` or `web-frontend`)",
                value.escape_debug()
            ))
        }
    }
}

/// A container image reference such as `node:22-trixie-slim`,
/// `registry.example.com:5000/team/app:1.2`, or one pinned by digest (`name@sha256:...`).
/// A tag or digest is required, and `latest` is refused: base images are pinned.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(example = &"node:22-trixie-slim")]
pub struct ImageRef(String);
string_newtype!(ImageRef);

impl ImageRef {
    /// The repository part, without registry host, tag or digest: `library/node` → `node`.
    #[must_use]
    pub fn repository(&self) -> &str {
        let name = self.0.split('@').next().unwrap_or_default();
        let name = match name.rsplit_once(':') {
            Some((head, tail)) if !tail.contains('/') => head,
            _ => name,
        };
        match name.split_once('/') {
            Some((host, rest)) if host.contains(['.', ':']) || host == "localhost" => rest,
            _ => name,
        }
    }

    /// The tag, if the reference has one.
    #[must_use]
    pub fn tag(&self) -> Option<&str> {
        let name = self.0.split('@').next().unwrap_or_default();
        match name.rsplit_once(':') {
            Some((_, tail)) if !tail.contains('/') => Some(tail),
            _ => None,
        }
    }

    /// Builds a reference from a string mbgen itself composed (a default image).
    #[must_use]
    pub fn builtin(value: String) -> Self {
        debug_assert!(
            Self::try_from(value.clone()).is_ok(),
            "bad builtin image {value}"
        );
        Self(value)
    }
}

impl TryFrom<String> for ImageRef {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        check_single_line("the image reference", &value)?;
        let (name, digest) = match value.split_once('@') {
            Some((name, digest)) => (name, Some(digest)),
            None => (value.as_str(), None),
        };
        let (path, tag) = match name.rsplit_once(':') {
            Some((head, tail)) if !tail.contains('/') => (head, Some(tail)),
            _ => (name, None),
        };
        let bad = |why: &str| {
            Err(format!(
                "invalid image reference `{}`: {why} (expected a form like `node:22-trixie-slim` or `ghcr.io/org/app:1.4.2`)",
                value.escape_debug()
            ))
        };
        if path.is_empty() {
            return bad("the name is empty");
        }
        let mut components = path.split('/').peekable();
        let mut first = true;
        while let Some(component) = components.next() {
            let is_host = first
                && components.peek().is_some()
                && (component.contains(['.', ':']) || component == "localhost");
            first = false;
            if is_host {
                let host_ok = component.split(':').next().is_some_and(|h| {
                    !h.is_empty()
                        && h.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                });
                let port_ok = component
                    .split_once(':')
                    .is_none_or(|(_, p)| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
                if !(host_ok && port_ok) {
                    return bad("the registry host is not valid");
                }
                continue;
            }
            let ok = !component.is_empty()
                && component.starts_with(is_lower_alnum)
                && component.ends_with(is_lower_alnum)
                && component
                    .chars()
                    .all(|c| is_lower_alnum(c) || matches!(c, '.' | '_' | '-'));
            if !ok {
                return bad("each name component uses lowercase letters, digits, `.`, `_` and `-`");
            }
        }
        if let Some(tag) = tag {
            let ok = !tag.is_empty()
                && tag.len() <= 128
                && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                && tag
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
            if !ok {
                return bad("the tag uses letters, digits, `.`, `_` and `-`");
            }
            if tag == "latest" {
                return Err(format!(
                    "image `{value}` uses the `latest` tag: pin a version (for example `{path}:1.2`) so builds are repeatable"
                ));
            }
        }
        if let Some(digest) = digest {
            let ok = digest.split_once(':').is_some_and(|(algo, hex)| {
                !algo.is_empty()
                    && algo.chars().all(|c| is_lower_alnum(c) || c == '+')
                    && hex.len() >= 32
                    && hex.chars().all(|c| c.is_ascii_hexdigit())
            });
            if !ok {
                return bad("the digest must look like `sha256:<64 hex digits>`");
            }
        }
        if tag.is_none() && digest.is_none() && path != "scratch" {
            return Err(format!(
                "image `{value}` has no tag: pin a version (for example `{path}:1.2`) so builds are repeatable"
            ));
        }
        Ok(Self(value))
    }
}

/// An absolute path inside the image, such as `/root/.npmrc`.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(extend("pattern" = r"^/[A-Za-z0-9._@+/-]*$"), example = &"/root/.npmrc")]
pub struct ImagePath(String);
string_newtype!(ImagePath);

impl TryFrom<String> for ImagePath {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        check_single_line("the path", &value)?;
        let ok = value.starts_with('/')
            && value.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+' | '/')
            });
        if ok {
            Ok(Self(value))
        } else {
            Err(format!(
                "`{}` is not an absolute path in the image: start with `/` and use letters, digits, `.`, `_`, `-`, `@`, `+` and `/`",
                value.escape_debug()
            ))
        }
    }
}

/// A TCP port, 1 to 65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[schemars(extend("minimum" = 1, "maximum" = 65535), example = 8080)]
pub struct Port(u16);

impl Port {
    #[must_use]
    pub const fn new(port: u16) -> Self {
        Self(port)
    }

    #[must_use]
    pub const fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Port;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a port number from 1 to 65535, without quotes")
            }
            fn visit_i64<E: serde::de::Error>(self, raw: i64) -> Result<Port, E> {
                match u16::try_from(raw) {
                    Ok(port) if port > 0 => Ok(Port(port)),
                    _ => Err(E::custom(format!(
                        "port {raw} is out of range: use a number from 1 to 65535 (ports below 1024 need root; 8080 is the usual choice)"
                    ))),
                }
            }
            fn visit_u64<E: serde::de::Error>(self, raw: u64) -> Result<Port, E> {
                self.visit_i64(i64::try_from(raw).unwrap_or(i64::MAX))
            }
        }
        deserializer.deserialize_i64(Visitor)
    }
}

/// An environment variable or build argument name: letters, digits and `_`, not starting with
/// a digit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[schemars(extend("pattern" = r"^[A-Za-z_][A-Za-z0-9_]*$"), example = &"NODE_ENV")]
pub struct VarName(String);
string_newtype!(VarName);

impl TryFrom<String> for VarName {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        let ok = value.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if ok {
            Ok(Self(value))
        } else {
            Err(format!(
                "invalid variable name `{}`: use letters, digits and `_`, not starting with a digit",
                value.escape_debug()
            ))
        }
    }
}

/// A free-form single-line value (environment variable, build argument or label value).
/// Quotes, `$` and backslashes are allowed and escaped in the output; line breaks and NUL are
/// not.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(example = &"production")]
pub struct LineValue(String);
string_newtype!(LineValue);

impl TryFrom<String> for LineValue {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        check_single_line("the value", &value)?;
        Ok(Self(value))
    }
}

/// A label key: lowercase letters, digits, `.`, `-`, `_` and `/`, for example
/// `org.opencontainers.image.source`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[schemars(
    extend("pattern" = r"^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?$"),
    example = &"org.opencontainers.image.source"
)]
pub struct LabelKey(String);
string_newtype!(LabelKey);

impl TryFrom<String> for LabelKey {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        let ok = value.starts_with(is_lower_alnum)
            && value.ends_with(is_lower_alnum)
            && value
                .chars()
                .all(|c| is_lower_alnum(c) || matches!(c, '.' | '-' | '_' | '/'));
        if ok {
            Ok(Self(value))
        } else {
            Err(format!(
                "invalid label key `{}`: use lowercase letters, digits, `.`, `-`, `_` and `/` (for example `org.opencontainers.image.source`)",
                value.escape_debug()
            ))
        }
    }
}

/// A system package name for apt or apk, optionally pinned (`curl=8.14.1-2`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[schemars(extend("pattern" = r"^[a-z0-9][a-z0-9+._-]*(=[A-Za-z0-9.+~:_-]+)?$"), example = &"libpq5")]
pub struct PackageName(String);
string_newtype!(PackageName);

impl PackageName {
    /// Whether a version is pinned (`name=version`).
    #[must_use]
    pub fn is_pinned(&self) -> bool {
        self.0.contains('=')
    }
}

impl TryFrom<String> for PackageName {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        let (name, version) = match value.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (value.as_str(), None),
        };
        let name_ok = name.starts_with(is_lower_alnum)
            && name
                .chars()
                .all(|c| is_lower_alnum(c) || matches!(c, '+' | '.' | '_' | '-'));
        let version_ok = version.is_none_or(|v| {
            !v.is_empty()
                && v.chars().all(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '~' | ':' | '_' | '-')
                })
        });
        if name_ok && version_ok {
            Ok(Self(value))
        } else {
            Err(format!(
                "invalid package name `{}`: write a package name, optionally pinned as `name=version` (for example `libpq5` or `curl=8.14.1-2`)",
                value.escape_debug()
            ))
        }
    }
}

/// A toolchain version as it appears in the official image tags: `22`, `3.13`, `1.24.4`.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(extend("pattern" = r"^[0-9]+(\.[0-9]+){0,2}$"), example = &"22")]
pub struct Version(String);
string_newtype!(Version);

impl Version {
    /// A version mbgen itself chose as a default.
    #[must_use]
    pub fn builtin(value: &str) -> Self {
        debug_assert!(
            Self::try_from(value.to_owned()).is_ok(),
            "bad builtin version {value}"
        );
        Self(value.to_owned())
    }
}

impl TryFrom<String> for Version {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        let parts: Vec<&str> = value.split('.').collect();
        let ok = parts.len() <= 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        if ok {
            Ok(Self(value))
        } else {
            Err(format!(
                "invalid version `{}`: write the version as in the image tag, such as `22`, `3.13` or `1.24.4`",
                value.escape_debug()
            ))
        }
    }
}

/// An identifier: a secret id, a user or binary name. Letters, digits, `.`, `_` and `-`,
/// starting with a letter or `_`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[schemars(extend("pattern" = r"^[A-Za-z_][A-Za-z0-9._-]*$"), example = &"npmrc")]
pub struct Ident(String);
string_newtype!(Ident);

impl TryFrom<String> for Ident {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        let ok = value.len() <= 64
            && value.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if ok {
            Ok(Self(value))
        } else {
            Err(format!(
                "invalid name `{}`: use letters, digits, `.`, `_` and `-`, starting with a letter",
                value.escape_debug()
            ))
        }
    }
}

/// A pattern for `.dockerignore`, one line, such as `*.log` or `!keep.log`.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(example = &"coverage/")]
pub struct IgnorePattern(String);
string_newtype!(IgnorePattern);

impl TryFrom<String> for IgnorePattern {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        check_single_line("the pattern", &value)?;
        if value.trim().is_empty() {
            return Err("the pattern is empty".to_owned());
        }
        Ok(Self(value))
    }
}

/// A shell command for a `RUN` step, on one line: `npm run build:prod`.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(example = &"npm run build")]
pub struct ShellCommand(String);
string_newtype!(ShellCommand);

impl TryFrom<String> for ShellCommand {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        check_single_line("the command", &value)?;
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err("the command is empty: write the command to run, or remove the key to use the default".to_owned());
        }
        if trimmed.ends_with('\\') {
            return Err(
                "the command ends with `\\`, which would continue the Dockerfile line".to_owned(),
            );
        }
        if trimmed.contains("<<") {
            return Err("the command uses `<<`, which newer Dockerfile frontends read as the start of a heredoc: put the script in a file and run that".to_owned());
        }
        Ok(Self(trimmed.to_owned()))
    }
}

/// The instruction keywords accepted in `instructions`.
pub(crate) const INSTRUCTION_KEYWORDS: &[&str] = &["RUN", "COPY", "ENV", "ARG", "LABEL"];

/// One Dockerfile instruction on one line, written as it should appear: `RUN ...`, `COPY ...`,
/// `ENV ...`, `ARG ...` or `LABEL ...`. No line breaks, no trailing `\`, no heredoc (`<<`).
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(
    extend("pattern" = r"^\s*(RUN|COPY|ENV|ARG|LABEL)\s+\S"),
    example = &"RUN echo hello"
)]
pub struct Instruction(String);
string_newtype!(Instruction);

impl TryFrom<String> for Instruction {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        check_single_line("the instruction", &value)?;
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(
                "the instruction is empty: write it as in a Dockerfile, such as `RUN echo hello`"
                    .to_owned(),
            );
        }
        if trimmed.ends_with('\\') {
            return Err(
                "the instruction ends with `\\`, which would continue onto the next line"
                    .to_owned(),
            );
        }
        if trimmed.contains("<<") {
            return Err("the instruction uses `<<`, which newer Dockerfile frontends read as the start of a heredoc: put the script in a file, COPY it and RUN that".to_owned());
        }
        let keyword = trimmed
            .split(|c: char| c.is_whitespace())
            .next()
            .unwrap_or_default();
        let upper = keyword.to_ascii_uppercase();
        let allowed = INSTRUCTION_KEYWORDS.join(", ");
        if !INSTRUCTION_KEYWORDS.contains(&keyword) {
            let why = match upper.as_str() {
                k if INSTRUCTION_KEYWORDS.contains(&k) => {
                    format!("write the keyword in capitals: `{upper}`")
                }
                "FROM" => "mbgen owns the stages: to change them, use a project template (docs/templates.md)".to_owned(),
                "USER" => "the user is set with `user`, and mbgen's own `USER` line follows these instructions".to_owned(),
                "WORKDIR" => "a `WORKDIR` would move the steps mbgen writes after it: use absolute paths, or `RUN cd dir && ...`".to_owned(),
                "CMD" | "ENTRYPOINT" => "set the command with `start`".to_owned(),
                "EXPOSE" => "set the ports with `port` and `extra-ports`".to_owned(),
                "HEALTHCHECK" => "set the health check with `healthcheck`".to_owned(),
                "ADD" => "use `COPY`: ADD's downloads and archive unpacking are a hadolint finding".to_owned(),
                _ => format!("start with one of {allowed}, or use a project template (docs/templates.md)"),
            };
            return Err(format!(
                "`{}` is not an instruction accepted here: {why}",
                keyword.escape_debug()
            ));
        }
        if trimmed[keyword.len()..].trim().is_empty() {
            return Err(format!("`{keyword}` needs arguments"));
        }
        Ok(Self(trimmed.to_owned()))
    }
}

/// The name of a template, relative to the project's templates directory (`api.Dockerfile.j2`,
/// `partials/labels.j2`), or a built-in as `mbgen/<name>`. Segments use letters, digits, `.`,
/// `_` and `-`, and do not start with `.`: no `..`, no absolute path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[schemars(
    extend("pattern" = r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$"),
    example = &"api.Dockerfile.j2"
)]
pub struct TemplateName(String);
string_newtype!(TemplateName);

impl TemplateName {
    /// Checks a template name, as written in `mbgen.toml` or in a template's `extends`,
    /// `import` or `include`.
    pub fn check(name: &str) -> Result<(), String> {
        check_single_line("the template name", name)?;
        if name.is_empty() {
            return Err("the template name is empty".to_owned());
        }
        if name.starts_with('/') || name.contains('\\') || name.get(1..2) == Some(":") {
            return Err(format!(
                "template `{}` is an absolute path: name it relative to the templates directory",
                name.escape_debug()
            ));
        }
        if name.split('/').any(|s| s == "..") {
            return Err(format!(
                "template `{}` leaves the templates directory: template names may not contain `..`",
                name.escape_debug()
            ));
        }
        for segment in name.split('/') {
            let ok = !segment.is_empty()
                && !segment.starts_with('.')
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
            if !ok {
                return Err(format!(
                    "invalid template name `{}`: use letters, digits, `.`, `_` and `-` in `/`-separated parts that do not start with `.`",
                    name.escape_debug()
                ));
            }
        }
        Ok(())
    }
}

impl TryFrom<String> for TemplateName {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Self::check(&value)?;
        Ok(Self(value))
    }
}

/// A command run as the container's main process, in exec form: an array of arguments
/// (`["gunicorn", "app:app"]`), or a string split into words like a shell would
/// (`"gunicorn app:app"`), without pipes, redirections or variables.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(with = "ExecCommandSchema")]
pub struct ExecCommand(Vec<String>);

#[derive(JsonSchema)]
#[schemars(untagged)]
#[allow(dead_code)]
enum ExecCommandSchema {
    /// A command line, split into words like a shell would.
    #[schemars(extend("minLength" = 1))]
    Line(String),
    /// The arguments, program first.
    #[schemars(extend("minItems" = 1))]
    Args(Vec<String>),
}

impl ExecCommand {
    #[must_use]
    pub fn args(&self) -> &[String] {
        &self.0
    }

    /// A command mbgen itself composed.
    #[must_use]
    pub fn builtin(args: &[&str]) -> Self {
        Self(args.iter().map(|a| (*a).to_owned()).collect())
    }

    fn from_args(args: Vec<String>) -> Result<Self, String> {
        if args.is_empty() || args[0].trim().is_empty() {
            return Err("the command is empty: name the program to run, for example `[\"node\", \"server.js\"]`".to_owned());
        }
        for arg in &args {
            check_single_line("a command argument", arg)?;
        }
        Ok(Self(args))
    }

    fn from_line(line: &str) -> Result<Self, String> {
        check_single_line("the command", line)?;
        if let Some(op) = ["|", "&&", "||", ";", ">", "<", "$", "`"]
            .into_iter()
            .find(|op| line.contains(op))
        {
            return Err(format!(
                "the command uses `{op}`, which needs a shell: the container's main process runs without one. Write the arguments as an array, or put the logic in a script and run that"
            ));
        }
        let words = shell_words::split(line)
            .map_err(|e| format!("the command cannot be split into words: {e}"))?;
        Self::from_args(words)
    }
}

impl<'de> Deserialize<'de> for ExecCommand {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ExecCommand;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a command: a string such as \"node server.js\" or an array such as [\"node\", \"server.js\"]")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ExecCommand, E> {
                ExecCommand::from_line(v).map_err(E::custom)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ExecCommand, A::Error> {
                let mut args = Vec::new();
                while let Some(arg) = seq.next_element::<String>()? {
                    args.push(arg);
                }
                ExecCommand::from_args(args).map_err(serde::de::Error::custom)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A duration for health checks: a number followed by `s`, `m` or `h` (`30s`, `1m`).
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(extend("pattern" = r"^[0-9]+(ms|s|m|h)$"), example = &"30s")]
pub struct Duration(String);
string_newtype!(Duration);

impl TryFrom<String> for Duration {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        let digits = value.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let unit = &value[digits.len()..];
        let ok = !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit())
            && matches!(unit, "ms" | "s" | "m" | "h");
        if ok {
            Ok(Self(value))
        } else {
            Err(format!(
                "invalid duration `{}`: write a number and a unit, such as `30s`, `500ms` or `1m`",
                value.escape_debug()
            ))
        }
    }
}

/// A URL path for an HTTP health check, such as `/healthz`.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(extend("pattern" = r"^/[A-Za-z0-9._~!*'()@:+,;=/?&%-]*$"), example = &"/healthz")]
pub struct UrlPath(String);
string_newtype!(UrlPath);

impl TryFrom<String> for UrlPath {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        let ok = value.starts_with('/')
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._~!*'()@:+,;=/?&%-".contains(c));
        if ok {
            Ok(Self(value))
        } else {
            Err(format!(
                "invalid URL path `{}`: start with `/` and use URL characters only",
                value.escape_debug()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(s: &str) -> Result<ImageRef, String> {
        ImageRef::try_from(s.to_owned())
    }

    #[test]
    fn image_references() {
        for ok in [
            "node:22-trixie-slim",
            "library/node:22",
            "ghcr.io/org/app:1.4.2",
            "localhost:5000/app:1",
            "gcr.io/distroless/static-debian13:nonroot",
            "scratch",
            "node@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(image(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "node",
            "node:latest",
            "Node:22",
            "node:22 bash",
            "node:22\nRUN id",
            "-node:1",
            "node:",
            "node@sha256:xyz",
        ] {
            assert!(image(bad).is_err(), "{bad:?}");
        }
        let i = image("registry.example.com:5000/team/node:22-alpine3.22").unwrap();
        assert_eq!(i.repository(), "team/node");
        assert_eq!(i.tag(), Some("22-alpine3.22"));
    }

    #[test]
    fn exec_commands() {
        let c = ExecCommand::from_line("gunicorn --bind '0.0.0.0:8080' app:app").unwrap();
        assert_eq!(c.args(), ["gunicorn", "--bind", "0.0.0.0:8080", "app:app"]);
        assert!(ExecCommand::from_line("node a.js | tee log").is_err());
        assert!(ExecCommand::from_line("   ").is_err());
        assert!(ExecCommand::from_args(vec![]).is_err());
        assert!(ExecCommand::from_args(vec!["a\nb".into()]).is_err());
    }

    #[test]
    fn small_values() {
        assert!(ShellCommand::try_from("npm run build \\".to_owned()).is_err());
        assert!(ShellCommand::try_from(" ".to_owned()).is_err());
        assert!(ShellCommand::try_from("cat <<EOF".to_owned()).is_err());
        assert!(PackageName::try_from("curl=8.14.1-2".to_owned())
            .unwrap()
            .is_pinned());
        assert!(PackageName::try_from("curl; rm".to_owned()).is_err());
        assert!(Version::try_from("3.13".to_owned()).is_ok());
        assert!(Version::try_from("3.13-slim".to_owned()).is_err());
        assert!(Duration::try_from("30s".to_owned()).is_ok());
        assert!(Duration::try_from("30".to_owned()).is_err());
        assert!(ServiceName::try_from("api-2".to_owned()).is_ok());
        assert!(ServiceName::try_from("Api".to_owned()).is_err());
        assert!(ServiceName::try_from("api-".to_owned()).is_err());
    }

    #[test]
    fn instructions() {
        let ok = |s: &str| Instruction::try_from(s.to_owned());
        assert_eq!(ok("  RUN echo hi ").unwrap().as_str(), "RUN echo hi");
        assert_eq!(ok("LABEL a=b").unwrap().as_str(), "LABEL a=b");
        for bad in [
            "",
            "RUN",
            "RUN  ",
            "run echo",
            "FROM scratch",
            "USER root",
            "WORKDIR /x",
            "ADD x y",
            "ONBUILD RUN x",
            "RUN a \\",
            "RUN cat <<EOF",
            "RUN a\nRUN b",
            "RUN a\0",
            "# comment",
        ] {
            assert!(ok(bad).is_err(), "{bad:?}");
        }
        assert!(ok("run x").unwrap_err().contains("capitals"));
    }

    #[test]
    fn template_names() {
        for good in [
            "go.Dockerfile.j2",
            "mbgen/_base.Dockerfile.j2",
            "a/b-c_d.j2",
        ] {
            assert!(TemplateName::check(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x.j2",
            "a/../../x",
            "a//b",
            "./a",
            ".hidden",
            "a\\b",
            "C:/x",
            "a b",
            "a\nb",
        ] {
            assert!(TemplateName::check(bad).is_err(), "{bad:?}");
        }
        assert!(TemplateName::check("../x").unwrap_err().contains("`..`"));
    }
}

/// Where images are pushed: a registry host and namespace, without a tag, such as
/// `ghcr.io/acme` or `registry.example.com:5000/platform`. Lowercase.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(
    extend("pattern" = r"^[a-z0-9]([a-z0-9._:-]*[a-z0-9])?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$"),
    example = &"ghcr.io/acme"
)]
pub struct ImageName(String);
string_newtype!(ImageName);

impl TryFrom<String> for ImageName {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        let component_ok = |c: &str, host: bool| {
            !c.is_empty()
                && c.starts_with(is_lower_alnum)
                && c.ends_with(is_lower_alnum)
                && c.chars().all(|ch| {
                    is_lower_alnum(ch) || matches!(ch, '.' | '_' | '-') || (host && ch == ':')
                })
        };
        let ok = value.len() <= 255
            && value
                .split('/')
                .enumerate()
                .all(|(i, c)| component_ok(c, i == 0));
        if ok {
            Ok(Self(value))
        } else {
            Err(format!(
                "invalid image name `{}`: use lowercase letters, digits, `.`, `_`, `-` and `/`, without a tag (for example `ghcr.io/acme` or `ghcr.io/acme/api`)",
                value.escape_debug()
            ))
        }
    }
}

/// An image tag: letters, digits, `_`, `.` and `-`, at most 128 characters, not starting
/// with `.` or `-`.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(
    extend("pattern" = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"),
    example = &"latest"
)]
pub struct Tag(String);
string_newtype!(Tag);

impl TryFrom<String> for Tag {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        let ok = value.len() <= 128
            && value.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if ok {
            Ok(Self(value))
        } else {
            Err(format!(
                "invalid tag `{}`: use letters, digits, `_`, `.` and `-`, starting with a letter, digit or `_`",
                value.escape_debug()
            ))
        }
    }
}

/// A target platform as BuildKit names it: `linux/amd64`, `linux/arm64`, `linux/arm/v7`.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(
    extend("pattern" = r"^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$"),
    example = &"linux/amd64"
)]
pub struct Platform(String);
string_newtype!(Platform);

impl TryFrom<String> for Platform {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        let parts: Vec<&str> = value.split('/').collect();
        let ok = (2..=3).contains(&parts.len())
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| is_lower_alnum(c) || c == '_'));
        if ok {
            Ok(Self(value))
        } else {
            Err(format!(
                "invalid platform `{}`: write it as BuildKit does, `os/arch` or `os/arch/variant` (for example `linux/amd64` or `linux/arm/v7`)",
                value.escape_debug()
            ))
        }
    }
}

/// A BuildKit cache import or export, as `docker buildx build --cache-from/--cache-to` takes
/// it: comma-separated `key=value` pairs starting with `type=`, such as
/// `type=registry,ref=ghcr.io/acme/cache:{service}` or `type=local,dest=/tmp/cache/{service}`.
/// `{service}` is replaced by the service name.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(
    extend("pattern" = r"^type=[a-z0-9-]+(,[a-z0-9_.-]+=[^,\s]+)*$"),
    example = &"type=registry,ref=ghcr.io/acme/cache:{service},mode=max"
)]
pub struct CacheOption(String);
string_newtype!(CacheOption);

impl CacheOption {
    /// The option for one service: `{service}` replaced by its name.
    #[must_use]
    pub fn for_service(&self, service: &str) -> String {
        self.0.replace("{service}", service)
    }
}

impl TryFrom<String> for CacheOption {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        let mut pairs = value.split(',');
        let first_ok = pairs
            .next()
            .and_then(|p| p.strip_prefix("type="))
            .is_some_and(|t| !t.is_empty() && t.chars().all(|c| is_lower_alnum(c) || c == '-'));
        let rest_ok = pairs.all(|p| {
            p.split_once('=').is_some_and(|(k, v)| {
                !k.is_empty()
                    && k.chars()
                        .all(|c| is_lower_alnum(c) || matches!(c, '_' | '.' | '-'))
                    && !v.is_empty()
                    && !v
                        .chars()
                        .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '\\' | '$'))
            })
        });
        if first_ok && rest_ok {
            Ok(Self(value))
        } else {
            Err(format!(
                "invalid cache option `{}`: write `type=<type>` then `,key=value` pairs, without spaces or quotes (for example `type=registry,ref=ghcr.io/acme/cache:{{service}}`)",
                value.escape_debug()
            ))
        }
    }
}
