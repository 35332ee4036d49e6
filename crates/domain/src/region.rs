//! GB/T 2260 administrative divisions: the current province / prefecture / county list (for the
//! place where a matter arose, `issue_region`), and every code used since 1980 (for the address
//! code of a resident ID, which keeps the code in force when the number was issued).
//!
//! The data is shipped in `crates/domain/data/` (source and licence in its README) and parsed
//! once, lazily. Lookups are binary searches over code-sorted tables.

use std::sync::LazyLock;

use serde::Serialize;

use crate::error::FieldError;

const CURRENT_TSV: &str = include_str!("../data/regions-current.tsv");
const HISTORICAL_TSV: &str = include_str!("../data/regions-historical.tsv");

/// Names the code tables give to placeholders rather than real prefectures ("市辖区" under a
/// municipality, "省直辖县级行政单位", …); left out when composing a full name.
const PSEUDO_PREFECTURES: &[&str] = &[
    "市辖区",
    "县",
    "市",
    "省直辖县级行政单位",
    "省直辖县级行政区划",
    "省直辖行政单位",
    "自治区直辖县级行政单位",
    "自治区直辖县级行政区划",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    /// 省级: province, autonomous region, municipality, SAR.
    Province,
    /// 地级: prefecture-level city, prefecture, autonomous prefecture, league.
    Prefecture,
    /// 县级: district, county, county-level city, banner, ….
    County,
}

impl RegionLevel {
    pub fn label_zh(self) -> &'static str {
        match self {
            RegionLevel::Province => "省级",
            RegionLevel::Prefecture => "地级",
            RegionLevel::County => "县级",
        }
    }

    /// The level a 6-digit code denotes by its shape: `XX0000` province, `XXYY00` prefecture,
    /// anything else county.
    pub fn of_code(code: &str) -> RegionLevel {
        if code.ends_with("0000") {
            RegionLevel::Province
        } else if code.ends_with("00") {
            RegionLevel::Prefecture
        } else {
            RegionLevel::County
        }
    }
}

/// One current division.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Region {
    /// 6-digit GB/T 2260 code, e.g. `110101`.
    pub code: &'static str,
    /// Own name, e.g. `东城区`.
    pub name: &'static str,
    /// Name with its province and prefecture, e.g. `北京市东城区`, `河北省石家庄市长安区`.
    pub full_name: String,
    pub level: RegionLevel,
    /// The code of the division above: the prefecture, or the province for municipal districts
    /// and 省直辖县级行政区划; `None` for a province.
    pub parent: Option<&'static str>,
}

struct HistoricalEntry {
    code: &'static str,
    /// Newest first.
    names: Vec<&'static str>,
}

struct Tables {
    /// Sorted by code.
    current: Vec<Region>,
    /// Sorted by code; includes the current codes.
    historical: Vec<HistoricalEntry>,
}

static TABLES: LazyLock<Tables> = LazyLock::new(build_tables);

fn is_code(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Data lines of a shipped TSV: skips comments, blank and malformed lines.
fn data_lines(tsv: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    tsv.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once('\t'))
        .map(|(c, rest)| (c.trim(), rest.trim()))
        .filter(|(c, rest)| is_code(c) && !rest.is_empty())
}

fn build_tables() -> Tables {
    let mut raw: Vec<(&'static str, &'static str)> = data_lines(CURRENT_TSV).collect();
    raw.sort_by_key(|(c, _)| *c);
    raw.dedup_by_key(|(c, _)| *c);
    let find = |code: &str| -> Option<&'static str> {
        raw.binary_search_by_key(&code, |(c, _)| c)
            .ok()
            .map(|i| raw[i].1)
    };
    let current = raw
        .iter()
        .map(|&(code, name)| {
            let level = RegionLevel::of_code(code);
            let province = format!("{}0000", &code[..2]);
            let prefecture = format!("{}00", &code[..4]);
            let (parent, full_name) = match level {
                RegionLevel::Province => (None, name.to_string()),
                RegionLevel::Prefecture => (
                    static_code(&raw, &province),
                    format!("{}{name}", find(&province).unwrap_or("")),
                ),
                RegionLevel::County => {
                    let p = find(&province).unwrap_or("");
                    match find(&prefecture) {
                        Some(pref) => (static_code(&raw, &prefecture), format!("{p}{pref}{name}")),
                        None => (static_code(&raw, &province), format!("{p}{name}")),
                    }
                }
            };
            Region {
                code,
                name,
                full_name,
                level,
                parent,
            }
        })
        .collect();

    let mut historical: Vec<HistoricalEntry> = data_lines(HISTORICAL_TSV)
        .map(|(code, names)| HistoricalEntry {
            code,
            names: names
                .split('|')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .collect(),
        })
        .filter(|e| !e.names.is_empty())
        .collect();
    // Every current code is also a historical one, whatever the shipped file says.
    for &(code, name) in &raw {
        match historical.binary_search_by_key(&code, |e| e.code) {
            Ok(i) => {
                let names = &mut historical[i].names;
                if names.first() != Some(&name) {
                    names.retain(|n| *n != name);
                    names.insert(0, name);
                }
            }
            Err(i) => historical.insert(
                i,
                HistoricalEntry {
                    code,
                    names: vec![name],
                },
            ),
        }
    }
    historical.sort_by_key(|e| e.code);
    historical.dedup_by_key(|e| e.code);
    Tables {
        current,
        historical,
    }
}

/// The `&'static str` for `code` out of the (static) current table, so that `parent` can borrow
/// the embedded data rather than own a copy.
fn static_code(raw: &[(&'static str, &'static str)], code: &str) -> Option<&'static str> {
    raw.binary_search_by_key(&code, |(c, _)| c)
        .ok()
        .map(|i| raw[i].0)
}

/// A current division by its 6-digit code.
pub fn lookup(code: &str) -> Option<&'static Region> {
    let t = &*TABLES;
    t.current
        .binary_search_by_key(&code, |r| r.code)
        .ok()
        .map(|i| &t.current[i])
}

/// Whether `code` is a division currently in force.
pub fn is_current(code: &str) -> bool {
    lookup(code).is_some()
}

/// The newest name of any code used since 1980, current codes included: `110103` → `崇文区`.
pub fn historical_name(code: &str) -> Option<&'static str> {
    historical_names(code).first().copied()
}

/// Every name a code has carried since 1980, newest first; empty for a code never used.
pub fn historical_names(code: &str) -> &'static [&'static str] {
    let t = &*TABLES;
    match t.historical.binary_search_by_key(&code, |e| e.code) {
        Ok(i) => &t.historical[i].names,
        Err(_) => &[],
    }
}

/// The name of any code ever used, with its province and prefecture as far as the tables know
/// them: `110103` → `北京市崇文区`. For a current code this is its `full_name`.
pub fn historical_full_name(code: &str) -> Option<String> {
    if let Some(r) = lookup(code) {
        return Some(r.full_name.clone());
    }
    let name = historical_name(code)?;
    let level = RegionLevel::of_code(code);
    let mut out = String::new();
    if level != RegionLevel::Province
        && let Some(p) = historical_name(&format!("{}0000", &code[..2]))
    {
        out.push_str(p);
    }
    if level == RegionLevel::County
        && let Some(pref) = historical_name(&format!("{}00", &code[..4]))
        && !PSEUDO_PREFECTURES.contains(&pref)
    {
        out.push_str(pref);
    }
    out.push_str(name);
    Some(out)
}

/// The divisions directly under `code`, in code order.
pub fn children(code: &str) -> Vec<&'static Region> {
    TABLES
        .current
        .iter()
        .filter(|r| r.parent == Some(code))
        .collect()
}

/// All current divisions, in code order.
pub fn all() -> &'static [Region] {
    &TABLES.current
}

/// Search current divisions. A query of digits matches code prefixes, in code order. Any other
/// query matches names (own or full): exact matches first, then prefix matches, then substring
/// matches; within each group counties before prefectures before provinces, then by code.
pub fn search(query: &str, limit: usize) -> Vec<&'static Region> {
    let q = query.trim();
    if q.is_empty() || limit == 0 {
        return Vec::new();
    }
    let t = &*TABLES;
    if q.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .current
            .iter()
            .filter(|r| r.code.starts_with(q))
            .take(limit)
            .collect();
    }
    let mut hits: Vec<(u8, u8, &'static Region)> = t
        .current
        .iter()
        .filter_map(|r| {
            let rank = if r.name == q || r.full_name == q {
                0
            } else if r.name.starts_with(q) || r.full_name.starts_with(q) {
                1
            } else if r.name.contains(q) || r.full_name.contains(q) {
                2
            } else {
                return None;
            };
            let level_rank = match r.level {
                RegionLevel::County => 0,
                RegionLevel::Prefecture => 1,
                RegionLevel::Province => 2,
            };
            Some((rank, level_rank, r))
        })
        .collect();
    hits.sort_by(|a, b| (a.0, a.1, a.2.code).cmp(&(b.0, b.1, b.2.code)));
    hits.into_iter().take(limit).map(|(_, _, r)| r).collect()
}

/// Parses the place where a matter arose (问题属地): a current 6-digit code. A 12-digit
/// statistical division code of a county or above (ending in `000000`) is accepted too.
pub fn parse_issue_region(code: &str) -> Result<&'static Region, FieldError> {
    const FIELD: &str = "issue_region";
    let c = code.trim();
    let six = if c.len() == 12 && c.ends_with("000000") {
        &c[..6]
    } else {
        c
    };
    if !is_code(six) {
        return Err(FieldError::new(
            FIELD,
            "region_unknown",
            format!("行政区划代码应为 6 位数字，收到：{c}"),
        ));
    }
    lookup(six).ok_or_else(|| {
        let msg = match historical_full_name(six) {
            Some(old) => format!("未知的行政区划代码：{six}（{old}，已不再使用）"),
            None => format!("未知的行政区划代码：{six}"),
        };
        FieldError::new(FIELD, "region_unknown", msg)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_110101_is_current_dongcheng_with_full_name() {
        let r = lookup("110101").expect("东城区");
        assert_eq!(r.name, "东城区");
        assert_eq!(r.full_name, "北京市东城区");
        assert_eq!(r.level, RegionLevel::County);
        assert_eq!(r.parent, Some("110000"));
    }

    #[test]
    fn region_county_under_prefecture_has_three_part_full_name() {
        let r = lookup("130102").expect("长安区");
        assert_eq!(r.full_name, "河北省石家庄市长安区");
        assert_eq!(r.parent, Some("130100"));
        let pref = lookup("130100").expect("石家庄市");
        assert_eq!(pref.level, RegionLevel::Prefecture);
        assert_eq!(pref.full_name, "河北省石家庄市");
        assert_eq!(pref.parent, Some("130000"));
    }

    #[test]
    fn region_province_directly_administered_county_hangs_under_province() {
        let r = lookup("429004").expect("仙桃市");
        assert_eq!(r.full_name, "湖北省仙桃市");
        assert_eq!(r.parent, Some("420000"));
    }

    #[test]
    fn region_110103_chongwen_is_historical_only() {
        assert!(lookup("110103").is_none());
        assert!(!is_current("110103"));
        assert_eq!(historical_name("110103"), Some("崇文区"));
        assert_eq!(historical_name("110104"), Some("宣武区"));
        assert_eq!(
            historical_full_name("110103").as_deref(),
            Some("北京市崇文区")
        );
    }

    #[test]
    fn region_historical_list_includes_every_current_code() {
        for r in all() {
            assert!(historical_name(r.code).is_some(), "{}", r.code);
            assert_eq!(historical_name(r.code), Some(r.name));
        }
    }

    #[test]
    fn region_renamed_code_lists_old_names_newest_first() {
        assert_eq!(historical_names("120110"), &["东丽区", "东郊区"]);
    }

    #[test]
    fn region_unknown_code_999999_is_refused() {
        assert!(lookup("999999").is_none());
        assert!(historical_name("999999").is_none());
        let e = parse_issue_region("999999").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("issue_region"));
        assert_eq!(e.code, "region_unknown");
        assert_eq!(e.message, "未知的行政区划代码：999999");
    }

    #[test]
    fn region_parse_issue_region_refuses_abolished_code_and_names_it() {
        let e = parse_issue_region("110103").unwrap_err();
        assert_eq!(e.code, "region_unknown");
        assert!(e.message.contains("崇文区"), "{}", e.message);
    }

    #[test]
    fn region_parse_issue_region_accepts_trimmed_and_12_digit_codes() {
        assert_eq!(parse_issue_region(" 110101 ").unwrap().code, "110101");
        assert_eq!(parse_issue_region("110101000000").unwrap().code, "110101");
        assert_eq!(
            parse_issue_region("11010").unwrap_err().code,
            "region_unknown"
        );
        assert_eq!(
            parse_issue_region("abc").unwrap_err().code,
            "region_unknown"
        );
        assert_eq!(parse_issue_region("").unwrap_err().code, "region_unknown");
    }

    #[test]
    fn region_search_by_name_dongcheng_finds_110101() {
        let hits = search("东城", 10);
        assert!(hits.iter().any(|r| r.code == "110101"));
        assert_eq!(hits[0].code, "110101");
    }

    #[test]
    fn region_search_by_code_prefix_1101_finds_beijing_districts() {
        let hits = search("1101", 100);
        assert_eq!(hits.len(), 16);
        assert!(hits.iter().all(|r| r.code.starts_with("1101")));
        assert_eq!(hits[0].code, "110101");
    }

    #[test]
    fn region_search_ranks_exact_name_first_and_counties_first() {
        // 朝阳区 exists in Beijing (110105) and 朝阳市 is a prefecture in Liaoning (211300);
        // "朝阳" is a prefix of both: the county ranks first.
        let hits = search("朝阳", 20);
        assert_eq!(hits[0].level, RegionLevel::County);
        assert!(hits.iter().any(|r| r.code == "211300"));
        // An exact name beats a prefix match.
        let hits = search("朝阳市", 5);
        assert_eq!(hits[0].code, "211300");
        // A full name works too.
        assert_eq!(search("北京市东城区", 5)[0].code, "110101");
    }

    #[test]
    fn region_search_empty_or_zero_limit_returns_nothing() {
        assert!(search("", 10).is_empty());
        assert!(search("   ", 10).is_empty());
        assert!(search("东城", 0).is_empty());
        assert_eq!(search("区", 7).len(), 7);
    }

    #[test]
    fn region_tables_cover_all_of_china() {
        let provinces = all()
            .iter()
            .filter(|r| r.level == RegionLevel::Province)
            .count();
        assert_eq!(provinces, 34);
        assert!(all().len() > 3000);
        assert!(historical_names("110103").len() == 1);
        assert!(TABLES.historical.len() > 7000);
        // Hong Kong, Macao and Taiwan are provincial units of GB/T 2260.
        for code in ["710000", "810000", "820000"] {
            assert_eq!(lookup(code).map(|r| r.level), Some(RegionLevel::Province));
        }
    }

    #[test]
    fn region_every_non_province_has_an_existing_parent() {
        for r in all() {
            match r.level {
                RegionLevel::Province => assert!(r.parent.is_none()),
                _ => {
                    let p = r.parent.and_then(lookup).expect(r.code);
                    assert!(p.level < r.level, "{}", r.code);
                    assert!(r.full_name.starts_with(&p.full_name), "{}", r.code);
                    assert!(r.full_name.ends_with(r.name));
                }
            }
        }
    }

    #[test]
    fn region_children_of_beijing_are_its_16_districts() {
        let kids = children("110000");
        assert_eq!(kids.len(), 16);
        assert!(kids.iter().all(|r| r.level == RegionLevel::County));
    }

    #[test]
    fn region_level_of_code_follows_code_shape() {
        assert_eq!(RegionLevel::of_code("110000"), RegionLevel::Province);
        assert_eq!(RegionLevel::of_code("130100"), RegionLevel::Prefecture);
        assert_eq!(RegionLevel::of_code("130102"), RegionLevel::County);
    }
}
