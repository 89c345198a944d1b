//! Injection safety: random specs full of hostile strings never make mbgen panic, and every
//! Dockerfile mbgen accepts to write parses, with BuildKit's own parser, into exactly the
//! instructions it meant, with every user value intact.
//!
//! The generator is a fixed-seed PRNG, so a failure reproduces; `MBGEN_HOSTILE_CASES` sets
//! the number of cases (default 400).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::{Table, Value};

/// xorshift64*: small, deterministic, good enough to pick from lists.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const HOSTILE: &[&str] = &[
    "plain",
    "two words",
    "line\nbreak",
    "carriage\rreturn",
    "trailing backslash \\",
    "back\\slash",
    "continued \\\nRUN echo pwned",
    "quote \" inside",
    "single ' quote",
    "$HOME",
    "${PATH}",
    "$(id)",
    "`id`",
    "; rm -rf /",
    "&& curl http://127.0.0.1/x | sh",
    "nul\u{0}byte",
    "# not a comment",
    "tab\there",
    "unicode é ü 雪",
    "\"], [\"",
    "\\\"",
    "<<EOF",
    "=",
    "",
    " ",
];

const NAMES: &[&str] = &[
    "GREETING", "A_B", "_X", "lower", "9BAD", "BAD-NAME", "OK2", "$X", "A B",
];
const STACKS: &[&str] = &[
    "node-static",
    "node-server",
    "go",
    "python",
    "rust",
    "static",
];

fn random_spec(rng: &mut Rng) -> String {
    let mut service = Table::new();
    let stack = rng.pick(STACKS);
    service.insert("stack".into(), stack.into());
    if matches!(stack, "node-server" | "python") || rng.chance(20) {
        let start: Vec<Value> = (0..=rng.below(3))
            .map(|_| rng.pick(HOSTILE).into())
            .collect();
        service.insert("start".into(), Value::Array(start));
    }
    if matches!(stack, "node-static" | "node-server") && rng.chance(60) {
        service.insert("build".into(), rng.pick(HOSTILE).into());
    }
    for key in ["env", "build-args"] {
        if rng.chance(70) {
            let mut map = Table::new();
            for _ in 0..=rng.below(3) {
                map.insert(rng.pick(NAMES).into(), rng.pick(HOSTILE).into());
            }
            service.insert(key.into(), Value::Table(map));
        }
    }
    if rng.chance(50) {
        let mut labels = Table::new();
        labels.insert(
            rng.pick(&["org.example.a", "Bad Key", "x"]).into(),
            rng.pick(HOSTILE).into(),
        );
        service.insert("labels".into(), Value::Table(labels));
    }
    if rng.chance(40) {
        let patterns: Vec<Value> = (0..=rng.below(2))
            .map(|_| rng.pick(HOSTILE).into())
            .collect();
        service.insert("dockerignore".into(), Value::Array(patterns));
    }
    if rng.chance(30) {
        let mut hc = Table::new();
        let cmd: Vec<Value> = (0..=rng.below(2))
            .map(|_| rng.pick(HOSTILE).into())
            .collect();
        hc.insert("cmd".into(), Value::Array(cmd));
        service.insert("healthcheck".into(), Value::Table(hc));
    }
    // A generator of its own, so that the other keys stay as they were before this one.
    let mut side = Rng(rng.0.rotate_left(17) | 1);
    if side.chance(25) {
        // Extra instructions are Dockerfile text: one line each, whatever the words.
        let key = side.pick(&["before-install", "after-install", "runtime"]);
        let line = format!(
            "{} {}",
            side.pick(&["RUN", "RUN", "RUN", "FROM"]),
            side.pick(HOSTILE)
        );
        let mut instructions = Table::new();
        instructions.insert(key.into(), Value::Array(vec![line.into()]));
        service.insert("instructions".into(), Value::Table(instructions));
    }
    let mut services = Table::new();
    services.insert("svc".into(), Value::Table(service));
    let mut root = Table::new();
    root.insert("services".into(), Value::Table(services));
    toml::to_string(&root).unwrap()
}

/// Undoes mbgen's double quoting the way BuildKit's word processing does.
fn unquote(raw: &str) -> String {
    let inner = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw);
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

/// Instruction keywords mbgen wrote, one per instruction (continuation lines skipped).
fn written_instructions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut continued = false;
    for line in text.lines() {
        if !continued && !line.starts_with('#') && !line.is_empty() {
            out.push(line.split_whitespace().next().unwrap().to_owned());
        }
        continued = line.ends_with('\\') && !line.starts_with('#');
    }
    out
}

#[derive(serde::Deserialize)]
struct Instruction {
    cmd: String,
    value: Vec<String>,
}

#[test]
#[ignore = "needs BuildKit's parser (tests/run.sh installs it and runs the ignored tests)"]
fn hostile_specs_never_break_out() {
    let cases: usize = std::env::var("MBGEN_HOSTILE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let scratch = tempfile::tempdir().unwrap();
    let mut accepted = Vec::new();
    for case in 0..cases {
        let text = random_spec(&mut rng);
        let result = std::panic::catch_unwind(|| {
            let project = mbgen::Project::from_text(&text, Path::new("/nonexistent")).ok()?;
            Some(project.render().expect("templates render"))
        });
        let files = result.unwrap_or_else(|_| panic!("mbgen panicked on case {case}:\n{text}"));
        let Some(files) = files else { continue };
        let spec: Table = toml::from_str(&text).unwrap();
        for file in files {
            assert!(!file.contents.contains('\0'), "case {case}: NUL in output");
            if file.path.to_string_lossy().ends_with("Dockerfile") {
                let path = scratch.path().join(format!("case-{case}.Dockerfile"));
                fs_err::write(&path, &file.contents).unwrap();
                accepted.push((path, file.contents, spec.clone(), text.clone()));
            } else {
                // Every pattern is one line of its own: none can smuggle another in.
                for line in file.contents.lines() {
                    assert!(!line.contains('\r'), "case {case}: CR in .dockerignore");
                }
            }
        }
    }
    assert!(
        accepted.len() > cases / 10,
        "too few accepted specs: {}",
        accepted.len()
    );

    let files: Vec<PathBuf> = accepted.iter().map(|(p, ..)| p.clone()).collect();
    let parsed = common::buildkit_instructions::<Instruction>(&files);

    for (path, contents, spec, text) in &accepted {
        let instructions = &parsed[&path.display().to_string()];
        let parsed_cmds: Vec<&str> = instructions.iter().map(|i| i.cmd.as_str()).collect();
        assert_eq!(
            parsed_cmds,
            written_instructions(contents),
            "{}: BuildKit sees other instructions than mbgen wrote\n{text}\n{contents}",
            path.display()
        );
        let service = spec["services"]["svc"].as_table().unwrap();
        if let Some(env) = service.get("env").and_then(Value::as_table) {
            let runtime_env: BTreeMap<String, String> = instructions
                .iter()
                .filter(|i| i.cmd == "ENV")
                .flat_map(|i| i.value.chunks(2).map(|kv| (kv[0].clone(), unquote(&kv[1]))))
                .collect();
            for (k, v) in env {
                assert_eq!(
                    runtime_env.get(k),
                    v.as_str().map(str::to_owned).as_ref(),
                    "{text}"
                );
            }
        }
        if let Some(start) = service.get("start").and_then(Value::as_array) {
            let cmd = instructions.iter().rfind(|i| i.cmd == "CMD").unwrap();
            let expected: Vec<&str> = start.iter().map(|v| v.as_str().unwrap()).collect();
            assert_eq!(cmd.value, expected, "{text}");
        }
    }
}
