//! Names the commit mbgen is built from, for `mbgen --version`: `MBGEN_COMMIT` when set (an
//! image build, whose context has no `.git`, passes it as a build argument), else `git` in the
//! checkout, else the `.cargo_vcs_info.json` of a crate package; "unknown" when none says.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=MBGEN_COMMIT");
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let dir = Path::new(&manifest_dir);
    let commit = std::env::var("MBGEN_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty() && c != "unknown")
        .map(|c| c.trim().to_owned())
        .or_else(|| from_git(dir))
        .or_else(|| from_vcs_info(dir))
        .unwrap_or_else(|| "unknown".into());
    let version = env!("CARGO_PKG_VERSION");
    println!("cargo:rustc-env=MBGEN_VERSION={version} (commit {commit})");
}

/// The commit of the checkout and its date, `0123456789ab 2026-01-31`; the files whose change
/// moves it are watched, so that a new commit rebuilds with the new name.
fn from_git(dir: &Path) -> Option<String> {
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .ok()?;
        let text = String::from_utf8(out.stdout).ok()?;
        (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
    };
    let commit = git(&["rev-parse", "--short=12", "HEAD"])?;
    let date = git(&["log", "-1", "--format=%cs", "HEAD"])?;
    // the files that move HEAD; a missing one (no packed refs yet) would rerun every build
    let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        if let Some(file) = git(&["rev-parse", "--git-path", &name]) {
            let file = dir.join(file);
            if file.exists() {
                println!("cargo:rerun-if-changed={}", file.display());
            }
        }
    }
    Some(format!("{commit} {date}"))
}

/// The commit `cargo package` recorded in `.cargo_vcs_info.json`.
fn from_vcs_info(dir: &Path) -> Option<String> {
    let path = dir.join(".cargo_vcs_info.json");
    let text = fs_err::read_to_string(&path).ok()?;
    println!("cargo:rerun-if-changed={}", path.display());
    let info: serde_json::Value = serde_json::from_str(&text).ok()?;
    let sha = info.get("git")?.get("sha1")?.as_str()?;
    Some(sha.chars().take(12).collect())
}
