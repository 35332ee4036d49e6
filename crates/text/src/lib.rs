//! Chinese text for search and repeat detection: segmentation with jieba and the 信访 dictionary
//! shipped in `data/xinfang.dict` (which the bureau extends), the tokens an index stores and a
//! query requires, pinyin keys of names, highlighted snippets and token similarity. Pure: no
//! I/O, no clock.

use std::collections::{BTreeSet, HashSet};

use jieba_rs::Jieba;
use pinyin::ToPinyin;
use sha2::{Digest, Sha256};

/// The petition words shipped with the binary (`word tag` per line, jieba's user-dictionary
/// format without frequencies: each word is given the frequency that keeps it whole).
pub const SHIPPED_DICTIONARY: &str = include_str!("../data/xinfang.dict");

/// The longest word the bureau may add to its dictionary, in characters.
pub const MAX_WORD_CHARS: usize = 16;

/// A segmenter: jieba's dictionary, the shipped petition words and the bureau's own.
pub struct Segmenter {
    jieba: Jieba,
    version: String,
}

impl std::fmt::Debug for Segmenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segmenter")
            .field("version", &self.version)
            .finish()
    }
}

/// The words of a dictionary text: the first field of each non-empty, non-comment line.
fn dictionary_words(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next())
}

impl Segmenter {
    /// A segmenter with the shipped dictionary and the bureau's `extra` words.
    pub fn new<S: AsRef<str>>(extra: &[S]) -> Self {
        let mut jieba = Jieba::new();
        let mut words: BTreeSet<String> = dictionary_words(SHIPPED_DICTIONARY)
            .map(str::to_string)
            .collect();
        words.extend(
            extra
                .iter()
                .map(|w| w.as_ref().trim().to_string())
                .filter(|w| !w.is_empty()),
        );
        for w in &words {
            // No frequency: jieba suggests the one that keeps the word whole in context.
            jieba.add_word(w, None, None);
        }
        let mut h = Sha256::new();
        for w in &words {
            h.update(w.as_bytes());
            h.update(b"\n");
        }
        let version = hex::encode(&h.finalize()[..8]);
        Segmenter { jieba, version }
    }

    /// Names the dictionary: an index built with another version is rebuilt.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Whether jieba knows the word (shipped, the bureau's, or its own dictionary).
    pub fn knows(&self, word: &str) -> bool {
        self.jieba.has_word(word)
    }

    /// The tokens an index stores for a text, in order: search-mode cutting, each long word
    /// and the shorter words inside it, so that 农民 finds 农民工. Without HMM guessing at
    /// unknown words: a text and a query then cut alike.
    pub fn index_tokens(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (latin, piece) in pieces(text) {
            if latin {
                out.push(piece.to_ascii_lowercase());
                continue;
            }
            for t in self.jieba.cut_for_search(piece, false) {
                if let Some(n) = normalize(t.word) {
                    out.push(n);
                }
            }
        }
        out
    }

    /// The tokens a query word requires, each once: the words search mode finds in it, less
    /// any long word wholly made of shorter ones found (拖欠工资 requires 拖欠 and 工资, so it
    /// finds 拖欠农民工工资; 农民工 requires 农民 and 农民工).
    pub fn query_tokens(&self, word: &str) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (latin, piece) in pieces(word) {
            let kept: Vec<&str> = if latin {
                vec![piece]
            } else {
                let cut = self.jieba.cut_for_search(piece, false);
                cut.iter()
                    .filter(|t| {
                        let len = t.end - t.start;
                        let mut covered = vec![false; len];
                        for s in cut.iter().filter(|s| {
                            s.end - s.start < len && s.start >= t.start && s.end <= t.end
                        }) {
                            for c in &mut covered[s.start - t.start..s.end - t.start] {
                                *c = true;
                            }
                        }
                        len == 1 || !covered.iter().all(|c| *c)
                    })
                    .map(|t| t.word)
                    .collect()
            };
            for n in kept.into_iter().filter_map(normalize) {
                if seen.insert(n.clone()) {
                    out.push(n);
                }
            }
        }
        out
    }

    /// The distinct tokens of a text, for similarity.
    pub fn token_set(&self, text: &str) -> HashSet<String> {
        self.index_tokens(text)
            .into_iter()
            .filter(|t| t.chars().count() > 1)
            .collect()
    }
}

/// The text cut into runs of ASCII letters and digits (`true`: an ID number, a phone, a number,
/// kept whole whatever the dictionary holds) and the rest (`false`: for jieba).
fn pieces(text: &str) -> Vec<(bool, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut latin = None;
    for (i, c) in text.char_indices() {
        let l = c.is_ascii_alphanumeric();
        if latin.is_some_and(|prev| prev != l) {
            out.push((latin == Some(true), &text[start..i]));
            start = i;
        }
        latin = Some(l);
    }
    if start < text.len() {
        out.push((latin == Some(true), &text[start..]));
    }
    out
}

/// A token as stored: letters and digits only, Latin letters in lower case (ü as v, as pinyin
/// input methods type it); `None` for punctuation and spaces.
pub fn normalize(word: &str) -> Option<String> {
    let s: String = word
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ü' { 'v' } else { c })
        .collect();
    (!s.is_empty()).then_some(s)
}

/// Surnames whose reading as a surname differs from the character's common reading.
const SURNAME_READINGS: &[(&str, &str)] = &[
    ("单", "shan"),
    ("曾", "zeng"),
    ("解", "xie"),
    ("仇", "qiu"),
    ("朴", "piao"),
    ("查", "zha"),
    ("盖", "ge"),
    ("区", "ou"),
    ("乐", "yue"),
    ("折", "she"),
    ("尉", "yu"),
    ("繁", "po"),
    ("召", "shao"),
    ("覃", "qin"),
    ("缪", "miao"),
    ("翟", "zhai"),
    ("种", "chong"),
    ("员", "yun"),
    ("万俟", "moqi"),
    ("尉迟", "yuchi"),
    ("长孙", "zhangsun"),
];

/// The pinyin of a person's name without tones, the surname read as a surname, as one token
/// (`py` + letters): 张三 and 张叁 share `pyzhangsan`, 单田芳 reads `pyshantianfang`. `None`
/// when the name has no Chinese characters.
pub fn name_key(name: &str) -> Option<String> {
    let name: String = name
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '·')
        .collect();
    let mut rest = name.as_str();
    let mut out = String::from("py");
    if let Some((s, reading)) = SURNAME_READINGS
        .iter()
        .filter(|(s, _)| rest.starts_with(s))
        .max_by_key(|(s, _)| s.len())
    {
        out.push_str(reading);
        rest = &rest[s.len()..];
    }
    let mut any = out.len() > 2;
    for (c, p) in rest.chars().zip(rest.to_pinyin()) {
        match p {
            Some(p) => {
                any = true;
                out.push_str(&p.plain().replace('ü', "v"));
            }
            None if c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
            None => {}
        }
    }
    any.then_some(out)
}

/// Jaccard similarity of two token sets: shared over all.
pub fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 0.0;
    }
    let shared = a.intersection(b).count();
    shared as f64 / (a.len() + b.len() - shared) as f64
}

/// Escapes text for HTML.
pub fn escape_html(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Masks runs of 7 or more digits (ID numbers, phones) as lists do: the first three and the
/// last four kept.
pub fn mask_digit_runs(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_digit() || chars[i] == 'X' || chars[i] == 'x')
            {
                i += 1;
            }
            let run = &chars[start..i];
            if run.len() >= 7 {
                for (k, c) in run.iter().enumerate() {
                    out.push(if k < 3 || k + 4 >= run.len() { *c } else { '*' });
                }
            } else {
                out.extend(run);
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// A snippet of `text` around the first of `terms` it contains, at most `width` characters,
/// HTML-escaped, each occurrence of a term wrapped in `<mark>`; long digit runs masked. Without
/// any term in the text, its beginning.
pub fn snippet(text: &str, terms: &[String], width: usize) -> String {
    let text = mask_digit_runs(text);
    let chars: Vec<char> = text.chars().collect();
    let lower: Vec<char> = chars
        .iter()
        .map(|c| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    let terms: Vec<Vec<char>> = terms
        .iter()
        .map(|t| t.to_lowercase().chars().collect::<Vec<_>>())
        .filter(|t| !t.is_empty())
        .collect();
    let at = |i: usize| -> Option<usize> {
        terms
            .iter()
            .filter(|t| lower[i..].starts_with(t))
            .map(Vec::len)
            .max()
    };
    let first = (0..chars.len()).find(|&i| at(i).is_some());
    let start = first.map_or(0, |f| f.saturating_sub(width / 3));
    let end = (start + width).min(chars.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut i = start;
    while i < end {
        match at(i) {
            Some(n) => {
                let stop = (i + n).min(chars.len());
                out.push_str("<mark>");
                escape_html(&chars[i..stop].iter().collect::<String>(), &mut out);
                out.push_str("</mark>");
                i = stop;
            }
            None => {
                escape_html(&chars[i].to_string(), &mut out);
                i += 1;
            }
        }
    }
    if end < chars.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn seg() -> &'static Segmenter {
        static S: std::sync::OnceLock<Segmenter> = std::sync::OnceLock::new();
        S.get_or_init(|| Segmenter::new::<&str>(&[]))
    }

    fn contains_all(text: &str, word: &str) -> bool {
        let idx: HashSet<String> = seg().index_tokens(text).into_iter().collect();
        seg().query_tokens(word).iter().all(|t| idx.contains(t))
    }

    #[test]
    fn both_the_long_word_and_the_word_inside_it_find_the_text() {
        let text = "张三反映包工头拖欠农民工工资三个月";
        for w in [
            "农民工",
            "农民",
            "工资",
            "农民工工资",
            "拖欠",
            "包工头",
            "拖欠工资",
            "张三",
        ] {
            assert!(contains_all(text, w), "{w}: {:?}", seg().index_tokens(text));
        }
        assert!(!contains_all(text, "物业费"));
    }

    #[test]
    fn the_shipped_words_stay_whole() {
        for w in dictionary_words(SHIPPED_DICTIONARY) {
            let idx = seg().index_tokens(w);
            assert!(idx.contains(&normalize(w).unwrap()), "{w}: {idx:?}");
        }
        let t = seg().index_tokens("申请拆迁安置和宅基地确权，并申请低保");
        for w in ["拆迁安置", "宅基地", "低保"] {
            assert!(t.contains(&w.to_string()), "{w}: {t:?}");
        }
    }

    #[test]
    fn a_bureau_word_changes_the_version_and_the_cut() {
        let plain = Segmenter::new::<&str>(&[]);
        let extended = Segmenter::new(&["城关二小"]);
        assert_ne!(plain.version(), extended.version());
        assert!(
            extended
                .index_tokens("城关二小门口")
                .contains(&"城关二小".to_string())
        );
        assert!(
            !plain
                .index_tokens("城关二小门口")
                .contains(&"城关二小".to_string())
        );
        assert_eq!(Segmenter::new(&["城关二小"]).version(), extended.version());
    }

    #[test]
    fn numbers_and_latin_letters_are_tokens_of_their_own() {
        let t = seg().index_tokens("身份证号11010519491231002X，电话13812345678，拨打12345");
        for w in ["11010519491231002x", "13812345678", "12345"] {
            assert!(t.contains(&w.to_string()), "{w}: {t:?}");
        }
        assert_eq!(normalize("，"), None);
        assert_eq!(normalize("ABC"), Some("abc".into()));
    }

    #[test]
    fn surnames_are_read_as_surnames() {
        assert_eq!(name_key("单雄信").as_deref(), Some("pyshanxiongxin"));
        assert_eq!(name_key("曾国藩").as_deref(), Some("pyzengguofan"));
        assert_eq!(name_key("解缙").as_deref(), Some("pyxiejin"));
        assert_eq!(name_key("张三"), name_key("张叁"));
        assert_eq!(name_key("吕布").as_deref(), Some("pylvbu"));
        assert_eq!(name_key("John"), None);
    }

    #[test]
    fn snippets_mark_terms_escape_html_and_mask_numbers() {
        let s = snippet(
            "<b>张三</b>反映拖欠工资，电话13812345678",
            &["工资".into(), "13812345678".into()],
            40,
        );
        assert!(s.contains("<mark>工资</mark>"), "{s}");
        assert!(s.contains("&lt;b&gt;"), "{s}");
        assert!(s.contains("138****5678"), "{s}");
        assert!(!s.contains("13812345678"), "{s}");
        let long = "甲".repeat(100) + "工资" + &"乙".repeat(100);
        let s = snippet(&long, &["工资".into()], 30);
        assert!(s.starts_with('…') && s.ends_with('…') && s.contains("<mark>工资</mark>"));
    }

    #[test]
    fn jaccard_is_shared_over_all() {
        let a: HashSet<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let b: HashSet<String> = ["b", "c", "d"].iter().map(|s| s.to_string()).collect();
        assert!((jaccard(&a, &b) - 0.5).abs() < 1e-9);
        assert_eq!(jaccard(&HashSet::new(), &HashSet::new()), 0.0);
    }

    proptest! {
        #[test]
        fn cutting_never_panics_and_tokens_are_clean(s in "\\PC{0,60}") {
            for t in seg().index_tokens(&s).iter().chain(seg().query_tokens(&s).iter()) {
                prop_assert!(!t.is_empty() && t.chars().all(char::is_alphanumeric));
            }
            let _ = snippet(&s, &[s.chars().take(2).collect()], 20);
            let _ = name_key(&s);
        }
    }
}
