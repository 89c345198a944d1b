//! Python: the dependency files (a requirements file or `uv.lock`, which mbgen installs
//! from), the Python version, and the WSGI or ASGI app with the server that runs it.

use std::collections::BTreeSet;

use super::text::{find_port, major_minor, python_lower_bound};
use super::{Detector, Dir, Options, Outcome, Proposal, Value};
use crate::diagnostic::{Diagnostic, SourceFile};
use crate::manifest::source::{parse_toml, wrong_type};
use crate::spec::{ServiceKey, Stack};

#[derive(Debug)]
pub(crate) struct Python;

const MARKERS: &[&str] = &[
    "pyproject.toml",
    "uv.lock",
    "Pipfile",
    "poetry.lock",
    "pdm.lock",
    "setup.py",
    "manage.py",
];

impl Detector for Python {
    fn name(&self) -> &'static str {
        "python"
    }

    fn looks_for(&self) -> &'static str {
        "requirements*.txt, pyproject.toml (PEP 621, Poetry, PDM, uv.lock) or Pipfile, with a Flask, FastAPI or Django app (or another WSGI/ASGI app)"
    }

    fn detect(&self, dir: Dir<'_>, _options: &Options) -> Result<Outcome, Box<Diagnostic>> {
        let requirements = requirement_files(dir);
        let marker = dir.first_of(MARKERS);
        if requirements.is_empty() && marker.is_none() {
            return Ok(Outcome::Absent);
        }
        let pyproject = match dir.manifest("pyproject.toml")? {
            Some(file) => Some((parse_toml(&file)?, file)),
            None => None,
        };
        let pipfile = match dir.manifest("Pipfile")? {
            Some(file) => Some((parse_toml(&file)?, file)),
            None => None,
        };
        let manifest = requirements
            .first()
            .map(|r| dir.path(r))
            .or_else(|| marker.map(|m| dir.path(m)))
            .unwrap_or_default();

        let mut deps = Deps::default();
        if let Some(chosen) = requirements.first() {
            read_requirements(dir, chosen, &mut deps, 0);
        }
        if let Some((table, file)) = &pyproject {
            pyproject_deps(table, file, &mut deps)?;
        }
        if let Some((table, _)) = &pipfile {
            if let Some(packages) = table.get("packages").and_then(toml::Value::as_table) {
                deps.names.extend(packages.keys().map(|k| normalize(k)));
            }
        }

        let Some(app) = find_app(dir, &deps) else {
            return Ok(Outcome::NotAnApp {
                manifest,
                reason:
                    "no Flask, FastAPI, Django or other WSGI/ASGI app found in the Python sources"
                        .to_owned(),
            });
        };

        let mut p = Proposal::new(
            "python",
            dir,
            Stack::Python,
            format!("{} app", app.framework),
        );
        p.evidence(manifest.clone());
        p.evidence(dir.path(&app.file));
        p.name_hint = pyproject
            .as_ref()
            .and_then(|(t, _)| {
                t.get("project")
                    .or_else(|| t.get("tool").and_then(|t| t.get("poetry")))
            })
            .and_then(|p| p.get("name"))
            .and_then(toml::Value::as_str)
            .map(str::to_owned);

        if let Some((version, source)) = version(dir, pyproject.as_ref().map(|(t, _)| t)) {
            p.set_str(ServiceKey::Version, version, source);
        }
        dependencies(
            dir,
            &mut p,
            &requirements,
            pyproject.as_ref().map(|(t, _)| t),
            pipfile.is_some(),
        )?;
        let (start, source, port) = start_command(dir, &app, &deps, &mut p);
        p.set(ServiceKey::Start, Value::List(start), source);
        if let Some((port, source)) = port {
            p.set(ServiceKey::Port, Value::Int(port), source);
        }
        Ok(Outcome::Found(Box::new(p)))
    }
}

/// Requirement files, the one to install first: `requirements.txt`, then production ones,
/// never development or test ones.
fn requirement_files(dir: Dir<'_>) -> Vec<String> {
    let mut found: Vec<&str> = dir
        .files()
        .filter(|f| {
            let Some(stem) = f.strip_suffix(".txt") else {
                return false;
            };
            let top = stem == "requirements"
                || stem.starts_with("requirements-")
                || stem.starts_with("requirements_");
            let nested = stem
                .strip_prefix("requirements/")
                .is_some_and(|s| !s.contains('/'));
            let excluded = ["dev", "test", "lint", "doc", "ci", "local", "type"]
                .iter()
                .any(|w| {
                    stem.rsplit(['/', '-', '_'])
                        .next()
                        .is_some_and(|last| last.starts_with(w))
                });
            (top || nested) && !excluded
        })
        .collect();
    let rank = |f: &str| -> u8 {
        if f == "requirements.txt" {
            0
        } else if f.contains("prod") {
            1
        } else if ["base", "main", "common", "requirements/requirements"]
            .iter()
            .any(|w| f.contains(w))
        {
            3
        } else {
            2
        }
    };
    found.sort_by_key(|f| (rank(f), *f));
    found.into_iter().map(str::to_owned).collect()
}

#[derive(Debug, Default)]
struct Deps {
    /// Normalised distribution names, extras as `name[extra]` too.
    names: BTreeSet<String>,
    /// Files a requirements file includes with `-r`.
    includes: Vec<String>,
}

impl Deps {
    fn has(&self, name: &str) -> bool {
        self.names.contains(name)
    }
}

fn normalize(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace(['_', '.'], "-")
}

/// Adds a PEP 508 requirement (`fastapi[standard]>=0.110; python_version>"3.8"`).
fn add_requirement(line: &str, deps: &mut Deps) {
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(line.len());
    let name = normalize(&line[..end]);
    if name.is_empty() {
        return;
    }
    if let Some(extras) = line[end..].trim_start().strip_prefix('[') {
        for extra in extras.split(']').next().unwrap_or_default().split(',') {
            deps.names.insert(format!("{name}[{}]", normalize(extra)));
        }
    }
    deps.names.insert(name);
}

fn read_requirements(dir: Dir<'_>, path: &str, deps: &mut Deps, depth: usize) {
    let Some(text) = dir.read(path) else {
        return;
    };
    let base = path.rsplit_once('/').map_or("", |(d, _)| d);
    for line in text.lines() {
        let line = line.split(" #").next().unwrap_or_default().trim();
        if let Some(include) = line
            .strip_prefix("-r ")
            .or_else(|| line.strip_prefix("--requirement "))
        {
            let include = include.trim();
            let include = if base.is_empty() {
                include.to_owned()
            } else {
                format!("{base}/{include}")
            };
            deps.includes.push(include.clone());
            if depth < 3 {
                read_requirements(dir, &include, deps, depth + 1);
            }
        } else if !line.starts_with(['-', '#']) && !line.is_empty() && !line.contains("://") {
            add_requirement(line, deps);
        }
    }
}

fn pyproject_deps(
    table: &toml::Table,
    file: &SourceFile,
    deps: &mut Deps,
) -> Result<(), Box<Diagnostic>> {
    if let Some(list) = table.get("project").and_then(|p| p.get("dependencies")) {
        let Some(list) = list.as_array() else {
            return Err(Box::new(wrong_type(
                file,
                "dependencies",
                "an array of requirement strings",
            )));
        };
        for item in list {
            let Some(req) = item.as_str() else {
                return Err(Box::new(wrong_type(
                    file,
                    "dependencies",
                    "an array of requirement strings",
                )));
            };
            add_requirement(req, deps);
        }
    }
    let poetry = table
        .get("tool")
        .and_then(|t| t.get("poetry"))
        .and_then(|p| p.get("dependencies"));
    if let Some(poetry) = poetry {
        let Some(poetry) = poetry.as_table() else {
            return Err(Box::new(wrong_type(file, "dependencies", "a table")));
        };
        for (name, spec) in poetry {
            let name = normalize(name);
            if let Some(extras) = spec.get("extras").and_then(toml::Value::as_array) {
                for extra in extras.iter().filter_map(toml::Value::as_str) {
                    deps.names.insert(format!("{name}[{}]", normalize(extra)));
                }
            }
            deps.names.insert(name);
        }
    }
    Ok(())
}

/// A committed lock of uv, Poetry, PDM or Pipenv, whose tool exports it at build time: sets
/// `package-manager` and says whether there was one.
fn locked_by_tool(
    dir: Dir<'_>,
    p: &mut Proposal,
    requirements: &[String],
) -> Result<bool, Box<Diagnostic>> {
    for (lock, manifest, pm) in [
        ("uv.lock", "pyproject.toml", "uv"),
        ("poetry.lock", "pyproject.toml", "poetry"),
        ("pdm.lock", "pyproject.toml", "pdm"),
        ("Pipfile.lock", "Pipfile", "pipenv"),
    ] {
        if !dir.exists(lock) {
            continue;
        }
        if !dir.exists(manifest) {
            return Err(Box::new(
                Diagnostic::new(format!("{} has no {manifest} beside it", dir.path(lock))).help(
                    format!("{lock} is read together with {manifest}: commit both"),
                ),
            ));
        }
        p.evidence(dir.path(lock));
        p.set_str(ServiceKey::PackageManager, pm, dir.path(lock));
        if let Some(first) = requirements.first() {
            p.alternatives.push(format!("pip with {}", dir.path(first)));
        }
        return Ok(true);
    }
    Ok(false)
}

/// Writes `package-manager` and `lockfile`, or explains what mbgen needs.
fn dependencies(
    dir: Dir<'_>,
    p: &mut Proposal,
    requirements: &[String],
    pyproject: Option<&toml::Table>,
    pipfile: bool,
) -> Result<(), Box<Diagnostic>> {
    let tool = |name: &str| {
        pyproject
            .and_then(|t| t.get("tool"))
            .and_then(|t| t.get(name))
            .is_some()
    };
    if locked_by_tool(dir, p, requirements)? {
        return Ok(());
    }
    if let Some(first) = requirements.first() {
        p.evidence(dir.path(first));
        p.set_str(ServiceKey::PackageManager, "pip", dir.path(first));
        if first != "requirements.txt" {
            let mut source = "the requirements file for production".to_owned();
            if requirements.len() > 1 {
                source = format!("{source}; also found: {}", requirements[1..].join(", "));
            }
            p.set_str(ServiceKey::Lockfile, first, source);
        }
        let deps_includes = {
            let mut d = Deps::default();
            read_requirements(dir, first, &mut d, 0);
            d.includes
        };
        // The image copies the folder of a requirements file in a folder, so includes beside it
        // come along; anything else is left behind.
        let folder = first.rsplit_once('/').map(|(d, _)| format!("{d}/"));
        let outside: Vec<&String> = deps_includes
            .iter()
            .filter(|i| folder.as_ref().is_none_or(|f| !i.starts_with(f.as_str())))
            .collect();
        if !outside.is_empty() {
            let copied = folder
                .as_ref()
                .map_or_else(|| first.to_owned(), |f| format!("the folder {f}"));
            p.note(format!(
                "{first} includes {} with `-r`; the dependency layer copies only {copied}, so list every requirement in it (for example with `pip-compile`)",
                outside.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        return Ok(());
    }
    let (what, file, export) = if tool("poetry") {
        (
            "Poetry without a committed poetry.lock",
            "pyproject.toml",
            "poetry lock",
        )
    } else if tool("pdm") {
        (
            "PDM without a committed pdm.lock",
            "pyproject.toml",
            "pdm lock",
        )
    } else if pipfile {
        (
            "Pipenv without a committed Pipfile.lock",
            "Pipfile",
            "pipenv lock",
        )
    } else if pyproject.is_some() {
        (
            "pyproject.toml without a lockfile",
            "pyproject.toml",
            "uv lock\n\n    or: pip-compile pyproject.toml --output-file requirements.txt",
        )
    } else {
        (
            "setup.py without a lockfile",
            "setup.py",
            "pip-compile setup.py --output-file requirements.txt",
        )
    };
    let who = if dir.base().is_empty() {
        "this project"
    } else {
        dir.base()
    };
    Err(Box::new(
        Diagnostic::new(format!(
            "{who} uses {what}, and mbgen installs Python dependencies from a lockfile (uv.lock, poetry.lock, pdm.lock, Pipfile.lock) or a requirements file"
        ))
        .in_file(std::path::Path::new(&dir.path(file)))
        .help(format!(
            "lock the dependencies and commit the lockfile, then run `mbgen init` again:\n\n    {export}\n"
        )),
    ))
}

fn version(dir: Dir<'_>, pyproject: Option<&toml::Table>) -> Option<(String, String)> {
    if let Some(text) = dir.read(".python-version") {
        let line = text.lines().next().unwrap_or_default().trim().to_owned();
        if line.starts_with(|c: char| c.is_ascii_digit()) {
            if let Some(v) = major_minor(&line) {
                return Some((v, format!(".python-version ({line})")));
            }
        }
    }
    if let Some(text) = dir.read("runtime.txt") {
        let line = text.trim().to_owned();
        if let Some(v) = major_minor(&line) {
            return Some((v, format!("runtime.txt ({line})")));
        }
    }
    if let Some(text) = dir.read(".tool-versions") {
        for line in text.lines() {
            let mut words = line.split_whitespace();
            if words.next() == Some("python") {
                if let Some(v) = words.next().and_then(major_minor) {
                    return Some((v.clone(), format!(".tool-versions (python {v})")));
                }
            }
        }
    }
    let requires = pyproject.and_then(|t| {
        t.get("project")
            .and_then(|p| p.get("requires-python"))
            .map(|v| ("requires-python", v))
            .or_else(|| {
                t.get("tool")
                    .and_then(|t| t.get("poetry"))
                    .and_then(|p| p.get("dependencies"))
                    .and_then(|d| d.get("python"))
                    .map(|v| ("tool.poetry.dependencies.python", v))
            })
    });
    if let Some((key, spec)) = requires.and_then(|(k, v)| v.as_str().map(|s| (k, s))) {
        if let Some(v) = python_lower_bound(spec) {
            return Some((
                v,
                format!("{key} \"{spec}\" in pyproject.toml (its lower bound)"),
            ));
        }
    }
    None
}

/// A WSGI or ASGI application object.
#[derive(Debug)]
struct App {
    framework: &'static str,
    /// The file that defines it, relative to the service.
    file: String,
    /// `package.module:attribute`, as gunicorn and uvicorn take it.
    target: String,
    /// The directory to import from, when the code lives under `src/`.
    import_dir: Option<String>,
    asgi: bool,
}

const APP_CONSTRUCTORS: &[(&str, &str, bool)] = &[
    ("FastAPI(", "FastAPI", true),
    ("Starlette(", "Starlette", true),
    ("Litestar(", "Litestar", true),
    ("Quart(", "Quart", true),
    ("Flask(", "Flask", false),
    ("Falcon(", "Falcon", false),
    ("falcon.App(", "Falcon", false),
    ("Bottle(", "Bottle", false),
];

fn module_of(file: &str) -> (String, Option<String>) {
    let (import_dir, rest) = match file.strip_prefix("src/") {
        Some(rest) => (Some("src".to_owned()), rest),
        None => (None, file),
    };
    let module = rest.strip_suffix(".py").unwrap_or(rest);
    let module = module.strip_suffix("/__init__").unwrap_or(module);
    (module.replace('/', "."), import_dir)
}

fn find_app(dir: Dir<'_>, deps: &Deps) -> Option<App> {
    if let Some(django) = django(dir) {
        return Some(django);
    }
    let sources = dir.sources(&["py"]);
    for path in sources.iter().take(400) {
        let Some(text) = dir.read(path) else {
            continue;
        };
        for line in text.lines() {
            let trimmed = line.trim_end();
            // Top-level assignments only: `app = Flask(__name__)`.
            if trimmed.starts_with([' ', '\t']) {
                continue;
            }
            for (ctor, framework, asgi) in APP_CONSTRUCTORS {
                let Some((lhs, rhs)) = trimmed.split_once('=') else {
                    continue;
                };
                let rhs = rhs.trim_start();
                let called = rhs.starts_with(ctor)
                    || rhs
                        .split_once('.')
                        .is_some_and(|(_, r)| r.starts_with(ctor));
                let lhs = lhs.split(':').next().unwrap_or_default().trim();
                if called
                    && !lhs.is_empty()
                    && lhs.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    let (module, import_dir) = module_of(path);
                    return Some(App {
                        framework,
                        file: (*path).to_owned(),
                        target: format!("{module}:{lhs}"),
                        import_dir,
                        asgi: *asgi,
                    });
                }
            }
        }
        // An application factory.
        if deps.has("flask") && text.contains("def create_app(") && text.contains("Flask(") {
            let (module, import_dir) = module_of(path);
            return Some(App {
                framework: "Flask",
                file: (*path).to_owned(),
                target: format!("{module}:create_app()"),
                import_dir,
                asgi: false,
            });
        }
    }
    None
}

/// A Django project: `manage.py` names the settings module; its package holds wsgi.py.
fn django(dir: Dir<'_>) -> Option<App> {
    let manage = dir.read("manage.py")?;
    let settings = manage
        .split("DJANGO_SETTINGS_MODULE")
        .nth(1)?
        .split(['"', '\''])
        .nth(2)?
        .to_owned();
    let package = settings
        .rsplit_once('.')
        .map_or(settings.as_str(), |(p, _)| p);
    let package_dir = package.replace('.', "/");
    let wsgi = format!("{package_dir}/wsgi.py");
    let asgi = format!("{package_dir}/asgi.py");
    let (file, target, asgi) = if dir.exists(&wsgi) {
        (wsgi, format!("{package}.wsgi:application"), false)
    } else if dir.exists(&asgi) {
        (asgi, format!("{package}.asgi:application"), true)
    } else {
        return None;
    };
    Some(App {
        framework: "Django",
        file,
        target,
        import_dir: None,
        asgi,
    })
}

/// The start command: the app under the production server its dependencies provide.
fn start_command(
    dir: Dir<'_>,
    app: &App,
    deps: &Deps,
    p: &mut Proposal,
) -> (Vec<String>, String, Option<(u16, String)>) {
    let uvicorn = deps.has("uvicorn") || deps.has("fastapi[standard]") || deps.has("fastapi[all]");
    let gunicorn = deps.has("gunicorn");
    let words = |list: &[&str]| {
        list.iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<String>>()
    };
    let target = app.target.clone();
    let django_asgi = app.framework == "Django"
        && uvicorn
        && !gunicorn
        && dir.exists(&app.file.replace("wsgi.py", "asgi.py"));
    if app.asgi || django_asgi {
        let target = if django_asgi {
            target.replace(".wsgi:", ".asgi:")
        } else {
            target
        };
        return asgi_command(dir, app, &target, uvicorn, gunicorn, p);
    }
    if gunicorn {
        let mut cmd = words(&["gunicorn"]);
        let mut port = None;
        let conf = dir.first_of(&["gunicorn.conf.py"]);
        if let Some(conf) = conf {
            p.evidence(dir.path(conf));
            port = dir
                .read(conf)
                .and_then(|t| find_port(&t))
                .map(|(port, line)| (port, format!("`{line}` in {}", dir.path(conf))));
        } else {
            cmd.extend(words(&["--bind", "0.0.0.0:8080"]));
        }
        if let Some(d) = &app.import_dir {
            cmd.extend(words(&["--chdir", d]));
        }
        cmd.push(target.clone());
        let source = match conf {
            Some(conf) => format!(
                "{target} in {}, served by gunicorn (a dependency) with the settings of {conf}",
                dir.path(&app.file)
            ),
            None => format!(
                "{target} in {}, served by gunicorn (a dependency) on mbgen's default port",
                dir.path(&app.file)
            ),
        };
        return (cmd, source, port);
    }
    if deps.has("waitress") {
        let cmd = words(&["waitress-serve", "--listen=0.0.0.0:8080", &target]);
        let source = format!(
            "{target} in {}, served by waitress (a dependency)",
            dir.path(&app.file)
        );
        return (cmd, source, None);
    }
    p.note(format!(
        "no production server (gunicorn, uvicorn, waitress) among the dependencies: add gunicorn, then use `start = [\"gunicorn\", \"--bind\", \"0.0.0.0:8080\", \"{target}\"]`"
    ));
    if app.framework == "Django" {
        let cmd = words(&["python", "manage.py", "runserver", "0.0.0.0:8080"]);
        return (
            cmd,
            "Django's development server, for want of gunicorn".to_owned(),
            None,
        );
    }
    if app.framework == "Flask" {
        let module = target.split(':').next().unwrap_or_default().to_owned();
        let cmd = words(&[
            "flask", "--app", &module, "run", "--host", "0.0.0.0", "--port", "8080",
        ]);
        return (
            cmd,
            "Flask's development server, for want of gunicorn".to_owned(),
            None,
        );
    }
    let cmd = words(&["python", &app.file]);
    (
        cmd,
        format!("{} run directly, for want of a server", app.file),
        None,
    )
}

/// uvicorn serving an ASGI app.
fn asgi_command(
    dir: Dir<'_>,
    app: &App,
    target: &str,
    uvicorn: bool,
    gunicorn: bool,
    p: &mut Proposal,
) -> (Vec<String>, String, Option<(u16, String)>) {
    let words = |list: &[&str]| {
        list.iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<String>>()
    };
    if gunicorn && uvicorn {
        p.alternatives
            .push("gunicorn with uvicorn workers (`-k uvicorn.workers.UvicornWorker`)".to_owned());
    }
    if !uvicorn {
        p.note(format!(
            "{} is an ASGI app, and no ASGI server is among the dependencies: add uvicorn to them",
            app.framework
        ));
    }
    let mut cmd = words(&["uvicorn", target, "--host", "0.0.0.0", "--port", "8080"]);
    if let Some(d) = &app.import_dir {
        cmd.extend(words(&["--app-dir", d]));
    }
    let source = format!(
        "{} in {}, served by uvicorn{} on mbgen's default port",
        target,
        dir.path(&app.file),
        if uvicorn { " (a dependency)" } else { "" }
    );
    (cmd, source, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::fs::MemFs;

    fn run(files: &[(&str, &str)]) -> Result<Outcome, Box<Diagnostic>> {
        let fs = MemFs::new(files.iter().copied());
        Python.detect(Dir::new(&fs, ""), &Options::default())
    }

    fn found(files: &[(&str, &str)]) -> Proposal {
        match run(files).unwrap() {
            Outcome::Found(p) => *p,
            other => panic!("{other:?}"),
        }
    }

    fn start(p: &Proposal) -> Vec<String> {
        match p.get(ServiceKey::Start) {
            Some(Value::List(l)) => l.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flask_with_gunicorn() {
        let p = found(&[
            ("requirements.txt", "Flask==3.0\ngunicorn>=21  # server\n"),
            ("app.py", "from flask import Flask\napp = Flask(__name__)\n"),
        ]);
        assert_eq!(start(&p), ["gunicorn", "--bind", "0.0.0.0:8080", "app:app"]);
        assert_eq!(
            p.get(ServiceKey::PackageManager),
            Some(&Value::Str("pip".into()))
        );
    }

    #[test]
    fn fastapi_under_src_with_uv() {
        let p = found(&[
            ("pyproject.toml", "[project]\nname = \"api\"\nrequires-python = \">=3.12\"\ndependencies = [\"fastapi[standard]>=0.115\"]\n"),
            ("uv.lock", "version = 1\n"),
            ("src/api/main.py", "from fastapi import FastAPI\n\napp: FastAPI = FastAPI()\n"),
        ]);
        assert_eq!(
            start(&p),
            [
                "uvicorn",
                "api.main:app",
                "--host",
                "0.0.0.0",
                "--port",
                "8080",
                "--app-dir",
                "src"
            ]
        );
        assert_eq!(p.get(ServiceKey::Version), Some(&Value::Str("3.12".into())));
        assert_eq!(
            p.get(ServiceKey::PackageManager),
            Some(&Value::Str("uv".into()))
        );
    }

    #[test]
    fn django_wsgi() {
        let p = found(&[
            ("requirements/prod.txt", "django\ngunicorn\n"),
            ("requirements/dev.txt", "pytest\n"),
            (
                "manage.py",
                "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n",
            ),
            ("mysite/wsgi.py", "application = get_wsgi_application()\n"),
        ]);
        assert_eq!(
            start(&p),
            [
                "gunicorn",
                "--bind",
                "0.0.0.0:8080",
                "mysite.wsgi:application"
            ]
        );
        assert_eq!(
            p.get(ServiceKey::Lockfile),
            Some(&Value::Str("requirements/prod.txt".into()))
        );
    }

    #[test]
    fn poetry_without_a_lockfile_is_explained() {
        let e = run(&[
            (
                "pyproject.toml",
                "[tool.poetry]\nname = \"x\"\n[tool.poetry.dependencies]\nflask = \"^3\"\n",
            ),
            ("app.py", "app = Flask(__name__)\n"),
        ])
        .unwrap_err();
        assert!(e.message.contains("Poetry"), "{}", e.message);
        assert!(e.help.unwrap().contains("poetry lock"));
    }

    #[test]
    fn poetry_pdm_and_pipenv_locks_are_used() {
        for (files, pm) in [
            (
                vec![
                    (
                        "pyproject.toml",
                        "[tool.poetry]\nname = \"x\"\n[tool.poetry.dependencies]\nflask = \"^3\"\n",
                    ),
                    ("poetry.lock", "# poetry\n"),
                ],
                "poetry",
            ),
            (
                vec![
                    (
                        "pyproject.toml",
                        "[project]\nname = \"x\"\ndependencies = [\"flask\"]\n",
                    ),
                    ("pdm.lock", "# pdm\n"),
                ],
                "pdm",
            ),
            (
                vec![
                    ("Pipfile", "[packages]\nflask = \"*\"\n"),
                    ("Pipfile.lock", "{}\n"),
                ],
                "pipenv",
            ),
        ] {
            let mut files = files;
            files.push(("app.py", "from flask import Flask\napp = Flask(__name__)\n"));
            let p = found(&files);
            assert_eq!(
                p.get(ServiceKey::PackageManager),
                Some(&Value::Str(pm.into())),
                "{pm}"
            );
        }
        let e = run(&[
            ("poetry.lock", "# poetry\n"),
            ("app.py", "app = Flask(__name__)\n"),
            ("requirements.txt", "flask\n"),
        ])
        .unwrap_err();
        assert!(e.message.contains("no pyproject.toml"), "{}", e.message);
    }

    #[test]
    fn broken_pyproject_points_at_the_line() {
        let e = run(&[("pyproject.toml", "[project]\nname = \"x\n")]).unwrap_err();
        let (file, span) = e.location.unwrap();
        assert_eq!(file.line_col(span.start).0, 2);
    }

    #[test]
    fn library_is_not_an_app() {
        assert!(matches!(
            run(&[
                ("pyproject.toml", "[project]\nname = \"lib\"\n"),
                ("lib/__init__.py", "")
            ])
            .unwrap(),
            Outcome::NotAnApp { .. }
        ));
        assert!(matches!(run(&[("main.go", "")]).unwrap(), Outcome::Absent));
    }
}
