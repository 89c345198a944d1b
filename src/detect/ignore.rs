//! `.dockerignore` exceptions for files the build needs: the stacks' `.dockerignore` leaves
//! out local environment files (`.env`, `.env.*`) because they may hold secrets, but a
//! project that keeps one in version control means it for the build (Vite reads `.env` and
//! `.env.production` for settings such as the API host). Those files get a `!` pattern in
//! `dockerignore`; untracked ones stay out. Written into mbgen.toml by `init`, so `render`
//! stays a function of mbgen.toml.

use super::{Dir, Proposal, Value};
use crate::relpath::RelPath;
use crate::spec::ServiceKey;

/// Adds `!<path>` to the proposal's `dockerignore` for every tracked `.env` file of the app.
pub(crate) fn keep_tracked_env_files(dir: Dir<'_>, p: &mut Proposal) {
    // Patterns are relative to the build context: the app's directory, or its `context`
    // (relative to the project root, like the app's path).
    let context = match p.get(ServiceKey::Context) {
        Some(Value::Str(c)) if c != "." => RelPath::from_normal(c),
        Some(Value::Str(_)) => RelPath::root(),
        _ => RelPath::from_normal(dir.base()),
    };
    let kept: Vec<String> = dir
        .files()
        .filter(|f| {
            let name = f.rsplit('/').next().unwrap_or(f);
            (name == ".env" || name.starts_with(".env.")) && dir.fs().tracked(f)
        })
        .filter_map(|f| {
            let path = RelPath::from_normal(f);
            path.strip_prefix(&context).map(|rel| format!("!{rel}"))
        })
        .collect();
    if kept.is_empty() {
        return;
    }
    let mut list = match p.get(ServiceKey::Dockerignore) {
        Some(Value::List(l)) => l.clone(),
        _ => Vec::new(),
    };
    list.extend(kept);
    p.set(
        ServiceKey::Dockerignore,
        Value::List(list),
        "kept in the build context: tracked in version control, so meant for the build (untracked .env files stay out)",
    );
}
