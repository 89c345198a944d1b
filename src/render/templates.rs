//! The built-in templates, embedded in the binary and named by constants.

pub const BASE: &str = "_base.Dockerfile.j2";
pub const MACROS: &str = "_macros.j2";
pub const NODE_STATIC: &str = "node-static.Dockerfile.j2";
pub const NODE_SERVER: &str = "node-server.Dockerfile.j2";
pub const GO: &str = "go.Dockerfile.j2";
pub const PYTHON: &str = "python.Dockerfile.j2";
pub const RUST: &str = "rust.Dockerfile.j2";
pub const STATIC: &str = "static.Dockerfile.j2";

/// Every built-in template: its name and source.
pub const BUILTIN: &[(&str, &str)] = &[
    (BASE, include_str!("../../templates/_base.Dockerfile.j2")),
    (MACROS, include_str!("../../templates/_macros.j2")),
    (
        NODE_STATIC,
        include_str!("../../templates/node-static.Dockerfile.j2"),
    ),
    (
        NODE_SERVER,
        include_str!("../../templates/node-server.Dockerfile.j2"),
    ),
    (GO, include_str!("../../templates/go.Dockerfile.j2")),
    (PYTHON, include_str!("../../templates/python.Dockerfile.j2")),
    (RUST, include_str!("../../templates/rust.Dockerfile.j2")),
    (STATIC, include_str!("../../templates/static.Dockerfile.j2")),
];

/// The source of a built-in template.
#[must_use]
pub fn builtin(name: &str) -> Option<&'static str> {
    BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}
