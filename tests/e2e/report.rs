//! The results of a run: a markdown table (printed and written to `report.md`) and the same
//! data as JSON (`report.json`).

use std::fmt::Write as _;

use serde::Serialize;

/// The measurements of one Dockerfile (mbgen's or the naive one) for one example.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Variant {
    /// Wall seconds of the first build, without layer cache.
    pub cold_s: Option<f64>,
    /// Wall seconds of the rebuild after the source change.
    pub source_s: Option<f64>,
    /// Steps of that rebuild taken from the cache, and all steps (instructions only).
    pub source_cached: Option<usize>,
    pub source_total: Option<usize>,
    /// Wall seconds of the rebuild after the dependency change.
    pub deps_s: Option<f64>,
    pub deps_cached: Option<usize>,
    pub deps_total: Option<usize>,
    /// Size of the cold-built image, in MB (10^6 bytes, as `docker image ls`).
    pub image_mb: Option<f64>,
    /// `Config.User` of the image ("root" when empty).
    pub user: Option<String>,
    /// Whether every container of this variant answered `GET /` with 200.
    pub serves: Option<bool>,
    /// Seconds from `docker run` to the first 200, for the cold-built image.
    pub ready_s: Option<f64>,
    /// What went wrong (for the naive variant these do not fail the suite).
    pub problems: Vec<String>,
}

impl Variant {
    /// Records a probe result: serving stays true only while every probe succeeds.
    pub(crate) fn served(&mut self, ok: bool) {
        self.serves = Some(self.serves.unwrap_or(true) && ok);
    }
}

/// A service rebuilt with another final image: its size and how soon it served.
#[derive(Debug, Default, Serialize)]
pub(crate) struct OtherRuntime {
    pub service: String,
    /// The `runtime` value.
    pub runtime: String,
    pub image_mb: f64,
    /// The size with the default runtime, for comparison.
    pub default_mb: f64,
    pub ready_s: Option<f64>,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct Ratios {
    /// naive / mbgen, source-change rebuild time.
    pub source: Option<f64>,
    /// naive / mbgen, dependency-change rebuild time.
    pub deps: Option<f64>,
    /// naive / mbgen, image size.
    pub size: Option<f64>,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct CaseReport {
    pub name: String,
    pub passed: bool,
    pub failures: Vec<String>,
    pub port: u16,
    /// The stages of the generated Dockerfile (empty when it was not rendered).
    pub stages: Vec<String>,
    /// The builder stage built alone with `--target` (none for single-stage Dockerfiles).
    pub target_stage: Option<String>,
    pub target_s: Option<f64>,
    /// False when the example has no dependencies (no dependency change).
    pub has_dependencies: bool,
    pub mbgen: Variant,
    pub naive: Variant,
    pub ratios: Ratios,
    /// The same service built again with another `runtime` (a fixture's
    /// [`super::fixtures::Fixture::runtimes`]).
    pub other_runtimes: Vec<OtherRuntime>,
    /// Rebuilds for which `mbgen explain` predicted exactly the steps BuildKit ran.
    pub explain_checked: u32,
    /// Every `docker stop` of the case's containers.
    pub stops: Vec<Stop>,
    /// Measurements of the case beyond the table's columns, one sentence each.
    pub notes: Vec<String>,
    /// Wall seconds for the whole case.
    pub total_s: f64,
}

/// One `docker stop` of a container of the case.
#[derive(Debug, Serialize)]
pub(crate) struct Stop {
    /// The container: its step, and for the stop cases how it was run.
    pub what: String,
    /// Seconds from `docker stop` to the exit.
    pub secs: f64,
    pub exit_code: i64,
    /// Whether the request in flight when the stop began was answered in full (stop cases).
    pub in_flight_completed: Option<bool>,
    /// Whether PID 1 reaped the orphaned process left to it (stop cases).
    pub reaped: Option<bool>,
}

impl CaseReport {
    pub(crate) fn compute_ratios(&mut self) {
        let ratio = |naive: Option<f64>, mbgen: Option<f64>| match (naive, mbgen) {
            (Some(n), Some(m)) if m > 0.0 => Some(round2(n / m)),
            _ => None,
        };
        self.ratios = Ratios {
            source: ratio(self.naive.source_s, self.mbgen.source_s),
            deps: ratio(self.naive.deps_s, self.mbgen.deps_s),
            size: ratio(self.naive.image_mb, self.mbgen.image_mb),
        };
    }
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct Report {
    pub engine: String,
    pub docker_host: String,
    pub cpus: usize,
    pub passed: usize,
    pub failed: usize,
    pub total_s: f64,
    pub cases: Vec<CaseReport>,
}

impl Stop {
    /// `0.3 s, exit 143; the request in flight completed; the orphan reaped`.
    fn describe(&self) -> String {
        let mut out = format!("{:.1} s, exit {}", self.secs, self.exit_code);
        match self.in_flight_completed {
            Some(true) => out.push_str("; the request in flight completed"),
            Some(false) => out.push_str("; the request in flight was cut"),
            None => {}
        }
        match self.reaped {
            Some(true) => out.push_str("; the orphan reaped"),
            Some(false) => out.push_str("; the orphan left a zombie"),
            None => {}
        }
        out
    }
}

pub(crate) fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn secs(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_string(), |v| format!("{v:.1}"))
}

fn ratio(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_string(), |v| format!("{v:.1}x"))
}

fn steps(cached: Option<usize>, total: Option<usize>) -> String {
    match (cached, total) {
        (Some(c), Some(t)) => format!("{c}/{t}"),
        _ => "-".to_string(),
    }
}

/// The exit statuses of the stops, each once.
fn exit_codes(stops: &[Stop]) -> String {
    let mut codes: Vec<i64> = stops.iter().map(|s| s.exit_code).collect();
    codes.sort_unstable();
    codes.dedup();
    if codes.is_empty() {
        return "-".to_string();
    }
    let codes: Vec<String> = codes.iter().map(ToString::to_string).collect();
    codes.join(", ")
}

fn pair(a: &str, b: &str) -> String {
    format!("{a} / {b}")
}

/// Whether the naive image answered 200 every time it was started.
fn naive_serves(v: &Variant) -> &'static str {
    match v.serves {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "-",
    }
}

/// A markdown list item: the first line as text, the rest (log lines) as a code block.
fn list_item(out: &mut String, name: &str, text: &str) {
    let mut lines = text.lines();
    let _ = writeln!(out, "- **{name}**: {}", lines.next().unwrap_or(""));
    let rest: Vec<&str> = lines.collect();
    if !rest.is_empty() {
        out.push_str("\n  ```text\n");
        for l in rest {
            let _ = writeln!(out, "  {l}");
        }
        out.push_str("  ```\n\n");
    }
}

impl Report {
    fn rows(&self) -> Vec<Vec<String>> {
        let mut rows = vec![vec![
            "example".to_string(),
            "result".to_string(),
            "cold s (mbgen / naive)".to_string(),
            "source-change s (mbgen / naive)".to_string(),
            "x".to_string(),
            "dep-change s (mbgen / naive)".to_string(),
            "x".to_string(),
            "cached/total on source change (mbgen / naive)".to_string(),
            "image MB (mbgen / naive)".to_string(),
            "x".to_string(),
            "user (mbgen / naive)".to_string(),
            "naive serves".to_string(),
            "explain = BuildKit".to_string(),
            "stop s".to_string(),
            "exit".to_string(),
        ]];
        for c in &self.cases {
            let (m, n) = (&c.mbgen, &c.naive);
            let deps = if c.has_dependencies {
                pair(&secs(m.deps_s), &secs(n.deps_s))
            } else {
                "n/a".to_string()
            };
            rows.push(vec![
                c.name.clone(),
                if c.passed { "pass" } else { "FAIL" }.to_string(),
                pair(&secs(m.cold_s), &secs(n.cold_s)),
                pair(&secs(m.source_s), &secs(n.source_s)),
                ratio(c.ratios.source),
                deps,
                if c.has_dependencies {
                    ratio(c.ratios.deps)
                } else {
                    "-".to_string()
                },
                pair(
                    &steps(m.source_cached, m.source_total),
                    &steps(n.source_cached, n.source_total),
                ),
                pair(&secs(m.image_mb), &secs(n.image_mb)),
                ratio(c.ratios.size),
                pair(
                    m.user.as_deref().unwrap_or("-"),
                    n.user.as_deref().unwrap_or("-"),
                ),
                naive_serves(n).to_string(),
                if c.explain_checked > 0 {
                    format!("{} rebuilds", c.explain_checked)
                } else {
                    "-".to_string()
                },
                secs(c.stops.iter().map(|s| s.secs).reduce(f64::max)),
                exit_codes(&c.stops),
            ]);
        }
        rows
    }

    /// The table alone, as aligned markdown.
    pub(crate) fn table(&self) -> String {
        let rows = self.rows();
        let columns = rows[0].len();
        let widths: Vec<usize> = (0..columns)
            .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
            .collect();
        let line = |r: &[String]| {
            let cells: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect();
            format!("| {} |\n", cells.join(" | "))
        };
        let mut out = line(&rows[0]);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        let _ = writeln!(out, "|-{}-|", rule.join("-|-"));
        for r in &rows[1..] {
            out.push_str(&line(r));
        }
        out
    }

    // The report's sections in the order they are printed.
    #[allow(clippy::too_many_lines)]
    pub(crate) fn markdown(&self) -> String {
        let mut out = String::from("# mbgen end-to-end report\n\n");
        let _ = writeln!(
            out,
            "Engine: Docker {} ({}), {} CPUs; whole run {:.0} s; {} passed, {} failed.\n",
            self.engine, self.docker_host, self.cpus, self.total_s, self.passed, self.failed
        );
        out.push_str(
            "Each example is built from mbgen's generated Dockerfile and from a naive \
             single-stage one (tests/e2e/naive/), in the same context. Cold builds use \
             `--no-cache`, and the layer cache is pruned before each example's mbgen builds and \
             before its naive builds; base images are kept, and `--no-cache` starts the \
             package managers' cache mounts empty. Then a comment is appended to one source \
             file and the image rebuilt, then \
             a dependency is added and it is rebuilt again (see tests/e2e/cases.toml). \
             Every container that served is stopped with `docker stop`: stop s is the slowest \
             stop (seconds to the exit), exit the exit statuses (143: ended by SIGTERM). \
             Times are wall seconds; x = naive / mbgen; MB = 10^6 bytes.\n\n",
        );
        out.push_str(&self.table());
        let failures: Vec<&CaseReport> = self.cases.iter().filter(|c| !c.passed).collect();
        if !failures.is_empty() {
            out.push_str("\n## Failures\n\n");
            for c in failures {
                for f in &c.failures {
                    list_item(&mut out, &c.name, f);
                }
            }
        }
        let notes: Vec<(&str, &str)> = self
            .cases
            .iter()
            .flat_map(|c| {
                c.naive
                    .problems
                    .iter()
                    .map(|p| (c.name.as_str(), p.as_str()))
            })
            .collect();
        if !notes.is_empty() {
            out.push_str("\n## Naive Dockerfiles (informational, not failures)\n\n");
            for (name, p) in notes {
                list_item(&mut out, name, p);
            }
        }
        let others: Vec<(&str, &OtherRuntime)> = self
            .cases
            .iter()
            .flat_map(|c| c.other_runtimes.iter().map(|o| (c.name.as_str(), o)))
            .collect();
        if !others.is_empty() {
            out.push_str("\n## Other runtimes\n\n");
            for (name, o) in others {
                let _ = writeln!(
                    out,
                    "- **{name}** `{}` with `runtime = \"{}\"`: {:.1} MB (default runtime {:.1} MB), ready after {} s.",
                    o.service,
                    o.runtime,
                    o.image_mb,
                    o.default_mb,
                    secs(o.ready_s)
                );
            }
        }
        out.push_str("\n## Details\n\n");
        for c in &self.cases {
            let target = match (&c.target_stage, c.target_s) {
                _ if c.stages.is_empty() => "not rendered".to_string(),
                (Some(stage), Some(s)) => format!("`--target {stage}` {s:.1} s"),
                (Some(stage), None) => format!("`--target {stage}` not built"),
                (None, _) => "no builder stage, no `--target` build".to_string(),
            };
            let _ = writeln!(
                out,
                "- **{}** (port {}): {target}; mbgen ready after {} s, naive after {} s; \
                 dep-change rebuild cached/total: mbgen {}, naive {}.",
                c.name,
                c.port,
                secs(c.mbgen.ready_s),
                secs(c.naive.ready_s),
                steps(c.mbgen.deps_cached, c.mbgen.deps_total),
                steps(c.naive.deps_cached, c.naive.deps_total),
            );
            for stop in &c.stops {
                let _ = writeln!(out, "  - docker stop, {}: {}", stop.what, stop.describe());
            }
            for line in &c.notes {
                let _ = writeln!(out, "  - {line}");
            }
        }
        out
    }
}
