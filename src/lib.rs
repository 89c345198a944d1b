//! mbgen turns a short `mbgen.toml` into cache-friendly, multi-stage Dockerfiles.
//!
//! The pipeline: [`spec`] (what the user wrote) → [`model`] (defaults applied, checked) →
//! [`plan`] (the Docker expertise, as template contexts) → [`render`] (files) →
//! [`output`] (written atomically, or compared for `--check`).

pub mod affected;
pub mod cli;
pub mod commands;
pub mod detect;
pub mod diagnostic;
pub mod error;
pub mod model;
pub mod output;
pub mod plan;
pub mod render;
pub mod scaffold;
pub mod schema;
pub mod spec;
pub mod workspace;

pub use error::Error;
