//! Workspace member patterns (`apps/*`, `packages/**`, `!packages/legacy`), as npm, yarn,
//! pnpm and Cargo write them: `*` within one path component, `**` across any number.

use globset::{GlobBuilder, GlobMatcher};

/// One member pattern, compiled.
#[derive(Debug, Clone)]
pub(crate) struct MemberPattern {
    /// The pattern without `./` and trailing `/`.
    text: String,
    matcher: Option<GlobMatcher>,
}

impl MemberPattern {
    /// Compiles a pattern; one that is not a valid glob matches only itself, literally.
    pub(crate) fn new(pattern: &str) -> Self {
        let text = pattern
            .trim()
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_owned();
        let matcher = GlobBuilder::new(&text)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .ok()
            .map(|g| g.compile_matcher());
        Self { text, matcher }
    }

    /// The leading components that hold no wildcard: where to start looking for members.
    pub(crate) fn fixed_prefix(&self) -> String {
        self.text
            .split('/')
            .take_while(|s| !s.contains(['*', '?', '[', '{']))
            .collect::<Vec<_>>()
            .join("/")
    }

    /// How many components below [`Self::fixed_prefix`] a member may lie: unbounded (`None`)
    /// with `**`.
    pub(crate) fn depth_below_prefix(&self) -> Option<usize> {
        if self.text.contains("**") {
            return None;
        }
        let fixed = self.fixed_prefix();
        let fixed = fixed.split('/').filter(|s| !s.is_empty()).count();
        Some(self.text.split('/').count() - fixed)
    }

    /// Whether the directory `path` (relative, `/`-separated) matches.
    pub(crate) fn matches(&self, path: &str) -> bool {
        let path = path.trim_start_matches("./").trim_end_matches('/');
        match &self.matcher {
            Some(m) => m.is_match(path),
            None => self.text == path,
        }
    }
}

/// Member patterns with their exclusions (`!pattern`).
#[derive(Debug, Clone, Default)]
pub(crate) struct MemberPatterns {
    pub include: Vec<MemberPattern>,
    pub exclude: Vec<MemberPattern>,
}

impl MemberPatterns {
    pub(crate) fn new<S: AsRef<str>>(patterns: &[S]) -> Self {
        let mut out = Self::default();
        for p in patterns {
            match p.as_ref().strip_prefix('!') {
                Some(excluded) => out.exclude.push(MemberPattern::new(excluded)),
                None => out.include.push(MemberPattern::new(p.as_ref())),
            }
        }
        out
    }

    /// Whether `path` is matched by an inclusion and by no exclusion.
    pub(crate) fn matches(&self, path: &str) -> bool {
        self.include.iter().any(|p| p.matches(path)) && !self.excluded(path)
    }

    /// Whether an exclusion matches `path`.
    pub(crate) fn excluded(&self, path: &str) -> bool {
        self.exclude.iter().any(|p| p.matches(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_and_double_stars() {
        let m = |p: &str, path: &str| MemberPattern::new(p).matches(path);
        assert!(m("apps/*", "apps/web"));
        assert!(!m("apps/*", "apps/web/src"));
        assert!(m("packages/**", "packages/a/b"));
        assert!(m("./services/api/", "services/api"));
        assert!(m("apps/web-*", "apps/web-admin"));
        assert!(!m("apps/web-*", "apps/api"));
        let all = MemberPatterns::new(&["packages/*", "!packages/legacy"]);
        assert!(all.matches("packages/ui"));
        assert!(!all.matches("packages/legacy"));
        assert_eq!(MemberPattern::new("apps/*/x").fixed_prefix(), "apps");
        assert_eq!(MemberPattern::new("apps/*").depth_below_prefix(), Some(1));
        assert_eq!(MemberPattern::new("apps/**").depth_below_prefix(), None);
    }
}
