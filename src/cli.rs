//! The command line: clap types only. Doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Turn a short mbgen.toml into cache-friendly, multi-stage Dockerfiles.
///
/// mbgen reads mbgen.toml and writes a Dockerfile and a .dockerignore per service: builder
/// stages for tools and dependencies, a small final image running as an unprivileged user,
/// dependencies installed before the sources are copied, and package-manager caches in
/// BuildKit cache mounts.
#[derive(Debug, Parser)]
#[command(
    name = "mbgen",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the Dockerfile and .dockerignore of every service in mbgen.toml.
    Render(RenderArgs),
    /// Print the JSON Schema of mbgen.toml, for editors and validators.
    Schema(SchemaArgs),
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The project directory holding mbgen.toml, or the path of the file itself.
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// Render only this service.
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,

    /// Print the Dockerfile to standard output instead of writing files (one service).
    #[arg(long, conflicts_with = "check")]
    pub stdout: bool,

    /// Write nothing; print a diff of every file that differs from what would be
    /// written, and exit with 1 if there is one. For CI.
    #[arg(long)]
    pub check: bool,

    /// Replace files that mbgen did not write (a hand-written Dockerfile).
    #[arg(long, conflicts_with_all = ["check", "stdout"])]
    pub force: bool,

    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Write the schema to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}
