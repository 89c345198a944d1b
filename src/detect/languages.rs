//! Manifests of languages mbgen has no detector for, so that a directory holding one is left
//! out by name and language rather than silently. The table is consulted only where no
//! detector proposed an app: a detector added later (Java, Bun, Deno...) takes precedence on
//! its own.

use super::{Dir, Skipped};

/// A manifest file name (or `*.ext` for any file with that extension) and the language it
/// marks, in the order they are looked for.
const MANIFESTS: &[(&str, &str)] = &[
    ("pom.xml", "Java (Maven)"),
    ("build.gradle", "Java (Gradle)"),
    ("build.gradle.kts", "Kotlin or Java (Gradle)"),
    ("build.sbt", "Scala (sbt)"),
    ("*.csproj", "C# (.NET)"),
    ("*.fsproj", "F# (.NET)"),
    ("*.sln", "C# (.NET solution)"),
    ("*.slnx", "C# (.NET solution)"),
    ("Gemfile", "Ruby"),
    ("composer.json", "PHP"),
    ("mix.exs", "Elixir"),
    ("Package.swift", "Swift"),
    ("deno.json", "Deno"),
    ("deno.jsonc", "Deno"),
    ("pubspec.yaml", "Dart"),
    ("CMakeLists.txt", "C or C++ (CMake)"),
    ("stack.yaml", "Haskell (Stack)"),
    ("*.cabal", "Haskell (Cabal)"),
    ("rebar.config", "Erlang"),
];

/// Platform files of apps that are deployed to a platform and not as a container.
const PLATFORMS: &[(&str, &str)] = &[
    ("wrangler.toml", "a Cloudflare Workers app"),
    ("wrangler.json", "a Cloudflare Workers app"),
    ("wrangler.jsonc", "a Cloudflare Workers app"),
];

/// A directory that deploys to a platform other than containers: why it is left out.
#[must_use]
pub(crate) fn platform(dir: Dir<'_>) -> Option<Skipped> {
    let (file, what) = PLATFORMS.iter().find(|(f, _)| dir.exists(f))?;
    Some(Skipped {
        path: dir.path(file),
        detector: "languages",
        reason: format!(
            "{what} ({file}), deployed to its platform rather than as a container image"
        ),
        language: None,
    })
}

/// What a directory's manifests say about a language mbgen does not build: one entry per
/// language, naming its manifest.
#[must_use]
pub(crate) fn unsupported(dir: Dir<'_>) -> Vec<Skipped> {
    let own: Vec<&str> = dir.files().filter(|f| !f.contains('/')).collect();
    let mut out: Vec<Skipped> = Vec::new();
    for (pattern, language) in MANIFESTS {
        let found = match pattern.strip_prefix('*') {
            Some(ext) => own.iter().find(|f| f.ends_with(ext)).copied(),
            None => own.iter().find(|f| *f == pattern).copied(),
        };
        let Some(file) = found else { continue };
        if out.iter().any(|s| s.language == Some(language)) {
            continue;
        }
        out.push(Skipped {
            path: dir.path(file),
            detector: "languages",
            reason: format!("{language}, which mbgen does not build yet"),
            language: Some(language),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::fs::MemFs;

    #[test]
    fn manifests_name_their_language() {
        let fs = MemFs::new([
            ("src/adservice/build.gradle", ""),
            ("src/adservice/gradlew", ""),
            ("src/cart/cart.csproj", ""),
            ("src/cart/src/x.cs", ""),
            ("lib/readme.md", ""),
        ]);
        let ad = unsupported(Dir::new(&fs, "src/adservice"));
        assert_eq!(ad.len(), 1);
        assert_eq!(ad[0].path, "src/adservice/build.gradle");
        assert_eq!(
            ad[0].reason,
            "Java (Gradle), which mbgen does not build yet"
        );
        assert_eq!(
            unsupported(Dir::new(&fs, "src/cart"))[0].language,
            Some("C# (.NET)")
        );
        assert!(unsupported(Dir::new(&fs, "lib")).is_empty());
    }
}
