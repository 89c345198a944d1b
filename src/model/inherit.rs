//! `[workspace]` defaults → each service, by one rule: a service's own value replaces the
//! workspace's; tables (`labels`, `env`, `build-args`, and `images` for the service's stack)
//! are merged key by key, the service's entry winning; lists and `healthcheck` are replaced
//! whole. A default that does not apply to the service's stack is left out.

use std::collections::BTreeMap;

use crate::spec::{ImagesSpec, ServiceKey, ServiceSpec, Stack, WorkspaceSpec};

/// A service with the workspace defaults filled in, and where each inherited key was
/// written: service key → its path under `workspace`, for error messages.
#[derive(Debug)]
pub(super) struct Inherited {
    pub spec: ServiceSpec,
    pub origins: BTreeMap<ServiceKey, Vec<String>>,
}

/// The toolchain a stack's `version` is the version of, as `[workspace.versions]` names it.
#[must_use]
const fn toolchain(stack: Stack) -> Option<&'static str> {
    match stack {
        Stack::NodeStatic | Stack::NodeServer => Some("node"),
        Stack::Python => Some("python"),
        Stack::Go => Some("go"),
        Stack::Rust => Some("rust"),
        Stack::Java => Some("java"),
        Stack::Static => None,
    }
}

/// Fills in the workspace defaults of one service.
#[must_use]
pub(super) fn inherit(workspace: Option<&WorkspaceSpec>, service: &ServiceSpec) -> Inherited {
    let mut spec = service.clone();
    let mut origins = BTreeMap::new();
    let Some(ws) = workspace else {
        return Inherited { spec, origins };
    };
    let stack = spec.stack;
    let mut from = |key: ServiceKey, path: &[&str]| {
        origins.insert(key, path.iter().map(|s| (*s).to_owned()).collect());
    };

    macro_rules! scalar {
        ($field:ident, $key:expr) => {
            if spec.$field.is_none() && ws.$field.is_some() {
                spec.$field = ws.$field.clone();
                from($key, &["workspace", $key.as_str()]);
            }
        };
    }
    scalar!(family, ServiceKey::Family);
    scalar!(user, ServiceKey::User);
    scalar!(cache_mounts, ServiceKey::CacheMounts);
    scalar!(copy_link, ServiceKey::CopyLink);
    scalar!(healthcheck, ServiceKey::Healthcheck);
    scalar!(dockerignore, ServiceKey::Dockerignore);
    scalar!(tags, ServiceKey::Tags);
    scalar!(platforms, ServiceKey::Platforms);
    scalar!(cache_from, ServiceKey::CacheFrom);
    scalar!(cache_to, ServiceKey::CacheTo);
    if ServiceKey::Secrets.applies_to(stack) {
        scalar!(secrets, ServiceKey::Secrets);
    }

    if let (None, Some(tool), Some(versions)) = (&spec.version, toolchain(stack), &ws.versions) {
        let version = match tool {
            "node" => &versions.node,
            "python" => &versions.python,
            "go" => &versions.go,
            "java" => &versions.java,
            _ => &versions.rust,
        };
        if version.is_some() {
            spec.version.clone_from(version);
            from(ServiceKey::Version, &["workspace", "versions", tool]);
        }
    }

    let stack_images = ws.images.as_ref().and_then(|i| match stack {
        Stack::NodeStatic => i.node_static.as_ref(),
        Stack::NodeServer => i.node_server.as_ref(),
        Stack::Go => i.go.as_ref(),
        Stack::Python => i.python.as_ref(),
        Stack::Rust => i.rust.as_ref(),
        Stack::Java => i.java.as_ref(),
        Stack::Static => i.static_.as_ref(),
    });
    if let Some(defaults) = stack_images {
        let own = spec.images.get_or_insert(ImagesSpec {
            builder: None,
            runtime: None,
        });
        if own.builder.is_none() && defaults.builder.is_some() {
            own.builder.clone_from(&defaults.builder);
            from(ServiceKey::Images, &["workspace", "images", stack.as_str()]);
        }
        if own.runtime.is_none() && defaults.runtime.is_some() {
            own.runtime.clone_from(&defaults.runtime);
            from(ServiceKey::Images, &["workspace", "images", stack.as_str()]);
        }
    }

    for (k, v) in &ws.labels {
        spec.labels.entry(k.clone()).or_insert_with(|| v.clone());
    }
    for (k, v) in &ws.env {
        spec.env.entry(k.clone()).or_insert_with(|| v.clone());
    }
    for (k, v) in &ws.build_args {
        spec.build_args
            .entry(k.clone())
            .or_insert_with(|| v.clone());
    }
    Inherited { spec, origins }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::parse;
    use std::path::Path;

    fn inherited(toml: &str, service: &str) -> Inherited {
        let loaded = parse(toml, Path::new("mbgen.toml")).unwrap();
        let name = loaded
            .spec
            .services
            .keys()
            .find(|k| k.as_str() == service)
            .unwrap()
            .clone();
        inherit(loaded.spec.workspace.as_ref(), &loaded.spec.services[&name])
    }

    const WS: &str = r#"
[workspace]
user = "svc"
tags = ["latest", "main"]
dockerignore = ["*.log"]
labels = { team = "platform", tier = "backend" }
versions = { node = "20", go = "1.23" }
secrets = [{ id = "npmrc", target = "/root/.npmrc" }]
images.go = { builder = "mirror.example.com/golang:1.23-trixie" }

[services.api]
stack = "go"
tags = ["v1"]
labels = { tier = "edge" }
images = { runtime = "gcr.io/distroless/static-debian13:nonroot" }

[services.site]
stack = "static"
"#;

    #[test]
    fn service_values_win_tables_merge_lists_replace() {
        let api = inherited(WS, "api");
        let s = &api.spec;
        assert_eq!(s.user.as_ref().unwrap().as_str(), "svc");
        assert_eq!(s.version.as_ref().unwrap().as_str(), "1.23");
        // Lists are replaced whole.
        let tags: Vec<&str> = s
            .tags
            .as_ref()
            .unwrap()
            .iter()
            .map(crate::spec::value::Tag::as_str)
            .collect();
        assert_eq!(tags, ["v1"]);
        // Tables merge key by key, the service winning.
        let labels: Vec<(String, String)> = s
            .labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(
            labels,
            [
                ("team".into(), "platform".into()),
                ("tier".into(), "edge".into())
            ]
        );
        let images = s.images.as_ref().unwrap();
        assert_eq!(
            images.builder.as_ref().unwrap().as_str(),
            "mirror.example.com/golang:1.23-trixie"
        );
        assert_eq!(
            images.runtime.as_ref().unwrap().as_str(),
            "gcr.io/distroless/static-debian13:nonroot"
        );
        assert_eq!(
            api.origins[&ServiceKey::Version],
            ["workspace", "versions", "go"]
        );
        assert!(!api.origins.contains_key(&ServiceKey::Tags));
    }

    #[test]
    fn defaults_that_do_not_apply_are_left_out() {
        let site = inherited(WS, "site");
        assert!(site.spec.secrets.is_none());
        assert!(site.spec.version.is_none());
        assert!(site.spec.images.is_none());
        assert_eq!(site.spec.dockerignore.as_ref().unwrap().len(), 1);
    }
}
