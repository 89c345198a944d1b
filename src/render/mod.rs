//! Context → files: the template environment and the generated files of a project.
//!
//! Templates come from a loader chain ([`templates`]): the project's templates directory
//! first, then the built-ins embedded at compile time. The environment is strict (an
//! undefined variable is an error) and never escapes; output is normalised to LF line
//! endings, no trailing spaces, no runs of blank lines and exactly one final newline, so it is
//! byte-stable. A failure of a built-in template on its own is a bug in mbgen; a failure that
//! involves the project's templates (or a template a service chose) is the user's to fix, and
//! points into the template.

mod init;
pub(crate) mod templates;

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};

use crate::diagnostic::{Diagnostic, SourceFile};
use crate::model::{Project, Service, Template};
use crate::plan;
use crate::spec::seal;
use crate::spec::value::TemplateName;
pub(crate) use templates::ProjectTemplates;
use templates::{Origin, BUILTIN_PREFIX};

/// A file mbgen writes, relative to the directory of `mbgen.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: PathBuf,
    pub contents: String,
    /// The service the file belongs to; empty for the files of the whole workspace.
    pub service: String,
    pub kind: FileKind,
}

/// What a generated file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Dockerfile,
    Dockerignore,
    /// The workspace's `docker-bake.hcl`.
    Bake,
    /// The workspace's `compose.yaml`.
    Compose,
    /// The CI workflow of `mbgen ci`.
    Workflow,
}

/// A template failed to render.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A built-in template failed with no template of the user's involved: a bug in mbgen.
    #[error("template {template} failed to render: {detail}")]
    Internal { template: String, detail: String },
    /// A template of the project's, or one a service chose, failed: the user's to fix.
    #[error("{0}")]
    User(Box<Diagnostic>),
}

/// The template environment with the built-in templates only.
#[must_use]
pub(crate) fn environment() -> Environment<'static> {
    environment_with(&ProjectTemplates::none()).0
}

/// What one render did with the project's templates: the ones it loaded, by name, and the
/// one it could not use, with the reason.
#[derive(Debug, Default)]
struct Trace {
    loaded: BTreeSet<String>,
    broken: Option<(String, String)>,
}

type Traced = Arc<Mutex<Trace>>;

fn trace(traced: &Traced) -> std::sync::MutexGuard<'_, Trace> {
    traced.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The work one render may do, in minijinja's fuel: about one instruction, or 64 bytes of
/// data made, per unit. The built-in templates use a small part of it for a workspace of 200
/// services; a project template looping without end, or doubling a string, runs out and
/// fails instead of running until it is killed.
const FUEL: u64 = 2_000_000;

/// The largest file a render may produce.
const MAX_OUTPUT: usize = 8 << 20;

/// The longest line BuildKit reads in a Dockerfile (and in a `.dockerignore`).
const MAX_LINE: usize = 65_535;

/// An environment whose loader looks in `project` first, then among the built-ins, and the
/// trace of what it loaded.
fn environment_with(project: &ProjectTemplates) -> (Environment<'static>, Traced) {
    let mut env = Environment::new();
    env.set_fuel(Some(FUEL));
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_debug(true);
    let syntax = env
        .syntax()
        .to_builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .expect("the default delimiters are valid");
    env.set_syntax(syntax);
    let files = project.shared();
    let broken = project.shared_broken();
    let traced: Traced = Arc::default();
    let record = Arc::clone(&traced);
    env.set_loader(move |name: &str| {
        TemplateName::check(name)
            .map_err(|why| minijinja::Error::new(ErrorKind::InvalidOperation, why))?;
        if let Some(plain) = name.strip_prefix(BUILTIN_PREFIX) {
            return Ok(templates::builtin(plain).map(str::to_owned));
        }
        if let Some(why) = broken.get(name) {
            trace(&record).broken = Some((name.to_owned(), why.clone()));
            return Err(minijinja::Error::new(
                ErrorKind::InvalidOperation,
                format!("template `{name}` cannot be used: {why}"),
            ));
        }
        if let Some(source) = files.get(name) {
            trace(&record).loaded.insert(name.to_owned());
            return Ok(Some(source.clone()));
        }
        Ok(templates::builtin(name).map(str::to_owned))
    });
    (env, traced)
}

/// Renders every file of every service with the built-in templates only.
pub(crate) fn render_project(project: &Project) -> Result<Vec<GeneratedFile>, RenderError> {
    render_with(project, &ProjectTemplates::none())
}

/// Renders every file of every service, then the workspace's Bake and Compose files, with the
/// project's templates before the built-ins.
pub(crate) fn render_with(
    project: &Project,
    templates: &ProjectTemplates,
) -> Result<Vec<GeneratedFile>, RenderError> {
    let mut files = Vec::new();
    for service in &project.services {
        files.extend(render_service(templates, project, service)?);
    }
    files.extend(render_workspace(templates, project)?);
    Ok(files)
}

/// Renders the Dockerfile and `.dockerignore` of one service.
pub(crate) fn render_service(
    templates: &ProjectTemplates,
    project: &Project,
    service: &Service,
) -> Result<Vec<GeneratedFile>, RenderError> {
    render_service_traced(templates, project, service).map(|(files, _)| files)
}

/// Renders the Dockerfile and `.dockerignore` of one service, and names the project templates
/// the render loaded (relative to the templates directory): the only ones whose edits can
/// change this service's files.
pub(crate) fn render_service_traced(
    templates: &ProjectTemplates,
    project: &Project,
    service: &Service,
) -> Result<(Vec<GeneratedFile>, BTreeSet<String>), RenderError> {
    let mut context = plan::plan(project, service);
    let mut loaded = BTreeSet::new();
    if let Some(nginx) = &mut context.nginx {
        let subject = Subject {
            template: templates::NGINX_CONF,
            chosen: false,
            what: format!("the nginx.conf of service `{}`", service.name),
        };
        let (conf, used) = render_plain(templates, &subject, &nginx.conf_context)?;
        check_size(&conf, &subject)?;
        nginx.conf = conf.lines().map(plan::escape::shell_single_quote).collect();
        loaded.extend(used);
    }
    let init = context.init.clone();
    let subject = Subject::from(service);
    let (dockerfile, loaded) = render_headed(templates, project, &subject, context, loaded)?;
    if let Some(what) = init.and_then(|init| init::missing(&dockerfile, &init)) {
        return Err(init_dropped(templates, service, &subject, &loaded, what));
    }
    let files = vec![
        GeneratedFile {
            path: PathBuf::from(service.dockerfile_path().as_str()),
            contents: dockerfile,
            service: service.name.clone(),
            kind: FileKind::Dockerfile,
        },
        GeneratedFile {
            path: PathBuf::from(service.dockerignore_path().as_str()),
            contents: seal::seal(&normalize(&plan::dockerignore(project, service)))
                .expect("a .dockerignore starts with its header"),
            service: service.name.clone(),
            kind: FileKind::Dockerignore,
        },
    ];
    Ok((files, loaded))
}

/// The files of the whole workspace that `[workspace]` asks for: the Bake file, then the
/// Compose file.
pub(crate) fn render_workspace(
    templates: &ProjectTemplates,
    project: &Project,
) -> Result<Vec<GeneratedFile>, RenderError> {
    let mut files = Vec::new();
    if let Some(path) = &project.bake {
        let context = plan::bake::bake(project, path);
        let subject = Subject::workspace(templates::BAKE, "the Bake file");
        files.push(GeneratedFile {
            path: PathBuf::from(path.as_str()),
            contents: render_headed(templates, project, &subject, context, BTreeSet::new())?.0,
            service: String::new(),
            kind: FileKind::Bake,
        });
    }
    if let Some(path) = &project.compose {
        let context = plan::compose::compose(project, path);
        let subject = Subject::workspace(templates::COMPOSE, "the Compose file");
        files.push(GeneratedFile {
            path: PathBuf::from(path.as_str()),
            contents: render_headed(templates, project, &subject, context, BTreeSet::new())?.0,
            service: String::new(),
            kind: FileKind::Compose,
        });
    }
    Ok(files)
}

/// A context whose header names the project's templates a render used.
trait Headed: serde::Serialize {
    fn header(&mut self) -> &mut Vec<String>;
}

impl Headed for plan::DockerfileContext {
    fn header(&mut self) -> &mut Vec<String> {
        &mut self.header
    }
}

impl Headed for plan::bake::BakeContext {
    fn header(&mut self) -> &mut Vec<String> {
        &mut self.header
    }
}

impl Headed for plan::workflow::WorkflowContext {
    fn header(&mut self) -> &mut Vec<String> {
        &mut self.header
    }
}

impl Headed for plan::compose::ComposeContext {
    fn header(&mut self) -> &mut Vec<String> {
        &mut self.header
    }
}

/// Renders the GitHub Actions workflow of `mbgen ci github`; its path is relative to the
/// repository root.
pub(crate) fn render_workflow(
    templates: &ProjectTemplates,
    project: &Project,
    place: &plan::workflow::WorkflowPlace<'_>,
) -> Result<GeneratedFile, RenderError> {
    let context = plan::workflow::workflow(project, place);
    let subject = Subject::workspace(templates::GITHUB_WORKFLOW, "the GitHub Actions workflow");
    Ok(GeneratedFile {
        path: PathBuf::from(place.file.as_str()),
        contents: render_headed(templates, project, &subject, context, BTreeSet::new())?.0,
        service: String::new(),
        kind: FileKind::Workflow,
    })
}

/// Renders the subject's template with `context` and normalises the result. Only a render
/// tells which of the project's templates it loads; when it loaded any, the header names
/// them (after "Do not edit"), so that a reader of the file knows where its text comes from,
/// and the file is rendered again.
fn render_headed<C: Headed>(
    templates: &ProjectTemplates,
    project: &Project,
    subject: &Subject<'_>,
    mut context: C,
    embedded: BTreeSet<String>,
) -> Result<(String, BTreeSet<String>), RenderError> {
    // One environment per file, so that what it loaded tells whose templates took part.
    let (env, traced) = environment_with(templates);
    let render = |context: &C| {
        env.get_template(subject.template)
            .and_then(|t| t.render(minijinja::value::Serde(context)))
            .map_err(|e| classify(templates, subject, &trace(&traced), &e))
    };
    let mut text = render(&context)?;
    let mut loaded = trace(&traced).loaded.clone();
    loaded.extend(embedded);
    let used: Vec<String> = loaded
        .iter()
        // Relative to mbgen.toml, like every path in generated files, whatever the working
        // directory.
        .map(|name| format!("{}/{name}", project.templates_dir))
        .collect();
    if !used.is_empty() {
        let header = context.header();
        let after_do_not_edit = header.len().min(2);
        header.insert(
            after_do_not_edit,
            format!(
                "Rendered with the project's templates: {}.",
                used.join(", ")
            ),
        );
        text = render(&context)?;
    }
    let text = normalize(&text);
    check_size(&text, subject)?;
    match seal::seal(&text) {
        Some(sealed) => Ok((sealed, loaded)),
        None => Err(no_header(templates, subject, &loaded)),
    }
}

/// A file a render produced without the header line naming mbgen: the next render could not
/// tell it from a file a person wrote, so none is written.
fn no_header(
    templates: &ProjectTemplates,
    subject: &Subject<'_>,
    loaded: &BTreeSet<String>,
) -> RenderError {
    if !subject.chosen && loaded.is_empty() {
        return RenderError::Internal {
            template: subject.template.to_owned(),
            detail: "no header line naming mbgen".to_owned(),
        };
    }
    let mut d = Diagnostic::new(format!(
        "the template `{}` wrote {} without the header line naming mbgen",
        subject.template, subject.what
    ))
    .help(format!(
        "mbgen tells its own files from yours by that line, and checks that nobody edited them: print the `header` lines first, each as a `# ` comment, as the `header` block of `{}` does (extend it to keep it)",
        templates::BASE
    ));
    if templates.get(subject.template).is_some() {
        d = d.in_file(&templates.path_of(subject.template));
    }
    RenderError::User(Box::new(d))
}

/// Refuses a generated file too large to be a Dockerfile, or with a line longer than BuildKit
/// reads.
fn check_size(text: &str, subject: &Subject<'_>) -> Result<(), RenderError> {
    let problem = if text.len() > MAX_OUTPUT {
        Some(format!(
            "{} is {} bytes long; mbgen writes files of at most {MAX_OUTPUT} bytes",
            subject.what,
            text.len()
        ))
    } else {
        text.lines()
            .enumerate()
            .find(|(_, line)| line.len() > MAX_LINE)
            .map(|(i, line)| {
                format!(
                    "line {} of {} is {} characters long; BuildKit reads lines of at most {MAX_LINE}",
                    i + 1,
                    subject.what,
                    line.len()
                )
            })
    };
    match problem {
        None => Ok(()),
        Some(message) => Err(RenderError::User(Box::new(Diagnostic::new(message).help(
            "shorten the values that make it (a long list of packages, workspace members or a long command), or move them into a script of the project",
        )))),
    }
}

/// What a template renders, for the messages of its failures.
struct Subject<'a> {
    /// The template rendered first.
    template: &'a str,
    /// Whether `mbgen.toml` chose the template (a service's `template`).
    chosen: bool,
    /// What the template renders, such as "service `api`".
    what: String,
}

impl<'a> Subject<'a> {
    /// A built-in template for a file of the whole workspace.
    fn workspace(template: &'a str, what: &str) -> Self {
        Self {
            template,
            chosen: false,
            what: what.to_owned(),
        }
    }
}

impl<'a> From<&'a Service> for Subject<'a> {
    fn from(service: &'a Service) -> Self {
        let (template, chosen) = match &service.template {
            Template::Stack => (templates::dockerfile(service.stack_name()), false),
            Template::Chosen(name) => (name.as_str(), true),
        };
        Self {
            template,
            chosen,
            what: format!("service `{}`", service.name),
        }
    }
}

/// Renders a template that has no header of its own (a file the Dockerfile embeds), and
/// names the project templates it loaded.
fn render_plain<C: serde::Serialize>(
    templates: &ProjectTemplates,
    subject: &Subject<'_>,
    context: &C,
) -> Result<(String, BTreeSet<String>), RenderError> {
    let (env, traced) = environment_with(templates);
    let text = env
        .get_template(subject.template)
        .and_then(|t| t.render(minijinja::value::Serde(context)))
        .map_err(|e| classify(templates, subject, &trace(&traced), &e))?;
    let loaded = trace(&traced).loaded.clone();
    Ok((text, loaded))
}

/// Whose failure it is, and the error that says so.
// One arm per kind of template error, each saying whose fault it is: the user's template or mbgen.
#[allow(clippy::too_many_lines)]
fn classify(
    templates: &ProjectTemplates,
    subject: &Subject<'_>,
    trace: &Trace,
    e: &minijinja::Error,
) -> RenderError {
    if let Some((name, why)) = &trace.broken {
        return broken_template(templates, subject, name, why);
    }
    let loaded = &trace.loaded;
    let failed = e.name().unwrap_or(subject.template);
    let what = match e.detail() {
        Some(detail) => format!("{}: {detail}", e.kind()),
        None => e.kind().to_string(),
    };
    if !subject.chosen && loaded.is_empty() {
        let mut detail = what;
        if let Some(line) = e.line() {
            detail = format!("{detail} ({failed}, line {line})");
        }
        return RenderError::Internal {
            template: subject.template.to_owned(),
            detail,
        };
    }
    let resolved = templates.resolve(failed);
    let is_project = resolved
        .as_ref()
        .is_some_and(|r| r.origin == Origin::Project);
    let api = plan::TEMPLATE_API;
    let docs = format!("docs/templates.md describes every variable and block (template API {api})");
    let (message, file, help) = if is_project {
        let hint = match e.kind() {
            ErrorKind::UndefinedError => format!("undefined variables are errors; {docs}"),
            ErrorKind::SyntaxError => format!("fix the syntax (Jinja's); {docs}"),
            ErrorKind::TemplateNotFound => format!(
                "templates are looked up in {}, then among the built-ins (`mbgen templates list`)",
                templates.dir().display()
            ),
            ErrorKind::OutOfFuel => format!(
                "a render may take about {} million steps and make about {} MiB of text: look for a loop that does not end or a string that keeps growing; {docs}",
                FUEL / 1_000_000,
                (FUEL * 64) >> 20
            ),
            _ => docs,
        };
        let restore = if templates::builtin(failed).is_some() {
            format!("; deleting it brings back the built-in `{BUILTIN_PREFIX}{failed}`")
        } else {
            String::new()
        };
        (
            format!(
                "the project's template `{failed}` failed for {}: {what}",
                subject.what
            ),
            resolved.map(|r| SourceFile::new(templates.path_of(failed), r.source)),
            format!("this is the project's template, not mbgen's: {hint}{restore}"),
        )
    } else if let Some(r) = resolved {
        let with = if loaded.is_empty() {
            format!("`template = \"{}\"` in mbgen.toml", subject.template)
        } else {
            let names: Vec<String> = loaded.iter().map(|n| format!("`{n}`")).collect();
            format!("the project's {}", names.join(", "))
        };
        (
            format!(
                "the built-in template `{}` failed for {}, rendered with {with}: {what}",
                r.name, subject.what
            ),
            Some(SourceFile::new(
                format!("{BUILTIN_PREFIX}{}", r.name),
                r.source,
            )),
            format!(
                "the cause is in the project's templates or its choice of template, not in mbgen: \
                 check what they define and pass to the built-in; {docs}"
            ),
        )
    } else {
        (
            format!("template `{failed}` for {}: {what}", subject.what),
            None,
            format!(
                "templates are looked up in {}, then among the built-ins (`mbgen templates list`)",
                templates.dir().display()
            ),
        )
    };
    let mut d = Diagnostic::new(message).help(help);
    if let Some(file) = file {
        match span(&file, e) {
            Some(span) => d = d.at(&file, span),
            None => d = d.in_file(&file.path),
        }
    }
    RenderError::User(Box::new(d))
}

/// A render loaded a template of the project's that cannot be used.
fn broken_template(
    templates: &ProjectTemplates,
    subject: &Subject<'_>,
    name: &str,
    why: &str,
) -> RenderError {
    RenderError::User(Box::new(
        Diagnostic::new(format!(
            "the project's template `{name}` cannot be used for {}: {why}",
            subject.what
        ))
        .in_file(&templates.path_of(name))
        .help(format!(
            "fix it, or move it out of {}: a template a render loads must be a UTF-8 text file of at most {} inside the project; files no render loads do not matter",
            templates.dir().display(),
            crate::guard::bytes(crate::guard::MAX_TEMPLATE_BYTES)
        )),
    ))
}

/// The error for a Dockerfile whose final stage lost tini: the project's templates dropped
/// it (or, with none involved, mbgen did).
fn init_dropped(
    templates: &ProjectTemplates,
    service: &Service,
    subject: &Subject<'_>,
    loaded: &BTreeSet<String>,
    what: &str,
) -> RenderError {
    let file = if loaded.contains(subject.template) {
        Some(subject.template)
    } else {
        loaded.iter().next().map(String::as_str)
    };
    let Some(file) = file else {
        return RenderError::Internal {
            template: subject.template.to_owned(),
            detail: format!("the Dockerfile of {} lost tini: {what}", subject.what),
        };
    };
    let help = format!(
        "mbgen runs the command under tini, so that `docker stop` ends it at once and orphaned \
         processes are reaped. A template that writes the final stage keeps \
         `{{% if stage.init %}}{{{{ m.init_stage(stage.init, init) }}}}{{% endif %}}` before it \
         and `{{{{ m.init_copy(init) }}}}` in it; one that writes the command starts `ENTRYPOINT` \
         with tini, as `{{{{ m.command(runtime) }}}}` does (`init.entrypoint` is \
         `[\"/usr/bin/tini\", \"--\"]`). Or set `init = false` in [services.{}] if the app \
         handles SIGTERM and reaps its children itself. See \"The init\" in docs/templates.md",
        service.name
    );
    RenderError::User(Box::new(
        Diagnostic::new(format!(
            "the Dockerfile of {} would run its command without tini: {what}",
            subject.what
        ))
        .in_file(&templates.path_of(file))
        .help(help),
    ))
}

/// The byte range of the failing expression, or of its line.
fn span(file: &SourceFile, e: &minijinja::Error) -> Option<Range<usize>> {
    if let Some(range) = e.range().filter(|r| r.end <= file.text.len()) {
        return Some(range);
    }
    let line = e.line()?;
    let start: usize = file
        .text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let end = file.text[start..]
        .find('\n')
        .map_or(file.text.len(), |i| start + i);
    Some(start..end)
}

/// The one whitespace policy of generated files: LF line endings, no trailing spaces, and
/// blank lines only where a comment starts after an instruction, so that each comment sits
/// with what it explains and stages stand apart; the blank line that ends the header comment
/// is kept too. Ends with exactly one newline.
#[must_use]
pub(crate) fn normalize(text: &str) -> String {
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
        // An indented comment (a YAML step's) opens a block of its own too.
        let is_comment = line.trim_start().starts_with('#');
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
            assert!(env.get_template(&format!("mbgen/{name}")).is_ok(), "{name}");
        }
        let env = environment();
        for (name, _) in templates::BUILTIN {
            assert!(env.get_template(name).is_ok(), "{name}");
        }
        assert!(templates::builtin(templates::GO).is_some());
    }

    fn project(toml: &str) -> Project {
        let loaded = crate::spec::parse(toml, std::path::Path::new("mbgen.toml")).unwrap();
        let tree = crate::model::Tree::new(std::path::Path::new("."), std::path::Path::new(""));
        crate::model::resolve(&loaded, &tree).unwrap()
    }

    const GO: &str = "[services.a]\nstack = \"go\"\n";

    #[test]
    fn a_project_template_extends_the_builtin_it_replaces() {
        let p = project(GO);
        let t = ProjectTemplates::from_sources(
            ".mbgen/templates",
            [(
                templates::GO,
                "{% extends \"mbgen/go.Dockerfile.j2\" %}\n{% block command %}\nENTRYPOINT [\"/usr/bin/tini\", \"--\", \"x\"]\n{% endblock %}\n",
            )],
        );
        let dockerfile = &render_with(&p, &t).unwrap()[0].contents;
        assert!(
            dockerfile.ends_with("EXPOSE 8080\nENTRYPOINT [\"/usr/bin/tini\", \"--\", \"x\"]\n"),
            "{dockerfile}"
        );
        assert!(dockerfile.contains(
            "# Rendered with the project's templates: .mbgen/templates/go.Dockerfile.j2.\n"
        ));
        let plain = &render_project(&p).unwrap()[0].contents;
        assert!(
            plain.ends_with("ENTRYPOINT [\"/usr/bin/tini\", \"--\", \"/usr/local/bin/a\"]\n"),
            "{plain}"
        );
        assert!(!plain.contains("Rendered with"), "{plain}");
    }

    #[test]
    fn a_project_template_cannot_drop_the_init_silently() {
        let command = |block: &str| {
            ProjectTemplates::from_sources(
                ".mbgen/templates",
                [(
                    templates::GO,
                    format!("{{% extends \"mbgen/go.Dockerfile.j2\" %}}\n{{% block command %}}\n{block}\n{{% endblock %}}\n"),
                )],
            )
        };
        let p = project(GO);
        let err = render_with(&p, &command("CMD [\"x\"]")).unwrap_err();
        let RenderError::User(d) = err else {
            panic!("not the user's error: {err}")
        };
        assert!(d.message.contains("without tini"), "{}", d.message);
        assert!(d.help.as_deref().unwrap().contains("init = false"));
        assert_eq!(
            d.path.as_deref(),
            Some(std::path::Path::new(".mbgen/templates/go.Dockerfile.j2"))
        );
        // `init = false`: no init stage, nothing to keep
        let without = project("[services.a]\nstack = \"go\"\ninit = false\n");
        let dockerfile = &render_with(&without, &command("CMD [\"x\"]")).unwrap()[0].contents;
        assert!(!dockerfile.contains("tini"), "{dockerfile}");
        assert!(
            dockerfile.ends_with("EXPOSE 8080\nCMD [\"x\"]\n"),
            "{dockerfile}"
        );
    }

    #[test]
    fn a_traced_render_names_the_project_templates_it_loaded() {
        let p = project(
            "[services.a]\nstack = \"go\"\n\n[services.b]\nstack = \"rust\"\npath = \"b\"\n",
        );
        let t = ProjectTemplates::from_sources(
            ".mbgen/templates",
            [
                (templates::GO, "{% extends \"mbgen/go.Dockerfile.j2\" %}\n"),
                ("unused.j2", "x"),
            ],
        );
        let loaded = |i: usize| render_service_traced(&t, &p, &p.services[i]).unwrap().1;
        assert_eq!(loaded(0), BTreeSet::from([templates::GO.to_owned()]));
        assert!(loaded(1).is_empty());
    }

    #[test]
    fn only_a_builtin_failing_alone_is_a_bug() {
        let p = project(GO);
        let e = minijinja::Error::new(ErrorKind::UndefinedError, "`x` is undefined");
        let none = ProjectTemplates::none();
        let internal = classify(&none, &(&p.services[0]).into(), &Trace::default(), &e);
        assert!(matches!(internal, RenderError::Internal { .. }));
        let loaded = Trace {
            loaded: [templates::BASE.to_owned()].into(),
            broken: None,
        };
        let theirs = classify(&none, &(&p.services[0]).into(), &loaded, &e);
        assert!(matches!(theirs, RenderError::User(_)));
        let chosen =
            project("[services.a]\nstack = \"go\"\ntemplate = \"mbgen/rust.Dockerfile.j2\"\n");
        let err = render_project(&chosen).unwrap_err();
        assert!(matches!(err, RenderError::User(_)), "{err}");
    }

    fn render_error(template: &str) -> String {
        let p = project(GO);
        let t = ProjectTemplates::from_sources(".mbgen/templates", [(templates::GO, template)]);
        match render_with(&p, &t) {
            Err(RenderError::User(d)) => d.to_string(),
            other => panic!("expected a user error, got {other:?}"),
        }
    }

    #[test]
    fn a_template_that_never_ends_runs_out_of_fuel() {
        let forever =
            "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}";
        let out = render_error(forever);
        assert!(out.contains("ran out of fuel"), "{out}");
        assert!(
            out.contains(".mbgen/templates/go.Dockerfile.j2:1:"),
            "{out}"
        );
        let doubling = "{% set s = namespace(v='x') %}{% for i in range(64) %}{% set s.v = s.v ~ s.v %}{% endfor %}{{ s.v }}";
        let out = render_error(doubling);
        assert!(out.contains("ran out of fuel"), "{out}");
    }

    #[test]
    fn a_template_must_print_the_header() {
        let out = render_error("FROM scratch\n");
        assert!(
            out.contains("without the header line naming mbgen"),
            "{out}"
        );
        assert!(
            out.contains("--> .mbgen/templates/go.Dockerfile.j2"),
            "{out}"
        );
        let sealed = &render_project(&project(GO)).unwrap()[0].contents;
        assert_eq!(seal::ownership(sealed), seal::Ownership::Intact);
    }

    #[test]
    fn normalizes_whitespace() {
        assert_eq!(
            normalize("# h\n\n\n# s\nA  \r\n\n\nB\n# c\n# d\nC\n\n"),
            "# h\n\n# s\nA\nB\n\n# c\n# d\nC\n"
        );
    }
}
