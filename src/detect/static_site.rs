//! Static: HTML files served as they are, with no build step.

use super::{Detector, Dir, Options, Outcome, Proposal};
use crate::diagnostic::Diagnostic;
use crate::spec::{ServiceKey, Stack};

#[derive(Debug)]
pub(crate) struct StaticSite;

/// Where a site's files usually live, when not at the root.
const SITE_DIRS: &[&str] = &["public", "site", "www", "html"];

impl Detector for StaticSite {
    fn name(&self) -> &'static str {
        "static"
    }

    fn looks_for(&self) -> &'static str {
        "index.html with no build step, at the root or in public/, site/, www/ or html/"
    }

    fn detect(&self, dir: Dir<'_>, _options: &Options) -> Result<Outcome, Box<Diagnostic>> {
        // A package.json with a build script means the HTML is a build input, and the Node
        // detector has the say; a malformed one is reported there.
        let builds = dir
            .read("package.json")
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_some_and(|pkg| pkg.get("scripts").and_then(|s| s.get("build")).is_some());
        if builds {
            return Ok(Outcome::Absent);
        }
        let found = std::iter::once("")
            .chain(SITE_DIRS.iter().copied())
            .find(|d| {
                let index = if d.is_empty() {
                    "index.html".to_owned()
                } else {
                    format!("{d}/index.html")
                };
                dir.exists(&index)
            });
        let Some(site) = found else {
            return Ok(Outcome::Absent);
        };
        let mut p = Proposal::new("static", dir, Stack::Static, "static site");
        if site.is_empty() {
            p.evidence(dir.path("index.html"));
        } else {
            p.evidence(dir.path(&format!("{site}/index.html")));
            p.set_str(ServiceKey::OutputDir, site, format!("{site}/index.html"));
        }
        Ok(Outcome::Found(Box::new(p)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::fs::MemFs;
    use crate::detect::Value;

    fn run(files: &[(&str, &str)]) -> Outcome {
        let fs = MemFs::new(files.iter().copied());
        StaticSite
            .detect(Dir::new(&fs, ""), &Options::default())
            .unwrap()
    }

    #[test]
    fn found_missing_and_built() {
        let Outcome::Found(p) = run(&[("public/index.html", "<html>")]) else {
            panic!()
        };
        assert_eq!(
            p.get(ServiceKey::OutputDir),
            Some(&Value::Str("public".into()))
        );
        assert!(matches!(
            run(&[("index.html", "<html>")]),
            Outcome::Found(_)
        ));
        assert!(matches!(run(&[("README.md", "")]), Outcome::Absent));
        assert!(matches!(
            run(&[
                ("index.html", ""),
                ("package.json", r#"{"scripts": {"build": "vite build"}}"#)
            ]),
            Outcome::Absent
        ));
    }
}
