//! `mbgen affected`: print the services whose build inputs changed since a git revision.

use std::io::Write as _;
use std::path::Path;

use crate::affected::git::Repo;
use crate::affected::{self, Before, Snapshot};
use crate::cli::AffectedArgs;
use crate::diagnostic::Diagnostics;
use crate::render::RenderError;
use crate::{model, spec, Error};

/// What `affected` does, from the command line.
struct Settings {
    since: String,
    json: bool,
}

pub(super) fn run(args: AffectedArgs) -> Result<(), Error> {
    let AffectedArgs { path, since, json } = args;
    let settings = Settings { since, json };
    let (root, _, display) = crate::project::locate(&path);
    let loaded = crate::project::load_project(&path)?;
    let repo = Repo::open(&root, &crate::project::shown(&root)).map_err(|d| Error::from(*d))?;
    let commit = repo.commit(&settings.since).map_err(|d| Error::from(*d))?;
    let changed = repo.changed_since(&commit).map_err(|d| Error::from(*d))?;
    let config = loaded.project.config_name.clone();
    let now = Snapshot::render(loaded.project, &loaded.templates)?;
    let before = if changed.contains(&config) {
        before(&repo, &commit, &root, &config, &display)?
    } else {
        Before::Same
    };
    let report = affected::analyse(&now, &before, &changed, &settings.since, &commit);
    let mut out = std::io::stdout().lock();
    let written = if settings.json {
        let text = serde_json::to_string_pretty(&report).expect("the report serialises");
        writeln!(out, "{text}")
    } else {
        report
            .services
            .iter()
            .try_for_each(|s| writeln!(out, "{}", s.name))
    };
    written.map_err(Error::io("write", "standard output"))
}

/// Loads, resolves and renders the `mbgen.toml` at `commit`, named in messages as `display`
/// like today's (generated headers name it). Today's files stand in for the tree of the
/// revision, which is not checked out.
fn before(
    repo: &Repo,
    commit: &str,
    root: &Path,
    config: &str,
    display: &Path,
) -> Result<Before, Error> {
    let Some(bytes) = repo.file_at(commit, config).map_err(|d| Error::from(*d))? else {
        return Ok(Before::Missing);
    };
    let Ok(text) = String::from_utf8(bytes) else {
        return Ok(Before::Broken("it is not UTF-8 text".to_owned()));
    };
    let first = |d: &Diagnostics| {
        d.0.first()
            .map_or_else(|| "it has errors".to_owned(), |d| d.message.clone())
    };
    let loaded = match spec::parse(&text, display) {
        Ok(loaded) => loaded,
        Err(d) => return Ok(Before::Broken(first(&d))),
    };
    let project = match model::resolve(&loaded, &crate::project::tree(root)) {
        Ok(project) => project,
        Err(d) => return Ok(Before::Broken(first(&d))),
    };
    let templates = match crate::project::load_templates(root, &loaded, &project) {
        Ok(templates) => templates,
        Err(Error::User(d)) => return Ok(Before::Broken(first(&d))),
        Err(e) => return Err(e),
    };
    Ok(match Snapshot::render(project, &templates) {
        Ok(snapshot) => Before::Loaded(Box::new(snapshot)),
        Err(RenderError::User(d)) => Before::Broken(d.message),
        Err(e @ RenderError::Internal { .. }) => Before::Broken(e.to_string()),
    })
}
