//! Names: of services, variables, labels, packages, identifiers, versions and templates.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

use super::{check_single_line, is_lower_alnum, shown};

/// A service name: lowercase letters, digits and `-`, starting with a letter (at most 63
/// characters). It names the image, the Compose service and the Bake target.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema)]
#[schemars(
    extend("pattern" = r"^[a-z][a-z0-9-]{0,62}$")
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
                shown(&value)
            ))
        }
    }
}

/// An environment variable or build argument name: letters, digits and `_`, not starting with
/// a digit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[schemars(extend("pattern" = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
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
                shown(&value)
            ))
        }
    }
}

/// A label key: lowercase letters, digits, `.`, `-`, `_` and `/`, for example
/// `org.opencontainers.image.source`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[schemars(
    extend("pattern" = r"^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?$")
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
                shown(&value)
            ))
        }
    }
}

/// A system package name for apt or apk, optionally pinned (`curl=8.14.1-2`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[schemars(extend("pattern" = r"^[a-z0-9][a-z0-9+._-]*(=[A-Za-z0-9.+~:_-]+)?$"))]
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
                shown(&value)
            ))
        }
    }
}

/// A toolchain version as it appears in the official image tags: `22`, `3.13`, `1.24.4`.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(extend("pattern" = r"^[0-9]+(\.[0-9]+){0,2}$"))]
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
                shown(&value)
            ))
        }
    }
}

/// An identifier: a secret id, a user or binary name. Letters, digits, `.`, `_` and `-`,
/// starting with a letter or `_`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[schemars(extend("pattern" = r"^[A-Za-z_][A-Za-z0-9._-]*$"))]
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
                shown(&value)
            ))
        }
    }
}

/// The name of a template, relative to the project's templates directory (`api.Dockerfile.j2`,
/// `partials/labels.j2`), or a built-in as `mbgen/<name>`. Segments use letters, digits, `.`,
/// `_` and `-`, and do not start with `.`: no `..`, no absolute path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[schemars(
    extend("pattern" = r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")
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
                shown(name)
            ));
        }
        if name.split('/').any(|s| s == "..") {
            return Err(format!(
                "template `{}` leaves the templates directory: template names may not contain `..`",
                shown(name)
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
                    shown(name)
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
