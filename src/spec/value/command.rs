//! Commands: shell commands for `RUN`, exec-form commands, and whole extra instructions.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

use super::{check_single_line, shown};

/// A shell command for a `RUN` step, on one line: `npm run build:prod`.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
pub struct ShellCommand(String);
string_newtype!(ShellCommand);

impl TryFrom<String> for ShellCommand {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        check_single_line("the command", &value)?;
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err("the command is empty: write the command to run, or remove the key to use the default".to_owned());
        }
        if trimmed.ends_with('\\') {
            return Err(
                "the command ends with `\\`, which would continue the Dockerfile line".to_owned(),
            );
        }
        if trimmed.contains("<<") {
            return Err("the command uses `<<`, which newer Dockerfile frontends read as the start of a heredoc: put the script in a file and run that".to_owned());
        }
        if let Some(at) = shell_comment_start(trimmed) {
            let comment: String = trimmed[at..].chars().take(40).collect();
            return Err(format!(
                "the command holds a shell comment (`{}`), which would hide the commands after it in the `RUN` step (BuildKit drops a line that starts with `#`; the shell ignores the rest of a line after one): remove it, or keep it as a TOML comment after the value",
                shown(&comment)
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }
}

/// Where a shell comment starts in `command`: a `#` beginning a word outside quotes, as the
/// POSIX shell reads it (`echo a#b`, `'#'` and `${#x}` hold none).
fn shell_comment_start(command: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut previous: Option<char> = None;
    for (i, c) in command.char_indices() {
        let word_start = previous.is_none_or(|p| p.is_whitespace() || ";&|()<>".contains(p));
        previous = Some(c);
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, c) {
            (Some('\''), '\'') | (Some('"'), '"') => quote = None,
            (Some('"') | None, '\\') => escaped = true,
            (None, '\'' | '"') => quote = Some(c),
            (None, '#') if word_start => return Some(i),
            _ => {}
        }
    }
    None
}

/// The longest exec-form command, as the JSON array of its line.
const MAX_COMMAND_LINE: usize = 32 * 1024;

/// The instruction keywords accepted in `instructions`.
pub(crate) const INSTRUCTION_KEYWORDS: &[&str] = &["RUN", "COPY", "ENV", "ARG", "LABEL"];

/// One Dockerfile instruction on one line, written as it should appear: `RUN ...`, `COPY ...`,
/// `ENV ...`, `ARG ...` or `LABEL ...`. No line breaks, no trailing `\`, no heredoc (`<<`).
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(
    extend("pattern" = r"^\s*(RUN|COPY|ENV|ARG|LABEL)\s+\S")
)]
pub struct Instruction(String);
string_newtype!(Instruction);

impl TryFrom<String> for Instruction {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        check_single_line("the instruction", &value)?;
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(
                "the instruction is empty: write it as in a Dockerfile, such as `RUN echo hello`"
                    .to_owned(),
            );
        }
        if trimmed.ends_with('\\') {
            return Err(
                "the instruction ends with `\\`, which would continue onto the next line"
                    .to_owned(),
            );
        }
        if trimmed.contains("<<") {
            return Err("the instruction uses `<<`, which newer Dockerfile frontends read as the start of a heredoc: put the script in a file, COPY it and RUN that".to_owned());
        }
        // BuildKit splits the keyword off at a space or a tab only: `RUN\u{a0}echo` is one
        // word to it, an unknown instruction.
        let keyword = trimmed.split([' ', '\t']).next().unwrap_or_default();
        let upper = keyword.to_ascii_uppercase();
        let allowed = INSTRUCTION_KEYWORDS.join(", ");
        if !INSTRUCTION_KEYWORDS.contains(&keyword) {
            let why = match upper.as_str() {
                k if INSTRUCTION_KEYWORDS.contains(&k) => {
                    format!("write the keyword in capitals: `{upper}`")
                }
                "FROM" => "mbgen owns the stages: to change them, use a project template (docs/templates.md)".to_owned(),
                "USER" => "the user is set with `user`, and mbgen's own `USER` line follows these instructions".to_owned(),
                "WORKDIR" => "a `WORKDIR` would move the steps mbgen writes after it: use absolute paths, or `RUN cd dir && ...`".to_owned(),
                "CMD" | "ENTRYPOINT" => "set the command with `start`".to_owned(),
                "EXPOSE" => "set the ports with `port` and `extra-ports`".to_owned(),
                "HEALTHCHECK" => "set the health check with `healthcheck`".to_owned(),
                "ADD" => "use `COPY`: ADD's downloads and archive unpacking are a hadolint finding".to_owned(),
                _ => format!("start with one of {allowed}, or use a project template (docs/templates.md)"),
            };
            return Err(format!(
                "`{}` is not an instruction accepted here: {why}",
                shown(keyword)
            ));
        }
        let rest = trimmed[keyword.len()..].trim();
        if rest.is_empty() {
            return Err(format!("`{keyword}` needs arguments"));
        }
        check_arguments(keyword, rest)?;
        Ok(Self(trimmed.to_owned()))
    }
}

impl Instruction {
    /// Whether the instruction runs `/bin/sh`: a `RUN` whose command, after its flags
    /// (`--mount=...`), is not in exec form (a JSON array).
    #[must_use]
    pub fn runs_a_shell(&self) -> bool {
        let Some(rest) = self
            .0
            .strip_prefix("RUN")
            .filter(|r| r.starts_with([' ', '\t']))
        else {
            return false;
        };
        let mut rest = rest.trim_start();
        while rest.starts_with("--") {
            rest = rest
                .split_once([' ', '\t'])
                .map_or("", |(_, r)| r)
                .trim_start();
        }
        !rest.starts_with('[')
    }
}

/// Checks the arguments of an instruction as BuildKit's parser does when it reads the
/// Dockerfile, so that a line it would refuse is refused here, at its place in mbgen.toml.
fn check_arguments(keyword: &str, rest: &str) -> Result<(), String> {
    let words = words(rest).ok_or_else(|| {
        format!("`{keyword}` has a quote that is not closed: close it, or escape it with `\\`")
    })?;
    match keyword {
        "ENV" | "LABEL" if !words[0].contains('=') && words.len() < 2 => {
            return Err(format!(
                "`{keyword} {}` has no value: write `{keyword} NAME=value`",
                shown(&words[0])
            ));
        }
        "ENV" | "LABEL" if !words[0].contains('=') => {}
        "ENV" | "LABEL" => {
            for word in &words {
                match word.split_once('=') {
                    Some((name, _)) if !name.is_empty() => {}
                    _ => {
                        return Err(format!(
                            "`{}` in `{keyword}` is not of the form NAME=value: BuildKit refuses the line; quote a value with spaces (`{keyword} NAME=\"a b\"`)",
                            shown(word)
                        ))
                    }
                }
            }
        }
        "COPY" => {
            let arguments = words.iter().filter(|w| !w.starts_with("--")).count();
            if arguments < 2 {
                return Err(
                    "`COPY` needs a source and a destination: `COPY config/app.toml /etc/app/`"
                        .to_owned(),
                );
            }
        }
        _ => {}
    }
    Ok(())
}

/// The words of an instruction's arguments, split at spaces outside quotes as BuildKit does;
/// `None` when a quote is not closed.
fn words(text: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if quote.is_none() && (c == ' ' || c == '\t') {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        word.push(c);
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (q, '\\') if q != Some('\'') => word.extend(chars.next()),
            _ => {}
        }
    }
    if quote.is_some() {
        return None;
    }
    if !word.is_empty() {
        words.push(word);
    }
    Some(words)
}

/// A command run as the container's main process, in exec form: an array of arguments
/// (`["gunicorn", "app:app"]`), or a string split into words like a shell would
/// (`"gunicorn app:app"`), without pipes, redirections or variables.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(with = "ExecCommandSchema")]
pub struct ExecCommand(Vec<String>);

#[derive(JsonSchema)]
#[schemars(untagged)]
#[allow(dead_code)]
enum ExecCommandSchema {
    /// A command line, split into words like a shell would.
    #[schemars(extend("minLength" = 1))]
    Line(String),
    /// The arguments, program first.
    #[schemars(extend("minItems" = 1))]
    Args(Vec<String>),
}

impl ExecCommand {
    #[must_use]
    pub fn args(&self) -> &[String] {
        &self.0
    }

    /// A command mbgen itself composed.
    #[must_use]
    pub fn builtin(args: &[&str]) -> Self {
        Self(args.iter().map(|a| (*a).to_owned()).collect())
    }

    fn from_args(args: Vec<String>) -> Result<Self, String> {
        if args.is_empty() || args[0].trim().is_empty() {
            return Err("the command is empty: name the program to run, for example `[\"node\", \"server.js\"]`".to_owned());
        }
        for arg in &args {
            check_single_line("a command argument", arg)?;
        }
        // The command is one line of the Dockerfile, which BuildKit reads up to 64 KiB.
        let line: usize = args.iter().map(|a| a.len() + 4).sum();
        if line > MAX_COMMAND_LINE {
            return Err(format!(
                "the command is {line} characters long as a Dockerfile line; at most {MAX_COMMAND_LINE}: run a script that holds the long part"
            ));
        }
        Ok(Self(args))
    }

    fn from_line(line: &str) -> Result<Self, String> {
        check_single_line("the command", line)?;
        if let Some(op) = ["|", "&&", "||", ";", ">", "<", "$", "`"]
            .into_iter()
            .find(|op| line.contains(op))
        {
            return Err(format!(
                "the command uses `{op}`, which needs a shell: the container's main process runs without one. Write the arguments as an array, or put the logic in a script and run that"
            ));
        }
        let words = shell_words::split(line)
            .map_err(|e| format!("the command cannot be split into words: {e}"))?;
        Self::from_args(words)
    }
}

impl<'de> Deserialize<'de> for ExecCommand {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ExecCommand;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a command: a string such as \"node server.js\" or an array such as [\"node\", \"server.js\"]")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ExecCommand, E> {
                ExecCommand::from_line(v).map_err(E::custom)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ExecCommand, A::Error> {
                let mut args = Vec::new();
                while let Some(arg) = seq.next_element::<String>()? {
                    args.push(arg);
                }
                ExecCommand::from_args(args).map_err(serde::de::Error::custom)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_form_runs_are_told_from_exec_form_and_other_instructions() {
        let runs = |line: &str| {
            Instruction::try_from(line.to_owned())
                .unwrap()
                .runs_a_shell()
        };
        assert!(runs("RUN python manage.py collectstatic --noinput"));
        assert!(runs(
            "RUN --mount=type=cache,target=/root/.cache pip install ."
        ));
        assert!(runs("RUN\tls"));
        assert!(!runs(r#"RUN ["/usr/bin/python3", "manage.py", "check"]"#));
        assert!(!runs(r#"RUN --network=none ["/usr/bin/python3", "-V"]"#));
        assert!(!runs("COPY config/prod.toml /etc/api/config.toml"));
        assert!(!runs("ENV RUNNER=1"));
    }

    #[test]
    fn shell_comments_are_found_outside_quotes_at_word_starts() {
        for (command, at) in [
            ("# pip wheel -r requirements.txt", Some(0)),
            ("npm run build # prod", Some(14)),
            ("make;#x", Some(5)),
            ("echo a#b", None),
            ("echo '# not' \"#\" \\#", None),
            ("echo ${#PATH} $#", None),
        ] {
            assert_eq!(shell_comment_start(command), at, "{command}");
        }
        assert!(ShellCommand::try_from("  # pip wheel .".to_owned())
            .unwrap_err()
            .contains("shell comment"));
        assert!(ShellCommand::try_from("echo '#'".to_owned()).is_ok());
    }

    #[test]
    fn exec_commands() {
        let c = ExecCommand::from_line("gunicorn --bind '0.0.0.0:8080' app:app").unwrap();
        assert_eq!(c.args(), ["gunicorn", "--bind", "0.0.0.0:8080", "app:app"]);
        assert!(ExecCommand::from_line("node a.js | tee log").is_err());
        assert!(ExecCommand::from_line("   ").is_err());
        assert!(ExecCommand::from_args(vec![]).is_err());
        assert!(ExecCommand::from_args(vec!["a\nb".into()]).is_err());
    }
}
