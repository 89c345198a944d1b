//! The generated Dockerfiles as the tools around them see them: hadolint finds nothing,
//! BuildKit's own parser reads the instructions mbgen meant, and taplo (the engine of the
//! TOML editor extensions) validates every example against the JSON Schema.
//!
//! The tools come from `tests/run.sh` (a Python venv); point `MBGEN_TOOLS_BIN` at its `bin`
//! directory. Without them these tests are skipped, except under `CI`, where they fail.

mod common;

use std::process::Command;

#[test]
fn hadolint_finds_nothing() {
    let Some(hadolint) = common::tool("hadolint") else {
        return;
    };
    let scratch = tempfile::tempdir().unwrap();
    for file in common::all_dockerfiles(scratch.path()) {
        let out = Command::new(&hadolint)
            .args(["--no-color", "--failure-threshold", "info"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success() && out.stdout.is_empty(),
            "hadolint on {}:\n{}{}",
            file.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[derive(serde::Deserialize, Debug)]
struct Instruction {
    cmd: String,
    flags: Vec<String>,
    value: Vec<String>,
    json: bool,
}

#[test]
fn buildkit_parses_the_intended_instructions() {
    let scratch = tempfile::tempdir().unwrap();
    let files = common::all_dockerfiles(scratch.path());
    let Some(parsed) = common::buildkit_instructions::<Instruction>(&files) else {
        return;
    };
    for (file, instructions) in parsed {
        let stages: Vec<&Instruction> = instructions.iter().filter(|i| i.cmd == "FROM").collect();
        for stage in &stages {
            assert_eq!(
                stage.value.len(),
                3,
                "{file}: every stage is named: {stage:?}"
            );
            assert_eq!(stage.value[1].to_ascii_uppercase(), "AS", "{file}");
        }
        let names: Vec<&str> = stages.iter().map(|s| s.value[2].as_str()).collect();
        assert_eq!(names.last(), Some(&"runtime"), "{file}");
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{file}: stage names are unique");
        let last_stage = instructions.iter().rposition(|i| i.cmd == "FROM").unwrap();
        let runtime = &instructions[last_stage..];
        let user = runtime
            .iter()
            .rfind(|i| i.cmd == "USER")
            .expect("a USER in the final stage");
        assert!(
            !["root", "0", "0:0"].contains(&user.value[0].as_str()),
            "{file}: runs as root"
        );
        for i in &instructions {
            if matches!(i.cmd.as_str(), "CMD" | "ENTRYPOINT") {
                assert!(i.json, "{file}: {} is in exec form", i.cmd);
            }
            assert!(i.cmd != "ADD", "{file}: ADD is not used");
            for flag in &i.flags {
                assert!(
                    !flag.starts_with("--link"),
                    "{file}: COPY --link needs a newer frontend"
                );
            }
        }
        assert!(
            !std::fs::read_to_string(&file)
                .unwrap()
                .starts_with("# syntax="),
            "{file}: no syntax directive"
        );
    }
}

#[test]
fn taplo_validates_examples_against_the_schema() {
    let Some(taplo) = common::tool("taplo") else {
        return;
    };
    for dir in common::examples() {
        let out = Command::new(&taplo)
            .args(["lint", "--no-auto-config"])
            .arg(dir.join("mbgen.toml"))
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "taplo lint {}:\n{}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn taplo_reports_typos_and_bad_enum_values() {
    let Some(taplo) = common::tool("taplo") else {
        return;
    };
    let schema = common::root().join("schemas/mbgen.schema.json");
    let dir = tempfile::tempdir().unwrap();
    for (name, text, expected) in [
        (
            "typo.toml",
            "[services.web]\nstack = \"go\"\nprot = 8080\n",
            "prot",
        ),
        (
            "enum.toml",
            "[services.web]\nstack = \"golang\"\n",
            "golang",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("#:schema {}\n{text}", schema.display())).unwrap();
        let out = Command::new(&taplo)
            .args(["lint", "--no-auto-config"])
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "taplo accepted {name}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
    }
}
