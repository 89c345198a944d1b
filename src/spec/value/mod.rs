//! Validated newtypes for values that end up in a Dockerfile.
//!
//! Each type rejects bad input while the TOML is parsed, so the error points at the
//! offending value and no later stage can see a value that would break the output.

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

mod command;
mod image;
mod names;
mod scalar;

pub(crate) use command::{ExecCommand, Instruction, ShellCommand};
pub(crate) use image::{CacheOption, ImageName, ImagePath, ImageRef, Platform, Registry, Tag};
pub(crate) use names::{Ident, LabelKey, PackageName, ServiceName, TemplateName, VarName, Version};
pub(crate) use scalar::{Duration, IgnorePattern, LineValue, Port, UrlPath};

fn is_lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// A value as an error message shows it: escaped, and cut short when long, so that a huge
/// value cannot flood the terminal.
fn shown(value: &str) -> String {
    const MAX: usize = 60;
    let mut out: String = value
        .chars()
        .take(MAX)
        .collect::<String>()
        .escape_debug()
        .to_string();
    if value.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}

/// Rejects characters that can never appear in a single-line Dockerfile value: NUL, line
/// breaks (the Unicode line and paragraph separators too), and every other control character
/// but the tab, which terminals and BuildKit's parser would not show as written.
fn check_single_line(what: &str, value: &str) -> Result<(), String> {
    if value.contains('\0') {
        return Err(format!("{what} contains a NUL character"));
    }
    if value.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']) {
        return Err(format!(
            "{what} contains a line break; Dockerfile values must fit on one line"
        ));
    }
    if let Some(c) = value.chars().find(|&c| is_forbidden_control(c)) {
        return Err(format!(
            "{what} contains the control character U+{:04X}; write it without (a tab is fine)",
            u32::from(c)
        ));
    }
    Ok(())
}

/// A control character no generated file may hold as it is: every one but the tab (and the
/// line breaks, which have their own message), plus the byte-order mark.
pub(crate) fn is_forbidden_control(c: char) -> bool {
    (c.is_control() && c != '\t') || c == '\u{feff}'
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
            "node@sha256:0123456789abcdef0123456789abcdef",
            "localhost:5000:6000/app:1",
            "my_-app:1",
            "app..x:1",
            "-h.io/app:1",
        ] {
            assert!(image(bad).is_err(), "{bad:?}");
        }
        for ok in [
            "my__app:1",
            "my---app:1",
            "[::1]:5000/app:1",
            "Host.IO/app:1",
        ] {
            assert!(image(ok).is_ok(), "{ok}");
        }
        let name = |s: &str| ImageName::try_from(s.to_owned());
        assert!(name("ghcr.io/acme/api").is_ok());
        assert!(name("api").is_ok());
        assert!(name("myapp:1.0").unwrap_err().contains("`myapp`"));
        assert!(name("localhost:5000/app").is_ok());
        let registry = |s: &str| Registry::try_from(s.to_owned());
        for ok in [
            "ghcr.io/acme",
            "localhost:5000",
            "registry.example.com:5000/platform",
            "acme",
        ] {
            assert!(registry(ok).is_ok(), "{ok}");
        }
        for bad in [
            "localhost:5000:6000",
            "ghcr.io/acme:1",
            "ghcr.io/",
            "acme/Team",
            "",
        ] {
            assert!(registry(bad).is_err(), "{bad}");
        }
        let i = image("registry.example.com:5000/team/node:22-alpine3.22").unwrap();
        assert_eq!(i.repository(), "team/node");
        assert_eq!(i.tag(), Some("22-alpine3.22"));
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
            "RUN\u{a0}echo hi",
            "RUN echo \u{1b}[31m",
            "ENV plain",
            "ENV A=1 b",
            "ENV =x",
            "LABEL x",
            "COPY only-one",
            "ENV A=\"unclosed",
        ] {
            assert!(ok(bad).is_err(), "{bad:?}");
        }
        assert!(ok("run x").unwrap_err().contains("capitals"));
        for good in [
            "ENV A=1 B=\"two words\"",
            "ENV LEGACY some value",
            "LABEL a=b",
            "ARG VERSION",
            "COPY --chown=1:1 a b",
            "COPY [\"a b\", \"/c\"]",
            "RUN echo 'it''s' \"x\"",
        ] {
            assert!(ok(good).is_ok(), "{good}");
        }
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
