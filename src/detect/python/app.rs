//! The WSGI or ASGI app, and the command of the server that runs it.

use super::dependencies::Deps;
use crate::detect::text::find_port;
use crate::detect::{Dir, Proposal};

/// A WSGI or ASGI application object.
#[derive(Debug)]
pub(super) struct App {
    pub(super) framework: &'static str,
    /// The file that defines it, relative to the service.
    pub(super) file: String,
    /// `package.module:attribute`, as gunicorn and uvicorn take it.
    pub(super) target: String,
    /// The directory to import from, when the code lives under `src/`.
    pub(super) import_dir: Option<String>,
    pub(super) asgi: bool,
}

pub(super) const APP_CONSTRUCTORS: &[(&str, &str, bool)] = &[
    ("FastAPI(", "FastAPI", true),
    ("Starlette(", "Starlette", true),
    ("Litestar(", "Litestar", true),
    ("Quart(", "Quart", true),
    ("Flask(", "Flask", false),
    ("Falcon(", "Falcon", false),
    ("falcon.App(", "Falcon", false),
    ("Bottle(", "Bottle", false),
];

pub(super) fn module_of(file: &str) -> (String, Option<String>) {
    let (import_dir, rest) = match file.strip_prefix("src/") {
        Some(rest) => (Some("src".to_owned()), rest),
        None => (None, file),
    };
    let module = rest.strip_suffix(".py").unwrap_or(rest);
    let module = module.strip_suffix("/__init__").unwrap_or(module);
    (module.replace('/', "."), import_dir)
}

pub(super) fn find_app(dir: Dir<'_>, deps: &Deps) -> Option<App> {
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
pub(super) fn django(dir: Dir<'_>) -> Option<App> {
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
pub(super) fn start_command(
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
pub(super) fn asgi_command(
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
