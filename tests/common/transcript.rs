//! The README's first-run session: its commands, the output each printed, and how an actual
//! output is compared with it. Shared by tests/readme.rs (the mbgen commands) and the e2e case
//! `first-run` (all of them, Docker's included).

/// One command of the session and what it printed.
#[derive(Debug)]
pub(crate) struct Step {
    /// The command line, without the `$ ` prompt.
    pub command: String,
    /// The lines it printed; `...` stands for any lines.
    pub expected: Vec<String>,
}

/// The heading the session sits under, and its code block's language.
const HEADING: &str = "## First run";
const FENCE: &str = "```console";

/// The commands of the README's first-run session, in order.
pub(crate) fn steps(readme: &str) -> Vec<Step> {
    let section = readme
        .split_once(&format!("\n{HEADING}\n"))
        .map_or("", |(_, rest)| rest);
    let block = section
        .split_once(&format!("\n{FENCE}\n"))
        .and_then(|(_, rest)| rest.split_once("\n```\n"))
        .map_or("", |(block, _)| block);
    let mut steps: Vec<Step> = Vec::new();
    for line in block.lines() {
        if let Some(command) = line.strip_prefix("$ ") {
            steps.push(Step {
                command: command.to_owned(),
                expected: Vec::new(),
            });
        } else if let Some(step) = steps.last_mut() {
            step.expected.push(line.to_owned());
        }
    }
    steps
}

/// A line as compared: BuildKit's step number (`#12 `) is left out, and a container id
/// (64 hexadecimal digits) stands for any.
fn comparable(line: &str) -> String {
    let line = line.trim_end();
    let line = match line.strip_prefix('#') {
        Some(rest) => rest
            .split_once(' ')
            .filter(|(number, _)| number.chars().all(|c| c.is_ascii_digit()))
            .map_or(line, |(_, text)| text),
        None => line,
    };
    if line.len() == 64 && line.chars().all(|c| c.is_ascii_hexdigit()) {
        "<container id>".to_owned()
    } else {
        line.to_owned()
    }
}

/// Whether `actual` shows the `expected` lines: in order, one after the other, except where a
/// `...` line stands for any number of lines. Says which expected line is missing otherwise.
pub(crate) fn compare(expected: &[String], actual: &str) -> Result<(), String> {
    let actual: Vec<String> = actual.lines().map(comparable).collect();
    let mut at = 0;
    let mut skipping = false;
    for want in expected {
        if want == "..." {
            skipping = true;
            continue;
        }
        let want = comparable(want);
        let found = if skipping {
            actual[at..].iter().position(|a| *a == want).map(|i| at + i)
        } else {
            (actual.get(at) == Some(&want)).then_some(at)
        };
        match found {
            Some(i) => at = i + 1,
            None => {
                return Err(format!(
                    "expected {want:?}{}, got:\n{}",
                    if skipping { " further on" } else { " next" },
                    actual[at.min(actual.len())..].join("\n")
                ))
            }
        }
        skipping = false;
    }
    if !skipping && at < actual.len() {
        return Err(format!(
            "more output than the README shows:\n{}",
            actual[at..].join("\n")
        ));
    }
    Ok(())
}
