//! Java: the build files first, every dependency resolved under a cache mount of the build
//! tool's repository, then the sources built into one runnable jar; the final image is a JRE
//! with that jar, or with a Spring Boot jar's layers copied one by one, so that a source edit
//! changes only the application's layer. With `runtime = "slim"` the build stage also makes a
//! Java runtime of the modules the application uses (`jdeps`, then `jlink`), which the final
//! image, a slim distribution image, holds instead of a JRE.

use serde::Serialize;

use super::common::{cache_mount, secret_mounts};
use super::copy::sources;
use super::Run;
use crate::model::{Java, JavaTool, Service, SpringBoot};

/// Where the build stage puts the jar, outside the sources.
const OUT: &str = "/out";

/// The layers of a Spring Boot jar, in the order they change least to most often.
const SPRING_BOOT_LAYERS: [&str; 4] = [
    "dependencies",
    "spring-boot-loader",
    "snapshot-dependencies",
    "application",
];

/// Where the build stage puts the runtime jlink makes, and where the final image holds it
/// (where the JRE images keep theirs).
const JRE_OUT: &str = "/out/jre";
const JAVA_HOME: &str = "/opt/java/openjdk";

/// The JVM's heap, as a share of the container's memory limit: the JVM sizes itself from
/// the limit (not the host's memory), and the default of a quarter wastes most of it.
const HEAP: &str = "-XX:MaxRAMPercentage=75.0";

#[derive(Debug, Serialize)]
pub(crate) struct JavaSection {
    /// `COPY` arguments, one instruction each, for the build files the dependency step reads.
    pub manifests: Vec<String>,
    /// `COPY` arguments, one instruction each, for the sources.
    pub sources: Vec<String>,
    /// Resolves every dependency and plugin from the build files alone.
    pub install: Run,
    /// Builds the jar and lays it out for the final image.
    pub build: Run,
    /// `COPY --from=build` arguments, one instruction each, into the final image's working
    /// directory: the jar, or a Spring Boot jar's layers.
    pub layers: Vec<String>,
    /// `runtime = "slim"`: the Java runtime made by jlink.
    pub jlink: Option<JlinkSection>,
}

/// A Java runtime of the modules the application uses, made in the build stage and copied
/// into the final image.
#[derive(Debug, Serialize)]
pub(crate) struct JlinkSection {
    /// Makes it, in the build stage.
    pub run: Run,
    /// The `COPY` arguments of it into the final image.
    pub copy: String,
    /// Where the final image holds it, for `JAVA_HOME` and `PATH`.
    pub java_home: String,
}

/// The java part of a service.
pub(super) fn plan(service: &Service, java: &Java) -> JavaSection {
    let repository = match java.tool {
        JavaTool::Maven => "/root/.m2",
        JavaTool::Gradle => "/root/.gradle",
    };
    let cache: Vec<String> = cache_mount(service, repository).into_iter().collect();
    let manifests = match java.tool {
        JavaTool::Maven => vec!["pom.xml ./".to_owned()],
        // The globs match the Groovy and the Kotlin build files; `gradle/` holds the wrapper
        // and the version catalog.
        JavaTool::Gradle => vec![
            "gradlew settings.gradle* build.gradle* gradle.properties* ./".to_owned(),
            "gradle/ gradle/".to_owned(),
        ],
    };
    let (secrets, env_prefix) = secret_mounts(service);
    let install = Run {
        comments: vec![
            "Dependencies only: rebuilt when the build files change, not the sources.".into(),
        ],
        mounts: cache.iter().cloned().chain(secrets).collect(),
        commands: vec![format!("{env_prefix}{}", java.install)],
        ..Run::default()
    };
    let mut commands = vec![java.build.clone()];
    commands.extend(take_jar(java));
    let layers = match java.spring_boot {
        Some(boot) => {
            commands.extend(extract_layers(boot));
            SPRING_BOOT_LAYERS
                .iter()
                .map(|l| format!("--from=build {OUT}/layers/{l}/ ./"))
                .collect()
        }
        None => vec![format!("--from=build {OUT}/app.jar ./app.jar")],
    };
    let mut comments = vec![format!(
        "The one runnable jar of {}/ becomes {OUT}/app.jar.",
        java.output_dir
    )];
    if java.spring_boot.is_some() {
        comments.push(
            "Spring Boot's layers are extracted, so the final image copies each on its own.".into(),
        );
    }
    JavaSection {
        manifests,
        sources: sources(service),
        install,
        build: Run {
            comments,
            mounts: cache,
            commands,
            ..Run::default()
        },
        layers,
        jlink: java.jlink.map(|release| JlinkSection {
            run: jlink(java, release),
            copy: format!("--from=build {JRE_OUT} {JAVA_HOME}"),
            java_home: JAVA_HOME.to_owned(),
        }),
    }
}

/// The step that makes a Java runtime of the modules the application's classes and jars use:
/// `jdeps` lists them, `jlink` links them without debug symbols, man pages and headers.
/// Modules that are only looked up at run time (the elliptic-curve TLS provider, separate up
/// to Java 21) are added by name.
fn jlink(java: &Java, release: u32) -> Run {
    // What jdeps reads: the jars and class directories the final image copies (all in one
    // jdeps, which prints the modules they use together).
    let jdeps =
        format!("jdeps --ignore-missing-deps --multi-release {release} --print-module-deps");
    let list = match java.spring_boot {
        Some(boot) if uses_tools(boot) => format!("find {OUT}/layers -name '*.jar' -exec {jdeps} {{}} +"),
        Some(_) => format!(
            "find {OUT}/layers -name '*.jar' -exec {jdeps} {OUT}/layers/application/BOOT-INF/classes {{}} +"
        ),
        None => format!("{jdeps} {OUT}/app.jar"),
    };
    let mut modules = "$modules".to_owned();
    if release <= 21 {
        modules.push_str(",jdk.crypto.ec");
    }
    let compress = if release >= 21 { "zip-6" } else { "2" };
    Run {
        comments: vec![
            "A Java runtime of only the modules the application uses, for the final image."
                .into(),
        ],
        commands: vec![
            // jdeps prints its errors with the modules: shown when it fails.
            format!("modules=\"$({list})\" || {{ echo \"jdeps failed: $modules\" >&2; exit 1; }}"),
            format!(
                "jlink --add-modules \"{modules}\" --strip-debug --no-man-pages --no-header-files --compress={compress} --output {JRE_OUT}"
            ),
        ],
        ..Run::default()
    }
}

/// Copies the one runnable jar of the output directory to `/out/app.jar`, leaving out the
/// jars that are not applications (Gradle's `-plain`, sources, javadoc, the shade plugin's
/// `original-`), and fails with a message when there is not exactly one.
fn take_jar(java: &Java) -> Vec<String> {
    let dir = &java.output_dir;
    let help = "set output-dir in mbgen.toml to the directory of the runnable jar";
    vec![
        format!("mkdir -p {OUT}"),
        format!(
            "find {dir} -maxdepth 1 -name '*.jar' ! -name '*-plain.jar' ! -name '*-sources.jar' ! -name '*-javadoc.jar' ! -name 'original-*.jar' \\\n        \
             -exec sh -c 'if [ \"$#\" -ne 1 ]; then echo \"expected one runnable jar in {dir}/, found: $*; {help}\" >&2; exit 1; fi; cp \"$1\" {OUT}/app.jar' jars {{}} +"
        ),
        format!("if [ ! -f {OUT}/app.jar ]; then echo \"no runnable jar in {dir}/; {help}\" >&2; exit 1; fi"),
    ]
}

/// The commands that extract a Spring Boot jar into `/out/layers/<layer>/`, every layer
/// present even when empty so that the final image can copy each.
fn extract_layers(boot: SpringBoot) -> Vec<String> {
    let mkdirs = format!(
        "mkdir -p {}",
        SPRING_BOOT_LAYERS
            .iter()
            .map(|l| format!("{OUT}/layers/{l}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let tool = if uses_tools(boot) {
        // The application's own jar next to lib/: started with `java -jar app.jar`.
        "tools -jar {OUT}/app.jar extract --layers"
    } else {
        "layertools -jar {OUT}/app.jar extract"
    };
    let extract = format!("java -Djarmode={tool} --destination {OUT}/layers").replace("{OUT}", OUT);
    vec![extract, mkdirs]
}

/// Spring Boot 3.3 replaced `layertools` by the `tools` jar mode.
fn uses_tools(boot: SpringBoot) -> bool {
    (boot.major, boot.minor) >= (3, 3)
}

/// The container's command: `start`, or the JVM running the application.
pub(super) fn command(java: &Java) -> Vec<String> {
    if !java.start.is_empty() {
        return java.start.clone();
    }
    let mut cmd = vec!["java".to_owned(), HEAP.to_owned()];
    match java.spring_boot {
        // layertools leaves the classes exploded: Spring Boot's launcher runs them.
        Some(boot) if !uses_tools(boot) => {
            let launcher = if (boot.major, boot.minor) >= (3, 2) {
                "org.springframework.boot.loader.launch.JarLauncher"
            } else {
                "org.springframework.boot.loader.JarLauncher"
            };
            cmd.push(launcher.to_owned());
        }
        _ => cmd.extend(["-jar".to_owned(), "app.jar".to_owned()]),
    }
    cmd
}
