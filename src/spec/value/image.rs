//! Images and what Bake and Compose say of them: references, paths inside an image, image
//! names, tags, platforms and cache options.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

use super::{check_single_line, is_lower_alnum, shown};

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
        self.parts().path
    }

    /// The tag, if the reference has one.
    #[must_use]
    pub fn tag(&self) -> Option<&str> {
        self.parts().tag
    }

    fn parts(&self) -> Reference<'_> {
        Reference::parse(&self.0).expect("an image reference is checked when made")
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
        let bad = |why: &str| {
            format!(
                "invalid image reference `{}`: {why} (expected a form like `node:22-trixie-slim` or `ghcr.io/org/app:1.4.2`)",
                shown(&value)
            )
        };
        let reference = Reference::parse(&value).map_err(bad)?;
        let path = reference.path;
        if reference.tag == Some("latest") {
            return Err(format!(
                "image `{}` uses the `latest` tag: pin a version (for example `{}:1.2`) so builds are repeatable",
                shown(&value),
                shown(path)
            ));
        }
        if reference.tag.is_none() && reference.digest.is_none() && value != "scratch" {
            return Err(format!(
                "image `{}` has no tag: pin a version (for example `{}:1.2`) so builds are repeatable",
                shown(&value),
                shown(path)
            ));
        }
        Ok(Self(value))
    }
}

/// An image reference split by the grammar of the distribution project
/// (`github.com/distribution/reference`), which Docker, BuildKit, Bake and Compose all follow:
/// `[domain[:port]/]path[:tag][@digest]`.
#[derive(Debug, PartialEq, Eq)]
struct Reference<'a> {
    domain: Option<&'a str>,
    path: &'a str,
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

impl<'a> Reference<'a> {
    /// Parses a reference, saying what is wrong when it breaks the grammar.
    fn parse(value: &'a str) -> Result<Self, &'static str> {
        let (name, digest) = match value.split_once('@') {
            Some((name, digest)) => (name, Some(digest)),
            None => (value, None),
        };
        let (name, tag) = match name.rsplit_once(':') {
            Some((head, tail)) if !tail.contains('/') => (head, Some(tail)),
            _ => (name, None),
        };
        let (domain, path) = match name.split_once('/') {
            Some((first, rest))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.chars().any(|c| c.is_ascii_uppercase()) =>
            {
                (Some(first), rest)
            }
            _ => (None, name),
        };
        if path.is_empty() {
            return Err("the name is empty");
        }
        if name.len() > 255 {
            return Err("the name is longer than 255 characters");
        }
        if let Some(domain) = domain {
            if !domain_ok(domain) {
                return Err("the registry must be a host name or an IP address, with at most one `:port` (digits)");
            }
        }
        if !path.split('/').all(path_component_ok) {
            return Err("each name component uses lowercase letters and digits, separated by one `.`, one or two `_`, or `-`s");
        }
        if let Some(tag) = tag {
            let ok = (1..=128).contains(&tag.len())
                && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                && tag
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
            if !ok {
                return Err("the tag uses letters, digits, `.`, `_` and `-` (at most 128), not starting with `.` or `-`");
            }
        }
        if let Some(digest) = digest {
            if !digest_ok(digest) {
                return Err("the digest must look like `sha256:<64 hex digits>`");
            }
        }
        Ok(Self {
            domain,
            path,
            tag,
            digest,
        })
    }
}

/// `host[:port]`: a domain name of dot-separated labels, or an IPv6 address in brackets.
fn domain_ok(domain: &str) -> bool {
    let (host, port) = if let Some(rest) = domain.strip_prefix('[') {
        let Some((ipv6, after)) = rest.split_once(']') else {
            return false;
        };
        if ipv6.is_empty() || !ipv6.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
            return false;
        }
        match after {
            "" => return true,
            _ => match after.strip_prefix(':') {
                Some(port) => (None, Some(port)),
                None => return false,
            },
        }
    } else {
        match domain.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(domain), None),
        }
    };
    let host_ok = host.is_none_or(|h| {
        h.split('.').all(|label| {
            !label.is_empty()
                && label.starts_with(|c: char| c.is_ascii_alphanumeric())
                && label.ends_with(|c: char| c.is_ascii_alphanumeric())
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
    });
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()));
    host_ok && port_ok
}

/// A path component: runs of lowercase letters and digits, joined by `.`, `_`, `__` or `-`s.
fn path_component_ok(component: &str) -> bool {
    let mut rest = component;
    loop {
        let run = rest.len() - rest.trim_start_matches(is_lower_alnum).len();
        if run == 0 {
            return false;
        }
        rest = &rest[run..];
        if rest.is_empty() {
            return true;
        }
        let separator = if rest.starts_with("__") {
            2
        } else if rest.starts_with(['.', '_']) {
            1
        } else {
            rest.len() - rest.trim_start_matches('-').len()
        };
        if separator == 0 {
            return false;
        }
        rest = &rest[separator..];
    }
}

/// `algorithm:hex`: `sha256` takes exactly 64 hex digits, other algorithms at least 32.
fn digest_ok(digest: &str) -> bool {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return false;
    };
    let algorithm_ok = algorithm.split(['+', '.', '_', '-']).all(|part| {
        part.starts_with(|c: char| c.is_ascii_alphabetic())
            && part.chars().all(|c| c.is_ascii_alphanumeric())
    });
    let hex_ok = hex.chars().all(|c| c.is_ascii_hexdigit())
        && if algorithm == "sha256" {
            hex.len() == 64
        } else {
            hex.len() >= 32
        };
    algorithm_ok && hex_ok
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
                shown(&value)
            ))
        }
    }
}

/// An image name without tag or digest, such as `ghcr.io/acme/storefront` or `storefront`:
/// an optional registry host (`registry.example.com:5000`), then lowercase path components.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(
    extend("pattern" = r"^([A-Za-z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+([._-][a-z0-9]+|__[a-z0-9]+|-+[a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+|__[a-z0-9]+|-+[a-z0-9]+)*)*$")
)]
pub struct ImageName(String);
string_newtype!(ImageName);

impl TryFrom<String> for ImageName {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        check_single_line("the image name", &value)?;
        let reference = Reference::parse(&value).map_err(|why| {
            format!(
                "invalid image name `{}`: {why} (for example `ghcr.io/acme/api` or `api`)",
                shown(&value)
            )
        })?;
        if reference.tag.is_some() || reference.digest.is_some() {
            let bare = match reference.domain {
                Some(domain) => format!("{domain}/{}", reference.path),
                None => reference.path.to_owned(),
            };
            return Err(format!(
                "image name `{}` has a tag or digest: write the name alone (`{}`); the tags come from `tags`",
                shown(&value),
                shown(&bare)
            ));
        }
        Ok(Self(value))
    }
}

/// Where images are pushed: a registry host and namespace, without a tag, such as
/// `ghcr.io/acme`, `registry.example.com:5000/platform` or `localhost:5000`. A service's image
/// is `<registry>/<service name>`.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(
    extend("pattern" = r"^[A-Za-z0-9.-]+(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+|__[a-z0-9]+|-+[a-z0-9]+)*)*$")
)]
pub struct Registry(String);
string_newtype!(Registry);

impl TryFrom<String> for Registry {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        check_single_line("the registry", &value)?;
        // The registry prefixes image names: it is valid when `<registry>/<service>` is a
        // name without tag.
        let name = format!("{value}/x");
        let reference = Reference::parse(&name).map_err(|why| {
            format!(
                "invalid registry `{}`: {why} (for example `ghcr.io/acme` or `localhost:5000`)",
                shown(&value)
            )
        })?;
        if reference.tag.is_some() || reference.digest.is_some() || value.ends_with('/') {
            return Err(format!(
                "invalid registry `{}`: write the host and namespace only, without a tag (for example `ghcr.io/acme`)",
                shown(&value)
            ));
        }
        Ok(Self(value))
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
                shown(&value)
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
                shown(&value)
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
                shown(&value)
            ))
        }
    }
}
