//! The one type for a path inside the project: relative, `/`-separated and normalised.
//!
//! Below every stage of the pipeline: the spec parses user paths into it, the model joins and
//! relativises with it, and the planners print it. The empty path is the directory itself,
//! shown as `.`.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

// Normalised when made: no leading `/`, no `.`, `..` or empty components; the empty path is
// the directory itself. The doc comment below is the schema's description of user paths.
/// A path relative to the directory of `mbgen.toml` (or to the service's `path`), written with
/// `/`. It may not leave the project (`..`) or be absolute. Names keep their real spelling
/// (spaces, `Ü`, `$`, quotes) and are quoted for each file mbgen writes; control characters,
/// `\`, the pattern characters `*`, `?`, `[`, `]`, a name starting with `-` and a name that
/// starts or ends with a space are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema)]
#[schemars(extend("pattern" = r"^[^\\*?\[\]\u0000-\u001f\u007f-\u009f]+$"))]
pub struct RelPath(String);

impl RelPath {
    /// The directory itself.
    #[must_use]
    pub const fn root() -> Self {
        Self(String::new())
    }

    /// Parses a path a user wrote: relative, with `/` separators, not leaving the directory.
    /// `.` components are dropped; `.` alone is the directory itself.
    pub fn parse(value: &str) -> Result<Self, String> {
        if value.contains('\0') {
            return Err("the path contains a NUL character".to_owned());
        }
        if value.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']) {
            return Err(
                "the path contains a line break; Dockerfile values must fit on one line".to_owned(),
            );
        }
        if value.is_empty() {
            return Err("the path is empty; use `.` for the directory itself".to_owned());
        }
        let shown = shown(value);
        if value.starts_with('/') || value.contains('\\') || value.get(1..2) == Some(":") {
            return Err(format!(
                "`{shown}` is not a relative path: write it relative to the directory of mbgen.toml, with `/` separators"
            ));
        }
        if value.split('/').any(|c| c == "..") {
            return Err(format!(
                "`{shown}` leaves the project directory: paths may not contain `..`"
            ));
        }
        for component in value.split('/') {
            if let Err(why) = check_component(component) {
                return Err(format!("the path `{shown}` {why}"));
            }
        }
        Ok(Self::normalize(value).expect("a path without `..` stays inside"))
    }

    /// Whether a file or directory name can be part of a path: what [`RelPath::parse`]
    /// accepts of each component.
    #[must_use]
    pub fn is_valid_name(name: &str) -> bool {
        !name.is_empty()
            && name != "."
            && name != ".."
            && !name.contains(['/', '\\'])
            && check_component(name).is_ok()
    }

    /// Normalises a path read from a project file (`./dist/`, `crates/api/../core`): `.` and
    /// empty components dropped, `dir/..` folded. `None` when it is absolute or leaves the
    /// directory.
    #[must_use]
    pub fn normalize(raw: &str) -> Option<Self> {
        if raw.starts_with('/') {
            return None;
        }
        let mut parts: Vec<&str> = Vec::new();
        for part in raw.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop()?;
                }
                p => parts.push(p),
            }
        }
        Some(Self(parts.join("/")))
    }

    /// A path mbgen composes itself from normal parts (`Dockerfile`, `go.sum`).
    #[must_use]
    pub fn from_normal(value: &str) -> Self {
        debug_assert!(
            Self::normalize(value).is_some_and(|p| p.0 == value),
            "not a normal relative path: {value:?}"
        );
        Self(value.to_owned())
    }

    /// The path as written in `mbgen.toml` and commands: empty for the directory itself.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path as shown and as written in Dockerfile arguments: `.` for the directory itself.
    #[must_use]
    pub fn display(&self) -> &str {
        if self.0.is_empty() {
            "."
        } else {
            &self.0
        }
    }

    /// Whether this is the directory itself.
    #[must_use]
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// `self/rest`.
    #[must_use]
    pub fn join(&self, rest: &Self) -> Self {
        self.join_str(&rest.0)
    }

    /// `self/rest`, for a normal `rest` composed by mbgen (a file name, `src`).
    #[must_use]
    pub fn join_str(&self, rest: &str) -> Self {
        match (self.0.is_empty(), rest.is_empty()) {
            (true, _) => Self(rest.to_owned()),
            (false, true) => self.clone(),
            (false, false) => Self(format!("{}/{rest}", self.0)),
        }
    }

    /// The directory holding this path: the root for a path of one component (and for the
    /// root itself).
    #[must_use]
    pub fn parent(&self) -> Self {
        Self(
            self.0
                .rsplit_once('/')
                .map_or("", |(dir, _)| dir)
                .to_owned(),
        )
    }

    /// The last component: empty for the root.
    #[must_use]
    pub fn file_name(&self) -> &str {
        self.0.rsplit_once('/').map_or(&self.0, |(_, name)| name)
    }

    /// Whether this path is `base` or lies below it.
    #[must_use]
    pub fn starts_with(&self, base: &Self) -> bool {
        self.strip_prefix(base).is_some()
    }

    /// This path relative to `base`, when it is `base` (the root) or lies below it.
    #[must_use]
    pub fn strip_prefix(&self, base: &Self) -> Option<Self> {
        if base.0.is_empty() {
            return Some(self.clone());
        }
        if self.0 == base.0 {
            return Some(Self::root());
        }
        self.0
            .strip_prefix(&base.0)?
            .strip_prefix('/')
            .map(|rest| Self(rest.to_owned()))
    }

    /// This path as seen from the directory `from`, with `..` where needed: `.` when they are
    /// the same.
    #[must_use]
    pub fn relative_from(&self, from: &Self) -> String {
        let parts = |p: &Self| -> Vec<String> { p.components().map(str::to_owned).collect() };
        let (from, to) = (parts(from), parts(self));
        let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
        let mut out: Vec<&str> = vec![".."; from.len() - common];
        out.extend(to[common..].iter().map(String::as_str));
        if out.is_empty() {
            ".".to_owned()
        } else {
            out.join("/")
        }
    }

    /// The components, none for the root.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/').filter(|c| !c.is_empty())
    }

    /// How many components the path has: `../` that many times leads back from it.
    #[must_use]
    pub fn depth(&self) -> usize {
        self.components().count()
    }
}

/// What is wrong with one component of a path, said after the path itself.
fn check_component(component: &str) -> Result<(), String> {
    if let Some(c) = component
        .chars()
        .find(|&c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}'))
    {
        return Err(format!(
            "contains the control character U+{:04X}",
            u32::from(c)
        ));
    }
    if let Some(c) = component
        .chars()
        .find(|c| matches!(c, '*' | '?' | '[' | ']'))
    {
        return Err(format!(
            "contains `{c}`: Docker reads `*`, `?`, `[` and `]` in COPY and .dockerignore as patterns, so such a name cannot be named exactly; rename it"
        ));
    }
    if component.starts_with('-') {
        return Err(
            "has a name starting with `-`, which COPY and the tools read as an option; rename it"
                .to_owned(),
        );
    }
    if component != component.trim() {
        return Err(
            "has a name starting or ending with a space, which Dockerfiles and .dockerignore drop; rename it"
                .to_owned(),
        );
    }
    Ok(())
}

/// A path as a message shows it: escaped, and cut short when long.
fn shown(value: &str) -> String {
    const MAX: usize = 80;
    let mut out = value
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

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display())
    }
}

impl Serialize for RelPath {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.display())
    }
}

impl<'de> Deserialize<'de> for RelPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> RelPath {
        RelPath::parse(s).unwrap()
    }

    #[test]
    fn parses_and_normalises() {
        assert_eq!(p("./services//api/").as_str(), "services/api");
        assert_eq!(p(".").as_str(), "");
        assert_eq!(p(".").display(), ".");
        for bad in [
            "", "/abs", "a/../b", "C:/x", "a\\b", "a\nb", "a\u{1b}b", "src/*.js", "-x", "a/ b",
            "a /b", "[x]",
        ] {
            assert!(RelPath::parse(bad).is_err(), "{bad:?}");
        }
        for good in [
            "a b",
            "Ümlaut/app",
            "$cash",
            "it's",
            "q\"d",
            "#x",
            "a,b=c",
            "x-",
        ] {
            assert_eq!(p(good).as_str(), good);
        }
        assert!(RelPath::is_valid_name("web app"));
        assert!(!RelPath::is_valid_name("a*"));
        assert!(!RelPath::is_valid_name(".."));
        assert_eq!(
            RelPath::normalize("crates/api/../core").unwrap().as_str(),
            "crates/core"
        );
        assert_eq!(RelPath::normalize("../x"), None);
    }

    #[test]
    fn joins_and_relativises() {
        assert_eq!(RelPath::root().join(&p("a")).as_str(), "a");
        assert_eq!(p("a").join(&RelPath::root()).as_str(), "a");
        assert_eq!(p("a").join_str("b/c").as_str(), "a/b/c");
        assert_eq!(p("a/b").parent().as_str(), "a");
        assert_eq!(p("a").parent().as_str(), "");
        assert_eq!(p("a/b").file_name(), "b");
        assert_eq!(p("a/b").strip_prefix(&p("a")).unwrap().as_str(), "b");
        assert_eq!(p("a").strip_prefix(&p("a")).unwrap().as_str(), "");
        assert_eq!(p("ab").strip_prefix(&p("a")), None);
        assert_eq!(p("x").strip_prefix(&RelPath::root()).unwrap().as_str(), "x");
        assert_eq!(RelPath::root().relative_from(&RelPath::root()), ".");
        assert_eq!(
            p("services/api").relative_from(&RelPath::root()),
            "services/api"
        );
        assert_eq!(
            p("services/api").relative_from(&p("docker")),
            "../services/api"
        );
        assert_eq!(RelPath::root().relative_from(&p("docker")), "..");
        assert_eq!(p("docker").relative_from(&p("docker/bake")), "..");
        assert_eq!(p("a/b").depth(), 2);
    }
}
