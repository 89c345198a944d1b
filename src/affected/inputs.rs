//! The files a service's build reads, as rules on paths relative to the project root.

use crate::model::{Project, Service};
use crate::relpath::RelPath;

/// mbgen's own directory; the generated `.dockerignore` keeps it out of every build context.
const OWN_DIR: &str = ".mbgen";

/// Which changed files reach one service's build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Inputs {
    /// Files that count whatever else holds: the generated Dockerfile and `.dockerignore`, and
    /// the lockfile.
    files: Vec<RelPath>,
    /// Directories every file below which counts; the root is the whole project.
    trees: Vec<RelPath>,
    /// Directories whose own files count, and not those of their subdirectories.
    roots: Vec<RelPath>,
    /// What never counts as a file of a directory: `mbgen.toml`, mbgen's own directory and the
    /// templates directory, which the generated `.dockerignore` keeps out of every build
    /// (`affected` compares the configuration and the templates on their own), and the Bake
    /// and Compose files, which follow from `mbgen.toml`.
    excluded_files: Vec<RelPath>,
    excluded_dirs: Vec<RelPath>,
}

impl Inputs {
    /// The inputs of `service`: its directory; for a build from the workspace root, the
    /// files directly in that root and the directories of the workspace packages it uses; its
    /// generated files and its lockfile.
    #[must_use]
    pub(crate) fn of(project: &Project, service: &Service) -> Self {
        let mut trees = vec![service.dir.clone()];
        let mut roots = Vec::new();
        if let Some(workspace) = &service.workspace {
            roots.push(service.context.clone());
            trees.extend(workspace.packages.iter().map(|p| service.context.join(p)));
        }
        let files = [
            Some(&service.dockerfile),
            Some(&service.dockerignore_file),
            service.lockfile().map(|l| &l.path),
        ]
        .into_iter()
        .flatten()
        .filter(|f| !f.is_root())
        .map(|f| service.context.join(f))
        .collect();
        Self {
            files,
            trees,
            roots,
            excluded_files: [
                RelPath::normalize(&project.config_name),
                project.bake.clone(),
                project.compose.clone(),
            ]
            .into_iter()
            .flatten()
            .collect(),
            excluded_dirs: vec![RelPath::from_normal(OWN_DIR), project.templates_dir.clone()],
        }
    }

    /// Whether a changed file, relative to the project root, is one of these inputs.
    #[must_use]
    pub(crate) fn matches(&self, file: &str) -> bool {
        let Some(file) = RelPath::normalize(file).filter(|f| !f.is_root()) else {
            return false;
        };
        if self.files.contains(&file) {
            return true;
        }
        let below = |dir: &RelPath| !dir.is_root() && file != *dir && file.starts_with(dir);
        if self.excluded_files.contains(&file) || self.excluded_dirs.iter().any(below) {
            return false;
        }
        self.trees.iter().any(|d| d.is_root() || below(d))
            || self.roots.iter().any(|d| file.parent() == *d)
    }
}

#[cfg(test)]
mod tests {
    use fs_err as fs;
    use std::path::Path;

    use super::*;
    use crate::model::Tree;

    fn project(dir: &Path, toml: &str) -> Project {
        let loaded = crate::spec::parse(toml, Path::new("mbgen.toml")).unwrap();
        crate::model::resolve(&loaded, &Tree::new(dir, Path::new(""))).unwrap()
    }

    fn inputs(project: &Project, name: &str) -> Inputs {
        let service = project.services.iter().find(|s| s.name == name).unwrap();
        Inputs::of(project, service)
    }

    #[test]
    fn a_service_reads_its_directory() {
        let p = project(
            Path::new("."),
            "[services.api]\nstack = \"go\"\npath = \"services/api\"\n\n[services.apiv2]\nstack = \"go\"\npath = \"services/api-v2\"\n",
        );
        let api = inputs(&p, "api");
        assert!(api.matches("services/api/main.go"));
        assert!(api.matches("services/api/internal/db/db.go"));
        assert!(api.matches("services/api/Dockerfile"));
        assert!(api.matches("services/api/.dockerignore"));
        assert!(
            !api.matches("services/api-v2/main.go"),
            "a prefix of a name"
        );
        assert!(!api.matches("services/apiary"));
        assert!(!api.matches("services/README.md"));
        assert!(!api.matches("go.work"), "not a workspace build");
        assert!(!api.matches("mbgen.toml"));
    }

    #[test]
    fn a_service_at_the_root_reads_everything_but_mbgens_own_files() {
        let p = project(
            Path::new("."),
            "templates-dir = \"docker/templates\"\n\n[workspace]\ncompose = \"deploy/compose.yaml\"\n\n[services.site]\nstack = \"static\"\n",
        );
        let site = inputs(&p, "site");
        assert!(site.matches("index.html"));
        assert!(site.matches("services/other/x"));
        assert!(site.matches("Dockerfile"));
        assert!(!site.matches("mbgen.toml"));
        assert!(!site.matches(".mbgen/mbgen.schema.json"));
        assert!(!site.matches("docker/templates/static.Dockerfile.j2"));
        assert!(site.matches("docker/templates.txt"));
        assert!(site.matches("docker/other"));
        assert!(site.matches("sub/mbgen.toml"));
        assert!(!site.matches("docker-bake.hcl"));
        assert!(!site.matches("deploy/compose.yaml"));
        assert!(site.matches("deploy/compose.override.yaml"));
    }

    #[test]
    fn a_named_dockerfile_counts_with_its_own_dockerignore() {
        let p = project(
            Path::new("."),
            "[services.api]\nstack = \"go\"\npath = \"api\"\ndockerfile = \"docker/Dockerfile.prod\"\n",
        );
        let api = inputs(&p, "api");
        assert!(api.matches("api/docker/Dockerfile.prod"));
        assert!(api.matches("api/docker/Dockerfile.prod.dockerignore"));
    }

    #[test]
    fn a_workspace_build_reads_the_root_files_and_the_packages_it_uses() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let write = |path: &str, text: &str| {
            let path = root.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        };
        write(
            "package.json",
            r#"{"name": "shop", "private": true, "workspaces": ["packages/*", "services/*"]}"#,
        );
        write("package-lock.json", "{}");
        write(
            "packages/shared/package.json",
            r#"{"name": "@shop/shared"}"#,
        );
        write("packages/ui/package.json", r#"{"name": "@shop/ui"}"#);
        write(
            "services/api/package.json",
            r#"{"name": "api", "dependencies": {"@shop/shared": "*"}}"#,
        );
        write("services/web/package.json", r#"{"name": "web"}"#);
        let p = project(
            root,
            "[services.api]\nstack = \"node-server\"\npath = \"services/api\"\ncontext = \".\"\nstart = [\"node\", \"index.js\"]\n\n[services.web]\nstack = \"node-server\"\npath = \"services/web\"\ncontext = \".\"\nstart = [\"node\", \"index.js\"]\n",
        );
        let api = inputs(&p, "api");
        assert!(api.matches("services/api/index.js"));
        assert!(api.matches("services/api/Dockerfile"));
        assert!(api.matches("packages/shared/index.js"));
        assert!(api.matches("packages/shared/lib/deep.js"));
        assert!(api.matches("package.json"));
        assert!(api.matches("package-lock.json"));
        assert!(api.matches(".npmrc"));
        assert!(!api.matches("packages/ui/index.js"));
        assert!(!api.matches("services/web/index.js"));
        assert!(!api.matches("docs/README.md"), "below the root, not in it");
        assert!(!api.matches("mbgen.toml"));
        let web = inputs(&p, "web");
        assert!(web.matches("package-lock.json"));
        assert!(!web.matches("packages/shared/index.js"));
    }
}
