//! The shape of the use-case layer, checked: each feature is one folder under `src/`, the
//! shared modules (files directly under `src/`) use no feature, and the features call each
//! other only along an acyclic graph (no sideways circles).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<String>) {
    for entry in fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(fs::read_to_string(&path).expect("read file"));
        }
    }
}

/// Every `crate::name` mentioned in the text.
fn crate_refs(text: &str) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            refs.insert(name);
        }
    }
    refs
}

fn layout() -> (BTreeSet<String>, BTreeMap<String, BTreeSet<String>>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut features = BTreeSet::new();
    let mut shared = BTreeSet::new();
    for entry in fs::read_dir(&src).expect("read src") {
        let path = entry.expect("entry").path();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("file name")
            .to_string();
        if path.is_dir() {
            features.insert(name);
        } else if name != "lib" {
            shared.insert(name);
        }
    }
    let mut uses = BTreeMap::new();
    for entry in fs::read_dir(&src).expect("read src") {
        let path = entry.expect("entry").path();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("file name")
            .to_string();
        if name == "lib" {
            continue;
        }
        let mut texts = Vec::new();
        if path.is_dir() {
            rust_files(&path, &mut texts);
        } else {
            texts.push(fs::read_to_string(&path).expect("read"));
        }
        let refs: BTreeSet<String> = texts
            .iter()
            .flat_map(|t| crate_refs(t))
            .filter(|r| *r != name && features.contains(r))
            .collect();
        uses.insert(name, refs);
    }
    let _ = shared;
    (features, uses)
}

#[test]
fn shared_modules_use_no_feature() {
    let (features, uses) = layout();
    for (module, refs) in &uses {
        if !features.contains(module) {
            assert!(
                refs.is_empty(),
                "shared module {module} uses the features {refs:?}"
            );
        }
    }
}

#[test]
fn features_form_no_circle() {
    let (features, uses) = layout();
    assert!(features.len() >= 8, "features found: {features:?}");
    // Depth-first search for a back edge; the path is the circle.
    fn visit(
        node: &str,
        uses: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if done.contains(node) {
            return;
        }
        if let Some(at) = path.iter().position(|n| n == node) {
            panic!("features import each other in a circle: {:?}", &path[at..]);
        }
        path.push(node.to_string());
        for next in uses.get(node).into_iter().flatten() {
            visit(next, uses, path, done);
        }
        path.pop();
        done.insert(node.to_string());
    }
    let mut done = BTreeSet::new();
    for f in &features {
        visit(f, &uses, &mut Vec::new(), &mut done);
    }
}

/// The gate in the types: no public function of the use cases hands out a stored petition record
/// (`PetitionRecord`) — what leaves the layer is a `PetitionView`, which only `access` builds, from
/// an allow-list. `CaseView` is the one public holder of a record, and it holds the one its
/// caller passed in (a view's record), never one it read itself.
#[test]
fn no_public_use_case_returns_a_stored_petition_record() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut texts = Vec::new();
    rust_files(&src, &mut texts);
    let mut offending = Vec::new();
    for text in &texts {
        for (i, _) in text.match_indices("pub ") {
            let rest = &text[i + 4..];
            let rest = rest.strip_prefix("async ").unwrap_or(rest);
            if let Some(sig) = rest.strip_prefix("fn ") {
                let sig = &sig[..sig.find('{').unwrap_or(sig.len())];
                if let Some((name, ret)) = sig.split_once("->")
                    && ret.contains("PetitionRecord")
                {
                    offending.push(format!("fn {}", name.split('(').next().unwrap_or(name)));
                }
            } else {
                // A public field `pub name: Type,`.
                let line = rest.lines().next().unwrap_or("");
                if let Some((field, ty)) = line.split_once(':')
                    && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && ty.contains("PetitionRecord")
                    && field != "petition"
                {
                    offending.push(format!("field {field}"));
                }
            }
        }
    }
    assert!(
        offending.is_empty(),
        "public use cases hand out stored records (return a PetitionView instead): {offending:?}"
    );
    let access = fs::read_to_string(src.join("access.rs")).expect("access.rs");
    assert!(
        access.contains(
            "pub struct PetitionView {\n    record: PetitionRecord,\n    level: Listing,\n}"
        ),
        "PetitionView's fields stay private to the gate"
    );
}
