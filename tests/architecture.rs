//! Imports run one way: the layers written down in `src/lib.rs`, from the top, and a module
//! may use only modules of its own layer or of layers below it.

mod common;

use std::collections::BTreeMap;

use fs_err as fs;

/// `module → layer index` from the `layer <name>: a, b, c` lines of `src/lib.rs`, top first.
fn layers() -> BTreeMap<String, usize> {
    let lib = fs::read_to_string(common::root().join("src/lib.rs")).unwrap();
    let mut out = BTreeMap::new();
    for (i, line) in lib
        .lines()
        .filter_map(|l| l.trim_start_matches("//!").trim().strip_prefix("layer "))
        .enumerate()
    {
        let (_, modules) = line.split_once(':').expect("`layer <name>: modules`");
        for module in modules.split(',') {
            out.insert(module.trim().to_owned(), i);
        }
    }
    assert!(out.len() > 10, "src/lib.rs lists the layers: {out:?}");
    out
}

/// The top-level module a source file belongs to.
fn module_of(path: &std::path::Path) -> String {
    let rel = path.strip_prefix(common::root().join("src")).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

/// The top-level modules a source text names with `crate::`, in `use` lists too; comments
/// (doc links among them) do not count.
fn used_modules(text: &str) -> Vec<String> {
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let text = code.as_str();
    let mut out = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if rest.starts_with('{') {
            // `use crate::{a::b, c};`: every item at the top of the list.
            let list = &rest[1..rest.find("};").unwrap_or(rest.len())];
            let mut depth = 0;
            let mut item = String::new();
            for c in list.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(first_segment(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            out.push(first_segment(&item));
        } else {
            out.push(first_segment(rest));
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

fn first_segment(path: &str) -> String {
    path.trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn modules_import_only_from_their_layer_or_below() {
    let layers = layers();
    let mut files = Vec::new();
    sources(&common::root().join("src"), &mut files);
    let mut problems = Vec::new();
    for file in files {
        let module = module_of(&file);
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(&own) = layers.get(&module) else {
            problems.push(format!(
                "{}: module `{module}` is in no layer of src/lib.rs",
                file.display()
            ));
            continue;
        };
        let text = fs::read_to_string(&file).unwrap();
        for used in used_modules(&text) {
            // `crate::Error` is the re-export of `error::Error`.
            let used = if used == "Error" {
                "error".to_owned()
            } else {
                used
            };
            if used == module {
                continue;
            }
            match layers.get(&used) {
                Some(&layer) if layer >= own => {}
                Some(_) => problems.push(format!(
                    "{}: `{module}` uses `{used}`, which is in a layer above it",
                    file.display()
                )),
                None => problems.push(format!(
                    "{}: `crate::{used}` is in no layer of src/lib.rs",
                    file.display()
                )),
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
