//! The house rules, checked on every test run: each layer of the application imports only from the
//! layers below it, and the files of one layer never import each other in a circle.
//!
//! ```text
//! pages        (UI: one file a page or area)
//! components   (UI pieces shared by pages)
//! api          (server functions: the boundary)
//! backend      (ssr only: the database, repositories and services)
//! error, wording (the one error that crosses the wire; labels and dates from the translations)
//! domain, i18n (pure types and rules; the generated translations)
//! ```
//!
//! The check reads the source as text: every `crate::layer` path outside comments, also inside
//! grouped `use crate::{…}` lines, and every `super::file` path between the files of one folder.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const LAYERS: [&str; 8] = [
    "domain",
    "i18n",
    "error",
    "wording",
    "backend",
    "api",
    "components",
    "pages",
];

fn rank(layer: &str) -> Option<usize> {
    match layer {
        // The generated translations and the domain are both leaves.
        "domain" | "i18n" => Some(0),
        "error" | "wording" => Some(1),
        "backend" => Some(2),
        "api" => Some(3),
        "components" => Some(4),
        "pages" => Some(5),
        _ => None,
    }
}

/// The source of `path` without its comments (line comments, doc comments and block comments).
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("source file readable");
    let mut out = String::with_capacity(text.len());
    let mut in_block = false;
    for line in text.lines() {
        let mut rest = line;
        let mut kept = String::new();
        loop {
            if in_block {
                match rest.find("*/") {
                    Some(end) => {
                        rest = &rest[end + 2..];
                        in_block = false;
                    }
                    None => break,
                }
            } else {
                let line_comment = rest.find("//");
                let block = rest.find("/*");
                match (line_comment, block) {
                    (Some(l), Some(b)) if b < l => {
                        kept.push_str(&rest[..b]);
                        rest = &rest[b + 2..];
                        in_block = true;
                    }
                    (Some(l), _) => {
                        kept.push_str(&rest[..l]);
                        break;
                    }
                    (None, Some(b)) => {
                        kept.push_str(&rest[..b]);
                        rest = &rest[b + 2..];
                        in_block = true;
                    }
                    (None, None) => {
                        kept.push_str(rest);
                        break;
                    }
                }
            }
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

fn identifier_at(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The names that follow `prefix` in `code`: `crate::x` gives `x`, and `crate::{x::…, y}` gives
/// both `x` and `y` (the first segment of each part of the group).
fn names_after(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (at, _) in code.match_indices(prefix) {
        // `prefix` must start a path: not the tail of a longer identifier.
        if at > 0 {
            let before = code[..at].chars().last().unwrap_or(' ');
            if before.is_alphanumeric() || before == '_' {
                continue;
            }
        }
        let rest = &code[at + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut part_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => part_start = true,
                    c if part_start && (c.is_alphanumeric() || c == '_') => {
                        names.insert(identifier_at(&group[i..]).to_string());
                        part_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name = identifier_at(rest);
            if !name.is_empty() {
                names.insert(name.to_string());
            }
        }
    }
    names
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("folder readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The layer a file belongs to: its top folder under `src/`, or the file's own name (error.rs).
fn layer_of(path: &Path) -> Option<String> {
    let relative = path.strip_prefix(src()).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    Some(first.trim_end_matches(".rs").to_string())
}

/// Every import of a higher layer, as "file imports layer".
fn upward_imports() -> Vec<String> {
    let mut found = Vec::new();
    for file in rust_files(&src()) {
        let Some(own) = layer_of(&file).and_then(|l| rank(&l).map(|r| (l, r))) else {
            // lib.rs (the top) and this check itself.
            continue;
        };
        for name in names_after(&code_of(&file), "crate::") {
            if let Some(theirs) = rank(&name) {
                if theirs > own.1 {
                    let relative = file.strip_prefix(src()).unwrap_or(&file).display();
                    found.push(format!("src/{relative} ({}) imports crate::{name}", own.0));
                }
            }
        }
    }
    found
}

/// The circles between the files of one folder (through `super::file` or `crate::layer::file`).
fn circles_in(folder: &str) -> Vec<Vec<String>> {
    let dir = src().join(folder);
    let files: Vec<String> = rust_files(&dir)
        .iter()
        .filter(|p| p.parent() == Some(dir.as_path()))
        .filter_map(|p| p.file_stem()?.to_str().map(String::from))
        // mod.rs is the folder's common ground: its children may use it and it declares them.
        .filter(|stem| stem != "mod")
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let code = code_of(&dir.join(format!("{file}.rs")));
        let mut targets = names_after(&code, "super::");
        targets.extend(names_after(&code, &format!("crate::{folder}::")));
        targets.retain(|t| t != file && files.contains(t));
        edges.insert(file.clone(), targets);
    }
    // Depth-first search; a back edge closes a circle.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        circles: &mut Vec<Vec<String>>,
    ) {
        if let Some(at) = path.iter().position(|n| n == node) {
            circles.push(path[at..].to_vec());
            return;
        }
        if done.contains(node) {
            return;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            visit(next, edges, path, done, circles);
        }
        path.pop();
        done.insert(node.to_string());
    }
    let mut circles = Vec::new();
    let mut done = BTreeSet::new();
    for file in &files {
        visit(file, &edges, &mut Vec::new(), &mut done, &mut circles);
    }
    circles
}

#[test]
fn layers_import_only_downward() {
    let found = upward_imports();
    assert!(
        found.is_empty(),
        "upward imports (allowed: pages → components → api → backend → error/wording → domain/i18n):\n{}",
        found.join("\n")
    );
}

#[test]
fn no_folder_has_an_import_circle() {
    for folder in LAYERS.iter().filter(|l| src().join(l).is_dir()) {
        let circles = circles_in(folder);
        assert!(
            circles.is_empty(),
            "import circles in src/{folder}: {circles:?}"
        );
    }
}

#[test]
fn the_check_sees_what_it_should() {
    let code =
        "use crate::{api::x, components::{a, b}};\nlet v = crate::pages::y();\nfoo_crate::backend";
    let names = names_after(code, "crate::");
    assert_eq!(
        names,
        BTreeSet::from(["api".into(), "components".into(), "pages".into()])
    );
    let dir = std::env::temp_dir().join(format!("layering-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("x.rs");
    std::fs::write(
        &file,
        "/* crate::pages */ let a = 1; // crate::api\n/// crate::backend\nuse crate::domain;\n",
    )
    .expect("written");
    assert_eq!(
        names_after(&code_of(&file), "crate::"),
        BTreeSet::from(["domain".into()])
    );
    std::fs::remove_dir_all(&dir).ok();
}
