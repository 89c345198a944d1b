//! Default toolchain versions and base images.
//!
//! Tags are pinned to a release line of the official images (never `latest`); Debian images
//! follow Debian 13 "trixie".

use crate::spec::{Family, Stack};

use super::Runtime;

pub const DEFAULT_PORT: u16 = 8080;
/// The project's templates directory when `templates-dir` is not set.
pub const DEFAULT_TEMPLATES_DIR: &str = ".mbgen/templates";
/// The uid of the user mbgen creates when the runtime image has no unprivileged user.
pub const APP_UID: u32 = 10001;
/// The uid of distroless' `nonroot` user, used on `scratch` too.
pub const NONROOT_UID: u32 = 65532;
/// The uid of the `node` user of the official Node images.
pub const NODE_UID: u32 = 1000;
/// The uid of the `nginx` user of the official nginx images.
pub const NGINX_UID: u32 = 101;

const ALPINE: &str = "3.22";
const NGINX: &str = "1.29";

/// The toolchain version used when `version` is not set.
pub fn version(stack: Stack) -> &'static str {
    match stack {
        Stack::NodeStatic | Stack::NodeServer => "22",
        Stack::Python => "3.13",
        Stack::Go => "1.24",
        Stack::Rust => "1.91",
        Stack::Static => NGINX,
    }
}

/// The image of the dependency and build stages.
pub fn builder_image(stack: Stack, family: Family, version: &str) -> String {
    match (stack, family) {
        (Stack::NodeStatic | Stack::NodeServer, Family::Debian) => {
            format!("node:{version}-trixie-slim")
        }
        (Stack::NodeStatic | Stack::NodeServer, Family::Alpine) => {
            format!("node:{version}-alpine{ALPINE}")
        }
        (Stack::Python, Family::Debian) => format!("python:{version}-slim-trixie"),
        (Stack::Python, Family::Alpine) => format!("python:{version}-alpine{ALPINE}"),
        (Stack::Go, Family::Debian) => format!("golang:{version}-trixie"),
        (Stack::Go, Family::Alpine) => format!("golang:{version}-alpine{ALPINE}"),
        (Stack::Rust, Family::Debian) => format!("rust:{version}-slim-trixie"),
        (Stack::Rust, Family::Alpine) => format!("rust:{version}-alpine{ALPINE}"),
        (Stack::Static, family) => nginx_image(family),
    }
}

/// The image of the final stage.
pub fn runtime_image(stack: Stack, family: Family, runtime: Runtime, builder: &str) -> String {
    match runtime {
        Runtime::Language => builder.to_owned(),
        Runtime::Nginx => nginx_image(family),
        Runtime::Scratch => "scratch".to_owned(),
        Runtime::Distroless => match stack {
            Stack::Rust => "gcr.io/distroless/cc-debian13:nonroot".to_owned(),
            _ => "gcr.io/distroless/static-debian13:nonroot".to_owned(),
        },
        Runtime::Slim => match family {
            Family::Debian => "debian:trixie-slim".to_owned(),
            Family::Alpine => format!("alpine:{ALPINE}"),
        },
    }
}

fn nginx_image(family: Family) -> String {
    match family {
        Family::Debian => format!("nginx:{NGINX}-trixie"),
        Family::Alpine => format!("nginx:{NGINX}-alpine{ALPINE}"),
    }
}
