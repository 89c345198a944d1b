//! Small values: ports, single-line values, ignore patterns, durations and URL paths.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

use super::{check_single_line, shown};

/// A TCP port, 1 to 65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[schemars(extend("minimum" = 1, "maximum" = 65535))]
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

/// A free-form single-line value (environment variable, build argument or label value).
/// Quotes, `$` and backslashes are allowed and escaped in the output; line breaks and NUL are
/// not.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
pub struct LineValue(String);
string_newtype!(LineValue);

impl TryFrom<String> for LineValue {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        check_single_line("the value", &value)?;
        Ok(Self(value))
    }
}

/// A pattern for `.dockerignore`, one line, such as `*.log` or `!keep.log`.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
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

/// A duration for health checks: a number followed by `s`, `m` or `h` (`30s`, `1m`).
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(extend("pattern" = r"^[0-9]+(ms|s|m|h)$"))]
pub struct Duration(String);
string_newtype!(Duration);

impl TryFrom<String> for Duration {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        let digits = value.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let unit = &value[digits.len()..];
        let nanos_per_unit: u128 = match unit {
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => 0,
        };
        let ok =
            !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) && nanos_per_unit > 0;
        if ok {
            // Docker reads durations into a signed 64-bit count of nanoseconds.
            let fits = digits
                .parse::<u128>()
                .ok()
                .and_then(|n| n.checked_mul(nanos_per_unit))
                .is_some_and(|ns| ns <= u128::from(i64::MAX.unsigned_abs()));
            if !fits {
                return Err(format!(
                    "duration `{value}` is too long: Docker takes durations up to about 292 years (`2562047h`)"
                ));
            }
            Ok(Self(value))
        } else {
            Err(format!(
                "invalid duration `{}`: write a number and a unit, such as `30s`, `500ms` or `1m`",
                shown(&value)
            ))
        }
    }
}

/// A URL path for an HTTP health check, such as `/healthz`.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(extend("pattern" = r"^/[A-Za-z0-9._~!*'()@:+,;=/?&%-]*$"))]
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
                shown(&value)
            ))
        }
    }
}
