//! Node: `package.json`, its lockfile, and the framework, which decides between a static
//! site served by nginx (`node-static`) and a server (`node-server`).
//!
//! [`package_manager`] reads the lockfile, the package manager and the Node version;
//! [`frameworks`] tells a static site from a server by the framework; [`start`] finds how a
//! server starts (its scripts, entry file and port).

mod frameworks;
mod package_manager;
mod start;
mod tools;

use crate::detect::{Detector, Dir, Options, Outcome, Proposal, Value};
use crate::diagnostic::Diagnostic;
use crate::manifest::package_json::PackageJson;
use crate::relpath::RelPath;
use crate::spec::{ServiceKey, Stack};
use frameworks::{classify, App, Kind, Server};

const DEFAULT_OUTPUT: &str = "the default output of the build";

use package_manager::{package_manager, version, Pm};
use start::{entry_path, output_dir, port_in_code, reads_port_env};

#[derive(Debug)]
pub(crate) struct Node;

impl Detector for Node {
    fn name(&self) -> &'static str {
        "node"
    }

    fn looks_for(&self) -> &'static str {
        "package.json with a front-end build (Vite, Next.js, Angular, Vue CLI, Astro, SvelteKit, Create React App...), a server framework (Express, Fastify, NestJS...), a `start` script or a `main` server file"
    }

    // The detector's steps in the order it reports them (manifest, kind, build, start, port, notes): the sequence is the logic.
    #[allow(clippy::too_many_lines)]
    fn detect(&self, dir: Dir<'_>, _options: &Options) -> Result<Outcome, Box<Diagnostic>> {
        let Some(file) = dir.manifest("package.json")? else {
            return Ok(Outcome::Absent);
        };
        let manifest = PackageJson::parse(&file)?;
        let pm = package_manager(dir, &manifest, &file)?;
        let (app, nx_name) = match tools::nx_server(dir, &manifest, pm.manager) {
            Some((nx, name)) => (nx, Some(name)),
            None => (classify(dir, &manifest)?, None),
        };
        let kind = match app {
            App::Deployable(kind) => kind,
            App::NotAnApp(reason) => {
                return Ok(Outcome::NotAnApp {
                    manifest: file.path.display().to_string(),
                    reason,
                })
            }
        };
        let (stack, summary) = match &kind {
            Kind::Static(s) => (Stack::NodeStatic, format!("{} site", s.framework)),
            Kind::Server(s) => (Stack::NodeServer, format!("{} server", s.framework)),
        };
        let mut p = Proposal::new("node", dir, stack, summary);
        p.name_hint = nx_name.or_else(|| manifest.name.clone());
        p.evidence(dir.path("package.json"));
        if let Some((picked, source)) = version(dir, &manifest) {
            p.set_version(picked, &source);
        }
        p.set_str(
            ServiceKey::PackageManager,
            pm.manager.as_str(),
            pm.source.clone(),
        );
        if let Some(lockfile) = &pm.lockfile {
            p.evidence(lockfile);
            // bun.lock is the default; the binary lockfile of bun before 1.2 is named.
            if lockfile.ends_with("bun.lockb") {
                p.set_str(ServiceKey::Lockfile, "bun.lockb", lockfile.clone());
            }
        }
        if let (Some(root), Some(lockfile)) = (&pm.workspace_root, &pm.lockfile) {
            p.set_str(
                ServiceKey::Context,
                RelPath::from_normal(root).to_string(),
                format!("the workspace root, where {lockfile} is"),
            );
        }
        p.notes.extend(pm.notes.iter().cloned());
        let run_build = format!("{} run build", pm.manager.as_str());
        let extras = tools::extras(dir, &manifest);
        let turbo = tools::turbo_build(dir, &manifest, pm.manager, pm.workspace_root.as_deref());
        match kind {
            Kind::Static(s) => {
                p.evidence.extend(s.evidence);
                if let Some((build, source)) = turbo {
                    p.set_str(ServiceKey::Build, build, source);
                } else if manifest.scripts.contains_key("build") {
                    p.set_str(
                        ServiceKey::Build,
                        &run_build,
                        "the `build` script of package.json",
                    );
                } else {
                    p.note(format!(
                        "package.json has no `build` script: add one that runs the {} build, since the image runs `{run_build}`",
                        s.framework
                    ));
                }
                p.set_str(ServiceKey::OutputDir, s.output_dir, s.output_source);
                if s.spa {
                    p.set(ServiceKey::Spa, Value::Bool(true), s.spa_source);
                }
            }
            Kind::Server(s) => {
                let build = s
                    .build
                    .clone()
                    .or(turbo)
                    .or_else(|| server_build(dir, &manifest, &pm, &s, &run_build));
                // A gRPC server with no HTTP framework beside it.
                let grpc = manifest.dependencies.contains("@grpc/grpc-js")
                    && frameworks::server_framework(&manifest).is_none();
                server_settings(&mut p, dir, &pm, s, build.as_ref(), grpc);
                if let Some((schema, source)) = &extras.prisma_schema {
                    p.set_str(ServiceKey::PrismaSchema, schema, source.clone());
                }
            }
        }
        if !extras.system_packages.is_empty() {
            p.set(
                ServiceKey::SystemPackages,
                Value::Lists(extras.system_packages),
                extras.system_packages_source.join("; "),
            );
        }
        p.notes.extend(extras.notes);
        Ok(Outcome::Found(Box::new(p)))
    }
}

/// The build of a server that no framework prescribes: the `build` script, the `pre` hook
/// of its start script (`prestart:prod`), or the compiler its start command needs.
fn server_build(
    dir: Dir<'_>,
    m: &PackageJson,
    pm: &Pm,
    s: &Server,
    run_build: &str,
) -> Option<(String, String)> {
    if m.scripts.contains_key("build") {
        return Some((
            run_build.to_owned(),
            "the `build` script of package.json".to_owned(),
        ));
    }
    if let Some(name) = &s.start_script {
        let hook = format!("pre{name}");
        if let Some(script) = m.scripts.get(&hook) {
            return Some((
                format!("{} run {hook}", pm.manager.as_str()),
                format!("the `{hook}` script ({script}), which runs before `{name}`"),
            ));
        }
    }
    let entry = entry_path(&s.start)?;
    if !BUILT_DIRS.iter().any(|d| entry.starts_with(d)) {
        return None;
    }
    let run = tools::exec(pm.manager);
    if m.has("@nestjs/cli") {
        return Some((
            format!("{run} nest build"),
            format!("the start command runs {entry}, which `nest build` writes"),
        ));
    }
    if m.has("typescript") && dir.exists("tsconfig.json") {
        let project = dir
            .first_of(&["tsconfig.build.json"])
            .map_or_else(String::new, |f| format!(" -p {f}"));
        return Some((
            format!("{run} tsc{project}"),
            format!("the start command runs {entry}, which the TypeScript compiler writes"),
        ));
    }
    None
}

/// Directories that builds write, never committed sources of a server.
const BUILT_DIRS: &[&str] = &["dist/", "build/", "out/", ".next/", ".output/"];

fn server_settings(
    p: &mut Proposal,
    dir: Dir<'_>,
    pm: &Pm,
    s: Server,
    build: Option<&(String, String)>,
    grpc: bool,
) {
    p.evidence.extend(s.evidence);
    p.alternatives.extend(s.alternatives);
    p.notes.extend(s.notes);
    if let Some((build, source)) = build {
        p.set_str(ServiceKey::Build, build, source.clone());
    }
    let start = Value::List(s.start.clone());
    p.set(ServiceKey::Start, start, s.start_source);
    if grpc {
        p.set_str(
            ServiceKey::Protocol,
            "grpc",
            "@grpc/grpc-js serves gRPC, not HTTP: the port is checked for connections, not probed over HTTP",
        );
    }
    if s.start.first().is_some_and(|c| c == "bun") {
        p.set_str(
            ServiceKey::Runtime,
            "bun",
            "the server starts with `bun`: it runs on Bun's image",
        );
    }
    if build.is_some() {
        let (dir_out, source) = s.output_dir.unwrap_or_else(|| output_dir(dir, &s.start));
        if dir_out != "dist" || source != DEFAULT_OUTPUT {
            p.set_str(ServiceKey::OutputDir, dir_out, source);
        }
        if let Some(why) = s.standalone {
            p.set(ServiceKey::Standalone, Value::Bool(true), why);
        }
    } else if let Some(entry) = entry_path(&s.start) {
        if BUILT_DIRS.iter().any(|d| entry.starts_with(d)) {
            p.note(format!(
                "the start command runs {entry}, which a build writes, but package.json has no `build` script"
            ));
        }
    }
    let port = s
        .port
        .map(|(port, source)| (port, source, true))
        .or_else(|| {
            port_in_code(dir, &s.start).map(|(port, source, file)| {
                p.evidence(file);
                (port, source, true)
            })
        });
    let (port, source, found) = port.unwrap_or_else(|| {
        (
            8080,
            "no port found in the scripts or the code: mbgen's default; make the app listen on $PORT".to_owned(),
            false,
        )
    });
    p.set(ServiceKey::Port, Value::Int(port), source);
    let mut env = s.env;
    let mut env_source: Vec<String> = s
        .env_source
        .filter(|_| !env.is_empty())
        .into_iter()
        .collect();
    if !found && reads_port_env(dir) {
        env.insert("PORT".to_owned(), port.to_string());
        env_source.push("PORT: the code reads process.env.PORT".to_owned());
    }
    if !env.is_empty() {
        p.set(ServiceKey::Env, Value::Map(env), env_source.join("; "));
    }
    if pm.berry {
        p.note("Yarn berry: the image installs with `yarn install --immutable` and its production dependencies with `yarn workspaces focus --all --production` (built into Yarn 4; Yarn 2 and 3 need the workspace-tools plugin); with Plug'n'Play there is no node_modules to copy: set `nodeLinker: node-modules` in .yarnrc.yml");
    }
}

#[cfg(test)]
mod tests {
    use super::start::exec_from_script;
    use super::*;
    use crate::detect::fs::MemFs;

    fn detect(files: &[(&str, &str)]) -> Outcome {
        let fs = MemFs::new(files.iter().copied());
        Node.detect(Dir::new(&fs, ""), &Options::default()).unwrap()
    }

    fn found(files: &[(&str, &str)]) -> Proposal {
        match detect(files) {
            Outcome::Found(p) => *p,
            other => panic!("{other:?}"),
        }
    }

    fn setting(p: &Proposal, key: &str) -> Option<Value> {
        p.settings
            .iter()
            .find(|s| s.key.as_str() == key)
            .map(|s| s.value.clone())
    }

    fn s(v: &str) -> Value {
        Value::Str(v.to_owned())
    }

    #[test]
    fn scripts_become_exec_form() {
        let m = PackageJson {
            scripts: [
                ("start".to_owned(), "npm run serve".to_owned()),
                (
                    "serve".to_owned(),
                    "cross-env NODE_ENV=production DEBUG=app node dist/server.js --port 4000"
                        .to_owned(),
                ),
            ]
            .into(),
            ..PackageJson::default()
        };
        let exec = exec_from_script(&m, "npm start", 0).unwrap();
        assert_eq!(exec.args, ["node", "dist/server.js", "--port", "4000"]);
        assert_eq!(exec.env.get("DEBUG").map(String::as_str), Some("app"));
        assert!(!exec.env.contains_key("NODE_ENV"));
        assert_eq!(exec.port.unwrap().0, 4000);
        assert!(exec_from_script(&m, "nodemon src/index.js", 0).is_err());
        assert!(exec_from_script(&m, "node a.js | tee log", 0).is_err());
    }

    #[test]
    fn dev_dependency_bins_are_refused() {
        let m = PackageJson {
            dev_dependencies: ["@nestjs/cli".to_owned()].into(),
            dependencies: ["next".to_owned()].into(),
            ..PackageJson::default()
        };
        assert!(exec_from_script(&m, "nest start", 0)
            .unwrap_err()
            .contains("devDependencies"));
        assert_eq!(
            exec_from_script(&m, "next start -p 4000", 0).unwrap().args,
            ["node_modules/.bin/next", "start", "-p", "4000"]
        );
    }

    #[test]
    fn lockfiles_pick_the_package_manager() {
        let pkg = r#"{"scripts": {"build": "vite build"}, "devDependencies": {"vite": "5"}}"#;
        let p = found(&[("package.json", pkg), ("pnpm-lock.yaml", "")]);
        assert_eq!(setting(&p, "package-manager"), Some(s("pnpm")));
        assert_eq!(setting(&p, "build"), Some(s("pnpm run build")));
        let p = found(&[("package.json", pkg), ("yarn.lock", "__metadata:\n")]);
        assert_eq!(setting(&p, "package-manager"), Some(s("yarn")));
        let p = found(&[("package.json", pkg)]);
        assert_eq!(setting(&p, "package-manager"), Some(s("npm")));
        assert!(p.notes[0].contains("no lockfile"), "{:?}", p.notes);
    }

    #[test]
    fn bun_installs_and_runs() {
        let p = found(&[
            (
                "package.json",
                r#"{"scripts": {"dev": "bun run --hot src/index.ts", "start": "bun run src/index.ts"}, "dependencies": {"hono": "4"}}"#,
            ),
            ("bun.lock", "{}"),
            (
                "src/index.ts",
                "export default { port: 3000, fetch() {} };\n",
            ),
        ]);
        assert_eq!(setting(&p, "package-manager"), Some(s("bun")));
        assert_eq!(
            setting(&p, "start"),
            Some(Value::List(vec!["bun".into(), "src/index.ts".into()]))
        );
        assert_eq!(setting(&p, "runtime"), Some(s("bun")));
        // A bun-installed server started with node keeps Node's image; bun.lockb is named.
        let p = found(&[
            (
                "package.json",
                r#"{"packageManager": "bun@1.1.0", "scripts": {"start": "node a.js"}}"#,
            ),
            ("bun.lockb", ""),
        ]);
        assert_eq!(setting(&p, "package-manager"), Some(s("bun")));
        assert_eq!(setting(&p, "lockfile"), Some(s("bun.lockb")));
        assert_eq!(setting(&p, "runtime"), None);
    }

    #[test]
    fn typescript_servers_get_their_build() {
        let tsc = r#"{"scripts": {"prestart:prod": "tsc", "start:prod": "node dist/main.js"}, "dependencies": {"@nestjs/core": "11"}, "devDependencies": {"typescript": "5"}}"#;
        let p = found(&[("package.json", tsc), ("tsconfig.json", "{}")]);
        assert_eq!(setting(&p, "build"), Some(s("npm run prestart:prod")));
        let nest = r#"{"scripts": {"start:prod": "node dist/main"}, "dependencies": {"@nestjs/core": "11"}, "devDependencies": {"@nestjs/cli": "11", "typescript": "5"}}"#;
        let p = found(&[("package.json", nest), ("pnpm-lock.yaml", "")]);
        assert_eq!(setting(&p, "build"), Some(s("pnpm exec nest build")));
        let plain = r#"{"scripts": {"start": "node dist/index.js"}, "dependencies": {"express": "5"}, "devDependencies": {"typescript": "5"}}"#;
        let p = found(&[
            ("package.json", plain),
            ("tsconfig.json", "{}"),
            ("tsconfig.build.json", "{}"),
        ]);
        assert_eq!(
            setting(&p, "build"),
            Some(s("npx tsc -p tsconfig.build.json"))
        );
    }

    #[test]
    fn nitro_servers_run_their_output_alone() {
        for dep in ["nuxt", "@tanstack/react-start", "@solidjs/start"] {
            let pkg = format!(
                r#"{{"scripts": {{"build": "x build"}}, "dependencies": {{"{dep}": "1"}}}}"#
            );
            let p = found(&[("package.json", &pkg), ("vite.config.ts", "nitro()")]);
            assert_eq!(p.stack, Stack::NodeServer, "{dep}");
            assert_eq!(setting(&p, "output-dir"), Some(s(".output")), "{dep}");
            assert_eq!(setting(&p, "standalone"), Some(Value::Bool(true)), "{dep}");
            assert_eq!(
                setting(&p, "start"),
                Some(Value::List(vec![
                    "node".into(),
                    ".output/server/index.mjs".into()
                ]))
            );
        }
        let pkg = r#"{"scripts": {"build": "vite build"}, "dependencies": {"@tanstack/react-start": "1"}}"#;
        let p = found(&[("package.json", pkg), ("vite.config.ts", "tanstackStart()")]);
        assert!(
            p.notes.iter().any(|n| n.contains("nitro()")),
            "{:?}",
            p.notes
        );
    }

    #[test]
    fn react_router_serves_its_server_build() {
        let pkg = r#"{"scripts": {"build": "react-router build", "dev": "react-router dev", "start": "react-router-serve ./build/server/index.js"}, "dependencies": {"@react-router/node": "7", "@react-router/serve": "7", "react-router": "7"}, "devDependencies": {"@react-router/dev": "7"}}"#;
        let p = found(&[("package.json", pkg), ("package-lock.json", "{}")]);
        assert_eq!(p.stack, Stack::NodeServer);
        assert_eq!(
            setting(&p, "start"),
            Some(Value::List(vec![
                "node_modules/.bin/react-router-serve".into(),
                "./build/server/index.js".into()
            ]))
        );
        assert_eq!(setting(&p, "build"), Some(s("npm run build")));
        assert_eq!(setting(&p, "output-dir"), Some(s("build")));
        assert_eq!(setting(&p, "port"), Some(Value::Int(3000)));
    }

    #[test]
    fn nx_projects_build_with_nx() {
        let project = r#"{"name": "api", "projectType": "application", "targets": {"build": {"executor": "@nx/esbuild:esbuild", "options": {"outputPath": "dist/api", "main": "src/main.ts"}}}}"#;
        let pkg = r#"{"name": "@api/source", "scripts": {"start": "nx serve"}, "dependencies": {"express": "5"}, "devDependencies": {"nx": "22"}}"#;
        let p = found(&[
            ("package.json", pkg),
            ("package-lock.json", "{}"),
            ("nx.json", "{}"),
            ("project.json", project),
        ]);
        assert_eq!(p.name_hint.as_deref(), Some("api"));
        assert_eq!(
            setting(&p, "build"),
            Some(s("NX_DAEMON=false npx nx build api"))
        );
        assert_eq!(setting(&p, "output-dir"), Some(s("dist/api")));
        assert_eq!(
            setting(&p, "start"),
            Some(Value::List(vec!["node".into(), "dist/api/main.js".into()]))
        );
    }

    #[test]
    fn turborepo_members_build_through_turbo() {
        let fs = MemFs::new([
            ("package.json", r#"{"workspaces": ["apps/*"]}"#),
            ("package-lock.json", "{}"),
            ("turbo.json", "{}"),
            (
                "apps/api/package.json",
                r#"{"name": "api", "scripts": {"build": "tsc", "start": "node dist/index.js"}, "dependencies": {"express": "5"}}"#,
            ),
        ]);
        let Outcome::Found(p) = Node
            .detect(Dir::new(&fs, "apps/api"), &Options::default())
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(
            setting(&p, "build"),
            Some(s("npx turbo run build --filter=api..."))
        );
    }

    #[test]
    fn prisma_native_packages_and_browsers() {
        let pkg = r#"{"scripts": {"start": "node server.js"}, "dependencies": {"express": "5", "@prisma/client": "^6.2.0", "bcrypt": "5", "puppeteer": "23"}, "devDependencies": {"prisma": "^6.2.0"}}"#;
        let p = found(&[
            ("package.json", pkg),
            ("server.js", "app.listen(3000)"),
            ("prisma/schema.prisma", "generator client {}"),
        ]);
        assert_eq!(
            setting(&p, "prisma-schema"),
            Some(s("prisma/schema.prisma"))
        );
        let Some(Value::Lists(packages)) = setting(&p, "system-packages") else {
            panic!("{:?}", p.settings)
        };
        assert_eq!(packages["build"], ["openssl", "python3", "make", "g++"]);
        assert_eq!(packages["runtime"], ["openssl"]);
        assert!(
            p.notes.iter().any(|n| n.contains("puppeteer")),
            "{:?}",
            p.notes
        );
        // Prisma 7 has no engine to pick by OpenSSL.
        let pkg =
            r#"{"main": "server.js", "dependencies": {"express": "5", "@prisma/client": "7.1.0"}}"#;
        let p = found(&[
            ("package.json", pkg),
            ("db/schema.prisma", "generator client {}"),
        ]);
        assert_eq!(setting(&p, "prisma-schema"), Some(s("db/schema.prisma")));
        assert_eq!(setting(&p, "system-packages"), None);
    }

    #[test]
    fn grpc_servers_and_wrapped_scripts() {
        let pkg = r#"{"dependencies": {"@grpc/grpc-js": "1"}}"#;
        let p = found(&[
            ("package.json", pkg),
            (
                "server.js",
                "server.bindAsync(`0.0.0.0:${PORT}`, creds, cb);",
            ),
        ]);
        assert_eq!(setting(&p, "protocol"), Some(s("grpc")));
        let m = PackageJson {
            scripts: [
                ("start".to_owned(), "pnpm with-env next start".to_owned()),
                ("with-env".to_owned(), "dotenv -e ../../.env --".to_owned()),
            ]
            .into(),
            dependencies: ["next".to_owned()].into(),
            ..PackageJson::default()
        };
        let exec = exec_from_script(&m, "pnpm start", 0).unwrap();
        assert_eq!(exec.args, ["node_modules/.bin/next", "start"]);
    }

    #[test]
    fn versions_from_files_and_engines() {
        let pkg = r#"{"engines": {"node": ">=20.11"}, "scripts": {"start": "node server.js"}}"#;
        let p = found(&[("package.json", pkg), ("package-lock.json", "{}")]);
        assert_eq!(setting(&p, "version"), Some(s("26")));
        let p = found(&[
            ("package.json", pkg),
            ("package-lock.json", "{}"),
            (".nvmrc", "v24.1.0\n"),
        ]);
        assert_eq!(setting(&p, "version"), Some(s("24")));
        let p = found(&[
            (
                "package.json",
                r#"{"scripts": {"start": "node server.js"}}"#,
            ),
            (".nvmrc", "lts/*\n"),
        ]);
        assert_eq!(setting(&p, "version"), None);
    }

    #[test]
    fn vite_out_dir_is_honoured() {
        let pkg = r#"{"scripts": {"build": "vite build"}, "devDependencies": {"vite": "5"}}"#;
        let cfg = "export default { build: { outDir: './public/app' } }";
        let p = found(&[("package.json", pkg), ("vite.config.js", cfg)]);
        assert_eq!(setting(&p, "output-dir"), Some(s("public/app")));
        assert_eq!(setting(&p, "spa"), Some(Value::Bool(true)));
    }

    #[test]
    fn servers_and_ports() {
        let pkg = r#"{"scripts": {"start": "node dist/index.js", "build": "tsc"}, "dependencies": {"fastify": "4"}}"#;
        let src = "const app = Fastify();\napp.listen({ port: 3001, host: '0.0.0.0' });\n";
        let p = found(&[("package.json", pkg), ("src/index.ts", src)]);
        assert_eq!(p.stack, Stack::NodeServer);
        assert_eq!(
            setting(&p, "start"),
            Some(Value::List(vec!["node".into(), "dist/index.js".into()]))
        );
        assert_eq!(setting(&p, "port"), Some(Value::Int(3001)));
        assert_eq!(setting(&p, "build"), Some(s("npm run build")));
        assert_eq!(setting(&p, "output-dir"), Some(s("dist")));
        let pkg = r#"{"main": "server.js", "dependencies": {"express": "4"}}"#;
        let p = found(&[
            ("package.json", pkg),
            ("server.js", "app.listen(process.env.PORT)"),
        ]);
        assert_eq!(setting(&p, "port"), Some(Value::Int(8080)));
        assert!(matches!(setting(&p, "env"), Some(Value::Map(m)) if m["PORT"] == "8080"));
    }

    #[test]
    fn front_end_frameworks_and_their_output() {
        let p = found(&[(
            "package.json",
            r#"{"scripts": {"build": "react-scripts build"}, "dependencies": {"react-scripts": "5"}}"#,
        )]);
        assert_eq!(setting(&p, "output-dir"), Some(s("build")));
        assert_eq!(setting(&p, "spa"), Some(Value::Bool(true)));
        let p = found(&[
            (
                "package.json",
                r#"{"scripts": {"build": "vue-cli-service build", "serve": "vue-cli-service serve"}, "devDependencies": {"@vue/cli-service": "5"}}"#,
            ),
            ("vue.config.js", "module.exports = { outputDir: 'www' }"),
        ]);
        assert_eq!(setting(&p, "output-dir"), Some(s("www")));
        let p = found(&[
            (
                "package.json",
                r#"{"scripts": {"build": "next build"}, "dependencies": {"next": "15"}}"#,
            ),
            ("next.config.js", "module.exports = { output: \"export\" }"),
        ]);
        assert_eq!(p.stack, Stack::NodeStatic);
        assert_eq!(setting(&p, "output-dir"), Some(s("out")));
        let p = found(&[
            (
                "package.json",
                r#"{"scripts": {"build": "astro build", "start": "node ./dist/server/entry.mjs"}, "dependencies": {"astro": "5", "@astrojs/node": "9"}}"#,
            ),
            ("astro.config.mjs", "import node from '@astrojs/node';\nexport default defineConfig({ output: 'server', adapter: node({ mode: 'standalone' }) });"),
        ]);
        assert_eq!(p.stack, Stack::NodeServer);
        assert_eq!(setting(&p, "port"), Some(Value::Int(4321)));
        let p = found(&[
            (
                "package.json",
                r#"{"scripts": {"build": "astro build", "start": "node server"}, "dependencies": {"astro": "5", "@astrojs/node": "9"}}"#,
            ),
            ("astro.config.mjs", "export default defineConfig({ output: 'server', adapter: node({ mode: 'middleware' }) });"),
        ]);
        assert!(
            p.notes.iter().any(|n| n.contains("middleware")),
            "{:?}",
            p.notes
        );
    }

    #[test]
    fn libraries_are_not_apps() {
        let pkg = r#"{"name": "@acme/ui", "main": "dist/index.js", "scripts": {"build": "tsc"}}"#;
        assert!(matches!(
            detect(&[("package.json", pkg)]),
            Outcome::NotAnApp { .. }
        ));
    }

    #[test]
    fn malformed_package_json_points_at_the_line() {
        let fs = MemFs::new([(
            "package.json",
            "{\n  \"name\": \"x\"\n  \"scripts\": {}\n}\n",
        )]);
        let e = Node
            .detect(Dir::new(&fs, ""), &Options::default())
            .unwrap_err();
        let (file, span) = e.location.unwrap();
        assert_eq!(file.line_col(span.start).0, 3);
        let fs = MemFs::new([("package.json", "{\"scripts\": [\"start\"]}")]);
        let e = Node
            .detect(Dir::new(&fs, ""), &Options::default())
            .unwrap_err();
        assert!(e.message.contains("`scripts`"), "{}", e.message);
    }
}
