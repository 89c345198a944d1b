//! tini, the init that runs the command of the final image as PID 1 (see
//! [`why_init`](super::stages::why_init) for which images get it and why).
//!
//! The `init` stage installs it from the builder image's package manager (the official
//! builder images carry no tini), and the final stage copies its static build, which runs in
//! any image: distroless and `scratch` included.

use serde::Serialize;

use super::common::install_packages;
use super::escape::exec_form;
use super::stages::{has_init, why_init, INIT};
use super::Run;
use crate::model::Service;
use crate::spec::Family;

/// Where tini is in the final image.
pub(crate) const TINI: &str = "/usr/bin/tini";

/// The `init` stage's step, and what the final stage does with its result.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct InitSection {
    /// Installs tini in the `init` stage.
    pub install: Run,
    /// `COPY` arguments bringing its static build into the final image.
    pub copy: String,
    /// What every `ENTRYPOINT` of the final image starts with, an exec-form array:
    /// `["/usr/bin/tini", "--"]`.
    pub entrypoint: String,
}

/// The init section of a service whose final image runs its command under tini.
pub(super) fn plan(service: &Service) -> Option<InitSection> {
    let why = why_init(&service.stack).filter(|_| has_init(service))?;
    // Debian's `tini` package holds the static build beside the dynamic one; Alpine has it as
    // a package of its own.
    let (package, built) = match service.family {
        Family::Debian => ("tini", "/usr/bin/tini-static"),
        Family::Alpine => ("tini-static", "/sbin/tini-static"),
    };
    let mut install = install_packages(service, service.family, &[package.to_owned()], INIT)
        .expect("one package to install");
    // The comments replace install_packages' own, which offer a pin in mbgen.toml.
    install.comments = vec![
        why.to_owned(),
        "tini runs the command as its child: it hands on `docker stop`'s SIGTERM, exits with \
         the command's status (143 when SIGTERM ends it) and reaps orphaned processes. The \
         package holds a static build, which runs in any final image; its version is the one \
         of the builder image's release."
            .into(),
    ];
    Some(InitSection {
        install,
        copy: format!("--from={INIT} {built} {TINI}"),
        entrypoint: exec_form(&command_prefix()),
    })
}

/// The words an `ENTRYPOINT` starts with to run its command under tini.
pub(crate) fn command_prefix() -> Vec<String> {
    vec![TINI.to_owned(), "--".to_owned()]
}
