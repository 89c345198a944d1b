//! Python: every requirement is built into a wheel in the `build` stage (where compilers may
//! live), and the final image installs those wheels through a bind mount, so no wheel file
//! and no build tool ends up in any layer of the final image.

use serde::Serialize;

use super::common::{cache_mount, secret_mounts};
use super::Run;
use crate::model::Service;
use crate::spec::PackageManager;

/// The uv release used to read `uv.lock`.
pub const UV_VERSION: &str = "0.9.7";

#[derive(Debug, Serialize)]
pub struct PythonSection {
    /// Installs uv, for `uv.lock`.
    pub setup: Option<Run>,
    /// `COPY` arguments for the requirement files.
    pub manifests: String,
    /// Builds the wheels into `/wheels`.
    pub wheels: Run,
    /// Installs the wheels in the final image.
    pub install: Run,
}

pub fn plan(service: &Service) -> PythonSection {
    let pip_cache = cache_mount(service, "/root/.cache/pip");
    let (secrets, env_prefix) = secret_mounts(service);
    let lockfile = &service.lockfile.path;
    let (setup, manifests, mut commands) = match service.package_manager {
        PackageManager::Uv => (
            Some(Run {
                comments: vec!["uv reads uv.lock; pip builds the wheels.".into()],
                mounts: pip_cache.clone().into_iter().collect(),
                commands: vec![format!("pip install --root-user-action=ignore uv=={UV_VERSION}")],
                ..Run::default()
            }),
            format!("pyproject.toml {lockfile} ./"),
            vec![
                "uv export --frozen --no-dev --no-emit-project --no-hashes --output-file /tmp/requirements.txt".to_owned(),
                format!("{env_prefix}pip wheel --wheel-dir /wheels --requirement /tmp/requirements.txt"),
            ],
        ),
        _ => (
            None,
            format!("{lockfile} ./"),
            vec![format!("{env_prefix}pip wheel --wheel-dir /wheels --requirement {lockfile}")],
        ),
    };
    if let Some(custom) = &service.install {
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
