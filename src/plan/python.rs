//! Python: every requirement is built into a wheel in the `build` stage (where compilers may
//! live), and the final image installs those wheels through a bind mount, so no wheel file
//! and no build tool ends up in any layer of the final image.

use serde::Serialize;

use super::common::{cache_mount, secret_mounts};
use super::copy::{member_manifest_copies, sources};
use super::escape::{copy_args, shell_word};
use super::Run;
use crate::model::{Python, PythonPm, Service};

/// The uv release used to read `uv.lock`.
pub(super) const UV_VERSION: &str = "0.9.7";
/// Where uv makes the virtual environment, in the build stage and the final image alike (its
/// scripts name their interpreter by this path).
pub(super) const UV_VENV: &str = "/opt/venv";
/// The Poetry release (and its export plugin) used to read `poetry.lock`.
pub(super) const POETRY_VERSION: &str = "2.2.1";
pub(super) const POETRY_EXPORT_VERSION: &str = "1.9.0";
/// The PDM release used to read `pdm.lock`.
pub(super) const PDM_VERSION: &str = "2.26.1";
/// The Pipenv release used to read `Pipfile.lock`.
pub(super) const PIPENV_VERSION: &str = "2025.0.4";

/// The tool that turns a lockfile into a requirements file: what to install, what to copy
/// beside the lockfile, how to export, and the comment.
struct Exporter {
    /// The shell command installing the tool.
    install: String,
    manifest: &'static str,
    export: &'static str,
    comment: &'static str,
}

/// Installs a lockfile tool into a virtual environment of its own, so that its dependencies
/// never meet the application's (nor the image's own Python packages).
fn tool_venv(packages: &str) -> String {
    format!("python -m venv /opt/lock-tool && /opt/lock-tool/bin/pip install {packages}")
}

fn exporter(pm: PythonPm) -> Option<Exporter> {
    match pm {
        PythonPm::Poetry => Some(Exporter {
            install: tool_venv(&format!(
                "poetry=={POETRY_VERSION} poetry-plugin-export=={POETRY_EXPORT_VERSION}"
            )),
            manifest: "pyproject.toml",
            export: "/opt/lock-tool/bin/poetry export --only main --without-hashes --format requirements.txt --output /tmp/requirements.txt",
            comment: "Poetry reads poetry.lock; pip builds the wheels.",
        }),
        PythonPm::Pdm => Some(Exporter {
            install: tool_venv(&format!("pdm=={PDM_VERSION}")),
            manifest: "pyproject.toml",
            export: "/opt/lock-tool/bin/pdm export --prod --no-hashes --format requirements --output /tmp/requirements.txt",
            comment: "PDM reads pdm.lock; pip builds the wheels.",
        }),
        PythonPm::Pipenv => Some(Exporter {
            install: tool_venv(&format!("pipenv=={PIPENV_VERSION}")),
            manifest: "Pipfile",
            export: "/opt/lock-tool/bin/pipenv requirements > /tmp/requirements.txt",
            comment: "Pipenv reads Pipfile.lock; pip builds the wheels.",
        }),
        // pip reads its requirements; uv installs from uv.lock itself (see `uv_sync`).
        PythonPm::Pip | PythonPm::Uv => None,
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct PythonSection {
    /// Installs the tool that reads the lockfile (uv, Poetry, PDM, Pipenv), when it is not a
    /// requirements file.
    pub setup: Option<Run>,
    /// `COPY` arguments for the requirement files.
    pub manifests: String,
    /// From a uv workspace root: `COPY` arguments for every member's pyproject.toml.
    pub member_manifests: Vec<String>,
    /// `COPY` arguments, one instruction each, for the sources of the build stage (uv).
    pub sources: Vec<String>,
    /// `COPY` arguments for the sources of the final stage: the context, or from a workspace
    /// root the service's directory.
    pub runtime_sources: String,
    /// Builds the wheels into `/wheels`.
    pub wheels: Run,
    /// Installs the wheels in the final image.
    pub install: Run,
    /// uv: the virtual environment synced in the build stage and copied whole into the final
    /// image, instead of wheels; none for the other package managers.
    pub venv: Option<Venv>,
    /// After the sources: gives the user the directories of `writable-dirs`.
    pub writable: Option<Run>,
    /// With the distroless runtime, which has no pip: the packages, installed in a folder
    /// of the build stage, copied where the image's Python finds them.
    pub distroless: Option<Distroless>,
}

/// The packages of an image whose Python has no pip (distroless).
#[derive(Debug, Serialize)]
pub(crate) struct Distroless {
    /// Build stage, after the wheels: installs them into [`DISTROLESS_PACKAGES`]; none for uv,
    /// whose virtual environment already holds them.
    pub install: Option<Run>,
    /// `COPY --from=build` arguments for the final image.
    pub copy: String,
}

/// Where the build stage installs the packages for a distroless image.
const DISTROLESS_PACKAGES: &str = "/opt/site-packages";

/// The packages for the distroless runtime: copied into the folder of the image's Python
/// that its `site` module reads at start (`/usr/local/lib/python3.X/dist-packages`, Debian's
/// own), so that `.pth` files work as in any installation and no `PYTHONPATH` is needed.
fn distroless(python: &Python, uv: bool) -> Option<Distroless> {
    let minor = python.distroless.as_deref()?;
    let target = format!("/usr/local/lib/python{minor}/dist-packages");
    Some(if uv {
        Distroless {
            install: None,
            copy: format!("--from=build {UV_VENV}/lib/python{minor}/site-packages {target}"),
        }
    } else {
        Distroless {
            install: Some(Run {
                comments: vec![
                    "The wheels installed into one folder, for the final image, which has no pip."
                        .into(),
                ],
                commands: vec![format!(
                    "pip install --no-index --no-cache-dir --root-user-action=ignore --target {DISTROLESS_PACKAGES} /wheels/*.whl"
                )],
                ..Run::default()
            }),
            copy: format!("--from=build {DISTROLESS_PACKAGES} {target}"),
        }
    })
}

/// The final stage's step that makes the directories of `writable-dirs` and gives them to the
/// user the program runs as: a directory with everything in it, `.` (the working directory)
/// alone, so that the program can create files there but not change its own code.
fn writable_dirs(service: &Service) -> Option<Run> {
    let uid = service.user.uid;
    let mut commands = Vec::new();
    for dir in &service.writable_dirs {
        let dir = dir.as_str().trim_end_matches('/');
        if dir.is_empty() || dir == "." {
            commands.push(format!("chown {uid}:{uid} ."));
        } else {
            let dir = shell_word(dir);
            commands.push(format!("mkdir -p {dir}"));
            commands.push(format!("chown -R {uid}:{uid} {dir}"));
        }
    }
    (!commands.is_empty()).then(|| Run {
        comments: vec!["The directories the program writes, owned by the user it runs as.".into()],
        commands,
        ..Run::default()
    })
}

/// uv's install: the dependencies into a virtual environment before the sources, then the
/// project (when it is a package) after them.
#[derive(Debug, Serialize)]
pub(crate) struct Venv {
    /// `ENV` assignments of the build stage.
    pub env: Vec<String>,
    /// From a workspace root: installs the workspace packages the service uses, after their
    /// sources are copied; none otherwise (the environment holds the dependencies alone).
    pub project: Option<Run>,
    /// `COPY --from=build` arguments for the final image.
    pub copy: String,
}

/// uv syncs `uv.lock` into a virtual environment: the locked dependencies in their own layer,
/// then the project; the final image copies the environment, with no uv and no cache in it.
fn uv_sync(service: &Service, python: &Python) -> PythonSection {
    let pip_cache = cache_mount(service, "/root/.cache/pip");
    let uv_cache = cache_mount(service, "/root/.cache/uv");
    let (secrets, env_prefix) = secret_mounts(service);
    let lockfile = python.lockfile.path.as_str();
    let setup = Run {
        comments: vec!["uv, which installs from uv.lock.".into()],
        mounts: pip_cache.into_iter().collect(),
        commands: vec![format!(
            "pip install --root-user-action=ignore uv=={UV_VERSION}"
        )],
        ..Run::default()
    };
    let mut mounts: Vec<String> = uv_cache.clone().into_iter().collect();
    mounts.extend(secrets);
    // A member of a uv workspace: its own dependencies, the workspace's packages it uses
    // installed with it after the sources.
    let (only, package) = match service.workspace.as_ref().and_then(|w| w.package.as_ref()) {
        Some(name) => (
            "--no-install-workspace",
            format!(" --package {}", shell_word(name)),
        ),
        None => ("--no-install-project", String::new()),
    };
    let sync = python.install.as_ref().map_or_else(
        || format!("{env_prefix}uv sync --locked --no-dev {only}{package}"),
        |custom| format!("{env_prefix}{custom}"),
    );
    let wheels = Run {
        comments: vec![
            "Dependencies only, into the virtual environment: rebuilt when uv.lock changes, not the sources."
                .into(),
        ],
        mounts,
        commands: vec![sync],
        ..Run::default()
    };
    // The app runs from its sources in the work directory, so only the workspace packages it
    // uses need installing after them; outside a workspace the environment holds the
    // dependencies alone, and a source change never touches its layer.
    let project = service.workspace.as_ref().map(|_| Run {
        comments: vec![
            "The workspace packages it uses, from their sources; the dependencies are there already."
                .into(),
        ],
        mounts: uv_cache.into_iter().collect(),
        commands: vec![format!("uv sync --locked --no-dev --no-editable{package}")],
        ..Run::default()
    });
    let mut manifests = vec![copy_args(&["pyproject.toml", lockfile, "./"])];
    manifests.extend(member_manifest_copies(service, true));
    PythonSection {
        setup: Some(setup),
        manifests: manifests.remove(0),
        member_manifests: manifests,
        sources: sources(service),
        runtime_sources: match &service.workspace {
            Some(ws) => copy_args(&[ws.dir.as_str(), "."]),
            None => ". .".to_owned(),
        },
        wheels,
        install: Run::default(),
        venv: Some(Venv {
            env: vec![
                format!("UV_PROJECT_ENVIRONMENT={UV_VENV}"),
                "UV_COMPILE_BYTECODE=1".into(),
                "UV_LINK_MODE=copy".into(),
                "UV_PYTHON_DOWNLOADS=never".into(),
                // The system's CA certificates, as pip uses them: a proxy's certificate added
                // with `ca-certificates` is trusted.
                "UV_NATIVE_TLS=1".into(),
            ],
            project,
            copy: format!("--from=build {UV_VENV} {UV_VENV}"),
        }),
        writable: writable_dirs(service),
        distroless: distroless(python, true),
    }
}

/// The python part of a service.
pub(super) fn plan(service: &Service, python: &Python) -> PythonSection {
    if python.pm == PythonPm::Uv {
        return uv_sync(service, python);
    }
    let pip_cache = cache_mount(service, "/root/.cache/pip");
    let (secrets, env_prefix) = secret_mounts(service);
    let lockfile = python.lockfile.path.as_str();
    let (setup, manifests, mut commands) = match exporter(python.pm) {
        Some(e) => (
            Some(Run {
                comments: vec![e.comment.into()],
                mounts: pip_cache.clone().into_iter().collect(),
                commands: vec![e.install],
                ..Run::default()
            }),
            copy_args(&[e.manifest, lockfile, "./"]),
            vec![
                e.export.to_owned(),
                format!(
                    "{env_prefix}pip wheel --wheel-dir /wheels --requirement /tmp/requirements.txt"
                ),
            ],
        ),
        // A requirements file in a folder keeps its path, and its folder comes along: the
        // files it names with `-r` or `-c` sit beside it.
        None => (
            None,
            match lockfile.rsplit_once('/') {
                Some((dir, _)) => copy_args(&[format!("{dir}/"), format!("{dir}/")]),
                None => copy_args(&[lockfile, "./"]),
            },
            vec![format!(
                "{env_prefix}pip wheel --wheel-dir /wheels --requirement {}",
                shell_word(lockfile)
            )],
        ),
    };
    if let Some(custom) = &python.install {
        commands = vec![format!("{env_prefix}{custom}")];
    }
    let mut mounts: Vec<String> = pip_cache.into_iter().collect();
    mounts.extend(secrets);
    let wheels = Run {
        comments: vec![
            "Dependencies only, as wheels: rebuilt when the requirements change, not the sources."
                .into(),
        ],
        mounts,
        commands,
        ..Run::default()
    };
    let install = Run {
        comments: vec![
            "Install the wheels through a bind mount: they never land in a layer of this image."
                .into(),
        ],
        mounts: vec!["--mount=type=bind,from=build,source=/wheels,target=/wheels".into()],
        commands: vec![
            "pip install --no-index --no-cache-dir --root-user-action=ignore /wheels/*.whl".into(),
        ],
        ..Run::default()
    };
    PythonSection {
        setup,
        manifests,
        member_manifests: Vec::new(),
        sources: Vec::new(),
        runtime_sources: ". .".to_owned(),
        wheels,
        install,
        venv: None,
        writable: writable_dirs(service),
        distroless: distroless(python, false),
    }
}
