//! Serves HTTP and installs no signal handler, like most apps: as PID 1 it would ignore
//! `docker stop`'s SIGTERM and reap no orphaned process.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;
use std::{env, thread};

fn main() {
    // `orphan` starts a short-lived child and exits at once: the child is left to PID 1,
    // which must reap it. `nap` is that child.
    match env::args().nth(1).as_deref() {
        Some("orphan") => {
            let me = env::current_exe().expect("own path");
            // no stdio: `docker exec` returns once this process exits, the child lives on
            Command::new(me)
                .arg("nap")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn");
            return;
        }
        Some("nap") => {
            thread::sleep(Duration::from_millis(300));
            return;
        }
        _ => {}
    }
    let listener = TcpListener::bind("0.0.0.0:8080").expect("bind 0.0.0.0:8080");
    for stream in listener.incoming().flatten() {
        thread::spawn(move || answer(stream));
    }
}

fn answer(mut stream: TcpStream) {
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    let _ = reader.read_line(&mut request_line);
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    // /slow answers after a second: the request kept in flight during a stop.
    if request_line.starts_with("GET /slow ") {
        thread::sleep(Duration::from_secs(1));
    }
    let _ = stream.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n",
    );
}
