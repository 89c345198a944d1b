//! Processes with a time limit, the Docker client, and a tiny HTTP probe.
//!
//! Every child process runs in its own process group and is killed (the whole group, by its
//! id) when it outlives its time limit, so a hung `docker build` or `npm` never hangs the suite.

use fs_err::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How often a running child is polled.
const POLL: Duration = Duration::from_millis(50);

/// What a finished process printed.
#[derive(Debug)]
pub(crate) struct Output {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Both streams, for error messages.
    pub(crate) fn text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr).trim().to_string()
    }
}

/// Waits for `child` at most `timeout`; kills its process group when the time is up.
fn wait_bounded(child: &mut Child, timeout: Duration, what: &str) -> Result<ExitStatus, String> {
    let deadline = Instant::now() + timeout;
    let max_polls = timeout.as_millis() / POLL.as_millis() + 1;
    for _ in 0..max_polls {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if Instant::now() >= deadline => break,
            Ok(None) => thread::sleep(POLL),
            Err(e) => return Err(format!("{what}: waiting failed: {e}")),
        }
    }
    kill_group(child);
    Err(format!(
        "{what}: still running after {}s, killed",
        timeout.as_secs()
    ))
}

/// Kills the process group led by `child` (it was spawned with `process_group(0)`).
fn kill_group(child: &mut Child) {
    let group = format!("-{}", child.id());
    let _ = Command::new("kill")
        .args(["-KILL", "--", &group])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// Runs `cmd` to completion (at most `timeout`), capturing both streams.
pub(crate) fn run_captured(
    mut cmd: Command,
    timeout: Duration,
    what: &str,
) -> Result<Output, String> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    let mut out_pipe = child.stdout.take().expect("stdout is piped");
    let mut err_pipe = child.stderr.take().expect("stderr is piped");
    let out_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out_pipe.read_to_end(&mut buf);
        buf
    });
    let err_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        buf
    });
    // On a time-out the readers are left behind: a grandchild may still hold the pipes.
    let status = wait_bounded(&mut child, timeout, what)?;
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    Ok(Output {
        ok: status.success(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    })
}

/// Runs `cmd` to completion (at most `timeout`) with both streams written to `log`.
pub(crate) fn run_logged(
    mut cmd: Command,
    log: &Path,
    timeout: Duration,
    what: &str,
) -> Result<bool, String> {
    let file = File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let file2 = file
        .try_clone()
        .map_err(|e| format!("{}: {e}", log.display()))?;
    cmd.stdin(Stdio::null())
        .stdout(file.into_parts().0)
        .stderr(file2.into_parts().0)
        .process_group(0);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    let status = wait_bounded(&mut child, timeout, what)?;
    Ok(status.success())
}

/// The Docker client, pointed at the engine under test.
#[derive(Debug, Clone)]
pub(crate) struct Docker {
    pub bin: PathBuf,
    pub host: String,
}

impl Docker {
    /// `docker` with the engine's environment; BuildKit always on.
    pub(crate) fn command(&self) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.env("DOCKER_HOST", &self.host)
            .env("DOCKER_BUILDKIT", "1");
        cmd
    }

    /// Runs a short docker command (at most `timeout`).
    pub(crate) fn output(&self, args: &[&str], timeout: Duration) -> Result<Output, String> {
        let mut cmd = self.command();
        cmd.args(args);
        run_captured(cmd, timeout, &format!("docker {}", args.join(" ")))
    }

    /// Runs a docker command that must succeed, returning its trimmed standard output.
    pub(crate) fn ok(&self, args: &[&str], timeout: Duration) -> Result<String, String> {
        let out = self.output(args, timeout)?;
        if out.ok {
            Ok(out.stdout.trim().to_string())
        } else {
            Err(format!("docker {} failed: {}", args.join(" "), out.text()))
        }
    }

    /// `docker rm -f NAME`, ignoring a missing container.
    pub(crate) fn remove_container(&self, name: &str) {
        let _ = self.output(&["rm", "-f", name], Duration::from_secs(60));
    }
}

/// How a container stopped under `docker stop`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stopped {
    /// Seconds from the `docker stop` call to the moment the engine saw the container exit.
    pub secs: f64,
    pub exit_code: i64,
}

impl Docker {
    /// `docker stop NAME` (SIGTERM, or the image's `STOPSIGNAL`, then SIGKILL after ten
    /// seconds), timed up to the exit the engine recorded, so the client's own start-up is
    /// not counted.
    pub(crate) fn stop(&self, name: &str) -> Result<Stopped, String> {
        let sent = SystemTime::now();
        let wall = Instant::now();
        self.ok(&["stop", name], Duration::from_secs(60))?;
        let wall = wall.elapsed().as_secs_f64();
        let state = self.ok(
            &[
                "inspect",
                "-f",
                "{{.State.ExitCode}} {{.State.FinishedAt}}",
                name,
            ],
            Duration::from_secs(60),
        )?;
        let (code, finished) = state.split_once(' ').unwrap_or((&state, ""));
        let exit_code = code
            .parse()
            .map_err(|e| format!("exit code {code:?} of {name}: {e}"))?;
        let since_epoch = |t: SystemTime| t.duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64());
        let secs = match (unix_seconds(finished), since_epoch(sent)) {
            (Some(end), Ok(start)) if end >= start && end - start <= wall => end - start,
            _ => wall,
        };
        Ok(Stopped { secs, exit_code })
    }
}

/// Seconds since the epoch of a UTC time as Docker prints it: `2026-01-02T03:04:05.678Z`.
fn unix_seconds(text: &str) -> Option<f64> {
    let (date, time) = text.strip_suffix('Z')?.split_once('T')?;
    let mut date = date.splitn(3, '-').map(str::parse::<i64>);
    let (year, month, day) = (date.next()?.ok()?, date.next()?.ok()?, date.next()?.ok()?);
    let mut time = time.splitn(3, ':');
    let hours: i64 = time.next()?.parse().ok()?;
    let minutes: i64 = time.next()?.parse().ok()?;
    let seconds: f64 = time.next()?.parse().ok()?;
    // days from the civil date (Howard Hinnant's algorithm)
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    #[allow(clippy::cast_precision_loss)]
    Some((days * 86_400 + hours * 3600 + minutes * 60) as f64 + seconds)
}

/// Removes a container when dropped, so it goes away on every path out of a check.
#[derive(Debug)]
pub(crate) struct ContainerGuard<'a> {
    pub docker: &'a Docker,
    pub name: String,
}

impl Drop for ContainerGuard<'_> {
    fn drop(&mut self) {
        self.docker.remove_container(&self.name);
    }
}

fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Whether something accepts connections on 127.0.0.1:`port`.
pub(crate) fn port_open(port: u16) -> bool {
    TcpStream::connect_timeout(&local(port), Duration::from_millis(300)).is_ok()
}

/// `GET <path>` over HTTP/1.1 on 127.0.0.1:`port`; the response's status code.
pub(crate) fn http_get_status(port: u16, path: &str) -> Result<u16, String> {
    let mut stream = TcpStream::connect_timeout(&local(port), Duration::from_secs(1))
        .map_err(|e| format!("connect: {e}"))?;
    let limit = Some(Duration::from_secs(3));
    stream
        .set_read_timeout(limit)
        .and_then(|()| stream.set_write_timeout(limit))
        .map_err(|e| format!("socket: {e}"))?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: mbgen-e2e\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("send: {e}"))?;
    // The status line is all that is needed: read until its end (bounded).
    let mut head = Vec::new();
    let mut chunk = [0_u8; 1024];
    for _ in 0..64 {
        let n = stream
            .read(&mut chunk)
            .map_err(|e| format!("receive: {e}"))?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&chunk[..n]);
        if head.windows(2).any(|w| w == b"\r\n") || head.len() > 16 * 1024 {
            break;
        }
    }
    let text = String::from_utf8_lossy(&head);
    let line = text.lines().next().unwrap_or("");
    let mut parts = line.split_whitespace();
    match (parts.next(), parts.next().map(str::parse::<u16>)) {
        (Some(version), Some(Ok(code))) if version.starts_with("HTTP/") => Ok(code),
        _ => Err(format!("not an HTTP response: {line:?}")),
    }
}

/// `GET <path>` on 127.0.0.1:`port`, read to its end at about `rate` bytes a second (so that a
/// large answer stays in flight for a while): the body's size when the answer is a 200 with
/// all the bytes its `Content-Length` announced, the reason otherwise (a cut connection).
pub(crate) fn http_get_slowly(port: u16, path: &str, rate: usize) -> Result<usize, String> {
    let mut stream = TcpStream::connect_timeout(&local(port), Duration::from_secs(1))
        .map_err(|e| format!("connect: {e}"))?;
    let limit = Some(Duration::from_secs(5));
    stream
        .set_read_timeout(limit)
        .and_then(|()| stream.set_write_timeout(limit))
        .map_err(|e| format!("socket: {e}"))?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: mbgen-e2e\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("send: {e}"))?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(30);
    let mut data = Vec::new();
    let mut chunk = vec![0_u8; 64 * 1024];
    loop {
        let n = match stream.read(&mut chunk) {
            Ok(n) => n,
            Err(e) => return Err(format!("after {} bytes: {e}", data.len())),
        };
        if n == 0 {
            break;
        }
        data.extend_from_slice(&chunk[..n]);
        if Instant::now() >= deadline {
            return Err(format!("still reading after 30 s ({} bytes)", data.len()));
        }
        #[allow(clippy::cast_precision_loss)]
        let due = Duration::from_secs_f64(data.len() as f64 / rate as f64);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            thread::sleep(wait);
        }
    }
    let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Err(format!(
            "the connection closed after {} bytes, before the headers ended",
            data.len()
        ));
    };
    let head = String::from_utf8_lossy(&data[..end]);
    let body = data.len() - end - 4;
    let status = head.lines().next().unwrap_or("");
    if status.split_whitespace().nth(1) != Some("200") {
        return Err(format!("answered {status:?}"));
    }
    let length = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse::<usize>().ok())
            .flatten()
    });
    match length {
        Some(length) if length == body => Ok(body),
        Some(length) => Err(format!("{body} of the {length} bytes of the body arrived")),
        None => Err("the answer has no Content-Length to check it against".into()),
    }
}
