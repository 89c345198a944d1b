//! The check that a rendered Dockerfile keeps tini in front of its command: a project's
//! template that replaces the final stage or its command could otherwise drop it, and the
//! image would build and then ignore `docker stop` again, which nobody notices until a deploy
//! waits for the kill.

use crate::plan::init::{command_prefix, InitSection};

/// What the final stage of a rendered Dockerfile lacks of the init, if anything.
pub(super) fn missing(dockerfile: &str, init: &InitSection) -> Option<&'static str> {
    let mut copies = false;
    let mut entrypoint: Option<String> = None;
    for instruction in instructions(dockerfile) {
        let (keyword, rest) = instruction
            .split_once(char::is_whitespace)
            .unwrap_or((instruction.as_str(), ""));
        let rest = rest.trim();
        match keyword.to_ascii_uppercase().as_str() {
            // a new stage: only the last one is the image that runs
            "FROM" => (copies, entrypoint) = (false, None),
            // with `copy-link = true` the copy is `COPY --link ...`
            "COPY" => copies |= words(rest) == words(&init.copy),
            "ENTRYPOINT" => entrypoint = Some(rest.to_owned()),
            _ => {}
        }
    }
    let starts_with_tini = entrypoint
        .and_then(|e| serde_json::from_str::<Vec<String>>(&e).ok())
        .is_some_and(|words| words.starts_with(&command_prefix()));
    if !copies {
        Some("its final stage does not copy tini from the `init` stage")
    } else if !starts_with_tini {
        Some("its final `ENTRYPOINT` does not start the command with tini")
    } else {
        None
    }
}

/// The words of a `COPY`'s arguments, `--link` left out.
fn words(text: &str) -> Vec<&str> {
    text.split_whitespace().filter(|w| *w != "--link").collect()
}

/// The instructions of a Dockerfile, one string each: comments and blank lines left out,
/// continuation lines joined.
fn instructions(dockerfile: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in dockerfile.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        if let Some(part) = trimmed.strip_suffix('\\') {
            current.push_str(part);
            current.push(' ');
        } else {
            current.push_str(trimmed);
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::init::command_prefix;

    fn section() -> InitSection {
        InitSection {
            install: crate::plan::Run::default(),
            copy: "--from=init /usr/bin/tini-static /usr/bin/tini".into(),
            entrypoint: crate::plan::escape::exec_form(&command_prefix()),
        }
    }

    const COPY: &str = "COPY --from=init /usr/bin/tini-static /usr/bin/tini\n";

    #[test]
    fn the_final_stage_must_copy_tini_and_start_with_it() {
        let ok = format!("FROM a AS init\nFROM b AS runtime\n{COPY}ENTRYPOINT [\"/usr/bin/tini\", \"--\", \"/app\"]\n");
        assert_eq!(missing(&ok, &section()), None);
        let spread =
            format!("FROM b\n{COPY}entrypoint [\"/usr/bin/tini\", \\\n  \"--\"]\nCMD [\"x\"]\n");
        assert_eq!(missing(&spread, &section()), None);
        let linked = ok.replace("COPY --from", "COPY --link --from");
        assert_eq!(missing(&linked, &section()), None);
        let no_copy = "FROM b\nENTRYPOINT [\"/usr/bin/tini\", \"--\", \"/app\"]\n";
        assert!(missing(no_copy, &section()).unwrap().contains("copy"));
        let copied_earlier =
            format!("FROM a\n{COPY}FROM b\nENTRYPOINT [\"/usr/bin/tini\", \"--\"]\n");
        assert!(missing(&copied_earlier, &section()).is_some());
        for entrypoint in [
            "",
            "ENTRYPOINT [\"/app\"]\n",
            "ENTRYPOINT /usr/bin/tini -- /app\n",
            "ENTRYPOINT [\"/usr/bin/tini\", \"--\"]\nENTRYPOINT [\"/app\"]\n",
        ] {
            let text = format!("FROM b\n{COPY}{entrypoint}CMD [\"x\"]\n");
            assert!(
                missing(&text, &section()).unwrap().contains("ENTRYPOINT"),
                "{text}"
            );
        }
    }
}
