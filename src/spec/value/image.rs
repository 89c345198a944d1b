//! Images and what Bake and Compose say of them: references, paths inside an image, image
//! names, tags, platforms and cache options.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

use super::{check_single_line, is_lower_alnum};

/// A container image reference such as `node:22-trixie-slim`,
/// `registry.example.com:5000/team/app:1.2`, or one pinned by digest (`name@sha256:...`).
/// A tag or digest is required, and `latest` is refused: base images are pinned.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
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
#[schemars(extend("pattern" = r"^/[A-Za-z0-9._@+/-]*$"))]
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

/// Where images are pushed: a registry host and namespace, without a tag, such as
/// `ghcr.io/acme` or `registry.example.com:5000/platform`. Lowercase.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(
    extend("pattern" = r"^[a-z0-9]([a-z0-9._:-]*[a-z0-9])?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$")
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
    extend("pattern" = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
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
    extend("pattern" = r"^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$")
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
    extend("pattern" = r"^type=[a-z0-9-]+(,[a-z0-9_.-]+=[^,\s]+)*$")
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
