//! Every default of the model: toolchain versions, base images, users, and the values a key
//! takes when `mbgen.toml` does not set it. Nothing else in the pipeline picks a default.
//!
//! Tags are pinned to a release line of the official images (never `latest`); Debian images
//! follow Debian 13 "trixie".

use super::{BinaryRuntime, JavaTool, NodePm, PythonPm, Runtime, SpringBoot, User, WorkspaceBuild};
use crate::relpath::RelPath;
use crate::spec::{Family, Stack};
use crate::versions::Lang;

pub(crate) use crate::spec::DEFAULT_PORT;
/// The project's templates directory when `templates-dir` is not set.
pub(crate) const DEFAULT_TEMPLATES_DIR: &str = ".mbgen/templates";
/// The Bake file a `[workspace]` gets unless `bake` names another.
pub(crate) const DEFAULT_BAKE_FILE: &str = "docker-bake.hcl";
/// The Compose file a `[workspace]` gets unless `compose` names another.
pub(crate) const DEFAULT_COMPOSE_FILE: &str = "compose.yaml";
/// The Dockerfile's name unless `dockerfile` names another.
pub(crate) const DEFAULT_DOCKERFILE: &str = "Dockerfile";
/// The `.dockerignore` of a Dockerfile named [`DEFAULT_DOCKERFILE`].
pub(crate) const DEFAULT_DOCKERIGNORE: &str = ".dockerignore";
/// Where node builds write, unless `output-dir` says otherwise.
pub(crate) const DEFAULT_NODE_OUTPUT: &str = "dist";
/// The tags of an image unless `tags` lists others.
pub(crate) const DEFAULT_TAG: &str = "latest";
/// Package-manager caches are kept in BuildKit cache mounts unless `cache-mounts = false`.
pub(crate) const DEFAULT_CACHE_MOUNTS: bool = true;
/// The command runs under tini where the final image needs an init, unless `init = false`.
pub(crate) const DEFAULT_INIT: bool = true;
/// The mode of a cache export that names none: `max` exports the layers of every stage,
/// the dependency installs of the builder stages included, where BuildKit's own default
/// (`min`) exports only the final image's, which a fresh builder cannot reuse for them.
pub(crate) const DEFAULT_CACHE_MODE: &str = "max";
/// The cache exporters that take a `mode` (`inline` exports the final image's layers only).
pub(crate) const CACHE_TYPES_WITH_MODE: &[&str] = &["registry", "local", "gha", "s3", "azblob"];
/// `COPY` without `--link` unless `copy-link = true`: Docker 20.10's built-in Dockerfile
/// frontend cannot parse `--link`.
pub(crate) const DEFAULT_COPY_LINK: bool = false;

/// The health check's timing unless `healthcheck` says otherwise.
pub(crate) const HEALTHCHECK_INTERVAL: &str = "30s";
pub(crate) const HEALTHCHECK_TIMEOUT: &str = "5s";
pub(crate) const HEALTHCHECK_START_PERIOD: &str = "10s";
pub(crate) const HEALTHCHECK_RETRIES: u8 = 3;

/// The uid of the user mbgen creates when the runtime image has no unprivileged user.
pub(crate) const APP_UID: u32 = 10001;
/// The name of that user.
pub(crate) const APP_USER: &str = "app";
/// The uid of distroless' `nonroot` user, used on `scratch` too.
pub(crate) const NONROOT_UID: u32 = 65532;
/// The uid of the `node` user of the official Node images.
pub(crate) const NODE_UID: u32 = 1000;
/// The uid of the `nginx` user of the official nginx images.
pub(crate) const NGINX_UID: u32 = 101;

const ALPINE: &str = "3.22";
const NGINX: &str = "1.29";
/// The release line of `oven/bun`: the stages of a service installed with bun, and
/// `runtime = "bun"`.
const BUN: &str = "1";
/// The uid of the `bun` user of the `oven/bun` images.
pub(crate) const BUN_UID: u32 = 1000;

/// The distroless Python images mbgen knows, and the Python minor version each runs (Debian's
/// own Python: 12 has 3.11, 13 has 3.13); the first is the default of `runtime =
/// "distroless"`. Compiled packages load only in the minor version that built them.
pub(crate) const DISTROLESS_PYTHON: &[(&str, &str)] = &[
    ("gcr.io/distroless/python3-debian13", "3.13"),
    ("gcr.io/distroless/python3-debian12", "3.11"),
];

/// The toolchain version used when `version` is not set.
pub(crate) fn version(stack: Stack) -> &'static str {
    match stack {
        Stack::NodeStatic | Stack::NodeServer => Lang::Node.default(),
        Stack::Python => Lang::Python.default(),
        Stack::Go => Lang::Go.default(),
        Stack::Rust => "1.91",
        Stack::Java => "21",
        Stack::Static => NGINX,
    }
}

/// The final image of a compiled stack unless `runtime` says otherwise.
pub(crate) fn binary_runtime(stack: Stack) -> BinaryRuntime {
    if stack == Stack::Go {
        BinaryRuntime::Distroless
    } else {
        BinaryRuntime::Slim
    }
}

/// The image of the dependency and build stages: the stack's, or Bun's for a node service
/// installed with bun.
pub(crate) fn builder_image(stack: Stack, family: Family, version: &str, bun: bool) -> String {
    match (stack, family) {
        (Stack::NodeStatic | Stack::NodeServer, family) if bun => bun_image(family),
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
        (Stack::Java, family) => java_builder_image(JavaTool::Maven, family, version),
        (Stack::Static, family) => nginx_image(family),
    }
}

/// The Maven release line of the Maven builder images.
const MAVEN: &str = "3.9";

/// The builder of a Java application: Maven's image, or for Gradle, which builds through
/// the project's wrapper (it pins Gradle's version), the JDK's.
pub(crate) fn java_builder_image(tool: JavaTool, family: Family, version: &str) -> String {
    let alpine = if family == Family::Alpine {
        "-alpine"
    } else {
        ""
    };
    match tool {
        JavaTool::Maven => format!("maven:{MAVEN}-eclipse-temurin-{version}{alpine}"),
        JavaTool::Gradle => format!("eclipse-temurin:{version}-jdk{alpine}"),
    }
}

/// The dependency step of a Java build unless `install` says otherwise: every dependency
/// of the project, from the build files alone. For Maven, `dependency:resolve` rather than
/// `go-offline`, which also fetches the plugins of every lifecycle (the site plugin's alone
/// are more than a Spring Boot web app's dependencies); the few plugins `package` runs come
/// with the build, into the same cache mount.
pub(crate) fn java_install(tool: JavaTool) -> &'static str {
    match tool {
        JavaTool::Maven => "mvn -B -ntp dependency:resolve",
        JavaTool::Gradle => "./gradlew --no-daemon dependencies",
    }
}

/// The build of a Java application unless `build` says otherwise: the jar, without tests
/// (they belong to CI, not to the image). Gradle's `bootJar` makes the Spring Boot jar
/// alone, without the `-plain` jar of `build`.
pub(crate) fn java_build(tool: JavaTool, spring_boot: Option<SpringBoot>) -> &'static str {
    match (tool, spring_boot) {
        (JavaTool::Maven, _) => "mvn -B -ntp package -Dmaven.test.skip=true",
        (JavaTool::Gradle, Some(_)) => "./gradlew --no-daemon bootJar",
        (JavaTool::Gradle, None) => "./gradlew --no-daemon build -x test",
    }
}

/// Where a Java build writes its jar unless `output-dir` says otherwise.
pub(crate) fn java_output_dir(tool: JavaTool) -> RelPath {
    RelPath::from_normal(match tool {
        JavaTool::Maven => "target",
        JavaTool::Gradle => "build/libs",
    })
}

/// The default builder and runtime images of a stack (debian family, default version and
/// runtime), for examples; `static` has no builder.
pub(crate) fn images(stack: Stack) -> (Option<String>, String) {
    let family = Family::Debian;
    let builder = builder_image(stack, family, version(stack), false);
    let runtime = match stack {
        Stack::NodeStatic | Stack::Static => Runtime::Nginx,
        Stack::NodeServer | Stack::Python | Stack::Java => Runtime::Language,
        Stack::Go | Stack::Rust => binary_runtime(stack).into(),
    };
    let runtime_image = runtime_image(stack, family, runtime, &builder, version(stack), false);
    ((stack != Stack::Static).then_some(builder), runtime_image)
}

/// The image of the final stage. A node server runs on the builder's image, or on Node's own
/// when the builder is Bun's.
pub(crate) fn runtime_image(
    stack: Stack,
    family: Family,
    runtime: Runtime,
    builder: &str,
    version: &str,
    bun_builder: bool,
) -> String {
    match runtime {
        // A JRE: the JDK and the build tool stay in the builder.
        Runtime::Language if stack == Stack::Java => match family {
            Family::Debian => format!("eclipse-temurin:{version}-jre"),
            Family::Alpine => format!("eclipse-temurin:{version}-jre-alpine"),
        },
        Runtime::Language if bun_builder => builder_image(stack, family, version, false),
        Runtime::Language => builder.to_owned(),
        Runtime::Nginx => nginx_image(family),
        Runtime::Scratch => "scratch".to_owned(),
        Runtime::Bun => bun_image(family),
        Runtime::Distroless => match stack {
            Stack::Rust => "gcr.io/distroless/cc-debian13:nonroot".to_owned(),
            Stack::NodeServer => format!("gcr.io/distroless/nodejs{version}-debian13:nonroot"),
            Stack::Python => format!("{}:nonroot", DISTROLESS_PYTHON[0].0),
            _ => "gcr.io/distroless/static-debian13:nonroot".to_owned(),
        },
        Runtime::Slim => match family {
            Family::Debian => "debian:trixie-slim".to_owned(),
            Family::Alpine => format!("alpine:{ALPINE}"),
        },
    }
}

fn bun_image(family: Family) -> String {
    match family {
        Family::Debian => format!("oven/bun:{BUN}-slim"),
        Family::Alpine => format!("oven/bun:{BUN}-alpine"),
    }
}

fn nginx_image(family: Family) -> String {
    match family {
        Family::Debian => format!("nginx:{NGINX}-trixie"),
        Family::Alpine => format!("nginx:{NGINX}-alpine{ALPINE}"),
    }
}

/// The lockfile of a node package manager, unless `lockfile` names another.
pub(crate) fn node_lockfile(pm: NodePm) -> RelPath {
    RelPath::from_normal(match pm {
        NodePm::Npm => "package-lock.json",
        NodePm::Yarn => "yarn.lock",
        NodePm::Pnpm => "pnpm-lock.yaml",
        NodePm::Bun => "bun.lock",
    })
}

/// The lockfile of a python package manager, unless `lockfile` names another.
pub(crate) fn python_lockfile(pm: PythonPm) -> RelPath {
    RelPath::from_normal(match pm {
        PythonPm::Pip => "requirements.txt",
        PythonPm::Uv => "uv.lock",
        PythonPm::Poetry => "poetry.lock",
        PythonPm::Pdm => "pdm.lock",
        PythonPm::Pipenv => "Pipfile.lock",
    })
}

/// `go.sum`: optional, as a module without dependencies has none.
pub(crate) const GO_LOCKFILE: &str = "go.sum";
pub(crate) const CARGO_LOCKFILE: &str = "Cargo.lock";

/// The user of the final image unless `user` names another: the image's own unprivileged
/// user, or one mbgen creates.
pub(crate) fn user(stack: Stack, runtime: Runtime) -> User {
    let user = |name: &str, uid: u32, create: bool| User {
        name: name.to_owned(),
        uid,
        create,
    };
    match (stack, runtime) {
        (Stack::NodeServer, Runtime::Distroless) => user("nonroot", NONROOT_UID, false),
        (Stack::NodeServer, Runtime::Bun) => user("bun", BUN_UID, false),
        (Stack::NodeServer, _) => user("node", NODE_UID, false),
        (_, Runtime::Nginx) => user("nginx", NGINX_UID, false),
        (_, Runtime::Distroless | Runtime::Scratch) => user("nonroot", NONROOT_UID, false),
        _ => user(APP_USER, APP_UID, true),
    }
}

/// The build command of `node-static` unless `build` says otherwise. From a workspace root
/// with npm, the workspace packages the service uses are built first, where they have a
/// `build` script.
pub(crate) fn node_build(pm: NodePm, workspace: Option<&WorkspaceBuild>) -> String {
    let own = format!("{} run build", pm.as_str());
    let Some(ws) = workspace.filter(|_| pm == NodePm::Npm) else {
        return own;
    };
    // The build runs in the service's directory, and npm takes `--workspace` relative to it.
    let up = "../".repeat(ws.dir.depth());
    let mut steps: Vec<String> = ws
        .packages
        .iter()
        .map(|p| format!("npm run build --if-present --workspace={up}{}", p.as_str()))
        .collect();
    steps.push(own);
    steps.join(" && ")
}
