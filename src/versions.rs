//! The toolchain versions mbgen supports, per language, in one table: the default a service
//! gets when nothing pins one, and the versions `init` may propose. Both `detect` (which
//! reads what a project asks for) and `model` (which applies the default) read it.
//!
//! What a project writes is read as it is meant: a minimum (`go 1.15`, `engines.node
//! ">=18"`, `requires-python = ">=3.8"`) picks the newest supported version it allows; an
//! exact pin (`.nvmrc`, `.python-version`, `toolchain go1.26.5`) is honoured at its
//! major.minor while that line is supported. Nothing proposes an image of a version that is
//! out of support or does not exist.

/// The day the table was last checked against the upstream release schedules.
pub(crate) const CHECKED: &str = "2026-11-30";

/// A language with a version table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    Node,
    Python,
    Go,
}

impl Lang {
    /// The supported release lines, oldest first, as the official image tags name them.
    #[must_use]
    pub(crate) const fn supported(self) -> &'static [&'static str] {
        match self {
            // Node: the even (LTS) lines still maintained; 20 reached its end in 2026-04.
            Self::Node => &["22", "24", "26"],
            // Python: 3.10 reached its end in 2026-10.
            Self::Python => &["3.11", "3.12", "3.13", "3.14"],
            // Go: the two newest releases; 1.24 and 1.25 are out of upstream support.
            Self::Go => &["1.26", "1.27"],
        }
    }

    /// The version a service gets when nothing pins one.
    #[must_use]
    pub(crate) const fn default(self) -> &'static str {
        match self {
            Self::Node => "22",
            Self::Python => "3.13",
            Self::Go => "1.24",
        }
    }

    #[must_use]
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Node => "Node",
            Self::Python => "Python",
            Self::Go => "Go",
        }
    }
}

/// A version picked for a project, and how, to append to the comment naming the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Picked {
    pub version: String,
    /// `pinned at 3.12`, `the newest supported version it allows`...
    pub how: String,
    /// Something the user should know: the pin is out of support, the range allows none.
    pub note: Option<String>,
}

/// `(major, minor, patch)`, missing parts as given.
type Triple = (u32, u32, u32);

fn numbers(s: &str) -> Vec<u32> {
    let s = s.trim().trim_start_matches(['v', 'V', '=']).trim();
    let mut out = Vec::new();
    for part in s.split('.') {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        match digits.parse() {
            Ok(n) => out.push(n),
            Err(_) => break,
        }
        if digits.len() != part.len() {
            break;
        }
    }
    out
}

fn line_of(lang: Lang, version: &str) -> Option<String> {
    // `python-3.12.4` (runtime.txt), `go1.26.5`: the version starts at the first digit.
    let n = numbers(&version[version.find(|c: char| c.is_ascii_digit())?..]);
    match lang {
        Lang::Node => n.first().map(ToString::to_string),
        Lang::Python | Lang::Go => match n.as_slice() {
            [major, minor, ..] => Some(format!("{major}.{minor}")),
            _ => None,
        },
    }
}

/// An exact version (`24.14.1`, `3.12.4`, `go1.26.5`): its line when supported; otherwise
/// the oldest supported line above it, with a note.
#[must_use]
pub(crate) fn pin(lang: Lang, version: &str) -> Option<Picked> {
    let line = line_of(lang, version)?;
    let supported = lang.supported();
    if supported.contains(&line.as_str()) {
        return Some(Picked {
            how: format!("pinned at {line}"),
            version: line,
            note: None,
        });
    }
    let key = numbers(&line);
    let newer = supported.iter().find(|s| numbers(s) > key);
    let pick = newer.unwrap_or_else(|| supported.last().expect("a table is never empty"));
    Some(Picked {
        version: (*pick).to_owned(),
        how: format!("{line} is not supported, so the nearest supported line"),
        note: Some(format!(
            "{} {line} is pinned, and {} it is {} (mbgen's table of versions, checked {CHECKED}); the image uses {pick}: check that the app runs on it",
            lang.name(),
            if newer.is_some() { "upstream support for" } else { "mbgen does not know" },
            if newer.is_some() { "over" } else { "yet" },
        )),
    })
}

/// A range (`>=18`, `^18 || ^20`, `>=3.14,<4.0`, `^3.9`, `go 1.15` as a minimum): the newest
/// supported line it allows. `None` when it says nothing usable (`lts/*`, `node`).
#[must_use]
pub(crate) fn range(lang: Lang, spec: &str) -> Option<Picked> {
    let spec = spec.trim();
    let alternatives: Vec<Vec<Comparator>> =
        spec.split("||").map(comparators).collect::<Option<_>>()?;
    if alternatives.iter().all(Vec::is_empty) {
        return None;
    }
    let allows = |line: &str| {
        let n = numbers(line);
        // A line stands for its newest release; its first one must be allowed too for a
        // lower bound inside the line (`>=20.11` allows 20).
        let newest: Triple = (
            n[0],
            n.get(1).copied().unwrap_or(u32::MAX / 2),
            u32::MAX / 2,
        );
        alternatives
            .iter()
            .any(|alt| !alt.is_empty() && alt.iter().all(|c| c.allows(newest, lang)))
    };
    let supported = lang.supported();
    if let Some(best) = supported.iter().rev().find(|l| allows(l)) {
        return Some(Picked {
            version: (*best).to_owned(),
            how: "the newest supported version it allows".to_owned(),
            note: None,
        });
    }
    let newest = supported.last().expect("a table is never empty");
    Some(Picked {
        version: (*newest).to_owned(),
        how: "no supported version fits it, so the newest".to_owned(),
        note: Some(format!(
            "`{spec}` allows no {} version mbgen supports ({}, checked {CHECKED}); the image uses {newest}: check that the app runs on it",
            lang.name(),
            supported.join(", ")
        )),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Ge,
    Gt,
    Le,
    Lt,
    Eq,
    Ne,
    /// `^x.y.z`: the same major (Node) or, for Python, Poetry's "same leading non-zero part".
    Caret,
    /// `~x.y` / `~=x.y`: the same minor (or major for `~=x.y` in PEP 440).
    Tilde,
    Compatible,
}

#[derive(Debug, Clone)]
struct Comparator {
    op: Op,
    version: Vec<u32>,
    /// `==3.14.*`, `20.x`: a prefix match.
    wildcard: bool,
}

/// The comparators of one alternative; `None` when a word is not a version at all.
fn comparators(alternative: &str) -> Option<Vec<Comparator>> {
    let mut out = Vec::new();
    let text = alternative.replace(',', " ");
    let mut words = text.split_whitespace().peekable();
    while let Some(word) = words.next() {
        // `>= 18` written with a space.
        let word = if matches!(
            word,
            ">=" | "<=" | ">" | "<" | "==" | "!=" | "~=" | "^" | "~"
        ) {
            format!("{word}{}", words.next().unwrap_or_default())
        } else {
            word.to_owned()
        };
        if word == "-" {
            // `18 - 22`: the previous is a lower bound, the next an upper one.
            if let (Some(prev), Some(next)) = (out.last_mut(), words.next()) {
                let prev: &mut Comparator = prev;
                prev.op = Op::Ge;
                prev.wildcard = false;
                out.push(Comparator {
                    op: Op::Le,
                    version: numbers(next),
                    wildcard: true,
                });
            }
            continue;
        }
        let ops = [
            (">=", Op::Ge),
            ("<=", Op::Le),
            ("==", Op::Eq),
            ("!=", Op::Ne),
            ("~=", Op::Compatible),
            (">", Op::Gt),
            ("<", Op::Lt),
            ("^", Op::Caret),
            ("~", Op::Tilde),
            ("=", Op::Eq),
        ];
        let (op, rest) = ops
            .iter()
            .find_map(|(p, op)| word.strip_prefix(p).map(|r| (*op, r)))
            .unwrap_or((Op::Eq, word.as_str()));
        let version = numbers(rest);
        if version.is_empty() {
            if matches!(rest, "*" | "x" | "X") {
                continue;
            }
            return None;
        }
        // `3.14.*`, `20.x`, and a bare `20` or `3.12` in a range mean the whole line.
        let wildcard =
            op == Op::Eq && (rest.contains('*') || rest.contains('x') || version.len() < 3);
        out.push(Comparator {
            op,
            version,
            wildcard,
        });
    }
    Some(out)
}

impl Comparator {
    fn allows(&self, candidate: Triple, lang: Lang) -> bool {
        let c = [candidate.0, candidate.1, candidate.2];
        let v = &self.version;
        let prefix = |n: usize| c[..n.min(3)] == v[..n.min(3)];
        let cmp = || {
            let padded: Vec<u32> = (0..3).map(|i| v.get(i).copied().unwrap_or(0)).collect();
            c.as_slice().cmp(padded.as_slice())
        };
        match self.op {
            Op::Ge => cmp().is_ge(),
            Op::Gt => {
                // `>3.8` in PEP 440 excludes only 3.8's releases when it names no patch;
                // a line's newest release is above it either way.
                cmp().is_gt()
            }
            Op::Lt => c.as_slice() < v.as_slice() && !prefix(v.len()),
            Op::Le => cmp().is_le() || prefix(v.len()),
            Op::Eq if self.wildcard => prefix(v.len()),
            Op::Eq => cmp().is_eq(),
            Op::Ne => !prefix(v.len()),
            Op::Caret => {
                // The leading non-zero part stays (Node's major; Poetry's `^3.9` is <4.0).
                let keep = if lang == Lang::Node || v[0] != 0 {
                    1
                } else {
                    2
                };
                cmp().is_ge() && prefix(keep.min(v.len()))
            }
            Op::Tilde => cmp().is_ge() && prefix(v.len().clamp(1, 2)),
            Op::Compatible => cmp().is_ge() && prefix((v.len() - 1).max(1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(lang: Lang, spec: &str) -> Option<String> {
        range(lang, spec).map(|p| p.version)
    }

    #[test]
    fn node_ranges_pick_the_newest_supported_line() {
        assert_eq!(r(Lang::Node, ">=18.0.0").as_deref(), Some("26"));
        assert_eq!(r(Lang::Node, ">=20.11").as_deref(), Some("26"));
        assert_eq!(r(Lang::Node, "^18 || ^20 || >=21").as_deref(), Some("26"));
        assert_eq!(r(Lang::Node, "^22.21.0").as_deref(), Some("22"));
        assert_eq!(r(Lang::Node, "20.x || 22.x").as_deref(), Some("22"));
        assert_eq!(r(Lang::Node, ">=22 <25").as_deref(), Some("24"));
        assert_eq!(r(Lang::Node, "22 - 24").as_deref(), Some("24"));
        assert_eq!(r(Lang::Node, "lts/*"), None);
        assert_eq!(r(Lang::Node, "node"), None);
        let old = range(Lang::Node, "^16").unwrap();
        assert_eq!(old.version, "26");
        assert!(old.note.unwrap().contains("allows no Node version"));
    }

    #[test]
    fn python_ranges() {
        assert_eq!(r(Lang::Python, ">=3.8").as_deref(), Some("3.14"));
        assert_eq!(r(Lang::Python, ">=3.14,<4.0").as_deref(), Some("3.14"));
        assert_eq!(r(Lang::Python, "==3.14.*").as_deref(), Some("3.14"));
        assert_eq!(r(Lang::Python, "<3.13,>=3.10").as_deref(), Some("3.12"));
        assert_eq!(r(Lang::Python, "^3.9").as_deref(), Some("3.14"));
        assert_eq!(r(Lang::Python, "~=3.11.2").as_deref(), Some("3.11"));
        assert_eq!(r(Lang::Python, "~=3.11").as_deref(), Some("3.14"));
        assert_eq!(r(Lang::Python, ">=3.11,!=3.14.*").as_deref(), Some("3.13"));
        assert_eq!(r(Lang::Python, "3.12").as_deref(), Some("3.12"));
    }

    #[test]
    fn go_minimums_and_pins() {
        assert_eq!(r(Lang::Go, ">=1.15").as_deref(), Some("1.27"));
        assert_eq!(pin(Lang::Go, "go1.26.5").unwrap().version, "1.26");
        let old = pin(Lang::Go, "go1.24.6").unwrap();
        assert_eq!(old.version, "1.26");
        assert!(old.note.unwrap().contains("over"), "out of support");
    }

    #[test]
    fn pins_are_honoured_at_major_minor() {
        assert_eq!(pin(Lang::Node, "v24.14.1").unwrap().version, "24");
        assert_eq!(pin(Lang::Python, "python-3.12.4").unwrap().version, "3.12");
        assert_eq!(pin(Lang::Python, "3.12.4").unwrap().version, "3.12");
        let eol = pin(Lang::Node, "8.9.3").unwrap();
        assert_eq!(eol.version, "22");
        assert!(eol.note.is_some());
    }

    #[test]
    fn defaults_are_in_the_table_or_documented() {
        for lang in [Lang::Node, Lang::Python] {
            assert!(lang.supported().contains(&lang.default()), "{lang:?}");
        }
    }
}
