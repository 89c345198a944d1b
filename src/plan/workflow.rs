//! The GitHub Actions workflow of `mbgen ci github`: where the project and its Bake file sit
//! in the repository, which registry to log in to and how, all as YAML text.

use serde::Serialize;

use super::escape::yaml_string;
use super::HEADER_MARK;
use super::TEMPLATE_API;
use crate::model::Project;
use crate::relpath::RelPath;

/// Everything the workflow template reads. Strings are YAML scalars, quoted.
#[derive(Debug, Serialize)]
pub(crate) struct WorkflowContext {
    pub template_api: u32,
    /// Comment lines for the top of the file, without the leading `# `.
    pub header: Vec<String>,
    /// The branch whose pushes push the images and the cache.
    pub branch: String,
    /// The version of mbgen the workflow installs: the one that wrote it.
    pub mbgen_version: String,
    /// The project directory (holding `mbgen.toml`), relative to the repository root.
    pub project_dir: String,
    /// The directory of the Bake file, relative to the repository root: Bake reads paths
    /// from the directory it runs in.
    pub bake_dir: String,
    /// The Bake file's name, in `bake_dir`.
    pub bake_file: String,
    /// The registry host to log in to, such as `ghcr.io` or `docker.io`.
    pub registry: String,
    /// Whether the login uses the workflow's own token (ghcr.io), which also needs the
    /// `packages: write` permission; otherwise the secrets `REGISTRY_USERNAME` and
    /// `REGISTRY_PASSWORD`.
    pub github_token: bool,
    pub packages_write: bool,
}

/// Where the workflow goes and what it builds: the project's place in the repository.
#[derive(Debug)]
pub(crate) struct WorkflowPlace<'a> {
    /// The workflow file, relative to the repository root.
    pub file: &'a RelPath,
    /// The project directory, relative to the repository root.
    pub project_dir: &'a RelPath,
    /// The branch whose pushes publish.
    pub branch: &'a str,
    /// The Bake file, relative to the project directory.
    pub bake: &'a RelPath,
    /// The workspace's `registry`.
    pub registry: &'a str,
}

/// Plans the workflow of `project`.
#[must_use]
pub(crate) fn workflow(project: &Project, place: &WorkflowPlace<'_>) -> WorkflowContext {
    let host = registry_host(place.registry);
    let github_token = host == "ghcr.io";
    let bake = place.project_dir.join(place.bake);
    let config = place.project_dir.join_str(&project.config_name);
    WorkflowContext {
        template_api: TEMPLATE_API,
        header: vec![
            format!("{} {HEADER_MARK}{config} by `mbgen ci github`.", place.file),
            format!("Do not edit: change {config} and run `mbgen ci github` again."),
            "Pull requests: the generated files are checked, and the services a change affects \
             are built"
                .to_owned(),
            format!(
                "with the registry cache. Pushes to {}: the same, then the images and the cache \
                 are pushed.",
                place.branch
            ),
        ],
        branch: yaml_string(place.branch),
        mbgen_version: yaml_string(env!("CARGO_PKG_VERSION")),
        project_dir: yaml_string(place.project_dir.display()),
        bake_dir: yaml_string(bake.parent().display()),
        bake_file: yaml_string(bake.file_name()),
        registry: yaml_string(host),
        github_token,
        packages_write: github_token,
    }
}

/// The host of a registry reference, as Docker reads it: the first component when it has a
/// `.` or a `:` or is `localhost`, otherwise Docker Hub.
#[must_use]
pub(crate) fn registry_host(registry: &str) -> &str {
    match registry.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            first
        }
        _ if registry.contains('.') || registry.contains(':') || registry == "localhost" => {
            registry
        }
        _ => "docker.io",
    }
}

#[cfg(test)]
mod tests {
    use super::registry_host;

    #[test]
    fn the_registry_host_is_read_as_docker_reads_it() {
        assert_eq!(registry_host("ghcr.io/acme"), "ghcr.io");
        assert_eq!(
            registry_host("registry.example.com"),
            "registry.example.com"
        );
        assert_eq!(registry_host("localhost:5000/team"), "localhost:5000");
        assert_eq!(registry_host("acme"), "docker.io");
        assert_eq!(registry_host("acme/team"), "docker.io");
    }
}
