//! Python: the dependency files (a requirements file or `uv.lock`, which mbgen installs
//! from), the Python version, and the WSGI or ASGI app with the server that runs it.
//!
//! [`dependencies`] reads what the image installs from and the Python version; [`app`] finds
//! the WSGI or ASGI app and the server that runs it; [`storage`] where it keeps a `SQLite`
//! database.

mod app;
mod dependencies;
pub(crate) mod native;
mod service;
mod storage;
mod wheels;

use crate::detect::compiled::set_found;
use crate::detect::{Detector, Dir, Options, Outcome, Proposal, Value};
use crate::diagnostic::Diagnostic;
use crate::manifest::source::parse_toml;
use crate::spec::{ServiceKey, Stack};
use app::{find_app, start_command};
use dependencies::{
    dependencies, normalize, pyproject_deps, read_requirements, requirement_files, version, Deps,
};

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

    // The detector's steps in the order it reports them (dependencies, app, start, port, notes): the sequence is the logic.
    #[allow(clippy::too_many_lines)]
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

        let app = find_app(dir, &deps);
        let other = if app.is_none() {
            service::find(dir, &deps)
        } else {
            None
        };
        if app.is_none() && other.is_none() {
            return Ok(Outcome::NotAnApp {
                manifest,
                reason:
                    "no Flask, FastAPI, Django or other WSGI/ASGI app, and no gRPC server, worker or server script found in the Python sources"
                        .to_owned(),
            });
        }
        let summary = match (&app, &other) {
            (Some(app), _) => format!("{} app", app.framework),
            (None, Some(s)) => s.summary.to_owned(),
            (None, None) => unreachable!("one of them is found"),
        };
        let mut p = Proposal::new("python", dir, Stack::Python, summary);
        p.evidence(manifest.clone());
        if let Some(file) = app
            .as_ref()
            .map(|a| &a.file)
            .or(other.as_ref().map(|s| &s.file))
        {
            p.evidence(dir.path(file));
        }
        p.name_hint = pyproject
            .as_ref()
            .and_then(|(t, _)| {
                t.get("project")
                    .or_else(|| t.get("tool").and_then(|t| t.get("poetry")))
            })
            .and_then(|p| p.get("name"))
            .and_then(toml::Value::as_str)
            .map(str::to_owned);

        let picked = version(
            dir,
            pyproject.as_ref().map(|(t, _)| t),
            pipfile.as_ref().map(|(t, _)| t),
        );
        match fit_to_wheels(dir, picked) {
            Some((picked, source)) => p.set_version(picked, &source),
            None => old_pins_note(dir, &requirements, &mut p),
        }
        dependencies(
            dir,
            &mut p,
            &requirements,
            pyproject.as_ref().map(|(t, _)| t),
            pipfile.is_some(),
        )?;
        native_packages(&deps, &mut p);
        let settings = app
            .as_ref()
            .and_then(|a| a.settings.as_ref())
            .map(|(module, _)| app::module_file(module));
        match (app, other) {
            (Some(app), _) => web_app(dir, &app, &deps, &mut p),
            (None, Some(s)) => {
                p.set(ServiceKey::Start, Value::List(s.start), s.source);
                if let Some(protocol) = s.protocol {
                    p.set_str(ServiceKey::Protocol, protocol, "not an HTTP server");
                }
                if let Some((port, source)) = s.port {
                    p.set(ServiceKey::Port, Value::Int(port), source);
                }
            }
            (None, None) => {}
        }
        let sqlite = storage::sqlite_dirs(dir, &dir.sources(&["py"]), settings.as_deref());
        set_found(
            &mut p,
            ServiceKey::WritableDirs,
            &sqlite,
            "a SQLite database is written there",
        );
        Ok(Outcome::Found(Box::new(p)))
    }
}

/// The web app's start command and port, its Django settings and static files, and a
/// Celery app beside it as a worker process.
fn web_app(dir: Dir<'_>, app: &app::App, deps: &Deps, p: &mut Proposal) {
    let (start, source, port) = start_command(dir, app, deps, p);
    p.set(ServiceKey::Start, Value::List(start), source);
    if let Some((port, source)) = port {
        p.set(ServiceKey::Port, Value::Int(port), source);
    }
    let settings = app.settings.as_ref();
    if let Some((module, why)) = settings {
        let env = std::collections::BTreeMap::from([(
            "DJANGO_SETTINGS_MODULE".to_owned(),
            module.clone(),
        )]);
        p.set(ServiceKey::Env, Value::Map(env), why.clone());
    }
    if let Some(secret) = &app.collectstatic {
        let settings_env =
            settings.map_or_else(String::new, |(m, _)| format!("DJANGO_SETTINGS_MODULE={m} "));
        let line = format!(
            "RUN {settings_env}{secret}=collectstatic-only-not-a-secret python manage.py collectstatic --noinput"
        );
        p.set(
            ServiceKey::Instructions,
            Value::Lists(std::collections::BTreeMap::from([("runtime".to_owned(), vec![line])])),
            format!("the settings set STATIC_ROOT: static files are collected into the image, with a throwaway {secret} that exists only during that step"),
        );
    }
    if let Some((worker, file)) = service::celery_worker(dir, deps) {
        p.set(
            ServiceKey::Processes,
            Value::Lists(std::collections::BTreeMap::from([(
                "worker".to_owned(),
                worker,
            )])),
            format!("worker: the Celery app in {file}"),
        );
    }
}

/// Packages that compile from source: the build and runtime system packages they need.
fn native_packages(deps: &Deps, p: &mut Proposal) {
    let Some((build, runtime, why)) = native::system_packages(|n| deps.has(n)) else {
        return;
    };
    let mut lists = std::collections::BTreeMap::new();
    if !build.is_empty() {
        lists.insert("build".to_owned(), build);
    }
    if !runtime.is_empty() {
        lists.insert("runtime".to_owned(), runtime);
    }
    p.set(
        ServiceKey::SystemPackages,
        Value::Lists(lists),
        format!(
            "{} compile{} from source: compilers and headers to build, only the libraries at run time",
            why.join(", "),
            if why.len() == 1 { "s" } else { "" }
        ),
    );
}

/// The version picked (or the default when none is), lowered to the newest one the lockfile
/// has wheels of every compiled package for: a lock's old `pydantic-core` has no wheel for
/// the newest Python, and compiling it needs a Rust toolchain the image lacks.
fn fit_to_wheels(
    dir: Dir<'_>,
    picked: Option<(crate::versions::Picked, String)>,
) -> Option<(crate::versions::Picked, String)> {
    let Some(limit) = wheels::limit(dir) else {
        return picked;
    };
    let lang = crate::versions::Lang::Python;
    let wanted = picked
        .as_ref()
        .map_or(lang.default(), |(p, _)| p.version.as_str())
        .to_owned();
    let minor = |v: &str| v.strip_prefix("3.").and_then(|m| m.parse::<u32>().ok());
    if minor(&wanted).is_some_and(|m| limit.minors.contains(&m)) {
        return picked;
    }
    let fits = lang.supported().iter().rev().find(|v| {
        minor(v).is_some_and(|m| limit.minors.contains(&m) && Some(m) < minor(&wanted))
    })?;
    let newest = limit.minors.last().copied().unwrap_or_default();
    Some((
        crate::versions::Picked {
            version: (*fits).to_owned(),
            how: format!(
                "the newest Python its locked `{}` has wheels for (3.{newest}; {wanted} would compile it from source)",
                limit.package
            ),
            note: None,
        },
        picked.map_or(limit.lockfile.clone(), |(_, source)| format!("{source}, and {}", limit.lockfile)),
    ))
}

/// Pins of old releases with no Python version said: the default Python may be too new. A
/// pin known to lack wheels for it picks the version it has them for.
fn old_pins_note(dir: Dir<'_>, requirements: &[String], p: &mut Proposal) {
    const OLD: &[&str] = &[
        "django==1.",
        "django==2.",
        "flask==0.",
        "psycopg2==2.7",
        "numpy==1.",
        // wheels for Python 3.13 came with 2.9.10
        "psycopg2-binary==2.8.",
        "psycopg2-binary==2.9.0",
        "psycopg2-binary==2.9.1",
        "psycopg2-binary==2.9.2",
        "psycopg2-binary==2.9.3",
        "psycopg2-binary==2.9.4",
        "psycopg2-binary==2.9.5",
        "psycopg2-binary==2.9.6",
        "psycopg2-binary==2.9.7",
        "psycopg2-binary==2.9.8",
        "psycopg2-binary==2.9.9",
    ];
    let Some(first) = requirements.first() else {
        return;
    };
    // The file and what it includes with `-r`.
    let mut files = vec![first.clone()];
    let mut seen: Vec<String> = Vec::new();
    let mut text = String::new();
    while let Some(file) = files.pop() {
        if seen.contains(&file) || seen.len() > 8 {
            continue;
        }
        let Some(body) = dir.read(&file) else {
            continue;
        };
        let base = file.rsplit_once('/').map_or("", |(d, _)| d);
        for include in body.lines().filter_map(|l| l.trim().strip_prefix("-r ")) {
            files.push(if base.is_empty() {
                include.trim().to_owned()
            } else {
                format!("{base}/{}", include.trim())
            });
        }
        seen.push(file);
        text.push_str(&body);
        text.push('\n');
    }
    let lower = text.to_ascii_lowercase();
    if let Some(pin) = lower.lines().find(|l| {
        // `name==1.` is a prefix; a full version is the whole pin (2.9.1 is not 2.9.10)
        let pin = l.split([';', '#', ' ']).next().unwrap_or_default().trim();
        OLD.iter().any(|o| {
            if o.ends_with('.') {
                pin.starts_with(o)
            } else {
                pin == *o
            }
        })
    }) {
        let pin = pin.trim();
        // A compiled package whose wheels stop at 3.12: on 3.13 pip builds it from source,
        // which needs pg_config and a compiler the image lacks.
        if pin.starts_with("psycopg2-binary==") {
            p.set_str(
                ServiceKey::Version,
                "3.12".to_owned(),
                format!(
                    "{} pins `{pin}`, whose wheels stop at Python 3.12 (3.13 would compile it from source)",
                    dir.path(first)
                ),
            );
            return;
        }
        p.note(format!(
            "{} (with what it includes) pins `{}` and nothing says which Python it runs on: the default Python ({}) may be newer than it supports; pin one in .python-version",
            dir.path(first),
            pin,
            crate::versions::Lang::Python.default()
        ));
    }
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

    #[test]
    fn a_lock_of_compiled_packages_without_wheels_for_the_newest_python_lowers_the_version() {
        let lock = "version = 1\n\n[[package]]\nname = \"fastapi\"\nversion = \"0.112.1\"\nwheels = [{ url = \"https://x/fastapi-0.112.1-py3-none-any.whl\" }]\n\n[[package]]\nname = \"pydantic-core\"\nversion = \"2.20.1\"\nwheels = [\n  { url = \"https://x/pydantic_core-2.20.1-cp311-cp311-manylinux_2_17_x86_64.whl\" },\n  { url = \"https://x/pydantic_core-2.20.1-cp312-cp312-manylinux_2_17_x86_64.whl\" },\n  { url = \"https://x/pydantic_core-2.20.1-cp313-cp313-macosx_11_0_arm64.whl\" },\n]\n";
        let p = found(&[
            ("pyproject.toml", "[project]\nname = \"api\"\nrequires-python = \">=3.11\"\ndependencies = [\"fastapi\"]\n"),
            ("uv.lock", lock),
            ("main.py", "from fastapi import FastAPI\napp = FastAPI()\n"),
        ]);
        assert!(
            matches!(p.get(ServiceKey::Version), Some(Value::Str(v)) if v == "3.12"),
            "{:?}",
            p.get(ServiceKey::Version)
        );
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
        assert_eq!(p.get(ServiceKey::Version), Some(&Value::Str("3.14".into())));
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
