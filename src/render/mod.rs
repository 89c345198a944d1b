//! Context → files: the template environment and the generated files of a project.
//!
//! Templates are embedded at compile time. The environment is strict (an undefined variable
//! is an error) and never escapes; output is normalised to LF line endings, no trailing
//! spaces, no runs of blank lines and exactly one final newline, so it is byte-stable.

pub mod templates;

use std::path::PathBuf;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};

use crate::model::{Project, Service};
use crate::plan;

/// A file mbgen writes, relative to the directory of `mbgen.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: PathBuf,
    pub contents: String,
    /// The service the file belongs to.
    pub service: String,
}

/// A template failed to render: a bug in mbgen or in a user's template.
#[derive(Debug, thiserror::Error)]
#[error("template {template} failed to render: {detail}")]
pub struct RenderError {
    pub template: String,
    pub detail: String,
}

impl RenderError {
    fn from_minijinja(template: &str, e: &minijinja::Error) -> Self {
        let mut detail = e.to_string();
        if let (Some(name), Some(line)) = (e.name(), e.line()) {
            detail = format!("{detail} ({name}, line {line})");
        }
        Self {
            template: template.to_owned(),
            detail,
        }
    }
}

/// The template environment with the built-in templates.
#[must_use]
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    let syntax = env
        .syntax()
        .to_builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .expect("the default delimiters are valid");
    env.set_syntax(syntax);
    for (name, source) in templates::BUILTIN {
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("built-in template {name} does not compile: {e}"));
    }
    env
}

/// Renders every file of every service.
pub fn render_project(project: &Project) -> Result<Vec<GeneratedFile>, RenderError> {
    let env = environment();
    let mut files = Vec::new();
    for service in &project.services {
        files.extend(render_service(&env, project, service)?);
    }
    Ok(files)
}

/// Renders the Dockerfile and `.dockerignore` of one service.
pub fn render_service(
    env: &Environment<'_>,
    project: &Project,
    service: &Service,
) -> Result<Vec<GeneratedFile>, RenderError> {
    let context = plan::plan(project, service);
    let name = plan::dockerfile_template(service.stack);
    let template = env
        .get_template(name)
        .map_err(|e| RenderError::from_minijinja(name, &e))?;
    let dockerfile = template
        .render(minijinja::value::Serde(&context))
        .map_err(|e| RenderError::from_minijinja(name, &e))?;
    let base = PathBuf::from(&service.context);
    Ok(vec![
        GeneratedFile {
            path: base.join(&service.dockerfile),
            contents: normalize(&dockerfile),
            service: service.name.clone(),
        },
        GeneratedFile {
            path: base.join(&service.dockerignore_file),
            contents: normalize(&plan::dockerignore(project, service)),
            service: service.name.clone(),
        },
    ])
}

/// The one whitespace policy of generated files: LF line endings, no trailing spaces, and
/// blank lines only where a comment starts after an instruction, so that each comment sits
/// with what it explains and stages stand apart; the blank line that ends the header comment
/// is kept too. Ends with exactly one newline.
#[must_use]
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous_is_comment = true;
    let mut in_header = true;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            if in_header && !out.is_empty() {
                out.push('\n');
                in_header = false;
            }
            continue;
        }
        in_header = in_header && line.starts_with('#');
        let is_comment = line.starts_with('#');
        if is_comment && !previous_is_comment {
            out.push('\n');
        }
        previous_is_comment = is_comment;
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_template_compiles_and_resolves() {
        let env = environment();
        for (name, _) in templates::BUILTIN {
            assert!(env.get_template(name).is_ok(), "{name}");
        }
        assert!(templates::builtin(templates::GO).is_some());
    }

    #[test]
    fn normalizes_whitespace() {
        assert_eq!(
            normalize("# h\n\n\n# s\nA  \r\n\n\nB\n# c\n# d\nC\n\n"),
            "# h\n\n# s\nA\nB\n\n# c\n# d\nC\n"
        );
    }
}
