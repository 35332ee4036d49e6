//! The domain's modules form a layered graph: no module reaches, directly or through others, back
//! to itself. Cycles are legal Rust but make the vocabulary impossible to read bottom-up, so this
//! test reads `src/*.rs`, collects every `crate::x` reference (tests included) and looks for one.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The source with comments and the contents of string and char literals removed, so that a
/// `crate::x` in a doc comment or a message is not taken for a dependency.
fn code_only(src: &str) -> String {
    let s: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        let next = s.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < s.len() && s[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < s.len() {
                if s[i] == '/' && s.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if s[i] == '*' && s.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r'
            && matches!(next, Some('"' | '#'))
            && (i == 0 || !(s[i - 1].is_alphanumeric() || s[i - 1] == '_'))
            && raw_string_end(&s, i).is_some()
        {
            i = raw_string_end(&s, i).unwrap_or(s.len());
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < s.len() && s[i] != '"' {
                i += if s[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && char_literal_end(&s, i).is_some() {
            i = char_literal_end(&s, i).unwrap_or(s.len());
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// For `r"…"` / `r#"…"#` starting at `i`, the index just past its end.
fn raw_string_end(s: &[char], i: usize) -> Option<usize> {
    let mut j = i + 1;
    let mut hashes = 0;
    while s.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    if s.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < s.len() {
        if s[j] == '"' && (1..=hashes).all(|k| s.get(j + k) == Some(&'#')) {
            return Some(j + 1 + hashes);
        }
        j += 1;
    }
    Some(s.len())
}

/// For a char literal starting at `i` (`'x'`, `'\n'`, `'\u{4e00}'`), the index just past it;
/// `None` for a lifetime.
fn char_literal_end(s: &[char], i: usize) -> Option<usize> {
    match s.get(i + 1)? {
        '\\' => {
            let mut j = i + 2;
            while j < s.len() && s[j] != '\'' {
                j += 1;
            }
            Some(j + 1)
        }
        _ if s.get(i + 2) == Some(&'\'') => Some(i + 3),
        _ => None,
    }
}

fn ident_at(s: &[char], mut i: usize) -> (String, usize) {
    while i < s.len() && s[i].is_whitespace() {
        i += 1;
    }
    let start = i;
    while i < s.len() && (s[i].is_alphanumeric() || s[i] == '_') {
        i += 1;
    }
    (s[start..i].iter().collect(), i)
}

/// The first path segment after every `crate::`, including each branch of `crate::{a, b::c}`.
fn crate_references(code: &str) -> Vec<String> {
    let s: Vec<char> = code.chars().collect();
    let needle: Vec<char> = "crate::".chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i + needle.len() <= s.len() {
        let starts_word = i == 0 || !(s[i - 1].is_alphanumeric() || s[i - 1] == '_');
        if !(starts_word && s[i..i + needle.len()] == needle[..]) {
            i += 1;
            continue;
        }
        i += needle.len();
        while i < s.len() && s[i].is_whitespace() {
            i += 1;
        }
        if s.get(i) == Some(&'{') {
            // Top-level branches of the group: an identifier right after `{` or a depth-1 `,`.
            let mut depth = 0;
            let mut expect = true;
            while i < s.len() {
                match s[i] {
                    '{' => {
                        depth += 1;
                        expect = depth == 1;
                        i += 1;
                    }
                    '}' => {
                        depth -= 1;
                        i += 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        expect = true;
                        i += 1;
                    }
                    c if expect && (c.is_alphanumeric() || c == '_') => {
                        let (id, j) = ident_at(&s, i);
                        found.push(id);
                        expect = false;
                        i = j;
                    }
                    c if c.is_whitespace() => i += 1,
                    _ => {
                        expect = false;
                        i += 1;
                    }
                }
            }
        } else {
            let (id, j) = ident_at(&s, i);
            if !id.is_empty() {
                found.push(id);
            }
            i = j;
        }
    }
    found
}

/// `pub use module::…::Name;` in lib.rs: a reference to `crate::Name` is one to `module`.
fn root_reexports(lib: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for stmt in code_only(lib).split(';') {
        let Some(path) = stmt.trim().strip_prefix("pub use ") else {
            continue;
        };
        let path = path
            .trim()
            .trim_start_matches("crate::")
            .trim_start_matches("self::");
        let Some((module, rest)) = path.split_once("::") else {
            continue;
        };
        if !modules.contains(module) {
            continue;
        }
        let names = rest.rsplit("::").next().unwrap_or(rest);
        for name in names.trim_matches(|c| c == '{' || c == '}').split(',') {
            let name = name.split(" as ").last().unwrap_or(name).trim();
            if !name.is_empty() {
                map.insert(name.to_string(), module.to_string());
            }
        }
    }
    map
}

fn module_graph(src_dir: &Path) -> Graph {
    let mut sources = BTreeMap::new();
    for entry in fs::read_dir(src_dir).expect("read src/") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "rs") {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            sources.insert(stem, fs::read_to_string(&path).expect("read module"));
        }
    }
    let lib = sources.remove("lib").expect("src/lib.rs");
    let modules: BTreeSet<String> = sources.keys().cloned().collect();
    let reexports = root_reexports(&lib, &modules);
    let mut graph = Graph::new();
    for (module, src) in &sources {
        let deps = graph.entry(module.clone()).or_default();
        for name in crate_references(&code_only(src)) {
            let target = if modules.contains(&name) {
                name
            } else if let Some(m) = reexports.get(&name) {
                m.clone()
            } else {
                panic!(
                    "{module}.rs refers to crate::{name}, which is neither a module nor a \
                     re-export in lib.rs; teach tests/modules.rs about it"
                );
            };
            if &target != module {
                deps.insert(target);
            }
        }
    }
    graph
}

/// A cycle as a path `a → … → a`, if there is one.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Unseen,
        OnPath,
        Done,
    }
    fn visit(
        node: &str,
        graph: &Graph,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(node.to_string(), Mark::OnPath);
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match marks.get(next).copied().unwrap_or(Mark::Unseen) {
                Mark::OnPath => {
                    let start = path.iter().position(|n| n == next).unwrap();
                    let mut cycle = path[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Mark::Unseen => {
                    if let Some(c) = visit(next, graph, marks, path) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(node.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if marks.get(node).copied().unwrap_or(Mark::Unseen) == Mark::Unseen
            && let Some(c) = visit(node, graph, &mut marks, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_module_graph_has_no_cycle() {
    let graph = module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(
        graph.contains_key("lifecycle"),
        "read the wrong src/: {graph:#?}"
    );
    if let Some(cycle) = find_cycle(&graph) {
        let edges: Vec<String> = graph
            .iter()
            .map(|(m, deps)| {
                let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
                format!("  {m} → {}", deps.join(", "))
            })
            .collect();
        panic!(
            "module cycle: {}\nall edges:\n{}",
            cycle.join(" → "),
            edges.join("\n")
        );
    }
}

#[test]
fn references_are_read_from_code_not_from_comments_or_strings() {
    let src = r####"
        //! See crate::commented.
        use crate::error::FieldError;
        use crate::{role::Role, words::{Channel, Stage}, self_named};
        fn f<'a>(x: &'a str) -> char {
            let _ = "crate::in_a_string";
            let _ = r#"crate::in_a_raw_string"#;
            /* crate::in_a_block /* nested */ crate::still_in_it */
            let _ = crate::deadline::date_zh;
            let _ = not_crate::other;
            '"'
        }
        const Y: &str = crate::catalog::X;
    "####;
    assert_eq!(
        crate_references(&code_only(src)),
        [
            "error",
            "role",
            "words",
            "self_named",
            "deadline",
            "catalog"
        ]
    );
}

#[test]
fn a_cycle_is_found_and_named() {
    let graph: Graph = [("a", &["b"][..]), ("b", &["c"]), ("c", &["a"]), ("d", &[])]
        .into_iter()
        .map(|(m, deps)| (m.into(), deps.iter().map(|d| d.to_string()).collect()))
        .collect();
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    let mut acyclic = graph;
    acyclic.get_mut("c").unwrap().clear();
    assert_eq!(find_cycle(&acyclic), None);
}
