//! Reads BuildKit's `--progress plain` output.
//!
//! Each build step is a vertex with a number; its header names the stage and the position in
//! it, and a later line tells how it ended:
//!
//! ```text
//! #12 [deps 3/3] RUN --mount=type=cache,target=/root/.npm     npm ci --no-audit --no-fund
//! #12 CACHED
//! #14 [build 2/2] RUN npm run build
//! #14 DONE 3.2s
//! ```
//!
//! Headers may repeat when the output of several steps interleaves. `[internal]` vertices
//! (loading the Dockerfile, the context, base image metadata) are not steps of the Dockerfile.

use std::collections::HashMap;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Taken from the build cache.
    Cached,
    /// Taken from an imported cache (`--cache-from type=registry`): the builder had the
    /// result's layers but not their contents, and downloaded them, because the exporter or
    /// a later step needed the files. Its log holds only those downloads; it ran nothing.
    Loaded,
    /// Executed.
    Done,
    Error,
    Canceled,
    /// No end line seen (the build was interrupted).
    Unknown,
}

/// One instruction of the Dockerfile as BuildKit ran it.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub id: u32,
    /// The stage name (empty for an unnamed stage of a single-stage build).
    pub stage: String,
    /// `i/n` within the stage.
    pub position: String,
    /// The instruction, e.g. `RUN npm run build`.
    pub text: String,
    pub status: Status,
}

impl Step {
    /// `FROM` vertices only resolve the base image: they are not counted as build steps.
    pub(crate) fn is_instruction(&self) -> bool {
        !self.text.starts_with("FROM ")
    }

    pub(crate) fn cached(&self) -> bool {
        matches!(self.status, Status::Cached | Status::Loaded)
    }

    /// A step that installs or compiles dependencies, which a source change must not re-run.
    pub(crate) fn is_dependency_install(&self) -> bool {
        if !self.text.starts_with("RUN ") {
            return false;
        }
        if matches!(self.stage.as_str(), "deps" | "prod-deps") {
            return true;
        }
        let t = self.text.as_str();
        t.contains("npm ci")
            || t.contains("go mod download")
            || t.contains("pip wheel")
            || t.contains("pip install --no-index")
            // the Rust skeleton build; the real one names its binary
            || (t.contains("cargo build --release --locked") && !t.contains("--bin"))
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text: String = self.text.split_whitespace().collect::<Vec<_>>().join(" ");
        let short = if text.chars().count() > 90 {
            format!("{}...", text.chars().take(87).collect::<String>())
        } else {
            text
        };
        if self.stage.is_empty() {
            write!(f, "#{} [{}] {short}", self.id, self.position)
        } else {
            write!(f, "#{} [{} {}] {short}", self.id, self.stage, self.position)
        }
    }
}

/// What a step's progress line, other than its header and end, says of the step.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Line {
    /// A layer downloaded or unpacked: `sha256:<hex> 1.2MB / 1.2MB 0.1s done`,
    /// `extracting sha256:<hex> 0.4s done`.
    Transfer,
    /// Nothing: Docker 20.10's bare `sha256:<vertex digest>`, or the `...` of a step whose
    /// lines another step's interrupt.
    Neutral,
    /// The step's own output.
    Output,
}

fn classify(rest: &str) -> Line {
    if rest == "..." {
        return Line::Neutral;
    }
    let (extracting, rest) = match rest.strip_prefix("extracting ") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let Some(digest) = rest.strip_prefix("sha256:") else {
        return Line::Output;
    };
    let Some((hex, after)) = digest
        .split_once(' ')
        .or(extracting.then_some((digest, "")))
    else {
        return Line::Neutral;
    };
    // a download line has its sizes after the digest; an extraction may have nothing yet
    let transfer = hex.len() == 64
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
        && (extracting || !after.is_empty());
    if transfer {
        Line::Transfer
    } else {
        Line::Output
    }
}

/// The Dockerfile steps of a plain-progress log, in order of first appearance.
pub(crate) fn parse(log: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut index: HashMap<u32, usize> = HashMap::new();
    // per step: whether it printed layer transfers, and whether it printed anything else
    let mut transfers: HashMap<u32, (bool, bool)> = HashMap::new();
    for line in log.lines() {
        let Some(rest) = line.strip_prefix('#') else {
            continue;
        };
        let Some((num, rest)) = rest.split_once(' ') else {
            continue;
        };
        let Ok(id) = num.parse::<u32>() else {
            continue;
        };
        let rest = rest.trim_end();
        if let Some(header) = rest.strip_prefix('[') {
            if index.contains_key(&id) {
                continue;
            }
            let Some((inside, text)) = header.split_once("] ") else {
                continue;
            };
            let mut words: Vec<&str> = inside.split_whitespace().collect();
            let Some(position) = words.pop() else {
                continue;
            };
            let is_position = position
                .split_once('/')
                .is_some_and(|(a, b)| a.parse::<u32>().is_ok() && b.parse::<u32>().is_ok());
            if !is_position {
                // [internal] and the like
                continue;
            }
            index.insert(id, steps.len());
            steps.push(Step {
                id,
                stage: words.join(" "),
                position: position.to_string(),
                text: text.trim().to_string(),
                status: Status::Unknown,
            });
            continue;
        }
        let Some(&i) = index.get(&id) else {
            continue;
        };
        let status = if rest == "CACHED" {
            Status::Cached
        } else if rest.starts_with("DONE") {
            match transfers.get(&id) {
                Some((true, false)) => Status::Loaded,
                _ => Status::Done,
            }
        } else if rest.starts_with("ERROR") {
            Status::Error
        } else if rest.starts_with("CANCELED") {
            Status::Canceled
        } else {
            let seen = transfers.entry(id).or_default();
            match classify(rest) {
                Line::Transfer => seen.0 = true,
                Line::Output => seen.1 = true,
                Line::Neutral => {}
            }
            continue;
        };
        // CACHED wins: a cached vertex is never executed; a step that ran stays ran.
        if !matches!(steps[i].status, Status::Cached | Status::Done) || status == Status::Cached {
            steps[i].status = status;
        }
    }
    steps
}

/// How many instruction steps were taken from the cache, and how many there were.
pub(crate) fn cached_of_total(steps: &[Step]) -> (usize, usize) {
    let instructions = steps.iter().filter(|s| s.is_instruction());
    let total = instructions.clone().count();
    let cached = instructions.filter(|s| s.cached()).count();
    (cached, total)
}

/// What a failed build's log says about the failure: the failing step, its last output
/// lines and its error (or, when no step failed, the log's error lines).
pub(crate) fn failure_excerpt(log: &str, steps: &[Step]) -> String {
    let mut out: Vec<String> = Vec::new();
    for step in steps.iter().filter(|s| s.status == Status::Error) {
        out.push(format!("failing step: {step}"));
        let prefix = format!("#{} ", step.id);
        let mut lines: Vec<&str> = Vec::new();
        for rest in log.lines().filter_map(|l| l.strip_prefix(prefix.as_str())) {
            // output lines start with a timestamp: `#12 46.08 ./main.go:65:14: ...`
            let is_output = rest
                .split_whitespace()
                .next()
                .is_some_and(|t| t.parse::<f64>().is_ok());
            // headers and output are repeated when steps interleave
            if (is_output || rest.starts_with("ERROR")) && !lines.contains(&rest) {
                lines.push(rest);
            }
        }
        let skip = lines.len().saturating_sub(12);
        out.extend(lines[skip..].iter().map(|l| format!("  {l}")));
    }
    if out.is_empty() {
        out.extend(
            log.lines()
                .filter(|l| l.contains("ERROR") || l.starts_with("error") || l.contains("failed"))
                .take(6)
                .map(str::to_string),
        );
    }
    out.join("\n")
}

/// Self-check of the parser against a log in the format of Docker 20.10's BuildKit.
pub(crate) fn self_test() {
    let log = "\
#1 [internal] load build definition from Dockerfile
#1 sha256:0123
#1 DONE 0.0s

#5 [deps 1/3] FROM docker.io/library/node:22-trixie-slim
#5 DONE 0.0s

#7 [deps 3/3] RUN --mount=type=cache,target=/root/.npm     npm ci --no-audit --no-fund
#7 CACHED

#9 [build 2/2] RUN npm run build
#9 0.512 > build
#7 [deps 3/3] RUN --mount=type=cache,target=/root/.npm     npm ci --no-audit --no-fund
#9 DONE 3.2s

#10 [2/3] COPY . .
#10 ERROR: failed to compute cache key
";
    let steps = parse(log);
    assert_eq!(steps.len(), 4, "{steps:?}");
    assert_eq!(steps[1].stage, "deps");
    assert!(steps[1].cached() && steps[1].is_dependency_install());
    assert_eq!(steps[2].status, Status::Done);
    assert!(!steps[2].is_dependency_install());
    assert_eq!(steps[3].stage, "");
    assert_eq!(steps[3].status, Status::Error);
    assert_eq!(cached_of_total(&steps), (1, 3));
    // buildx with a registry cache: the last step's layers downloaded, not run
    let imported = "\
#48 [clock runtime 3/3] COPY --from=build /usr/local/bin/clock /usr/local/bin/clock
#48 sha256:485d96c2d8e0ae3bb693403d6ba8243598e615bf5bca2825ed081a3c04f3bb90 344.86kB / 344.86kB 0.0s done
#48 DONE 0.9s

#48 [clock runtime 3/3] COPY --from=build /usr/local/bin/clock /usr/local/bin/clock
#48 extracting sha256:485d96c2d8e0ae3bb693403d6ba8243598e615bf5bca2825ed081a3c04f3bb90
#48 ...

#48 [clock runtime 3/3] COPY --from=build /usr/local/bin/clock /usr/local/bin/clock
#48 extracting sha256:485d96c2d8e0ae3bb693403d6ba8243598e615bf5bca2825ed081a3c04f3bb90 0.4s done
#48 DONE 1.4s

#49 [build 2/2] RUN go build ./...
#49 sha256:9a55eab6705cc4f87ea3a6056ac08893109ec14d6ca97daae4c7819ce9691782
#49 DONE 3.1s
";
    let steps = parse(imported);
    assert_eq!(steps[0].status, Status::Loaded, "{steps:?}");
    assert!(steps[0].cached());
    assert_eq!(steps[1].status, Status::Done, "{steps:?}");
    let rust = Step {
        id: 1,
        stage: "build".into(),
        position: "2/2".into(),
        text: "RUN find src -name '*.rs' -exec touch {} +     && cargo build --release --locked --bin hello".into(),
        status: Status::Done,
    };
    assert!(!rust.is_dependency_install());
}
