//! Java: `pom.xml` (Maven) or `build.gradle(.kts)` (Gradle) with its wrapper, the Java
//! release the build targets, Spring Boot, Quarkus or Micronaut, and the port from
//! `application.properties` or `application.yml`.
//!
//! Build files are scanned as text: the few values read here are plain elements and
//! assignments, and a project whose build file mbgen misreads still gets a proposal to edit.

use super::{Detector, Dir, Options, Outcome, Proposal, Value};
use crate::diagnostic::Diagnostic;
use crate::spec::{ServiceKey, Stack};

#[derive(Debug)]
pub(crate) struct Java;

/// Java releases with JRE images (the long-term-support ones): a build for another release
/// runs on the next of these.
const LTS: &[u32] = &[8, 11, 17, 21, 25];

/// The frameworks whose apps a build file shows, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framework {
    SpringBoot,
    Quarkus,
    Micronaut,
}

impl Framework {
    const fn name(self) -> &'static str {
        match self {
            Self::SpringBoot => "Spring Boot",
            Self::Quarkus => "Quarkus",
            Self::Micronaut => "Micronaut",
        }
    }
}

impl Detector for Java {
    fn name(&self) -> &'static str {
        "java"
    }

    fn looks_for(&self) -> &'static str {
        "pom.xml or build.gradle(.kts) of a Spring Boot, Quarkus or Micronaut app, or of a runnable jar"
    }

    fn detect(&self, dir: Dir<'_>, _options: &Options) -> Result<Outcome, Box<Diagnostic>> {
        let gradle_file = dir.first_of(&["build.gradle.kts", "build.gradle"]);
        if let Some(pom) = dir.read("pom.xml") {
            let mut p = maven(dir, &strip_xml_comments(&pom));
            if let (Outcome::Found(p), Some(g)) = (&mut p, gradle_file) {
                p.alternatives
                    .push(format!("Gradle ({}): Maven is used", dir.path(g)));
            }
            return Ok(p);
        }
        match gradle_file {
            Some(file) => Ok(gradle(dir, file)),
            None => Ok(Outcome::Absent),
        }
    }
}

fn maven(dir: Dir<'_>, pom: &str) -> Outcome {
    let manifest = dir.path("pom.xml");
    if element(pom, "modules").is_some() {
        return Outcome::NotAnApp {
            manifest,
            reason: "a multi-module Maven build (<modules>): mbgen builds single-module projects"
                .into(),
        };
    }
    let packaging = element(pom, "packaging").unwrap_or_else(|| "jar".into());
    if packaging == "pom" || packaging == "war" {
        return Outcome::NotAnApp {
            manifest,
            reason: format!("<packaging>{packaging}</packaging>: not a runnable jar"),
        };
    }
    let framework = if pom.contains("spring-boot") {
        Some(Framework::SpringBoot)
    } else if pom.contains("io.quarkus") {
        Some(Framework::Quarkus)
    } else if pom.contains("io.micronaut") {
        Some(Framework::Micronaut)
    } else {
        None
    };
    let shaded = ["maven-shade-plugin", "maven-assembly-plugin"]
        .iter()
        .any(|p| pom.contains(p));
    if framework.is_none() && !shaded {
        return Outcome::NotAnApp {
            manifest,
            reason: "no Spring Boot, Quarkus or Micronaut, and no shade or assembly plugin making a runnable jar: a library".into(),
        };
    }
    let mut p = Proposal::new("java", dir, Stack::Java, summary(framework, "Maven"));
    p.evidence(&manifest);
    p.name_hint = own_artifact_id(pom);
    p.set_str(ServiceKey::PackageManager, "maven", "pom.xml");
    if dir.exists("mvnw") {
        p.evidence(dir.path("mvnw"));
        p.note("the image builds with the Maven of its builder image (3.9), not with mvnw; set `images.builder` for another");
    }
    let release = [
        "maven.compiler.release",
        "java.version",
        "release.version",
        "jdk.version",
        "maven.compiler.source",
    ]
    .into_iter()
    .find_map(|k| element(pom, k).map(|v| (k, v)));
    if let Some((key, written)) = release {
        set_version(&mut p, &written, &format!("<{key}> in pom.xml"));
    }
    if framework == Some(Framework::SpringBoot) {
        if let Some(v) = maven_spring_boot(pom) {
            p.set_str(
                ServiceKey::SpringBoot,
                &v,
                "the Spring Boot version in pom.xml",
            );
        }
    }
    finish(dir, &mut p, framework);
    Outcome::Found(Box::new(p))
}

fn gradle(dir: Dir<'_>, file: &str) -> Outcome {
    let text = dir.read(file).unwrap_or_default();
    let settings = dir
        .first_of(&["settings.gradle.kts", "settings.gradle"])
        .and_then(|s| dir.read(s))
        .unwrap_or_default();
    let framework = if text.contains("org.springframework.boot") {
        Some(Framework::SpringBoot)
    } else if text.contains("io.quarkus") {
        Some(Framework::Quarkus)
    } else if text.contains("io.micronaut") {
        Some(Framework::Micronaut)
    } else {
        None
    };
    let shadow =
        text.contains("com.github.johnrengelman.shadow") || text.contains("com.gradleup.shadow");
    if framework.is_none() && !shadow {
        return Outcome::NotAnApp {
            manifest: dir.path(file),
            reason: "no Spring Boot, Quarkus or Micronaut plugin, and no shadow plugin making a runnable jar: a library".into(),
        };
    }
    let mut p = Proposal::new("java", dir, Stack::Java, summary(framework, "Gradle"));
    p.evidence(dir.path(file));
    p.name_hint = quoted_after(&settings, "rootProject.name");
    p.set_str(ServiceKey::PackageManager, "gradle", file);
    if dir.exists("gradlew") {
        p.evidence(dir.path("gradlew"));
    } else {
        p.note("no gradlew: the image builds with the Gradle wrapper; run `gradle wrapper` and commit gradlew and gradle/wrapper/");
    }
    let release = [
        "JavaLanguageVersion.of(",
        "jvmToolchain(",
        "sourceCompatibility",
    ]
    .into_iter()
    .find_map(|k| after(&text, k).map(|v| (k.trim_end_matches('('), v)));
    if let Some((key, written)) = release {
        set_version(&mut p, &written, &format!("`{key}` in {file}"));
    }
    if framework == Some(Framework::SpringBoot) {
        let plugin = text
            .find("org.springframework.boot\"")
            .or_else(|| text.find("org.springframework.boot'"))
            .map(|i| &text[i..]);
        if let Some(v) = plugin
            .and_then(|t| quoted_after(t, "version"))
            .and_then(|v| major_minor(&v))
        {
            p.set_str(
                ServiceKey::SpringBoot,
                &v,
                format!("the Spring Boot plugin in {file}"),
            );
        }
    }
    finish(dir, &mut p, framework);
    Outcome::Found(Box::new(p))
}

fn summary(framework: Option<Framework>, tool: &str) -> String {
    match framework {
        Some(f) => format!("{} app ({tool})", f.name()),
        None => format!("Java app with a runnable jar ({tool})"),
    }
}

/// What Maven and Gradle projects share: the port, and the notes of each framework.
fn finish(dir: Dir<'_>, p: &mut Proposal, framework: Option<Framework>) {
    if let Some((port, source, file)) = port(dir, framework) {
        p.evidence(file);
        p.set(ServiceKey::Port, Value::Int(port), source);
    } else if framework.is_some() {
        p.set(
            ServiceKey::Port,
            Value::Int(8080),
            format!("{}'s default port", framework.map_or("", Framework::name)),
        );
    }
    match framework {
        Some(Framework::Quarkus) => p.note("Quarkus builds target/quarkus-app/ by default, which is not one jar: set `quarkus.package.jar.type=uber-jar` in application.properties so that the build makes one runnable jar"),
        Some(Framework::SpringBoot) if p.get(ServiceKey::SpringBoot).is_none() => {
            p.note("the Spring Boot version was not found: set `spring-boot = \"3.5\"` (its major.minor) so the jar is extracted into layers");
        }
        _ => {}
    }
}

/// The Java release for the image tag: the release itself when it has JRE images, else the
/// next long-term-support release (`1.8` → `8`, `23` → `25`).
fn set_version(p: &mut Proposal, written: &str, source: &str) {
    let digits: String = written
        .trim_start_matches("1.")
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    let Ok(release) = digits.parse::<u32>() else {
        return;
    };
    let image = LTS
        .iter()
        .copied()
        .find(|l| *l >= release)
        .unwrap_or(release);
    let source = if image == release {
        source.to_owned()
    } else {
        format!("{source} ({written}), on the next long-term-support JRE")
    };
    p.set_str(ServiceKey::Version, image.to_string(), source);
}

/// The Spring Boot version of a pom: the starter parent's, the BOM's, or the plugin's.
fn maven_spring_boot(pom: &str) -> Option<String> {
    [
        "spring-boot-starter-parent",
        "spring-boot-dependencies",
        "spring-boot-maven-plugin",
    ]
    .iter()
    .find_map(|artifact| {
        let at = pom.find(&format!("<artifactId>{artifact}</artifactId>"))?;
        // the <version> of the same element: before the element closes
        let rest = &pom[at..];
        let end = rest
            .find("</parent>")
            .or_else(|| rest.find("</dependency>"))
            .or_else(|| rest.find("</plugin>"))
            .unwrap_or(rest.len());
        element(&rest[..end], "version")
    })
    .and_then(|v| major_minor(&v))
}

/// The project's own artifactId: the first one outside its `<parent>` element, which may
/// come before or after it.
fn own_artifact_id(pom: &str) -> Option<String> {
    let parent = pom.find("<parent>").zip(pom.find("</parent>"));
    let outside = match parent {
        Some((start, end)) if start < end => format!("{}{}", &pom[..start], &pom[end..]),
        _ => pom.to_owned(),
    };
    element(&outside, "artifactId")
}

fn major_minor(v: &str) -> Option<String> {
    super::text::major_minor(v).filter(|m| !m.starts_with('$'))
}

/// The text of the first `<name>...</name>` element, trimmed; none when empty or a
/// property reference.
fn element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    let text = xml[start..end].trim();
    (!text.is_empty() && !text.starts_with("${")).then(|| text.to_owned())
}

fn strip_xml_comments(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find("-->")
            .map_or("", |e| &rest[start + e + 3..]);
    }
    out.push_str(rest);
    out
}

/// The first quoted string after `key`: `rootProject.name = 'demo'` → `demo`.
fn quoted_after(text: &str, key: &str) -> Option<String> {
    let rest = &text[text.find(key)? + key.len()..];
    let line = rest.lines().next().unwrap_or_default();
    let start = line.find(['"', '\''])?;
    let quote = line[start..].chars().next()?;
    let body = &line[start + 1..];
    Some(body[..body.find(quote)?].to_owned())
}

/// The rest of the line after `key`, for numbers such as `JavaLanguageVersion.of(17)` or
/// `sourceCompatibility = JavaVersion.VERSION_17`.
fn after(text: &str, key: &str) -> Option<String> {
    let rest = &text[text.find(key)? + key.len()..];
    let line = rest.lines().next().unwrap_or_default();
    let value = line.replace("VERSION_1_", "").replace("VERSION_", "");
    value
        .chars()
        .any(|c| c.is_ascii_digit())
        .then(|| value.trim().to_owned())
}

/// The port from `application.properties` or `application.yml` (`server.port`,
/// `quarkus.http.port`, `micronaut.server.port`), taking the default of `${PORT:8081}`.
fn port(dir: Dir<'_>, framework: Option<Framework>) -> Option<(u16, String, String)> {
    let key = match framework? {
        Framework::SpringBoot => "server.port",
        Framework::Quarkus => "quarkus.http.port",
        Framework::Micronaut => "micronaut.server.port",
    };
    let resources = "src/main/resources";
    for name in [
        "application.properties",
        "application.yml",
        "application.yaml",
    ] {
        let rel = format!("{resources}/{name}");
        let Some(text) = dir.read(&rel) else { continue };
        let value = if name.ends_with(".properties") {
            properties_value(&text, key)
        } else {
            yaml_value(&text, key)
        };
        if let Some(port) = value.as_deref().and_then(port_number) {
            let path = dir.path(&rel);
            return Some((port, format!("`{key}` in {path}"), path));
        }
    }
    None
}

/// `${PORT:8081}` → 8081, `8081` → 8081.
fn port_number(value: &str) -> Option<u16> {
    let value = value.trim().trim_matches(['"', '\'']);
    let value = value
        .strip_prefix("${")
        .and_then(|v| v.strip_suffix('}'))
        .and_then(|v| v.split_once(':'))
        .map_or(value, |(_, default)| default);
    value.parse().ok().filter(|p| *p > 0)
}

fn properties_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (k, v) = line.trim().split_once(['=', ':'])?;
        (k.trim() == key).then(|| v.trim().to_owned())
    })
}

/// The value at a dotted key of a YAML file, read by indentation (a flat
/// `server.port: 8081` line counts too). Profile documents after a `---` are left out.
fn yaml_value(text: &str, key: &str) -> Option<String> {
    let parts: Vec<&str> = key.split('.').collect();
    let mut path: Vec<(usize, String)> = Vec::new();
    for line in text.lines() {
        if line.trim_start() == "---" {
            break;
        }
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        let Some((k, v)) = trimmed.split_once(':') else {
            continue;
        };
        while path.last().is_some_and(|(i, _)| *i >= indent) {
            path.pop();
        }
        path.push((indent, k.trim().to_owned()));
        let full: Vec<&str> = path.iter().flat_map(|(_, k)| k.split('.')).collect();
        if full == parts && !v.trim().is_empty() {
            return Some(v.trim().to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::fs::MemFs;

    const BOOT_POM: &str = r"<project>
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>3.5.16</version>
  </parent>
  <artifactId>greeting</artifactId>
  <properties><java.version>17</java.version></properties>
  <!-- <modules><module>x</module></modules> -->
</project>";

    fn run(files: &[(&str, &str)]) -> Outcome {
        let fs = MemFs::new(files.iter().copied());
        Java.detect(Dir::new(&fs, ""), &Options::default()).unwrap()
    }

    fn found(files: &[(&str, &str)]) -> Proposal {
        match run(files) {
            Outcome::Found(p) => *p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn spring_boot_maven() {
        let p = found(&[
            ("pom.xml", BOOT_POM),
            ("mvnw", ""),
            (
                "src/main/resources/application.properties",
                "server.port=${PORT:8081}\n",
            ),
        ]);
        assert_eq!(
            p.get(ServiceKey::SpringBoot),
            Some(&Value::Str("3.5".into()))
        );
        assert_eq!(p.get(ServiceKey::Version), Some(&Value::Str("17".into())));
        assert_eq!(p.get(ServiceKey::Port), Some(&Value::Int(8081)));
        assert_eq!(p.name_hint.as_deref(), Some("greeting"));
    }

    #[test]
    fn gradle_kotlin_and_quarkus_yaml() {
        let p = found(&[
            (
                "build.gradle.kts",
                "plugins {\n  id(\"org.springframework.boot\") version \"3.4.1\"\n}\njava { toolchain { languageVersion = JavaLanguageVersion.of(23) } }\n",
            ),
            ("settings.gradle.kts", "rootProject.name = \"shop\"\n"),
            ("gradlew", ""),
            ("src/main/resources/application.yml", "spring:\n  application:\n    name: shop\nserver:\n  port: 9000\n"),
        ]);
        assert_eq!(
            p.get(ServiceKey::PackageManager),
            Some(&Value::Str("gradle".into()))
        );
        assert_eq!(
            p.get(ServiceKey::SpringBoot),
            Some(&Value::Str("3.4".into()))
        );
        assert_eq!(p.get(ServiceKey::Version), Some(&Value::Str("25".into())));
        assert_eq!(p.get(ServiceKey::Port), Some(&Value::Int(9000)));
        assert_eq!(p.name_hint.as_deref(), Some("shop"));
        let q = found(&[
            ("pom.xml", "<project><artifactId>heroes</artifactId><properties><maven.compiler.release>25</maven.compiler.release></properties><dependency><groupId>io.quarkus</groupId></dependency></project>"),
            ("src/main/resources/application.yml", "quarkus:\n  http:\n    port: 8083\n"),
        ]);
        assert_eq!(q.get(ServiceKey::Port), Some(&Value::Int(8083)));
        assert!(q.notes[0].contains("uber-jar"), "{:?}", q.notes);
    }

    #[test]
    fn libraries_modules_and_absent() {
        assert!(matches!(
            run(&[(
                "pom.xml",
                "<project><modules><module>a</module></modules></project>"
            )]),
            Outcome::NotAnApp { .. }
        ));
        assert!(matches!(
            run(&[("pom.xml", "<project><artifactId>lib</artifactId></project>")]),
            Outcome::NotAnApp { .. }
        ));
        assert!(matches!(run(&[("go.mod", "")]), Outcome::Absent));
    }
}
