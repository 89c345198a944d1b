//! The README's first-run session stays true: its mbgen commands, run in a copy of the fixture
//! repository it was recorded in, print what the README shows. The e2e case `first-run` runs
//! every command of it, Docker's and curl's too.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::transcript;

/// The repository the session was recorded in.
const FIXTURE: &str = "tests/fixtures/init/express-app";

#[test]
fn the_first_run_session_prints_what_the_readme_shows() {
    let readme = fs_err::read_to_string(common::root().join("README.md")).unwrap();
    let steps = transcript::steps(&readme);
    for needed in ["mbgen init", "mbgen render", "docker build", "curl"] {
        assert!(
            steps.iter().any(|s| s.command.starts_with(needed)),
            "the README's first-run session has no `{needed}`: {steps:?}"
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    common::copy_dir(
        &common::root().join(FIXTURE),
        &tmp.path().join("express-app"),
    );
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_mbgen"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cwd = tmp.path().to_owned();
    for step in &steps {
        if let Some(dir) = step.command.strip_prefix("cd ") {
            cwd = cwd.join(dir);
            continue;
        }
        // Docker and curl need an engine: the e2e case runs them.
        if !(step.command.starts_with("mbgen ") || step.command.starts_with("cat ")) {
            continue;
        }
        let out = Command::new("sh")
            .arg("-c")
            .arg(format!("{} 2>&1", step.command))
            .current_dir(&cwd)
            .env("PATH", &path)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "`{}` failed:\n{printed}",
            step.command
        );
        if let Err(e) = transcript::compare(&step.expected, &printed) {
            panic!(
                "`{}` in {FIXTURE} no longer prints what README.md shows (First run): {e}",
                step.command
            );
        }
    }
}
