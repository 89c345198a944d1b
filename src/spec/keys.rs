//! The keys of a `[services.<name>]` table, as one enum: which stacks each applies to, how it
//! is spelled, and the order `init` writes them in.

use serde::{Serialize, Serializer};

use super::Stack;
use Stack::{Go, Java, NodeServer, NodeStatic, Python, Rust, Static};

/// A key of `[services.<name>]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceKey {
    Stack,
    Path,
    Context,
    WorkspacePackages,
    Dockerfile,
    Version,
    Family,
    Images,
    PackageManager,
    Lockfile,
    Install,
    Build,
    Start,
    Processes,
    Release,
    OutputDir,
    Standalone,
    PrismaSchema,
    Spa,
    Main,
    Vendor,
    Cgo,
    Runtime,
    Bin,
    Strip,
    SpringBoot,
    RuntimeFiles,
    WritableDirs,
    Port,
    Protocol,
    ExtraPorts,
    Env,
    BuildArgs,
    SystemPackages,
    User,
    Healthcheck,
    Init,
    Labels,
    Dockerignore,
    Secrets,
    CaCertificates,
    KeepCaCertificates,
    CacheMounts,
    CopyLink,
    Instructions,
    Image,
    Tags,
    Platforms,
    CacheFrom,
    CacheTo,
    Template,
}

const COMPILED_OR_INSTALLED: &[Stack] = &[NodeStatic, NodeServer, Go, Python, Rust, Java];
/// The stacks whose dependencies are pinned by a lockfile (Maven and Gradle have none).
const LOCKED: &[Stack] = &[NodeStatic, NodeServer, Go, Python, Rust];
/// The stacks whose image runs a program of the app's (not nginx): their final image can
/// vary, and they can run other commands from it.
const PROGRAMS: &[Stack] = &[NodeServer, Python, Go, Rust, Java];

impl ServiceKey {
    /// Every key, in the order `init` writes them in.
    pub const ALL: &'static [Self] = &[
        Self::Stack,
        Self::Path,
        Self::Context,
        Self::WorkspacePackages,
        Self::Dockerfile,
        Self::Version,
        Self::Family,
        Self::Images,
        Self::PackageManager,
        Self::Lockfile,
        Self::Install,
        Self::Build,
        Self::Start,
        Self::Processes,
        Self::Release,
        Self::OutputDir,
        Self::Standalone,
        Self::PrismaSchema,
        Self::Spa,
        Self::Main,
        Self::Vendor,
        Self::Cgo,
        Self::Runtime,
        Self::Bin,
        Self::Strip,
        Self::SpringBoot,
        Self::RuntimeFiles,
        Self::WritableDirs,
        Self::Port,
        Self::Protocol,
        Self::ExtraPorts,
        Self::Env,
        Self::BuildArgs,
        Self::SystemPackages,
        Self::User,
        Self::Healthcheck,
        Self::Init,
        Self::Labels,
        Self::Dockerignore,
        Self::Secrets,
        Self::CaCertificates,
        Self::KeepCaCertificates,
        Self::CacheMounts,
        Self::CopyLink,
        Self::Instructions,
        Self::Image,
        Self::Tags,
        Self::Platforms,
        Self::CacheFrom,
        Self::CacheTo,
        Self::Template,
    ];

    /// The key as written in `mbgen.toml`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Stack => "stack",
            Self::Path => "path",
            Self::Context => "context",
            Self::WorkspacePackages => "workspace-packages",
            Self::Dockerfile => "dockerfile",
            Self::Version => "version",
            Self::Family => "family",
            Self::Images => "images",
            Self::PackageManager => "package-manager",
            Self::Lockfile => "lockfile",
            Self::Install => "install",
            Self::Build => "build",
            Self::Start => "start",
            Self::Processes => "processes",
            Self::Release => "release",
            Self::OutputDir => "output-dir",
            Self::Standalone => "standalone",
            Self::PrismaSchema => "prisma-schema",
            Self::Spa => "spa",
            Self::Main => "main",
            Self::Vendor => "vendor",
            Self::Cgo => "cgo",
            Self::Runtime => "runtime",
            Self::Bin => "bin",
            Self::Strip => "strip",
            Self::SpringBoot => "spring-boot",
            Self::RuntimeFiles => "runtime-files",
            Self::WritableDirs => "writable-dirs",
            Self::Port => "port",
            Self::Protocol => "protocol",
            Self::ExtraPorts => "extra-ports",
            Self::Env => "env",
            Self::BuildArgs => "build-args",
            Self::SystemPackages => "system-packages",
            Self::User => "user",
            Self::Healthcheck => "healthcheck",
            Self::Init => "init",
            Self::Labels => "labels",
            Self::Dockerignore => "dockerignore",
            Self::Secrets => "secrets",
            Self::CaCertificates => "ca-certificates",
            Self::KeepCaCertificates => "keep-ca-certificates",
            Self::CacheMounts => "cache-mounts",
            Self::CopyLink => "copy-link",
            Self::Instructions => "instructions",
            Self::Image => "image",
            Self::Tags => "tags",
            Self::Platforms => "platforms",
            Self::CacheFrom => "cache-from",
            Self::CacheTo => "cache-to",
            Self::Template => "template",
        }
    }

    /// The stacks the key applies to, when it does not apply to every stack.
    #[must_use]
    pub const fn stacks(self) -> Option<&'static [Stack]> {
        match self {
            Self::Version | Self::PackageManager | Self::Secrets | Self::CaCertificates => {
                Some(COMPILED_OR_INSTALLED)
            }
            Self::Lockfile => Some(LOCKED),
            Self::Runtime | Self::Processes | Self::Release => Some(PROGRAMS),
            Self::RuntimeFiles => Some(&[Go, Rust]),
            Self::WritableDirs => Some(&[Go, Rust, Python]),
            Self::Standalone | Self::PrismaSchema => Some(&[NodeServer]),
            Self::Install => Some(&[NodeStatic, NodeServer, Python, Java]),
            Self::Build => Some(&[NodeStatic, NodeServer, Java]),
            Self::Start => Some(&[NodeServer, Python, Java]),
            Self::OutputDir => Some(&[NodeStatic, NodeServer, Static, Java]),
            Self::Spa => Some(&[NodeStatic, Static]),
            Self::Main | Self::Vendor | Self::Cgo | Self::Strip => Some(&[Go]),
            Self::Bin => Some(&[Rust]),
            Self::SpringBoot => Some(&[Java]),
            // the stacks whose final image runs an app of the user's under tini (not nginx,
            // and not the JVM, which handles SIGTERM and starts no child processes)
            Self::Init => Some(&[NodeServer, Go, Python, Rust]),
            Self::KeepCaCertificates => Some(&[NodeServer, Go, Python, Rust, Java]),
            _ => None,
        }
    }

    /// Whether the key may be set for a service of `stack`.
    #[must_use]
    pub fn applies_to(self, stack: Stack) -> bool {
        self.stacks().is_none_or(|stacks| stacks.contains(&stack))
    }
}

impl std::fmt::Display for ServiceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ServiceKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}
