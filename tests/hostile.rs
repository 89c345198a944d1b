//! Injection safety: random specs full of hostile strings never make mbgen panic, and every
//! Dockerfile mbgen accepts to write parses, with BuildKit's own parser, into exactly the
//! instructions it planned (its stages, in order), with every user value intact. Names from
//! the file system (directories with spaces, `Ü`, `$`, quotes; a configuration file named with
//! a line break) reach every generated file quoted; symbolic links out of the project are
//! refused wherever mbgen reads or writes.
//!
//! The generator is a fixed-seed PRNG, so a failure reproduces; `MBGEN_HOSTILE_CASES` sets
//! the number of cases (default 400).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fs_err as fs;
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

/// Values mbgen takes, each hostile to one of the languages it writes.
const HOSTILE: &[&str] = &[
    "plain",
    "two words",
    "trailing backslash \\",
    "back\\slash",
    "quote \" inside",
    "single ' quote",
    "$HOME",
    "${PATH}",
    "$(id)",
    "`id`",
    "; rm -rf /",
    "&& curl http://127.0.0.1/x | sh",
    "# not a comment",
    "tab\there",
    "unicode é ü 雪",
    "\"], [\"",
    "\\\"",
    "<<EOF",
    "=",
    "%{if x}${y}",
];

/// Values mbgen refuses when it reads them: they would break a line or hide in it.
const REFUSED: &[&str] = &[
    "line\nbreak",
    "carriage\rreturn",
    "continued \\\nRUN echo pwned",
    "nul\u{0}byte",
    "escape \u{1b}[31m red",
    "next line \u{85} here",
    "line \u{2028} separator",
    "bom \u{feff}",
    "",
    " ",
];

/// A hostile value, now and then one that is refused.
fn hostile(rng: &mut Rng) -> &'static str {
    if rng.chance(12) {
        rng.pick(REFUSED)
    } else {
        rng.pick(HOSTILE)
    }
}

/// Commands that start with, or hold, a shell comment: BuildKit drops a `#` line inside a
/// continued `RUN`, and the shell ignores the rest of a line after one.
const COMMENTS: &[&str] = &[
    "# pip wheel -r requirements.txt",
    "   # indented",
    "#",
    "npm run build # and a comment",
    "make;#x",
    "echo '#' \"#\" a#b ${#PATH}",
];

const NAMES: &[&str] = &["GREETING", "A_B", "_X", "lower", "OK2"];
const BAD_NAMES: &[&str] = &["9BAD", "BAD-NAME", "$X", "A B"];

/// A variable name, now and then one that is refused.
fn name(rng: &mut Rng) -> &'static str {
    if rng.chance(8) {
        rng.pick(BAD_NAMES)
    } else {
        rng.pick(NAMES)
    }
}
const STACKS: &[&str] = &[
    "node-static",
    "node-server",
    "go",
    "python",
    "rust",
    "static",
];
/// Health-check paths: the probe is program text for node and python, so quotes there must
/// not reach the program.
const URL_PATHS: &[&str] = &[
    "/healthz",
    "/it's",
    "/'+require('child_process').execSync('id')+'",
    "/x');import os;os.system('id');('",
    "/a?b=c&d='e'",
    "/%27",
    "/quote\"",
    "/$(id)",
    "no-slash",
];
const DURATIONS: &[&str] = &[
    "30s",
    "1ms",
    "2562047h",
    "2562048h",
    "99999999999999999999s",
];
const KEYWORDS: &[&str] = &["RUN", "RUN", "COPY", "ENV", "FROM", "RUN\u{a0}echo", "run"];
const LOCKFILES: &[&str] = &[
    "--link",
    "requirements.txt",
    "req s/base.txt",
    "$req.txt",
    "it's.txt",
    "reqs/*.txt",
];

/// A list of hostile values; with `comments`, commands that hold a shell comment too.
fn strings(rng: &mut Rng, max: usize, comments: bool) -> Value {
    Value::Array(
        (0..=rng.below(max))
            .map(|_| {
                if comments && rng.chance(20) {
                    rng.pick(COMMENTS).into()
                } else {
                    hostile(rng).into()
                }
            })
            .collect(),
    )
}

/// A command: hostile or comment-leading text.
fn command(rng: &mut Rng) -> Value {
    if rng.chance(30) {
        rng.pick(COMMENTS).into()
    } else {
        hostile(rng).into()
    }
}

fn random_spec(rng: &mut Rng) -> String {
    let mut service = Table::new();
    let stack = rng.pick(STACKS);
    service.insert("stack".into(), stack.into());
    if matches!(stack, "node-server" | "python") || rng.chance(20) {
        service.insert("start".into(), strings(rng, 2, true));
    }
    if matches!(stack, "node-static" | "node-server") && rng.chance(60) {
        service.insert("build".into(), command(rng));
    }
    if matches!(stack, "node-static" | "node-server" | "python") && rng.chance(20) {
        service.insert("install".into(), command(rng));
    }
    for key in ["env", "build-args"] {
        if rng.chance(70) {
            let mut map = Table::new();
            for _ in 0..=rng.below(3) {
                map.insert(name(rng).into(), hostile(rng).into());
            }
            service.insert(key.into(), Value::Table(map));
        }
    }
    if rng.chance(50) {
        let mut labels = Table::new();
        labels.insert(
            rng.pick(&["org.example.a", "x", "org.example.b", "Bad Key"])
                .into(),
            hostile(rng).into(),
        );
        service.insert("labels".into(), Value::Table(labels));
    }
    if rng.chance(40) {
        service.insert("dockerignore".into(), strings(rng, 1, false));
    }
    if rng.chance(30) {
        let mut hc = Table::new();
        if rng.chance(50) {
            hc.insert("cmd".into(), strings(rng, 1, true));
        } else {
            hc.insert("path".into(), rng.pick(URL_PATHS).into());
        }
        if rng.chance(30) {
            hc.insert("interval".into(), rng.pick(DURATIONS).into());
        }
        service.insert("healthcheck".into(), Value::Table(hc));
    }
    // Generators of their own, so that the keys above stay as they were before these.
    let mut side = Rng(rng.0.rotate_left(17) | 1);
    if side.chance(25) {
        // Extra instructions are Dockerfile text: one line each, whatever the words.
        let key = side.pick(&["before-install", "after-install", "runtime"]);
        let line = format!("{} {}", side.pick(KEYWORDS), hostile(&mut side));
        let mut instructions = Table::new();
        instructions.insert(key.into(), Value::Array(vec![line.into()]));
        service.insert("instructions".into(), Value::Table(instructions));
    }
    let mut more = Rng(rng.0.rotate_left(29) | 1);
    if stack == "python" && more.chance(30) {
        service.insert("lockfile".into(), more.pick(LOCKFILES).into());
    }
    if more.chance(3) {
        // Longer than a Dockerfile line may be: refused when read.
        service.insert("env".into(), {
            let mut map = Table::new();
            map.insert("LONG".into(), "x".repeat(70_000).into());
            Value::Table(map)
        });
    }
    let mut services = Table::new();
    services.insert("svc".into(), Value::Table(service));
    let mut root = Table::new();
    root.insert("services".into(), Value::Table(services));
    toml::to_string(&root).unwrap()
}

/// Undoes mbgen's double quoting the way BuildKit's word processing does: inside double
/// quotes every `\x` is `x`, and a `'` is itself; a `$` or `"` left unescaped would be
/// expanded or end the string: mbgen never leaves one.
fn unquote(raw: &str) -> String {
    let inner = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw);
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '$' | '"' => panic!("unescaped `{c}` in {raw:?}"),
            c => out.push(c),
        }
    }
    out
}

/// What BuildKit's word processing makes of a word mbgen escaped: every `\x` is `x`. A `$`
/// or a quote left unescaped would be expanded or removed: mbgen never leaves one.
fn process_word(word: &str) -> String {
    let mut out = String::new();
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '$' | '\'' | '"' => panic!("unescaped `{c}` in {word:?}"),
            c => out.push(c),
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
    flags: Vec<String>,
    value: Vec<String>,
    json: bool,
}

/// The stage names of a Dockerfile as BuildKit reads its `FROM` lines.
fn stages(instructions: &[Instruction]) -> Vec<String> {
    instructions
        .iter()
        .filter(|i| i.cmd == "FROM")
        .map(|i| i.value.last().unwrap().clone())
        .collect()
}

/// Every line of a generated file is free of control characters, and its first line names
/// mbgen with a checksum.
fn check_text(name: &str, contents: &str) {
    for line in contents.lines() {
        assert!(
            !line.chars().any(|c| c.is_control() && c != '\t'
                || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')),
            "{name}: control character in {line:?}"
        );
    }
    let first = contents.lines().next().unwrap();
    assert!(
        first.contains("generated by mbgen from") && first.contains("; checksum "),
        "{name}: {first}"
    );
}

/// A Dockerfile mbgen accepted, with what it was made from.
struct Accepted {
    path: PathBuf,
    contents: String,
    spec: Table,
    text: String,
    stages: Vec<String>,
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
            let stages = project.builds()[0].stages.clone();
            Some((project.render().expect("templates render"), stages))
        });
        let files = result.unwrap_or_else(|_| panic!("mbgen panicked on case {case}:\n{text}"));
        let Some((files, stages)) = files else {
            continue;
        };
        let spec: Table = toml::from_str(&text).unwrap();
        for file in files {
            check_text(&format!("case {case}"), &file.contents);
            if file.kind == mbgen::FileKind::Dockerfile {
                let path = scratch.path().join(format!("case-{case}.Dockerfile"));
                fs::write(&path, &file.contents).unwrap();
                accepted.push(Accepted {
                    path,
                    contents: file.contents,
                    spec: spec.clone(),
                    text: text.clone(),
                    stages: stages.clone(),
                });
            }
        }
    }
    assert!(
        accepted.len() > cases / 5,
        "too few accepted specs: {}",
        accepted.len()
    );

    let files: Vec<PathBuf> = accepted.iter().map(|a| a.path.clone()).collect();
    let parsed = common::buildkit_instructions::<Instruction>(&files);
    for a in &accepted {
        let instructions = &parsed[&a.path.display().to_string()];
        check_accepted(a, instructions);
    }
}

/// BuildKit reads exactly what mbgen planned: the instructions it wrote, its stages in order,
/// and every user value intact.
fn check_accepted(a: &Accepted, instructions: &[Instruction]) {
    let (text, contents) = (&a.text, &a.contents);
    let parsed_cmds: Vec<&str> = instructions.iter().map(|i| i.cmd.as_str()).collect();
    assert_eq!(
        parsed_cmds,
        written_instructions(contents),
        "{}: BuildKit sees other instructions than mbgen wrote\n{text}\n{contents}",
        a.path.display()
    );
    assert_eq!(stages(instructions), a.stages, "{text}\n{contents}");
    let service = a.spec["services"]["svc"].as_table().unwrap();
    if let Some(env) = service.get("env").and_then(Value::as_table) {
        // The keys of `env` only: an `ENV` of `instructions` is the user's Dockerfile text.
        let runtime_env: BTreeMap<String, String> = instructions
            .iter()
            .filter(|i| i.cmd == "ENV")
            .flat_map(|i| i.value.chunks(2))
            .filter(|kv| env.contains_key(&kv[0]))
            .map(|kv| (kv[0].clone(), unquote(&kv[1])))
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
    if let Some(hc) = service.get("healthcheck").and_then(Value::as_table) {
        let probe = instructions
            .iter()
            .find(|i| i.cmd == "HEALTHCHECK")
            .unwrap_or_else(|| panic!("no HEALTHCHECK\n{text}\n{contents}"));
        assert_eq!(probe.value[0], "CMD", "{text}");
        let args = &probe.value[1..];
        if let Some(path) = hc.get("path").and_then(Value::as_str) {
            // The URL is an argument of its own; the program text never holds it.
            let url = format!("http://127.0.0.1:8080{path}");
            assert_eq!(args.last(), Some(&url), "{text}");
            assert!(
                args[..args.len() - 1].iter().all(|a| !a.contains(path)),
                "{text}"
            );
        } else {
            let cmd: Vec<&str> = hc["cmd"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(args, cmd, "{text}");
        }
    }
    for key in ["build", "install"] {
        if let Some(command) = service.get(key).and_then(Value::as_str) {
            assert!(!command.trim().starts_with('#'), "{text}");
            assert!(
                instructions
                    .iter()
                    .any(|i| i.cmd == "RUN" && i.value.concat().contains(command.trim())),
                "`{key}` is not in a RUN step\n{text}\n{contents}"
            );
        }
    }
}

/// Directory names that need quoting somewhere: spaces, non-ASCII letters, `$`, quotes, a
/// leading `#` (a comment in .dockerignore) and `!` (a negation there), and commas and `=`.
const ODD_NAMES: &[&str] = &[
    "web app", "Ümlaut", "$cash", "it's", "q\"d", "#hash", "!bang", "a,b=c",
];

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// A monorepo whose directories have odd names: static sites, and an npm workspace whose
/// members (a library and apps using it, built from the root) have odd names too.
fn odd_tree(root: &Path) -> String {
    let mut toml = String::from("[workspace]\nregistry = \"registry.example.com/acme\"\n\n");
    let quoted = |s: &str| toml::Value::from(s).to_string();
    write(
        &root.join("package.json"),
        r#"{"name": "mono", "private": true, "workspaces": ["libs/*", "apps/*"]}"#,
    );
    write(&root.join("package-lock.json"), "{}\n");
    for (i, name) in ODD_NAMES.iter().enumerate() {
        let site = format!("sites/{name}");
        write(&root.join(&site).join("public files/index.html"), "<p>\n");
        let _ = std::fmt::Write::write_fmt(
            &mut toml,
            format_args!(
                "[services.site-{i}]\nstack = \"static\"\npath = {}\noutput-dir = \"public files\"\n\n",
                quoted(&site)
            ),
        );
        let lib = format!("libs/lib {name}");
        write(
            &root.join(&lib).join("package.json"),
            &format!(r#"{{"name": "lib{i}", "version": "1.0.0"}}"#),
        );
        let app = format!("apps/{name}");
        write(
            &root.join(&app).join("package.json"),
            &format!(r#"{{"name": "app{i}", "dependencies": {{"lib{i}": "1.0.0"}}}}"#),
        );
        let _ = std::fmt::Write::write_fmt(
            &mut toml,
            format_args!(
                "[services.app-{i}]\nstack = \"node-server\"\npath = {}\ncontext = \".\"\nbuild = \"npm run build\"\noutput-dir = \"out dir\"\nstart = [\"node\", \"out dir/server.js\"]\n\n",
                quoted(&app)
            ),
        );
    }
    toml
}

/// The odd tree, rendered from a configuration file whose own name holds quotes and a line
/// break (it reaches every header and .dockerignore): each Dockerfile with its build context
/// and the index of its name in [`ODD_NAMES`].
fn render_odd_tree(root: &Path) -> Vec<(PathBuf, PathBuf, usize)> {
    let toml = odd_tree(root);
    let config = "mbgen it's \"odd\"\nRUN echo injected.toml";
    write(&root.join(config), &toml);
    let out = common::run(common::mbgen(root).args(["render", config]));
    assert!(out.starts_with("exit: 0"), "{out}");
    let mut dockerfiles = Vec::new();
    for (i, name) in ODD_NAMES.iter().enumerate() {
        for (dir, file) in [
            (format!("sites/{name}"), "Dockerfile".to_owned()),
            (".".to_owned(), format!("apps/{name}/Dockerfile")),
        ] {
            dockerfiles.push((root.join(&dir).join(&file), PathBuf::from(dir), i));
        }
    }
    dockerfiles
}

#[test]
fn names_from_the_file_system_are_quoted_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    render_odd_tree(root);

    for name in ODD_NAMES {
        for (dir, file) in [
            (format!("sites/{name}"), "Dockerfile".to_owned()),
            (".".to_owned(), format!("apps/{name}/Dockerfile")),
        ] {
            let path = root.join(&dir).join(&file);
            let contents = fs::read_to_string(&path).unwrap();
            check_text(&path.display().to_string(), &contents);
            assert!(!contents.contains("\nRUN echo injected"), "{contents}");
        }
        let ignore =
            fs::read_to_string(root.join(format!("apps/{name}/Dockerfile.dockerignore"))).unwrap();
        check_text("dockerignore", &ignore);
        // The allowlist names the member directories exactly, escaped for the pattern syntax.
        for member in [format!("apps/{name}"), format!("libs/lib {name}")] {
            let line = format!("!{}", ignore_escape(&member));
            assert!(ignore.lines().any(|l| l == line), "{line}\n{ignore}");
        }
    }
    for file in ["docker-bake.hcl", "compose.yaml"] {
        check_text(file, &fs::read_to_string(root.join(file)).unwrap());
    }
}

/// BuildKit reads the Dockerfiles of the odd tree as mbgen wrote them, and every path in them
/// names a real file once BuildKit has processed its words.
#[test]
#[ignore = "needs BuildKit's parser (tests/run.sh installs it and runs the ignored tests)"]
fn names_from_the_file_system_reach_buildkit_intact() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let dockerfiles = render_odd_tree(root);
    let paths: Vec<PathBuf> = dockerfiles.iter().map(|(p, ..)| p.clone()).collect();
    let parsed = common::buildkit_instructions::<Instruction>(&paths);
    for (path, context, i) in &dockerfiles {
        let contents = fs::read_to_string(path).unwrap();
        let instructions = &parsed[&path.display().to_string()];
        let cmds: Vec<&str> = instructions.iter().map(|i| i.cmd.as_str()).collect();
        assert_eq!(cmds, written_instructions(&contents), "{contents}");
        check_copies(&root.join(context), instructions, &contents);
        if context == Path::new(".") {
            let workdir = instructions.iter().rfind(|i| i.cmd == "WORKDIR").unwrap();
            assert_eq!(
                process_word(&workdir.value.join(" ")),
                format!("/app/apps/{}", ODD_NAMES[*i]),
                "{contents}"
            );
        }
    }
}

/// Every `COPY` from the build context names files that exist there, once BuildKit has
/// processed the words.
fn check_copies(context: &Path, instructions: &[Instruction], contents: &str) {
    for copy in instructions.iter().filter(|i| i.cmd == "COPY") {
        if copy.flags.iter().any(|f| f.starts_with("--from")) {
            continue;
        }
        let words: Vec<String> = if copy.json {
            copy.value.iter().map(|w| process_word(w)).collect()
        } else {
            copy.value.clone()
        };
        for source in &words[..words.len() - 1] {
            if source == "." || source.contains('*') {
                continue;
            }
            assert!(
                context.join(source).exists(),
                "COPY source {source:?} is not in {}\n{contents}",
                context.display()
            );
        }
    }
}

/// A path as a .dockerignore pattern that matches it alone.
fn ignore_escape(path: &str) -> String {
    let mut out = String::new();
    for (i, c) in path.chars().enumerate() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') || (i == 0 && matches!(c, '#' | '!')) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One way a symbolic link could lead mbgen out of the project.
struct Escape {
    what: &'static str,
    /// Makes the tree (in `root`, with `outside` a directory beside it) and returns the
    /// command line.
    setup: fn(&Path, &Path) -> Vec<String>,
}

const GO_SERVICE: &str = "[services.hello]\nstack = \"go\"\n";

fn link(target: &Path, at: &Path) {
    #[cfg(unix)]
    std::os::unix::fs::symlink(target, at).unwrap();
    #[cfg(not(unix))]
    let _ = (target, at);
}

const ESCAPES: &[Escape] = &[
    Escape {
        what: "render through a symlinked service directory",
        setup: |root, outside| {
            write(
                &root.join("mbgen.toml"),
                "[services.hello]\nstack = \"go\"\npath = \"svc\"\n",
            );
            link(outside, &root.join("svc"));
            vec!["render".into(), "--force".into()]
        },
    },
    Escape {
        what: "render over a Dockerfile that links out",
        setup: |root, outside| {
            write(&root.join("mbgen.toml"), GO_SERVICE);
            write(&outside.join("Dockerfile"), "FROM scratch\n");
            link(&outside.join("Dockerfile"), &root.join("Dockerfile"));
            vec!["render".into(), "--force".into()]
        },
    },
    Escape {
        what: "render with a Bake file in a linked directory",
        setup: |root, outside| {
            write(
                &root.join("mbgen.toml"),
                "[workspace]\nbake = \"docker/docker-bake.hcl\"\n\n[services.hello]\nstack = \"go\"\n",
            );
            link(outside, &root.join("docker"));
            vec!["render".into(), "--force".into()]
        },
    },
    Escape {
        what: "a templates directory that links out",
        setup: |root, outside| {
            write(
                &root.join("mbgen.toml"),
                "templates-dir = \"tpl\"\n\n[services.hello]\nstack = \"go\"\n",
            );
            write(&outside.join("go.Dockerfile.j2"), "SECRET=1\n");
            link(outside, &root.join("tpl"));
            vec!["render".into()]
        },
    },
    Escape {
        what: "a template that links out",
        setup: |root, outside| {
            write(
                &root.join("mbgen.toml"),
                "[services.hello]\nstack = \"go\"\ntemplate = \"mine.j2\"\n",
            );
            write(&outside.join("secret"), "SECRET=1\n");
            fs::create_dir_all(root.join(".mbgen/templates")).unwrap();
            link(
                &outside.join("secret"),
                &root.join(".mbgen/templates/mine.j2"),
            );
            vec!["render".into()]
        },
    },
    Escape {
        what: "init through a symlinked .mbgen",
        setup: |root, outside| {
            write(&root.join("index.html"), "<p>\n");
            link(outside, &root.join(".mbgen"));
            vec!["init".into(), "--yes".into()]
        },
    },
    Escape {
        what: "new through a symlinked parent",
        setup: |root, outside| {
            write(&root.join("mbgen.toml"), GO_SERVICE);
            link(outside, &root.join("apps"));
            ["new", "api", "--stack", "go", "--path", "apps/api"]
                .map(String::from)
                .to_vec()
        },
    },
    Escape {
        what: "templates eject into a linked directory",
        setup: |root, outside| {
            write(&root.join("mbgen.toml"), GO_SERVICE);
            fs::create_dir_all(root.join(".mbgen")).unwrap();
            link(outside, &root.join(".mbgen/templates"));
            ["templates", "eject", "go.Dockerfile.j2", "--force"]
                .map(String::from)
                .to_vec()
        },
    },
];

/// A listing of a directory: every path below it with its contents.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(snapshot(&path));
        } else {
            out.insert(path.clone(), fs::read(&path).unwrap());
        }
    }
    out
}

#[cfg(unix)]
#[test]
fn symbolic_links_never_lead_out_of_the_project() {
    for escape in ESCAPES {
        let outside = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let args = (escape.setup)(dir.path(), outside.path());
        let before = snapshot(outside.path());
        let out = common::run(common::mbgen(dir.path()).args(&args));
        assert!(out.starts_with("exit: 1"), "{}: {out}", escape.what);
        assert!(
            out.contains("leads outside the project") || out.contains("outside the project"),
            "{}: {out}",
            escape.what
        );
        assert!(!out.contains("SECRET"), "{}: {out}", escape.what);
        assert_eq!(
            snapshot(outside.path()),
            before,
            "{}: something outside the project changed",
            escape.what
        );
    }
}
