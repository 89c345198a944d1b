//! Apps that install no signal handler (tests/e2e/stop/), one service per stack and final
//! image (cases `stop-<service>`): how their containers stop.
//!
//! Each service is built (the layer cache is kept: these cases measure stops, not builds),
//! then run twice. First idle, as every case's containers are: `docker stop` must end it within
//! two seconds with status 0 or 143. Then with a short-lived orphan left to PID 1, which must be
//! reaped (no zombie), and a request in flight when `docker stop` begins: a server that stops
//! gracefully (nginx on SIGQUIT, gunicorn on SIGTERM) must answer it in full, and the stop may
//! take two seconds more than the request still needed. An app that handles no signal ends at
//! once on SIGTERM and cuts the request: the report says so, it is not a failure.
//! `MBGEN_E2E_STOP=0` skips these cases.

use fs_err as fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use super::docker::{http_get_slowly, run_captured, Stopped};
use super::report::{round1, CaseReport, Stop};
use super::services::{self, Service};
use super::{
    container_name, copy_tree, lock_port, record_stop, run_mbgen, runs, stop_limit, Case, Suite,
    SHORT, STOP_LIMIT_S,
};

/// A service of tests/e2e/stop/mbgen.toml and how it is stopped.
#[derive(Debug)]
pub(crate) struct StopService {
    pub name: &'static str,
    /// The request kept in flight: a path that answers after a second, or for nginx a file of
    /// [`BIG_FILE`] bytes read at [`RATE`], which takes about a second.
    pub slow: &'static str,
    /// A `docker exec` command that leaves a short-lived orphan to PID 1 and exits.
    pub orphan: &'static [&'static str],
    /// How the image is run: with `args` replacing its `CMD` (none: its own command), and
    /// whether that command finishes the requests in flight when it stops.
    pub runs: &'static [StopRun],
}

#[derive(Debug)]
pub(crate) struct StopRun {
    pub args: &'static [&'static str],
    pub graceful: bool,
}

/// The orphan of an image with a shell: `sh` exits at once, its `sleep` is left to PID 1.
const SHELL_ORPHAN: &[&str] = &["sh", "-c", "sleep 0.3 >/dev/null 2>&1 &"];
/// The image's own command.
const OWN: &[StopRun] = &[StopRun {
    args: &[],
    graceful: false,
}];
/// nginx finishes what it serves on SIGQUIT, its `STOPSIGNAL`.
const NGINX: &[StopRun] = &[StopRun {
    args: &[],
    graceful: true,
}];
/// The large file nginx serves slowly, in the site of `static` and `node-static`.
const BIG_FILE: usize = 32 << 20;
/// How fast the request in flight is read, bytes a second.
const RATE: usize = 32 << 20;

pub(crate) const SERVICES: &[StopService] = &[
    StopService {
        name: "node-server",
        slow: "/slow",
        orphan: SHELL_ORPHAN,
        runs: OWN,
    },
    StopService {
        name: "python",
        slow: "/slow",
        orphan: SHELL_ORPHAN,
        // gunicorn stops gracefully on SIGTERM; `python app.py` (the standard library's
        // server) handles no signal. `docker run IMAGE python app.py` replaces `CMD` and keeps
        // tini, the `ENTRYPOINT`.
        runs: &[
            StopRun {
                args: &[],
                graceful: true,
            },
            StopRun {
                args: &["python", "app.py"],
                graceful: false,
            },
        ],
    },
    StopService {
        name: "go-distroless",
        slow: "/slow",
        orphan: &["/usr/local/bin/go-distroless", "orphan"],
        runs: OWN,
    },
    StopService {
        name: "go-scratch",
        slow: "/slow",
        orphan: &["/usr/local/bin/go-scratch", "orphan"],
        runs: OWN,
    },
    StopService {
        name: "go-slim",
        slow: "/slow",
        orphan: &["/usr/local/bin/go-slim", "orphan"],
        runs: OWN,
    },
    StopService {
        name: "rust-slim",
        slow: "/slow",
        orphan: &["/usr/local/bin/stop", "orphan"],
        runs: OWN,
    },
    StopService {
        name: "rust-distroless",
        slow: "/slow",
        orphan: &["/usr/local/bin/stop", "orphan"],
        runs: OWN,
    },
    StopService {
        name: "static",
        slow: "/big.bin",
        orphan: SHELL_ORPHAN,
        runs: NGINX,
    },
    StopService {
        name: "node-static",
        slow: "/big.bin",
        orphan: SHELL_ORPHAN,
        runs: NGINX,
    },
];

/// The case name of a service.
pub(crate) fn case_name(service: &StopService) -> String {
    format!("stop-{}", service.name)
}

/// The cases `stop-<service>`, those `wanted` names when given.
pub(crate) fn cases(root: &Path, wanted: Option<&[String]>) -> Vec<Case> {
    SERVICES
        .iter()
        .map(|s| (s, case_name(s)))
        .filter(|(_, name)| runs(name, false, wanted))
        .map(|(s, name)| Case {
            name,
            example: root.join("tests/e2e/stop"),
            naive: PathBuf::new(),
            settings: None,
            from_init: false,
            workspace: false,
            starter: None,
            fixture: None,
            stop: Some(s),
        })
        .collect()
}

pub(crate) fn run_case(suite: &mut Suite, case: &Case, spec: &StopService) -> CaseReport {
    let started = Instant::now();
    let mut rep = CaseReport {
        name: case.name.clone(),
        port: 8080,
        ..CaseReport::default()
    };
    if let Err(e) = run(suite, case, spec, &mut rep) {
        rep.failures.push(e);
    }
    rep.naive
        .problems
        .push("no naive build: a stop case measures stops".into());
    rep.passed = rep.failures.is_empty();
    rep.total_s = round1(started.elapsed().as_secs_f64());
    rep
}

fn run(
    suite: &mut Suite,
    case: &Case,
    spec: &StopService,
    rep: &mut CaseReport,
) -> Result<(), String> {
    let tmp = tempfile::Builder::new()
        .prefix(&format!("mbgen-e2e-{}-", case.name))
        .tempdir()
        .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
    let dir = tmp.path().join("stop");
    copy_tree(&case.example, &dir)
        .map_err(|e| format!("copying {} failed: {e}", case.example.display()))?;
    // The large file nginx serves: made here, not committed.
    let big = vec![0_u8; BIG_FILE];
    for site in ["static", "node-static/src"] {
        fs::write(dir.join(site).join("big.bin"), &big).map_err(|e| e.to_string())?;
    }
    run_mbgen("render", &dir, "--quiet")?;
    let services = services::read(&case.name, &dir)?;
    let s = services
        .iter()
        .find(|s| s.name == spec.name)
        .ok_or_else(|| format!("tests/e2e/stop/mbgen.toml has no service {}", spec.name))?;
    let t0 = Instant::now();
    services::build(suite, &case.name, s, "build", false)?;
    rep.mbgen.cold_s = Some(round1(t0.elapsed().as_secs_f64()));
    rep.mbgen.image_mb = Some(suite.image_mb(&s.tag)?);
    rep.mbgen.user = Some(suite.image_user(&s.tag)?);
    rep.stages = super::from_lines(&s.text)
        .into_iter()
        .filter_map(|(_, stage)| stage)
        .collect();

    // idle: as every case's containers
    services::serve(suite, rep, &case.name, s, "/", "idle");
    // busy: an orphan to reap and a request in flight
    for run in spec.runs {
        if let Err(e) = stop_busy(suite, rep, &case.name, s, spec, run) {
            rep.failures.push(e);
        }
    }
    Ok(())
}

/// Runs the image, leaves an orphan to PID 1, starts the slow request, then `docker stop`.
fn stop_busy(
    suite: &mut Suite,
    rep: &mut CaseReport,
    case: &str,
    s: &Service,
    spec: &StopService,
    run: &StopRun,
) -> Result<(), String> {
    let container = container_name(&format!("{case}-{}", s.name), false);
    if !suite.containers.contains(&container) {
        suite.containers.push(container.clone());
    }
    let what = if run.args.is_empty() {
        "busy".to_owned()
    } else {
        format!("busy, `docker run IMAGE {}`", run.args.join(" "))
    };
    let label = format!("{case}-busy");
    let _port = lock_port(s.port)?;
    suite.ensure_port_free(s.port)?;
    let _guard = suite.run_detached(&container, &s.tag, run.args)?;
    suite.wait_http(&container, s.port, "/", &label)?;
    let reaped = orphan_reaped(suite, &container, spec.orphan)?;

    let (port, path) = (s.port, spec.slow.to_owned());
    let request = thread::spawn(move || {
        let answer = http_get_slowly(port, &path, RATE);
        (answer, Instant::now())
    });
    // the request is in flight: sent, its answer not (all) there yet
    thread::sleep(Duration::from_millis(300));
    let stop_began = Instant::now();
    let stopped: Stopped = suite.stop_logged(&container, &label)?;
    let (answer, done) = request
        .join()
        .map_err(|_| "the request in flight panicked".to_owned())?;
    let grace = match &answer {
        Ok(_) => done.saturating_duration_since(stop_began).as_secs_f64(),
        Err(_) => 0.0,
    };
    println!(
        "e2e: {label}: the request in flight {}; the orphan {}",
        match &answer {
            Ok(bytes) => format!("completed ({bytes} bytes, {grace:.1} s into the stop)"),
            Err(e) => format!("was cut ({e})"),
        },
        match reaped {
            Some(true) => "was reaped",
            Some(false) => "left a zombie",
            None => "was not checked (the engine's processes are not on this host)",
        }
    );
    if let (true, Err(e)) = (run.graceful, &answer) {
        rep.failures.push(format!(
            "{what}: the request in flight when the stop began was cut ({e}); this server \
             stops gracefully and must finish it"
        ));
    }
    if reaped == Some(false) {
        rep.failures.push(format!(
            "{what}: an orphaned process left to PID 1 stayed a zombie: nothing reaps it"
        ));
    }
    record_stop(
        rep,
        Stop {
            what,
            secs: round1(stopped.secs),
            exit_code: stopped.exit_code,
            in_flight_completed: Some(answer.is_ok()),
            reaped,
        },
        // a command given to `docker run` here handles no signal
        if run.args.is_empty() {
            stop_limit(&s.text)
        } else {
            STOP_LIMIT_S
        },
        grace,
    );
    Ok(())
}

/// Leaves a short-lived orphan to PID 1 (`orphan` exits at once, its child soon after) and
/// waits for it to go: true once reaped, false if it is still a zombie after 3 s; none when
/// the container's processes are not visible on this host.
fn orphan_reaped(suite: &Suite, container: &str, orphan: &[&str]) -> Result<Option<bool>, String> {
    let pid = suite
        .docker
        .ok(&["inspect", "-f", "{{.State.Pid}}", container], SHORT)?;
    if pid.parse::<u32>().is_err() || !Path::new("/proc").join(&pid).exists() {
        return Ok(None);
    }
    let before = children(&pid)?;
    let mut exec = vec!["exec", container];
    exec.extend(orphan);
    let out = suite.docker.output(&exec, SHORT)?;
    if !out.ok {
        return Err(format!(
            "`docker exec {}` failed: {}",
            orphan.join(" "),
            out.text()
        ));
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    for _ in 0..100 {
        let new: Vec<(String, bool)> = children(&pid)?
            .into_iter()
            .filter(|c| !before.iter().any(|b| b.0 == c.0))
            .collect();
        if new.is_empty() {
            return Ok(Some(true));
        }
        if Instant::now() >= deadline {
            // a zombie is not reaped; a live orphan (a very slow machine) tells nothing
            return Ok(new.iter().any(|(_, zombie)| *zombie).then_some(false));
        }
        thread::sleep(Duration::from_millis(50));
    }
    Ok(None)
}

/// The children of host process `pid`: (pid, whether it is a zombie).
fn children(pid: &str) -> Result<Vec<(String, bool)>, String> {
    let mut ps = Command::new("ps");
    ps.args(["-o", "pid=,stat=", "--ppid", pid]);
    let out = run_captured(ps, SHORT, "ps")?;
    // ps exits with 1 when there is no such process: no children
    Ok(out
        .stdout
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            Some((words.next()?.to_owned(), words.next()?.starts_with('Z')))
        })
        .collect())
}
