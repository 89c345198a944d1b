//! Standalone BuildKit for the suite: a local registry and fresh `buildkitd` builders, started
//! by `tests/e2e/buildkit.sh` and stopped when their guards drop, `docker buildx bake` runs
//! through them, and reads of the registry.

use fs_err as fs;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::docker::{run_captured, run_logged, Docker};
use super::progress::{self, Step};
use super::report::round1;
use super::{tail, LOG_TAIL, ROOT};

/// Starting or stopping a registry or a builder, pushing an image.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(600);
/// Building buildkitd and buildx from source (or waiting for the build already under way).
const INSTALL_TIMEOUT: Duration = Duration::from_secs(3600);

/// The registry and the tools of the case: `buildkit.sh` keeps their state under `state`.
pub(crate) struct Kit {
    pub state: PathBuf,
    tools: PathBuf,
    /// `127.0.0.1:<port>`.
    pub registry: String,
    docker_config: PathBuf,
    pub docker: Docker,
    /// Where the logs go.
    pub out: PathBuf,
}

/// One `docker buildx bake` run: its wall time and its steps, each with the target (service)
/// BuildKit's progress names it under.
pub(crate) struct Baked {
    pub secs: f64,
    pub steps: Vec<(String, Step)>,
    pub log: PathBuf,
}

impl Baked {
    /// The instruction steps of `target`, with the stage names BuildKit gives them alone.
    pub(crate) fn of(&self, target: &str) -> Vec<Step> {
        self.steps
            .iter()
            .filter(|(t, _)| t == target)
            .map(|(_, s)| s.clone())
            .collect()
    }

    /// The instruction steps that ran instead of coming from the cache.
    pub(crate) fn ran(&self) -> Vec<&(String, Step)> {
        self.steps
            .iter()
            .filter(|(_, s)| s.is_instruction() && !s.cached())
            .collect()
    }

    /// Instruction steps taken from the cache, and all of them.
    pub(crate) fn cached_of_total(&self) -> (usize, usize) {
        let steps: Vec<Step> = self.steps.iter().map(|(_, s)| s.clone()).collect();
        progress::cached_of_total(&steps)
    }
}

impl Kit {
    /// Starts the registry; the state lives under `$MBGEN_E2E_DIR/bake`.
    pub(crate) fn start(docker: &Docker, out: &Path) -> Result<Self, String> {
        let e2e = std::env::var("MBGEN_E2E_DIR")
            .ok()
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "/var/tmp/mbgen-e2e".to_owned());
        let tools = std::env::var_os("MBGEN_TOOLS_BIN").map_or_else(
            || Path::new(ROOT).join("target/tools"),
            |bin| PathBuf::from(bin).join(".."),
        );
        let mut kit = Self {
            state: PathBuf::from(e2e).join("bake"),
            tools,
            registry: String::new(),
            docker_config: PathBuf::new(),
            docker: docker.clone(),
            out: out.to_owned(),
        };
        // Built once into the tools directory; when tests/run.sh's background install is still
        // building them, this waits for it.
        let t = Instant::now();
        kit.script_for(&["install"], INSTALL_TIMEOUT)?;
        let waited = t.elapsed().as_secs_f64();
        if waited > 5.0 {
            println!("e2e: bake: buildkitd and buildx ready after {waited:.0} s");
        }
        let state = kit.state.display().to_string();
        let started = kit.script(&["registry-start", &state])?;
        started
            .lines()
            .find_map(|l| l.strip_prefix("REGISTRY="))
            .ok_or_else(|| format!("buildkit.sh registry-start printed no address: {started}"))?
            .clone_into(&mut kit.registry);
        let env = kit.script(&["env", &state])?;
        kit.docker_config = env
            .lines()
            .find_map(|l| l.strip_prefix("DOCKER_CONFIG="))
            .map(PathBuf::from)
            .ok_or("buildkit.sh env printed no DOCKER_CONFIG")?;
        Ok(kit)
    }

    /// Runs `buildkit.sh ARGS`; its standard output.
    fn script(&self, args: &[&str]) -> Result<String, String> {
        self.script_for(args, SCRIPT_TIMEOUT)
    }

    fn script_for(&self, args: &[&str], timeout: Duration) -> Result<String, String> {
        let mut cmd = Command::new("bash");
        cmd.arg(Path::new(ROOT).join("tests/e2e/buildkit.sh"))
            .args(args)
            .env("MBGEN_TOOLS", &self.tools)
            .env("DOCKER_HOST", &self.docker.host);
        let what = format!("buildkit.sh {}", args.join(" "));
        let out = run_captured(cmd, timeout, &what)?;
        if out.ok {
            Ok(out.stdout)
        } else {
            Err(format!("{what} failed:\n{}", tail(&out.text(), 20)))
        }
    }

    /// Deletes the repositories under `namespace` from the registry's storage (what an
    /// earlier run pushed there, images and caches), so that the first builder of this run
    /// finds no cache. Blobs stay, unreferenced; the stand-ins are under other names.
    pub(crate) fn forget(&self, namespace: &str) -> Result<(), String> {
        let repositories = self
            .state
            .join("registry/storage/docker/registry/v2/repositories")
            .join(namespace);
        match fs::remove_dir_all(&repositories) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(format!("{}: {e}", repositories.display()))
            }
            _ => Ok(()),
        }
    }

    /// Copies images of the engine into the registry, where the builders' mirrors find them.
    /// `local=ref` copies the engine's image `local` to where the mirrors look for `ref`.
    pub(crate) fn push(&self, images: &[String]) -> Result<(), String> {
        let state = self.state.display().to_string();
        let mut args = vec!["push", state.as_str()];
        args.extend(images.iter().map(String::as_str));
        self.script(&args).map(drop)
    }

    /// Starts a buildkitd with an empty state, and the buildx builder `name` for it.
    pub(crate) fn builder(&self, name: &str) -> Result<Builder<'_>, String> {
        let state = self.state.display().to_string();
        self.script(&["builder-start", &state, name])?;
        Ok(Builder {
            kit: self,
            name: name.to_owned(),
        })
    }

    /// The environment that reaches buildx and the builders: the docker client's plugins,
    /// the engine, BuildKit's plain progress.
    pub(crate) fn env(&self) -> Vec<(String, String)> {
        vec![
            (
                "DOCKER_CONFIG".into(),
                self.docker_config.display().to_string(),
            ),
            ("DOCKER_HOST".into(), self.docker.host.clone()),
            ("BUILDKIT_PROGRESS".into(), "plain".into()),
        ]
    }

    /// `docker buildx bake --builder BUILDER FLAGS TARGETS` in `dir` (every target when none is
    /// named), logged to `<log>.log`.
    pub(crate) fn bake(
        &self,
        builder: &Builder<'_>,
        dir: &Path,
        targets: &[&str],
        flags: &[&str],
        log: &str,
    ) -> Result<Baked, String> {
        let args: Vec<&str> = flags.iter().chain(targets).copied().collect();
        let mut cmd = self.docker.command();
        cmd.current_dir(dir)
            .envs(self.env())
            .args([
                "buildx",
                "bake",
                "--builder",
                &builder.name,
                "--progress",
                "plain",
            ])
            .args(&args);
        let log = self.out.join(format!("{log}.log"));
        println!("e2e: bake: docker buildx bake {} ...", args.join(" "));
        let started = Instant::now();
        let result = run_logged(cmd, &log, Duration::from_secs(1800), "docker buildx bake");
        let secs = round1(started.elapsed().as_secs_f64());
        // One target named alone: its steps carry no target name.
        let only = match targets {
            [one] => Some(*one),
            _ => None,
        };
        let baked = read_bake_log(&log, secs, only);
        match result {
            Ok(true) => {
                let (cached, total) = baked.cached_of_total();
                println!("e2e: bake: done in {secs:.1} s ({cached}/{total} steps cached)");
                Ok(baked)
            }
            other => {
                let text = fs::read_to_string(&log).unwrap_or_default();
                Err(format!(
                    "docker buildx bake {} failed after {secs:.1} s ({}; log {}):\n{}",
                    args.join(" "),
                    other.err().unwrap_or_else(|| "exit status not 0".into()),
                    log.display(),
                    tail(&text, LOG_TAIL)
                ))
            }
        }
    }

    /// The digest of the `linux/amd64` image of `repo:tag` (the index also carries the
    /// attestation manifests), and the predicate types of its attestations.
    pub(crate) fn image(&self, repo_tag: &str) -> Result<PushedImage, String> {
        let (repo, tag) = repo_tag.rsplit_once(':').ok_or("no tag")?;
        let index = registry_json(&self.registry, &format!("/v2/{repo}/manifests/{tag}"))?;
        let manifests = index["manifests"]
            .as_array()
            .ok_or_else(|| format!("{repo_tag} is not an image index: {index}"))?;
        let mut pushed = PushedImage::default();
        for m in manifests {
            let digest = m["digest"].as_str().unwrap_or_default();
            let kind = m["annotations"]["vnd.docker.reference.type"].as_str();
            if kind == Some("attestation-manifest") {
                let att = registry_json(&self.registry, &format!("/v2/{repo}/manifests/{digest}"))?;
                for layer in att["layers"].as_array().into_iter().flatten() {
                    if let Some(p) = layer["annotations"]["in-toto.io/predicate-type"].as_str() {
                        pushed.predicates.push(p.to_owned());
                    }
                }
            } else if m["platform"]["os"] == "linux" {
                digest.clone_into(&mut pushed.digest);
            }
        }
        pushed.layers = self.layers(repo, &pushed.digest)?;
        Ok(pushed)
    }

    /// The layers (digest, size) of the image manifest `reference` in `repo`.
    pub(crate) fn layers(&self, repo: &str, reference: &str) -> Result<Vec<(String, u64)>, String> {
        let manifest = registry_json(&self.registry, &format!("/v2/{repo}/manifests/{reference}"))?;
        Ok(manifest["layers"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|l| {
                (
                    l["digest"].as_str().unwrap_or_default().to_owned(),
                    l["size"].as_u64().unwrap_or_default(),
                )
            })
            .collect())
    }
}

impl Drop for Kit {
    fn drop(&mut self) {
        let state = self.state.display().to_string();
        if let Err(e) = self.script(&["registry-stop", &state]) {
            println!("e2e: bake: {e}");
        }
    }
}

/// What the registry holds for a tag.
#[derive(Debug, Default, Clone)]
pub(crate) struct PushedImage {
    /// The `linux/amd64` manifest's digest.
    pub digest: String,
    /// The in-toto predicate types of its attestations.
    pub predicates: Vec<String>,
    /// The `linux/amd64` image's layers: digest and size.
    pub layers: Vec<(String, u64)>,
}

/// A running builder: stopped, and its state deleted, when dropped.
pub(crate) struct Builder<'a> {
    kit: &'a Kit,
    pub name: String,
}

impl Drop for Builder<'_> {
    fn drop(&mut self) {
        let state = self.kit.state.display().to_string();
        if let Err(e) = self.kit.script(&["builder-stop", &state, &self.name]) {
            println!("e2e: bake: {e}");
        }
    }
}

/// The steps of a bake log, each under its target: with several targets BuildKit's progress
/// names a step `[api prod-deps 3/6]` (a step that several targets share is shown once, under
/// one of them); with one, `[prod-deps 3/6]`, and `only` names it.
pub(crate) fn read_bake_log(log: &Path, secs: f64, only: Option<&str>) -> Baked {
    let text = fs::read_to_string(log).unwrap_or_default();
    let steps = progress::parse(&text)
        .into_iter()
        .map(|mut step| {
            let (target, stage) = match (step.stage.split_once(' '), only) {
                (Some((target, stage)), _) => (target.to_owned(), stage.to_owned()),
                (None, Some(only)) => (only.to_owned(), step.stage.clone()),
                (None, None) => (String::new(), step.stage.clone()),
            };
            step.stage = stage;
            (target, step)
        })
        .collect();
    Baked {
        secs,
        steps,
        log: log.to_owned(),
    }
}

/// `GET http://<registry><path>` with the media types of images and indexes accepted.
fn registry_json(registry: &str, path: &str) -> Result<serde_json::Value, String> {
    let what = format!("GET http://{registry}{path}");
    let mut stream = TcpStream::connect(registry).map_err(|e| format!("{what}: {e}"))?;
    let limit = Some(Duration::from_secs(30));
    stream
        .set_read_timeout(limit)
        .and_then(|()| stream.set_write_timeout(limit))
        .map_err(|e| format!("{what}: {e}"))?;
    let accept = "application/vnd.oci.image.index.v1+json, \
                  application/vnd.oci.image.manifest.v1+json, \
                  application/vnd.docker.distribution.manifest.list.v2+json, \
                  application/vnd.docker.distribution.manifest.v2+json";
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {registry}\r\nAccept: {accept}\r\n\r\n"
    )
    .map_err(|e| format!("{what}: {e}"))?;
    let mut response = Vec::new();
    stream
        .take(16 << 20)
        .read_to_end(&mut response)
        .map_err(|e| format!("{what}: {e}"))?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
        return Err(format!(
            "{what}: {}",
            head.lines().next().unwrap_or("no answer")
        ));
    }
    serde_json::from_str(body).map_err(|e| format!("{what}: {e}"))
}
