//! mbgen turns a short `mbgen.toml` into cache-friendly, multi-stage Dockerfiles.
//!
//! The render pipeline, each stage in its own module:
//!
//! ```text
//! mbgen.toml ─spec─▶ what the user wrote (strict, documented types)
//!            ─model─▶ what will be built (defaults applied, checked; a model per stack)
//!            ─plan─▶ the Docker expertise: stage layout, copies, mounts, as template contexts
//!            ─render─▶ files from the templates (embedded, or the project's own)
//!            ─output─▶ written atomically, or compared for `--check`
//! ```
//!
//! [`project`] runs the front of it (find, load, resolve, read templates). Beside it,
//! `init` and `add` run [`detect`] (a source tree → proposed services) and [`scaffold`]
//! (proposals → `mbgen.toml`); [`affected`] compares renders across git revisions.
//!
//! Layers, from the top: a module imports only from modules of its own layer's line or of
//! lines below it (`tests/architecture.rs` keeps this true):
//!
//! ```text
//! layer commands: main, commands, cli
//! layer tools: affected, explain, scaffold
//! layer front: project, output, error
//! layer render: render
//! layer plan: plan
//! layer model: model, schema
//! layer detect: detect
//! layer spec: spec
//! layer files: manifest
//! layer base: relpath, guard, diagnostic, versions
//! ```

pub(crate) mod affected;
pub(crate) mod cli;
pub(crate) mod commands;
pub(crate) mod detect;
pub(crate) mod diagnostic;
pub(crate) mod error;
pub(crate) mod explain;
pub(crate) mod guard;
pub(crate) mod manifest;
pub(crate) mod model;
pub(crate) mod output;
pub(crate) mod plan;
pub(crate) mod project;
pub(crate) mod relpath;
pub(crate) mod render;
pub(crate) mod scaffold;
pub(crate) mod schema;
pub(crate) mod spec;
pub(crate) mod versions;

// The public surface: what the binary and the tests use, and nothing else.
pub use cli::Cli;
pub use error::{exit, Error};
pub use model::Project;
pub use plan::TEMPLATE_API;
pub use project::{load_project, BuildSummary, Loaded};
pub use render::{FileKind, GeneratedFile};
pub use schema::{schema_json, SCHEMA_PATH};

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), Error> {
    commands::run(cli)
}
