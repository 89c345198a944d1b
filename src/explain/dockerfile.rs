//! Reads a rendered Dockerfile the way BuildKit's frontend does, far enough to know its
//! stages and the steps BuildKit shows: continuation lines, comments, flags, JSON and shell
//! forms. The steps are numbered as BuildKit numbers them in its progress output,
//! `[stage i/n]`: a `FROM` an image is step 1, a `FROM` another stage is no step, and each
//! `WORKDIR`, `COPY`, `ADD` and `RUN` is one; other instructions only set image metadata.

/// One stage: `FROM <from> AS <name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stage {
    pub name: String,
    /// The image or earlier stage it starts from.
    pub from: String,
    /// Whether `from` names an earlier stage.
    pub from_earlier: bool,
    pub instructions: Vec<Instruction>,
}

/// One instruction of a stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Instruction {
    /// The keyword, upper case: `RUN`, `COPY`, `ENV`...
    pub keyword: String,
    /// `--name=value` flags, in order.
    pub flags: Vec<(String, String)>,
    /// The arguments: the words of the JSON form, or of the rest of the line split on
    /// spaces (for `RUN` in shell form, the whole command as one argument).
    pub args: Vec<String>,
    /// The instruction as one line, continuation lines joined.
    pub text: String,
    /// `i` of BuildKit's `[stage i/n]`, for instructions that are steps.
    pub position: Option<usize>,
}

impl Instruction {
    pub(crate) fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The values of every flag called `name` (`--mount` may repeat).
    pub(crate) fn flags_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.flags
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Stage {
    /// The number of steps BuildKit shows for the stage: the `n` of `[stage i/n]`.
    pub(crate) fn step_count(&self) -> usize {
        usize::from(!self.from_earlier)
            + self
                .instructions
                .iter()
                .filter(|i| i.position.is_some())
                .count()
    }
}

/// The stages of a Dockerfile, in file order.
pub(crate) fn parse(text: &str) -> Vec<Stage> {
    let mut stages: Vec<Stage> = Vec::new();
    for line in logical_lines(text) {
        let (keyword, rest) = line
            .split_once(char::is_whitespace)
            .map_or((line.as_str(), ""), |(k, r)| (k, r.trim()));
        let keyword = keyword.to_ascii_uppercase();
        let (flags, rest) = split_flags(rest);
        if keyword == "FROM" {
            let words: Vec<&str> = rest.split_whitespace().collect();
            let from = words.first().copied().unwrap_or_default().to_owned();
            let name = match words.as_slice() {
                [_, as_, name] if as_.eq_ignore_ascii_case("as") => (*name).to_owned(),
                _ => stages.len().to_string(),
            };
            let from_earlier = stages.iter().any(|s| s.name == from);
            stages.push(Stage {
                name,
                from,
                from_earlier,
                instructions: Vec::new(),
            });
            continue;
        }
        let Some(stage) = stages.last_mut() else {
            continue;
        };
        let args = if keyword == "RUN" && !rest.starts_with('[') {
            vec![rest.to_owned()]
        } else if keyword == "WORKDIR" {
            // One word, which may hold spaces.
            vec![process_word(rest)]
        } else if let Some(items) = json_array(rest) {
            // BuildKit expands the items of a `COPY` or `ADD` in JSON form like words:
            // mbgen escapes `$`, quotes and `\` in paths that hold them.
            let expands = matches!(keyword.as_str(), "COPY" | "ADD");
            items
                .into_iter()
                .map(|item| if expands { process_word(&item) } else { item })
                .collect()
        } else {
            rest.split_whitespace().map(str::to_owned).collect()
        };
        let is_step = matches!(keyword.as_str(), "RUN" | "COPY" | "ADD" | "WORKDIR");
        let position = is_step.then(|| {
            usize::from(!stage.from_earlier)
                + stage
                    .instructions
                    .iter()
                    .filter(|i| i.position.is_some())
                    .count()
                + 1
        });
        stage.instructions.push(Instruction {
            keyword,
            flags,
            args,
            text: line.clone(),
            position,
        });
    }
    stages
}

/// A word as BuildKit's word processing reads what mbgen escaped: `\x` is `x`.
fn process_word(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

/// The instructions of a Dockerfile, one per line: comments and blank lines dropped,
/// continuation lines (`\` at the end) joined with a space.
fn logical_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for raw in text.lines() {
        let line = raw.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            current.push_str(head.trim_end());
            current.push(' ');
            continue;
        }
        current.push_str(line);
        out.push(std::mem::take(&mut current));
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

/// Leading `--name=value` flags, and what follows them.
fn split_flags(rest: &str) -> (Vec<(String, String)>, &str) {
    let mut flags = Vec::new();
    let mut rest = rest.trim_start();
    while let Some(after) = rest.strip_prefix("--") {
        let end = after.find(char::is_whitespace).unwrap_or(after.len());
        let flag = &after[..end];
        let (name, value) = flag.split_once('=').unwrap_or((flag, ""));
        flags.push((name.to_owned(), value.to_owned()));
        rest = after[end..].trim_start();
    }
    (flags, rest)
}

/// The strings of a JSON array, when `text` is one.
fn json_array(text: &str) -> Option<Vec<String>> {
    if !text.starts_with('[') {
        return None;
    }
    serde_json::from_str(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_and_steps_are_numbered_as_buildkit_shows_them() {
        let text = "# header\nFROM golang:1.24-trixie AS deps\nWORKDIR /src\nCOPY go.mod go.sum* ./\nRUN --mount=type=cache,target=/go/pkg/mod \\\n    go mod download\n\nFROM deps AS build\nARG V=1\nCOPY . .\nRUN go build .\n\nFROM scratch AS runtime\nCOPY --from=build /app /app\nUSER 1:1\nCMD [\"/app\"]\n";
        let stages = parse(text);
        let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["deps", "build", "runtime"]);
        assert_eq!(stages[0].step_count(), 4);
        assert_eq!(stages[1].step_count(), 2);
        assert!(stages[1].from_earlier);
        let run = &stages[0].instructions[2];
        assert_eq!(run.position, Some(4));
        assert_eq!(run.flag("mount"), Some("type=cache,target=/go/pkg/mod"));
        assert_eq!(run.args, ["go mod download"]);
        let copy = &stages[2].instructions[0];
        assert_eq!(copy.flag("from"), Some("build"));
        assert_eq!(copy.args, ["/app", "/app"]);
        let odd = parse(
            "FROM node:22 AS a\nCOPY [\"apps/\\\\$hop api/package.json\", \"apps/\\\\$hop api/\"]\nWORKDIR /app/apps/\\$hop api\n",
        );
        assert_eq!(
            odd[0].instructions[0].args,
            ["apps/$hop api/package.json", "apps/$hop api/"]
        );
        assert_eq!(odd[0].instructions[1].args, ["/app/apps/$hop api"]);
        assert_eq!(stages[2].instructions[2].args, ["/app"]);
        assert_eq!(stages[1].instructions[0].position, None);
    }
}
