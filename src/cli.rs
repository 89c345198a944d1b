//! The command line: clap types only. Doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Turn a short mbgen.toml into cache-friendly, multi-stage Dockerfiles.
///
/// mbgen reads mbgen.toml and writes a Dockerfile and a .dockerignore per service: builder
/// stages for tools and dependencies, a small final image running as an unprivileged user,
/// dependencies installed before the sources are copied, and package-manager caches in
/// BuildKit cache mounts.
#[derive(Debug, Parser)]
#[command(
    name = "mbgen",
    // the version and the commit it was built from (build.rs)
    version = env!("MBGEN_VERSION"),
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write an mbgen.toml for an existing project, from what its files show.
    ///
    /// init reads the project's own files (package.json and its lockfile, go.mod, pyproject.toml,
    /// requirements files, Cargo.toml, version files such as .nvmrc) and never the tools installed
    /// on this machine. Each key of the written mbgen.toml carries a comment saying where its value
    /// came from. In a monorepo (npm, yarn or pnpm workspaces, go.work, a Cargo workspace, or
    /// sibling directories with their own manifests) each app becomes a service; libraries are left
    /// out. At a terminal init asks which services to keep and what detection had to pick
    /// among; elsewhere, or with --yes, it takes the proposal it reports.
    Init(InitArgs),
    /// Create a service from a starter app and add it to mbgen.toml.
    ///
    /// new writes a minimal app of the stack into an empty directory (default
    /// `services/<NAME>`) and adds `[services.<NAME>]` to mbgen.toml, creating the file if
    /// there is none; the comments and layout of an existing mbgen.toml are kept. Every
    /// starter answers HTTP 200 at `/` and `/healthz` on its port (8080 unless --port says
    /// otherwise) and builds with the Dockerfile `mbgen render` writes, with no dependency to
    /// download except python's Flask and gunicorn, pinned. Nothing is written unless the new
    /// mbgen.toml renders.
    New(NewArgs),
    /// Detect the app in a directory and add it to mbgen.toml as a service.
    ///
    /// add looks at one directory the way init looks at each app of a repository, and adds
    /// `[services.<NAME>]` with a comment on every key saying where its value came from,
    /// keeping the comments and layout of the rest of mbgen.toml (which is created if there is
    /// none). A member of an npm, yarn or pnpm workspace whose lockfile is at the workspace root
    /// is built from that root (`context`). Nothing is written unless the new mbgen.toml
    /// renders.
    Add(AddArgs),
    /// Write the Dockerfile and .dockerignore of every service in mbgen.toml, and the Bake and
    /// Compose files of its [workspace].
    Render(RenderArgs),
    /// Print the services whose build inputs changed since a git revision
    ///
    /// For CI pipelines that rebuild only what changed: one service name per line, sorted,
    /// as in `mbgen affected --since origin/main`. Exit code 0 whether or not a service is
    /// affected; 1 when git fails, REV is unknown or mbgen.toml has errors.
    ///
    /// The changed files are those `git diff REV` lists (committed, staged and unstaged
    /// changes; a rename counts as both of its paths) and the untracked files git does not
    /// ignore. The project may be a subdirectory of the repository: files outside it do not
    /// count. A service is affected when a changed file is
    ///   - in its directory (`path`); a service at the project root reads every file;
    ///   - for a build from the workspace root (`context`): any file directly in that root
    ///     (the manifests, lockfile and workspace files are there), or in a workspace package
    ///     the service uses;
    ///   - its generated Dockerfile or .dockerignore, or its lockfile;
    ///   - a project template its render loads; a template deleted from the templates
    ///     directory affects every service.
    ///
    /// mbgen.toml, the templates directory and .mbgen/ are never files of a directory: the
    /// generated .dockerignore keeps them out of every build. Nor are the Bake and Compose
    /// files mbgen writes: they follow from mbgen.toml.
    ///
    /// mbgen.toml is compared by what it renders: a service is affected when it is new, or
    /// when its Dockerfile, .dockerignore, build context, image name, tags or platforms differ
    /// from those of the mbgen.toml at REV, rendered with today's templates. Both versions are
    /// resolved against today's files (the workspace manifests, for instance). When the
    /// mbgen.toml at REV did not exist or does not load, every service is affected. A new
    /// version of mbgen (other built-in templates) affects nothing: `mbgen render --check`
    /// tells that.
    ///
    /// --json prints one object instead:
    ///   {
    ///     "since": "origin/main",       REV as given
    ///     "commit": "<full hash>",      the commit it names
    ///     "services": [                 the affected services
    ///       {"name": "api", "reasons": ["mbgen.toml: service `api` changed: Dockerfile",
    ///                                   "services/api/main.go"]}
    ///     ],
    ///     "unaffected": ["web"],        the other services
    ///     "removed": ["worker"]         services of the mbgen.toml at REV that are gone
    ///   }                               (none when it did not load)
    /// Services are sorted by name. A reason is a sentence about the configuration, starting
    /// with its file name and `: `, or a changed path relative to the directory of mbgen.toml;
    /// sentences come first, then paths, sorted.
    #[command(verbatim_doc_comment)]
    // The comment is help text printed as written, not rustdoc: `["web"]` is JSON.
    #[allow(clippy::doc_link_with_quotes)]
    Affected(AffectedArgs),
    /// Show what each step of the generated Dockerfiles depends on, and which steps a change
    /// runs again.
    ///
    /// For every stage and step of each service's Dockerfile (as `mbgen render` writes it,
    /// with the project's templates), explain lists what the step reads: the base image, the
    /// files of the build context it copies or bind-mounts (after .dockerignore), the stages
    /// it copies from, the build arguments declared before it, and its cache and secret
    /// mounts (which never invalidate a step). A step also runs again when the step before it
    /// in its stage does.
    ///
    /// With --since REV (the changed files of `git diff REV`, as `mbgen affected` finds them)
    /// or --changed FILE..., it predicts which steps BuildKit will run again and which stay
    /// cached, and why. It also warns about what makes builds slower than they need to be:
    /// .git sent into the build, a copy of the whole context before a dependency install, a
    /// build argument declared before an install.
    Explain(ExplainArgs),
    /// Print the JSON Schema of mbgen.toml, for editors and validators.
    Schema(SchemaArgs),
    /// List and print the Dockerfile templates, or copy a built-in into the project to edit.
    ///
    /// mbgen looks a template up in the project's templates directory (.mbgen/templates next to
    /// mbgen.toml, or `templates-dir`) before its built-ins, so a file there named like a
    /// built-in replaces it; `mbgen/<name>` always names the built-in. docs/templates.md
    /// describes the variables and blocks templates use.
    Templates(TemplatesArgs),
    /// Write a CI workflow that checks the generated files and builds the affected services
    /// with Bake.
    ///
    /// The workflow runs `mbgen render --check`, finds the services a change affects with
    /// `mbgen affected`, and builds only those with `docker buildx bake`, importing the
    /// registry cache of `cache-from`; a push to the main branch also pushes the images and
    /// exports the cache of `cache-to`. It needs a [workspace] with a `registry` and a Bake
    /// file. A file that mbgen did not write is never replaced without --force.
    Ci(CiArgs),
    /// Print the completion script of a shell
    ///
    /// Load it in the shell's start-up file, for example:
    ///   bash: mbgen completions bash > ~/.local/share/bash-completion/completions/mbgen
    ///   zsh:  mbgen completions zsh > ~/.zfunc/_mbgen   (with ~/.zfunc in $fpath)
    ///   fish: mbgen completions fish > ~/.config/fish/completions/mbgen.fish
    #[command(verbatim_doc_comment)]
    Completions(CompletionsArgs),
    /// Print the manual page of mbgen (roff), or write one page per command into a directory.
    ///
    /// `mbgen man | man -l -` reads it at once; `mbgen man --output-dir /usr/local/share/man/man1`
    /// installs mbgen.1 and mbgen-<command>.1 for every command.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct CiArgs {
    #[command(subcommand)]
    pub command: CiCommand,
}

#[derive(Debug, Subcommand)]
pub enum CiCommand {
    /// Write a GitHub Actions workflow (default `.github/workflows/images.yml` at the root
    /// of the git repository).
    ///
    /// On pull requests it checks the generated files and builds the affected services with
    /// the registry cache, pushing nothing; on pushes to the main branch it also pushes the
    /// images and the cache. The registry login uses the workflow's `GITHUB_TOKEN` for ghcr.io,
    /// and the secrets `REGISTRY_USERNAME` and `REGISTRY_PASSWORD` for any other registry.
    Github(CiGithubArgs),
}

#[derive(Debug, Args)]
pub struct CiGithubArgs {
    /// The project directory holding mbgen.toml, or the path of the file itself.
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// Where to write the workflow. Default: `.github/workflows/images.yml` at the root of the
    /// git repository holding the project (the project directory outside a repository).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// The branch whose pushes push the images and the cache.
    #[arg(long, value_name = "NAME", default_value = "main")]
    pub branch: String,

    /// Print the workflow instead of writing it.
    #[arg(long, conflicts_with = "check")]
    pub stdout: bool,

    /// Write nothing; print a diff if the workflow differs from what would be written, and
    /// exit with 1 if it does.
    #[arg(long)]
    pub check: bool,

    /// Replace a file that mbgen did not write.
    #[arg(long, conflicts_with_all = ["check", "stdout"])]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write mbgen.1 and one page per command (mbgen-render.1, ...) into this directory
    /// instead of printing mbgen.1.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AffectedArgs {
    /// The project directory holding mbgen.toml, or the path of the file itself.
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// The git revision to compare with: a commit, branch or tag, such as `origin/main`
    /// or `HEAD~1`.
    #[arg(long, value_name = "REV")]
    pub since: String,

    /// Print a JSON object with the affected services and why, the others, and the removed
    /// ones; `mbgen affected --help` describes it.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The project directory holding mbgen.toml, or the path of the file itself.
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// Explain this service only.
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,

    /// Predict what the changes since this git revision run again (committed, staged,
    /// unstaged and untracked files, as for `mbgen affected`).
    #[arg(long, value_name = "REV", conflicts_with = "changed")]
    pub since: Option<String>,

    /// Predict what a change of these files runs again (paths relative to the directory of
    /// mbgen.toml).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub changed: Vec<String>,

    /// Print JSON: per service its stages and steps, each step's inputs, and with a change
    /// `rerun` and `why` for every step.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TemplatesArgs {
    #[command(subcommand)]
    pub command: TemplatesCommand,
}

#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// List every template by name: built-in, or the project's (which wins over a built-in of
    /// the same name).
    List(TemplatesListArgs),
    /// Print the template mbgen uses for NAME; `mbgen/NAME` prints the built-in.
    Show(TemplatesShowArgs),
    /// Copy a built-in template into the project's templates directory, where it replaces the
    /// built-in and can be edited. An existing file is kept unless --force is given.
    Eject(TemplatesEjectArgs),
}

#[derive(Debug, Args)]
pub struct TemplatesListArgs {
    /// The project directory holding mbgen.toml, or the path of the file itself.
    #[arg(long, value_name = "PATH", default_value = ".")]
    pub project: PathBuf,
}

#[derive(Debug, Args)]
pub struct TemplatesShowArgs {
    /// The template, such as `go.Dockerfile.j2` or `mbgen/go.Dockerfile.j2`.
    pub name: String,

    /// The project directory holding mbgen.toml, or the path of the file itself.
    #[arg(long, value_name = "PATH", default_value = ".")]
    pub project: PathBuf,
}

#[derive(Debug, Args)]
pub struct TemplatesEjectArgs {
    /// The built-in template to copy, such as `go.Dockerfile.j2`.
    pub name: String,

    /// The project directory holding mbgen.toml, or the path of the file itself.
    #[arg(long, value_name = "PATH", default_value = ".")]
    pub project: PathBuf,

    /// Replace the project's template if it exists.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The project directory holding mbgen.toml, or the path of the file itself.
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// Render only this service's Dockerfile and .dockerignore. The workspace's Bake and
    /// Compose files, which cover every service, are left as they are.
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,

    /// Print the Dockerfile to standard output instead of writing files (one service).
    #[arg(long, conflicts_with = "check")]
    pub stdout: bool,

    /// Write nothing; print a diff of every file that differs from what would be
    /// written, and exit with 1 if there is one. For CI.
    #[arg(long)]
    pub check: bool,

    /// Replace files that mbgen did not write (a hand-written Dockerfile).
    #[arg(long, conflicts_with_all = ["check", "stdout"])]
    pub force: bool,

    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Write the schema to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The project directory to look at; mbgen.toml is written there.
    #[arg(default_value = ".")]
    pub dir: PathBuf,

    /// Replace an existing mbgen.toml.
    #[arg(long, conflicts_with_all = ["stdout", "json"])]
    pub force: bool,

    /// Print the proposed mbgen.toml instead of writing it.
    #[arg(long, conflicts_with = "json")]
    pub stdout: bool,

    /// Print the detection report as JSON (stack, evidence files, alternatives considered,
    /// directories left out) instead of writing mbgen.toml.
    #[arg(long)]
    pub json: bool,

    /// The JSON Schema named on the first line (`#:schema`), for editors to complete and check
    /// the file: a path relative to mbgen.toml, where init writes the schema (kept up to date
    /// by `mbgen schema -o <path>`), or a URL such as
    /// <https://raw.githubusercontent.com/mbgen/mbgen/main/schemas/mbgen.schema.json>.
    #[arg(long, value_name = "PATH_OR_URL", default_value = crate::scaffold::DEFAULT_SCHEMA)]
    pub schema: String,

    /// Go: the main package to build when the module has several, such as `cmd/api`.
    #[arg(long, value_name = "DIR")]
    pub main: Option<String>,

    /// Accept every proposal without asking. init asks only when standard input and standard
    /// error are a terminal (which services to keep, and what detection had to pick among,
    /// such as a Go module's main package); without a terminal it never asks.
    #[arg(long, short)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// The service name: lowercase letters, digits and `-`, starting with a letter. It also
    /// names the starter's package, module or crate.
    pub name: String,

    /// The kind of app to start from.
    #[arg(long, value_enum)]
    pub stack: StackArg,

    /// The directory to create, relative to mbgen.toml; it must not exist or be empty.
    /// Default: `<dir>/<NAME>` when every service of mbgen.toml with a `path` is in `<dir>`
    /// (such as `apps`), otherwise `services/<NAME>`.
    #[arg(long, value_name = "DIR")]
    pub path: Option<String>,

    /// The port the app listens on, written as `port` in mbgen.toml. Default: 8080.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,

    /// The project directory holding mbgen.toml, or the path of the file itself.
    #[arg(long, value_name = "PATH", default_value = ".")]
    pub project: PathBuf,
}

/// A stack, as `mbgen new --stack` takes it.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StackArg {
    /// A static site built by `npm run build` (a script copying src/ to dist/), served by nginx.
    NodeStatic,
    /// A server on `node:http`, with no dependencies.
    NodeServer,
    /// A server on Go's standard library.
    Go,
    /// A Flask app served by gunicorn.
    Python,
    /// A server on Rust's standard library.
    Rust,
    /// Plain files served by nginx.
    Static,
}

impl From<StackArg> for crate::spec::Stack {
    fn from(stack: StackArg) -> Self {
        match stack {
            StackArg::NodeStatic => Self::NodeStatic,
            StackArg::NodeServer => Self::NodeServer,
            StackArg::Go => Self::Go,
            StackArg::Python => Self::Python,
            StackArg::Rust => Self::Rust,
            StackArg::Static => Self::Static,
        }
    }
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The directory of the app, inside the project.
    pub dir: PathBuf,

    /// The service name. Default: the directory's name (the project's own name for the
    /// project directory).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Go: the main package to build when the module has several, such as `cmd/api`.
    #[arg(long, value_name = "DIR")]
    pub main: Option<String>,

    /// The project directory holding mbgen.toml, or the path of the file itself.
    #[arg(long, value_name = "PATH", default_value = ".")]
    pub project: PathBuf,
}
