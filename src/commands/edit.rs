//! What `mbgen new` and `mbgen add` share: the project's `mbgen.toml` before and after one
//! service is added to it. The new text is loaded, resolved and rendered in memory before
//! anything is written, and the file is replaced atomically.

use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::guard::{self, Confined};
use crate::model::{self, Project};
use crate::output::write_atomic;
use crate::project::{load_templates, locate, shown};
use crate::relpath::RelPath;
use crate::scaffold::{self, ServiceEntry, DEFAULT_SCHEMA};
use crate::spec::value::ServiceName;
use crate::spec::{self, LoadedConfig};
use crate::Error;

/// A project's `mbgen.toml`, as it is before a service is added.
#[derive(Debug)]
pub(super) struct ConfigFile {
    /// The directory of `mbgen.toml`, which service paths are relative to.
    pub root: PathBuf,
    file: PathBuf,
    /// How the file is named in messages.
    pub display: PathBuf,
    /// The file's text, loaded; `None` when there is no file yet.
    existing: Option<(String, LoadedConfig)>,
    /// The project directory, which nothing is written out of.
    pub confined: Confined,
}

/// `mbgen.toml` with the service added, checked.
#[derive(Debug)]
pub(super) struct Edited {
    text: String,
    /// The resolved project of the new text.
    pub project: Project,
}

impl ConfigFile {
    /// Finds and loads `mbgen.toml` from a `--project` argument: a directory, or the file
    /// itself, which may not exist yet.
    pub(super) fn open(project: &Path) -> Result<Self, Error> {
        let creatable_file = project.extension().is_some_and(|e| e == "toml")
            && !project.exists()
            && project
                .parent()
                .is_none_or(|p| p.as_os_str().is_empty() || p.is_dir());
        if !project.is_dir() && !project.is_file() && !creatable_file {
            return Err(Diagnostic::new(format!(
                "{} is not a directory",
                shown(project).display()
            ))
            .help("pass the directory that holds mbgen.toml (or will): `--project path/to/project`")
            .into());
        }
        let (root, file, display) = locate(project);
        if file.exists() && !file.is_file() {
            return Err(
                Diagnostic::new(format!("{} is not a file", display.display()))
                    .help("move it away, or pass --project with another project")
                    .into(),
            );
        }
        let confined = Confined::new(&root).map_err(Error::io("read", shown(&root)))?;
        // Read and written where it really is, which must be inside the project.
        let name = file.file_name().map_or_else(PathBuf::new, PathBuf::from);
        let file = confined
            .check(&name, &display)
            .map_err(|d| Error::from(*d))?;
        let existing = if file.is_file() {
            let text = guard::read_text(&file, guard::MAX_CONFIG_BYTES)
                .map_err(|e| Error::from(e.diagnostic(&display)))?;
            let loaded = spec::parse(&text, &display)?;
            Some((text, loaded))
        } else {
            None
        };
        Ok(Self {
            root,
            file,
            display,
            existing,
            confined,
        })
    }

    /// Whether `mbgen.toml` exists yet.
    pub(super) fn exists(&self) -> bool {
        self.existing.is_some()
    }

    fn loaded(&self) -> Option<&LoadedConfig> {
        self.existing.as_ref().map(|(_, loaded)| loaded)
    }

    /// The `path` of every service, normalised (empty for the project directory).
    pub(super) fn service_paths(&self) -> Vec<(&str, String)> {
        self.loaded()
            .map(|l| {
                l.spec
                    .services
                    .iter()
                    .map(|(name, s)| {
                        (
                            name.as_str(),
                            s.path
                                .as_ref()
                                .map(|p| p.as_str().to_owned())
                                .unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Refuses a name that is not a valid service name, and one the file has already.
    /// `other` says how to pick another name.
    pub(super) fn check_name(&self, name: &str, other: &str) -> Result<(), Error> {
        if let Err(why) = ServiceName::try_from(name.to_owned()) {
            return Err(Diagnostic::new(why).help(other.to_owned()).into());
        }
        if let Some(loaded) = self.loaded() {
            if loaded.spec.services.keys().any(|k| k.as_str() == name) {
                return Err(loaded
                    .error_at(
                        &["services", name],
                        format!("a service named `{name}` exists already"),
                    )
                    .help(other.to_owned())
                    .into());
            }
        }
        Ok(())
    }

    /// Refuses a directory that is already the `path` of a service.
    pub(super) fn check_path_is_free(&self, path: &str) -> Result<(), Error> {
        let Some(loaded) = self.loaded() else {
            return Ok(());
        };
        for (name, service) in &loaded.spec.services {
            let name = name.as_str();
            let taken = service
                .path
                .as_ref()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            if taken != path {
                continue;
            }
            let message = format!(
                "{} is the directory of service `{name}` already",
                if path.is_empty() { "." } else { path }
            );
            let d = if service.path.is_some() {
                loaded.error_at_value(&["services", name, "path"], message)
            } else {
                loaded.error_at(&["services", name], message)
            };
            return Err(d
                .help(format!(
                    "a directory holds one service: change [services.{name}] instead"
                ))
                .into());
        }
        Ok(())
    }

    /// The file with `entry` added, loaded, resolved and rendered in memory: what would be
    /// written, known to work.
    pub(super) fn with_service(&self, entry: &ServiceEntry) -> Result<Edited, Error> {
        let before = if let Some((text, _)) = &self.existing {
            text.clone()
        } else {
            self.check_schema_copy()?;
            scaffold::new_file(DEFAULT_SCHEMA)
        };
        let text = scaffold::add_service(&before, entry).map_err(|d| d.in_file(&self.display))?;
        let config = spec::parse(&text, &self.display)?;
        let project = model::resolve(&config, &crate::project::tree(&self.root))?;
        let templates = load_templates(&self.root, &config, &project)?;
        crate::render::render_with(&project, &templates)?;
        Ok(Edited { text, project })
    }

    /// Refuses to create a file whose `#:schema` line names a file that is there and is not
    /// mbgen's schema, which [`ConfigFile::write`] would have to replace.
    fn check_schema_copy(&self) -> Result<(), Error> {
        let named = shown(&self.root.join(DEFAULT_SCHEMA));
        let target = self
            .confined
            .check(Path::new(DEFAULT_SCHEMA), &named)
            .map_err(|d| Error::from(*d))?;
        match guard::read_text(&target, guard::MAX_MANIFEST_BYTES) {
            // How `init` recognises the schema it writes.
            Ok(text) if !text.contains("\"title\": \"mbgen.toml\"") => Err(Diagnostic::new(
                format!(
                    "{} exists and is not mbgen's schema, which a new {} names",
                    named.display(),
                    self.display.display()
                ),
            )
            .help(
                "move it away, or write mbgen.toml first with `mbgen init --schema <PATH_OR_URL>`",
            )
            .into()),
            _ => Ok(()),
        }
    }

    /// Writes the edited file atomically, with the schema its `#:schema` line names when the
    /// file is new.
    pub(super) fn write(&self, edited: &Edited) -> Result<(), Error> {
        if self.existing.is_none() {
            super::init::write_schema_copy(&self.confined, &self.root, DEFAULT_SCHEMA)?;
        }
        write_atomic(&self.file, &edited.text)
    }

    /// Says what [`ConfigFile::write`] did.
    pub(super) fn written_message(&self, name: &str) -> String {
        if self.exists() {
            format!("added [services.{name}] to {}", self.display.display())
        } else {
            format!("wrote {} with [services.{name}]", self.display.display())
        }
    }

    /// What the user runs next: `mbgen render`, with the project when it is not here.
    pub(super) fn render_command(&self) -> String {
        if self.display == Path::new(spec::CONFIG_FILE) {
            "mbgen render".to_owned()
        } else if self.display.file_name() == Some(spec::CONFIG_FILE.as_ref()) {
            format!("mbgen render {}", shown(&self.root).display())
        } else {
            format!("mbgen render {}", self.display.display())
        }
    }
}

/// A path as the user passes it to `--path` or as a directory argument, relative to the
/// project, checked like a `path` of mbgen.toml and normalised (empty for the project).
pub(super) fn relative_path(raw: &str) -> Result<String, Error> {
    let trimmed = raw.trim_end_matches('/');
    let path = RelPath::parse(if trimmed.is_empty() { raw } else { trimmed })
        .map_err(|why| Diagnostic::new(why).help("pass a directory inside the project"))?;
    Ok(path.as_str().to_owned())
}
