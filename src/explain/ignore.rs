//! `.dockerignore` as BuildKit reads it: patterns relative to the context root, `*` within a
//! path component, `**` across any number, `!` to let a path back in, the last matching
//! pattern deciding; a pattern that matches a directory matches everything below it.

use globset::{GlobBuilder, GlobMatcher};

#[derive(Debug, Clone)]
struct Pattern {
    matcher: GlobMatcher,
    exclude: bool,
}

/// A parsed `.dockerignore`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Dockerignore {
    patterns: Vec<Pattern>,
}

impl Dockerignore {
    pub(crate) fn parse(text: &str) -> Self {
        let patterns = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|line| {
                let (exclude, pattern) = match line.strip_prefix('!') {
                    Some(p) => (false, p.trim()),
                    None => (true, line),
                };
                let pattern = pattern.trim_start_matches('/').trim_end_matches('/');
                let pattern = pattern.strip_prefix("./").unwrap_or(pattern);
                let matcher = GlobBuilder::new(pattern)
                    .literal_separator(true)
                    .build()
                    .ok()?
                    .compile_matcher();
                Some(Pattern { matcher, exclude })
            })
            .collect();
        Self { patterns }
    }

    /// Whether the file `path` (relative to the context root) stays out of the context.
    pub(crate) fn excludes(&self, path: &str) -> bool {
        let mut excluded = false;
        for p in &self.patterns {
            if ancestors(path).any(|a| p.matcher.is_match(a)) {
                excluded = p.exclude;
            }
        }
        excluded
    }
}

/// `a/b/c`, `a/b`, `a`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(path), |p| p.rsplit_once('/').map(|(dir, _)| dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_matching_pattern_decides() {
        let ignore = Dockerignore::parse(
            "# comment\n.git\n*.log\n**/node_modules\n*\n!package.json\n!services/api\nservices/api/dist\n",
        );
        assert!(ignore.excludes(".git/HEAD"));
        assert!(ignore.excludes("README.md"));
        assert!(!ignore.excludes("package.json"));
        assert!(!ignore.excludes("services/api/src/main.ts"));
        assert!(ignore.excludes("services/api/dist/main.js"));
        let plain = Dockerignore::parse(".env\n*.log\n");
        assert!(plain.excludes(".env"));
        assert!(!plain.excludes("config/.env"));
        assert!(!plain.excludes("logs/app.log"));
    }
}
