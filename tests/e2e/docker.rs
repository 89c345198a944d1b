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
use std::time::{Duration, Instant};

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
