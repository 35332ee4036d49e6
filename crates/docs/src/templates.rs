//! Built-in templates (embedded with `include_str!`) and overrides from a directory.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::RenderError;

/// The built-in template files, by path relative to the template root.
macro_rules! builtin {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../templates/", $path)))),*]
    };
}

const BUILTIN: &[(&str, &str)] = builtin![
    "lib/common.typ",
    "lib/gbt9704.typ",
    "lib/slip.typ",
    "lib/drafted.typ",
    "letter_handling_form.typ",
    "acceptance_notice.typ",
    "non_acceptance_notice.typ",
    "no_longer_accepted_notice.typ",
    "supervision_letter.typ",
    "visit_notice_slip.typ",
    "visit_transfer_slip.typ",
    "extension_notice.typ",
    "assignment_letter.typ",
    "transfer_letter.typ",
    "handling_opinion.typ",
    "query_reply_notice.typ",
    "closing_report.typ",
    "closing_approval_form.typ",
    "daily_bulletin.typ",
    "special_bulletin.typ",
    "request_report.typ",
    "circular.typ",
    "statistics_report.typ",
    "dossier.typ",
    "dossier_record.typ",
    "transfer_list.typ",
];

/// One file of the template tree.
#[derive(Debug, Clone)]
pub(crate) struct TemplateFile {
    pub bytes: Vec<u8>,
}

/// The merged template tree: built-in files, replaced or extended by the override directory.
#[derive(Debug, Clone)]
pub(crate) struct TemplateSet {
    /// Path relative to the root, with `/` separators (e.g. `lib/slip.typ`).
    pub files: BTreeMap<String, TemplateFile>,
    /// Version string per top-level template name (without `.typ`).
    pub versions: BTreeMap<String, String>,
}

fn collect_files(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, PathBuf)>,
) -> Result<(), RenderError> {
    let entries = fs::read_dir(dir).map_err(|source| RenderError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| RenderError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect_files(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            let rel: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push((rel.join("/"), path));
        }
    }
    Ok(())
}

/// The version a template declares on one of its first lines: `// template-version: 3`.
fn declared_version(text: &str) -> Option<String> {
    text.lines().take(5).find_map(|line| {
        let rest = line.trim().strip_prefix("//")?.trim();
        let rest = rest.strip_prefix("template-version:")?.trim();
        (!rest.is_empty()).then(|| rest.to_owned())
    })
}

impl TemplateSet {
    pub fn load(dir: Option<&Path>) -> Result<Self, RenderError> {
        let mut files: BTreeMap<String, TemplateFile> = BUILTIN
            .iter()
            .map(|(name, text)| {
                (
                    (*name).to_owned(),
                    TemplateFile {
                        bytes: text.as_bytes().to_vec(),
                    },
                )
            })
            .collect();

        if let Some(dir) = dir {
            let mut found = Vec::new();
            collect_files(dir, dir, &mut found)?;
            for (rel, path) in found {
                let bytes = fs::read(&path).map_err(|source| RenderError::Io {
                    path: path.clone(),
                    source,
                })?;
                files.insert(rel, TemplateFile { bytes });
            }
        }

        // The shared library files every template may import: part of each template's version.
        let mut lib_hasher = Sha256::new();
        for (name, file) in &files {
            if name.starts_with("lib/") && name.ends_with(".typ") {
                lib_hasher.update(name.as_bytes());
                lib_hasher.update([0]);
                lib_hasher.update(&file.bytes);
                lib_hasher.update([0]);
            }
        }

        let mut versions = BTreeMap::new();
        for (name, file) in &files {
            let Some(stem) = name.strip_suffix(".typ") else {
                continue;
            };
            if stem.contains('/') {
                continue;
            }
            let text = String::from_utf8_lossy(&file.bytes);
            let declared = declared_version(&text).unwrap_or_else(|| "0".to_owned());
            let mut hasher = lib_hasher.clone();
            hasher.update(b"template\0");
            hasher.update(&file.bytes);
            let digest = hex::encode(hasher.finalize());
            versions.insert(stem.to_owned(), format!("{declared}-{}", &digest[..12]));
        }

        Ok(Self { files, versions })
    }

    /// The file path of a template name (`visit_notice_slip` or `visit_notice_slip.typ`).
    pub fn main_path(&self, template: &str) -> Option<String> {
        let stem = template.strip_suffix(".typ").unwrap_or(template);
        self.versions
            .contains_key(stem)
            .then(|| format!("{stem}.typ"))
    }

    pub fn version(&self, template: &str) -> Option<&str> {
        let stem = template.strip_suffix(".typ").unwrap_or(template);
        self.versions.get(stem).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_version_is_read_from_the_first_lines() {
        assert_eq!(
            declared_version("// template-version: 3\n#let x = 1").as_deref(),
            Some("3")
        );
        assert_eq!(declared_version("#let x = 1"), None);
    }

    #[test]
    fn every_builtin_top_level_template_has_a_declared_version() {
        for (name, text) in BUILTIN {
            if !name.contains('/') {
                assert!(
                    declared_version(text).is_some(),
                    "{name} lacks a version line"
                );
            }
        }
    }
}
