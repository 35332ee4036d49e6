//! Font loading, family resolution per role and glyph coverage checks.
//!
//! Fonts come from two places:
//! 1. the configured font directories (the bureau's licensed 仿宋_GB2312, 方正小标宋 …), and
//! 2. the bundled Fandol fonts (`fonts/`, GPL with font exception), which always exist.
//!
//! Each role (body 仿宋, title 小标宋, heading 黑体, 楷体, 宋体) has a chain of family names.
//! A name may be written as the font's Chinese or English family name: every family name in the
//! font's `name` table (IDs 1 and 16, all languages) is an alias for the family typst knows the
//! font by. The chain is resolved once, dropping families that are not installed.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use typst::foundations::Bytes;
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;

use crate::RenderError;

/// The bundled fonts: (file name, bytes). Order matters only for identical family names, where
/// a configured directory's font wins because those are pushed first.
const BUNDLED: &[(&str, &[u8])] = &[
    (
        "FandolFang-Regular.otf",
        include_bytes!("../fonts/FandolFang-Regular.otf"),
    ),
    (
        "FandolSong-Regular.otf",
        include_bytes!("../fonts/FandolSong-Regular.otf"),
    ),
    (
        "FandolHei-Regular.otf",
        include_bytes!("../fonts/FandolHei-Regular.otf"),
    ),
    (
        "FandolKai-Regular.otf",
        include_bytes!("../fonts/FandolKai-Regular.otf"),
    ),
];

/// Family names of the bundled fonts (as typst reports them).
pub const BUNDLED_FAMILIES: &[&str] = &["FandolFang", "FandolSong", "FandolHei", "FandolKai"];

/// A typographic role in official documents, each with its own family chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FontRole {
    /// 正文 仿宋 (GB/T 9704: 3号仿宋_GB2312).
    Body,
    /// 标题 / 发文机关标志 小标宋.
    Title,
    /// 一级标题 黑体.
    Heading,
    /// 二级标题 楷体, 签发人.
    Kai,
    /// 宋体 (page numbers, tables).
    Song,
}

impl FontRole {
    /// All roles, in a stable order.
    pub const ALL: [FontRole; 5] = [
        FontRole::Body,
        FontRole::Title,
        FontRole::Heading,
        FontRole::Kai,
        FontRole::Song,
    ];

    /// The key under which templates find the role's families (`fonts.body` …).
    pub fn key(self) -> &'static str {
        match self {
            FontRole::Body => "body",
            FontRole::Title => "title",
            FontRole::Heading => "heading",
            FontRole::Kai => "kai",
            FontRole::Song => "song",
        }
    }
}

/// The fallback chain of family names per role. Earlier names win; names that are not installed
/// are skipped. Each default chain lists the usual licensed fonts, then the bundled Fandol
/// family (so a role always resolves), then wide-coverage OFL families (Noto / Source Han SC)
/// that serve characters Fandol lacks when they are installed in a font directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FontFamilies {
    /// 仿宋 for body text.
    pub body: Vec<String>,
    /// 小标宋 for titles and the organ name.
    pub title: Vec<String>,
    /// 黑体 for first-level headings.
    pub heading: Vec<String>,
    /// 楷体 for second-level headings.
    pub kai: Vec<String>,
    /// 宋体 for page numbers and tables.
    pub song: Vec<String>,
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

impl Default for FontFamilies {
    fn default() -> Self {
        Self {
            body: strings(&[
                "仿宋_GB2312",
                "FangSong_GB2312",
                "方正仿宋_GBK",
                "FZFangSong-Z02",
                "方正仿宋简体",
                "FZFangSong-Z02S",
                "仿宋",
                "FangSong",
                "FandolFang",
                "Noto Serif CJK SC",
                "Source Han Serif SC",
            ]),
            title: strings(&[
                "方正小标宋简体",
                "FZXiaoBiaoSong-B05S",
                "方正小标宋_GBK",
                "FZXiaoBiaoSong-B05",
                "华文中宋",
                "STZhongsong",
                "FandolSong",
                "Noto Serif CJK SC",
                "Source Han Serif SC",
            ]),
            heading: strings(&[
                "黑体",
                "SimHei",
                "方正黑体_GBK",
                "FZHei-B01",
                "方正黑体简体",
                "FZHei-B01S",
                "FandolHei",
                "Noto Sans CJK SC",
                "Source Han Sans SC",
            ]),
            kai: strings(&[
                "楷体_GB2312",
                "KaiTi_GB2312",
                "方正楷体_GBK",
                "FZKai-Z03",
                "方正楷体简体",
                "FZKai-Z03S",
                "楷体",
                "KaiTi",
                "FandolKai",
                "LXGW WenKai",
                "Noto Serif CJK SC",
                "Source Han Serif SC",
            ]),
            song: strings(&[
                "宋体",
                "SimSun",
                "方正书宋_GBK",
                "FZShuSong-Z01",
                "FandolSong",
                "Noto Serif CJK SC",
                "Source Han Serif SC",
            ]),
        }
    }
}

impl FontFamilies {
    /// The configured chain of a role.
    pub fn chain(&self, role: FontRole) -> &[String] {
        match role {
            FontRole::Body => &self.body,
            FontRole::Title => &self.title,
            FontRole::Heading => &self.heading,
            FontRole::Kai => &self.kai,
            FontRole::Song => &self.song,
        }
    }
}

/// A resolved family: the name typst knows it by and the indices of its faces in the book.
#[derive(Debug, Clone)]
pub(crate) struct Family {
    /// The name typst selects the family by.
    pub name: String,
    /// The name shown to people (the font's English typographic family, e.g. `FandolFang`
    /// where typst says `FandolFang R`).
    pub display: String,
    pub faces: Vec<usize>,
    pub bundled: bool,
}

/// All loaded fonts with their book and the resolved role chains.
pub(crate) struct FontSet {
    pub fonts: Vec<Font>,
    pub book: LazyHash<FontBook>,
    pub roles: BTreeMap<FontRole, Vec<Family>>,
    /// Whether each face came from the bundle (index-aligned with `fonts`).
    bundled: Vec<bool>,
    /// The display name of each face's family (index-aligned with `fonts`).
    display: Vec<String>,
}

fn is_font_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .is_some_and(|e| matches!(e.as_str(), "ttf" | "otf" | "ttc" | "otc"))
}

fn collect_font_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), RenderError> {
    let entries = fs::read_dir(dir).map_err(|source| RenderError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect_font_files(&path, out)?;
        } else if is_font_file(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// All family names in a face's `name` table (IDs 16 then 1, any language that decodes), the
/// English typographic family first: that one is the name shown in warnings.
fn family_aliases(data: &[u8], index: u32) -> Vec<String> {
    let Ok(face) = ttf_parser::Face::parse(data, index) else {
        return Vec::new();
    };
    let mut names: Vec<(u8, String)> = face
        .names()
        .into_iter()
        .filter_map(|n| {
            let rank = match n.name_id {
                ttf_parser::name_id::TYPOGRAPHIC_FAMILY => 0,
                ttf_parser::name_id::FAMILY => 2,
                _ => return None,
            };
            let english =
                n.language_id == 0x0409 || n.platform_id == ttf_parser::PlatformId::Unicode;
            let s = n.to_string()?.trim().to_owned();
            (!s.is_empty()).then_some((rank + u8::from(!english), s))
        })
        .collect();
    names.sort_by_key(|(rank, _)| *rank);
    let mut out: Vec<String> = Vec::new();
    for (_, name) in names {
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Maps a font file instead of reading it: system CJK collections are 20–30 MB each, and a
/// render touches only the few glyphs it uses, so mapping keeps the server's resident memory small.
#[allow(unsafe_code)]
fn map_font(path: &std::path::Path) -> std::io::Result<memmap2::Mmap> {
    let file = fs::File::open(path)?;
    // SAFETY: the mapping is read-only and font files are not modified while the server runs;
    // a file truncated underneath a mapping is the same hazard every font stack accepts.
    unsafe { memmap2::Mmap::map(&file) }
}

impl FontSet {
    pub fn load(dirs: &[PathBuf], families: &FontFamilies) -> Result<Self, RenderError> {
        let mut fonts = Vec::new();
        let mut bundled = Vec::new();
        let mut display: Vec<String> = Vec::new();
        // lowercase alias -> typst family name
        let mut aliases: HashMap<String, String> = HashMap::new();

        let mut add = |bytes: Bytes, is_bundled: bool, fonts: &mut Vec<Font>| {
            for font in Font::iter(bytes.clone()) {
                let family = font.info().family.clone();
                let names = family_aliases(bytes.as_slice(), font.index());
                display.push(names.first().cloned().unwrap_or_else(|| family.clone()));
                for alias in names {
                    aliases
                        .entry(alias.to_lowercase())
                        .or_insert(family.clone());
                }
                aliases
                    .entry(family.to_lowercase())
                    .or_insert(family.clone());
                fonts.push(font);
                bundled.push(is_bundled);
            }
        };

        // Configured directories first: for equal family names typst prefers the earlier face.
        for dir in dirs {
            let mut files = Vec::new();
            collect_font_files(dir, &mut files)?;
            for path in files {
                let data = map_font(&path).map_err(|source| RenderError::Io {
                    path: path.clone(),
                    source,
                })?;
                add(Bytes::new(data), false, &mut fonts);
            }
        }
        for (_, data) in BUNDLED {
            add(Bytes::new(*data), true, &mut fonts);
        }

        let book = FontBook::from_fonts(&fonts);

        let mut roles = BTreeMap::new();
        for role in FontRole::ALL {
            let mut resolved: Vec<Family> = Vec::new();
            for wanted in families.chain(role) {
                let Some(name) = aliases.get(&wanted.trim().to_lowercase()) else {
                    continue;
                };
                if resolved.iter().any(|f| &f.name == name) {
                    continue;
                }
                let faces: Vec<usize> = book.select_family(&name.to_lowercase()).collect();
                if faces.is_empty() {
                    continue;
                }
                let is_bundled = faces.iter().all(|&i| bundled[i]);
                resolved.push(Family {
                    name: name.clone(),
                    display: display[faces[0]].clone(),
                    faces,
                    bundled: is_bundled,
                });
            }
            if resolved.is_empty() {
                return Err(RenderError::Font(format!(
                    "字体角色 {} 的字体链 {:?} 中没有可用字体",
                    role.key(),
                    families.chain(role)
                )));
            }
            roles.insert(role, resolved);
        }

        Ok(Self {
            fonts,
            book: LazyHash::new(book),
            roles,
            bundled,
            display,
        })
    }

    /// The resolved chain of a role.
    pub fn chain(&self, role: FontRole) -> &[Family] {
        self.roles.get(&role).map(Vec::as_slice).unwrap_or_default()
    }

    fn face_covers(&self, index: usize, ch: char) -> bool {
        self.book
            .info(index)
            .is_some_and(|info| info.coverage.contains(ch as u32))
    }

    /// Which font renders `ch` in `role`: `Ok(None)` when the chain's first family has it,
    /// `Ok(Some(family))` when a later family or typst's fallback over all loaded fonts
    /// supplies it, and `Err(())` when no loaded font has it.
    pub fn coverage(&self, role: FontRole, ch: char) -> Result<Option<String>, ()> {
        let chain = self.chain(role);
        for (pos, family) in chain.iter().enumerate() {
            if family.faces.iter().any(|&i| self.face_covers(i, ch)) {
                return Ok(if pos == 0 {
                    None
                } else {
                    Some(family.display.clone())
                });
            }
        }
        // typst falls back to any font covering the character; prefer a bundled one, as the
        // template lists those last.
        let mut any = None;
        for index in 0..self.fonts.len() {
            if self.face_covers(index, ch) {
                let name = self.display[index].clone();
                if self.bundled[index] {
                    return Ok(Some(name));
                }
                any.get_or_insert(name);
            }
        }
        any.map(Some).ok_or(())
    }
}

/// Characters that need no glyph (whitespace, controls, default-ignorables such as variation
/// selectors and joiners).
pub(crate) fn needs_glyph(ch: char) -> bool {
    if ch.is_whitespace() || ch.is_control() {
        return false;
    }
    !matches!(ch as u32,
        0x00AD | 0x034F | 0x061C | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF)
}
