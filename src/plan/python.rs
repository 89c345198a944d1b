//! Python: every requirement is built into a wheel in the `build` stage (where compilers may
//! live), and the final image installs those wheels through a bind mount, so no wheel file
//! and no build tool ends up in any layer of the final image.

use serde::Serialize;

use super::common::{cache_mount, secret_mounts};
use super::escape::{copy_args, shell_word};
use super::Run;
use crate::model::{Python, PythonPm, Service};

/// The uv release used to read `uv.lock`.
pub(super) const UV_VERSION: &str = "0.9.7";
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
        PythonPm::Uv => Some(Exporter {
            install: format!("pip install --root-user-action=ignore uv=={UV_VERSION}"),
            manifest: "pyproject.toml",
            export: "uv export --frozen --no-dev --no-emit-project --no-hashes --output-file /tmp/requirements.txt",
            comment: "uv reads uv.lock; pip builds the wheels.",
        }),
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
        PythonPm::Pip => None,
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct PythonSection {
    /// Installs the tool that reads the lockfile (uv, Poetry, PDM, Pipenv), when it is not a
    /// requirements file.
    pub setup: Option<Run>,
    /// `COPY` arguments for the requirement files.
    pub manifests: String,
    /// Builds the wheels into `/wheels`.
    pub wheels: Run,
    /// Installs the wheels in the final image.
    pub install: Run,
}

/// The python part of a service.
pub(super) fn plan(service: &Service, python: &Python) -> PythonSection {
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
        wheels,
        install,
    }
}
