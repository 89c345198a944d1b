//! `pnpm-workspace.yaml`: the member patterns of a pnpm workspace.

/// The `packages` list of `pnpm-workspace.yaml`, block or flow style.
pub(crate) fn packages(text: &str) -> Vec<String> {
    let unquote = |s: &str| s.trim().trim_matches(['"', '\'']).to_owned();
    let mut out = Vec::new();
    let mut in_packages = false;
    for line in text.lines() {
        let content = line.split(" #").next().unwrap_or_default().trim_end();
        if content.trim().is_empty() || content.trim_start().starts_with('#') {
            continue;
        }
        if !line.starts_with([' ', '\t', '-']) {
            in_packages = false;
            if let Some(rest) = content.strip_prefix("packages:") {
                let rest = rest.trim();
                if let Some(flow) = rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
                    out.extend(flow.split(',').map(unquote).filter(|s| !s.is_empty()));
                } else {
                    in_packages = true;
                }
            }
            continue;
        }
        if in_packages {
            if let Some(item) = content.trim_start().strip_prefix("- ") {
                out.push(unquote(item));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pnpm_workspace_file() {
        let text =
            "packages:\n  - 'apps/*'\n  - \"packages/*\"\n  # - 'old/*'\ncatalog:\n  react: ^18\n";
        assert_eq!(packages(text), ["apps/*", "packages/*"]);
        assert_eq!(packages("packages: ['a/*', b]\n"), ["a/*", "b"]);
    }
}
