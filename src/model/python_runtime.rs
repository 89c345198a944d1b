//! `runtime = "distroless"` for python: Debian's own Python in Google's distroless image, with
//! no shell and no pip. What the build stage installs must load in that Python, so its minor
//! version must be the builder's; and the commands, which cannot be the scripts pip writes
//! (their first line names the builder's Python), run as modules of the image's Python.

use super::defaults::DISTROLESS_PYTHON;
use super::resolve::Resolver;
use super::Runtime;
use crate::spec::{Family, RuntimeBase};

/// The Python of the distroless images.
pub(crate) const DISTROLESS_PYTHON_BIN: &str = "/usr/bin/python3";

/// The servers and tools whose scripts pip installs, and the module that runs each.
const MODULES: &[(&str, &str)] = &[
    ("celery", "celery"),
    ("daphne", "daphne"),
    ("fastapi", "fastapi"),
    ("flask", "flask"),
    ("granian", "granian"),
    ("gunicorn", "gunicorn"),
    ("hypercorn", "hypercorn"),
    ("locust", "locust"),
    ("uvicorn", "uvicorn"),
    ("waitress-serve", "waitress"),
];

/// `command` for the distroless Python: `python` becomes the image's Python, a known script
/// its module (`gunicorn ...` → `/usr/bin/python3 -m gunicorn ...`); anything else is an
/// error saying why.
pub(crate) fn module_command(command: &[String]) -> Result<Vec<String>, String> {
    let Some((first, rest)) = command.split_first() else {
        return Ok(Vec::new());
    };
    let program = first.rsplit('/').next().unwrap_or(first);
    let is_python = program == "python"
        || program
            .strip_prefix("python3")
            .is_some_and(|v| v.is_empty() || v.starts_with('.'));
    let mut out = vec![DISTROLESS_PYTHON_BIN.to_owned()];
    if is_python {
        out.extend(rest.iter().cloned());
        return Ok(out);
    }
    let Some((_, module)) = MODULES.iter().find(|(script, _)| *script == program) else {
        return Err(format!(
            "the distroless Python image has no shell and runs only its Python, and the command runs `{first}`"
        ));
    };
    out.extend(["-m".to_owned(), (*module).to_owned()]);
    out.extend(rest.iter().cloned());
    Ok(out)
}

impl Resolver<'_> {
    /// python: Python's own image, or distroless (see [`Self::distroless_minor`]).
    pub(super) fn python_runtime(&mut self) -> Runtime {
        match self.spec.runtime {
            None => Runtime::Language,
            Some(RuntimeBase::Distroless) => Runtime::Distroless,
            Some(other) => {
                self.error(
                    &["runtime"],
                    format!(
                        "`runtime = \"{}\"` does not apply to python",
                        other.as_str()
                    ),
                    "remove it for Python's own image, or use `distroless`",
                );
                Runtime::Language
            }
        }
    }

    /// The `major.minor` of the distroless image's Python, checked against the builder's; and
    /// the refusals of what that image cannot do (alpine's packages, `writable-dirs`).
    pub(super) fn distroless_minor(&mut self) -> String {
        let spec = self.spec;
        if spec.family == Some(Family::Alpine) {
            self.error(
                &["family"],
                "the distroless Python image is Debian's: packages built on alpine (musl) do not load in it",
                "remove `family`, or remove `runtime` for Python's alpine image",
            );
        }
        if !spec.writable_dirs.is_empty() {
            self.error(
                &["writable-dirs"],
                "the distroless Python image has no shell to give the directories of `writable-dirs` to its user",
                "keep the data outside the image (a volume, or a path under /tmp), or remove `runtime`",
            );
        }
        let image = spec.images.as_ref().and_then(|i| i.runtime.as_ref());
        let known = match image {
            None => Some(DISTROLESS_PYTHON[0]),
            Some(image) => {
                let name = image.to_string();
                DISTROLESS_PYTHON
                    .iter()
                    .find(|(repo, _)| name.split([':', '@']).next() == Some(*repo))
                    .copied()
            }
        };
        // An image of one's own: its Python is not known, so its minor version cannot be
        // checked; the packages' folder follows the builder's version.
        let builder = self.version();
        let builder_minor: String = builder.split('.').take(2).collect::<Vec<_>>().join(".");
        let Some((repo, minor)) = known else {
            return builder_minor;
        };
        if builder_minor != minor {
            let key: &[&str] = if spec.version.is_some() {
                &["version"]
            } else {
                &["runtime"]
            };
            self.error(
                key,
                format!(
                    "{repo} runs Python {minor}, and the packages are built with Python {builder_minor}: compiled packages load only in the Python that built them"
                ),
                format!("set `version = \"{minor}\"`, or remove `runtime` for Python's own image"),
            );
        }
        minor.to_owned()
    }

    /// A command of the service, as the distroless Python runs it; `key` is where it is
    /// written, for the error.
    pub(super) fn distroless_python_command(
        &mut self,
        key: &[&str],
        command: Vec<String>,
    ) -> Vec<String> {
        match module_command(&command) {
            Ok(c) => c,
            Err(message) => {
                let modules: Vec<&str> = MODULES.iter().map(|(s, _)| *s).collect();
                self.error(
                    key,
                    message,
                    format!(
                        "start it with `python` (`[\"python\", \"-m\", \"<module>\", ...]`; {} are changed to that form for you), or remove `runtime`",
                        modules.join(", ")
                    ),
                );
                command
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::module_command;

    fn run(args: &[&str]) -> Result<Vec<String>, String> {
        module_command(&args.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn scripts_become_modules_of_the_image_python() {
        assert_eq!(
            run(&["gunicorn", "--bind", "0.0.0.0:8080", "app:app"]).unwrap(),
            [
                "/usr/bin/python3",
                "-m",
                "gunicorn",
                "--bind",
                "0.0.0.0:8080",
                "app:app"
            ]
        );
        assert_eq!(
            run(&["waitress-serve", "app:app"]).unwrap(),
            ["/usr/bin/python3", "-m", "waitress", "app:app"]
        );
        assert_eq!(
            run(&["python3.13", "server.py"]).unwrap(),
            ["/usr/bin/python3", "server.py"]
        );
        assert!(run(&["uwsgi", "--ini", "uwsgi.ini"])
            .unwrap_err()
            .contains("`uwsgi`"));
        assert!(run(&["sh", "-c", "serve"]).is_err());
    }
}
