//! Interchange with the national 信访信息系统 (issue 21): the national record (信访件) with its
//! petitioners and handling rows under the national field names (china-research §1.2), the
//! mapping between our codes and the national ones (only partly known, §3, so a table the bureau
//! edits, shipped with the known values), and parsing one record into a registration that the
//! intake checks like any other. Errors name the record (第 N 条) and the national field.
//!
//! Every value is text in the file, as in the national interface table; numbers and flags in a
//! JSON file may also be JSON numbers or booleans.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Deserializer, Serialize};

use crate::catalog;
use crate::error::FieldError;
use crate::registration::{PetitionerInput, Registration, RegistrationInput, parse_registration};
use crate::source::{Source, SourceInput};
use crate::words::{Channel, Disposition, Stage};

/// The format name written into every exported file.
pub const FORMAT: &str = "xinfang-national-1";

/// Records in one file at most: a file is checked whole before anything is written.
pub const MAX_RECORDS: usize = 20_000;

/// Text, whatever scalar the file used for it (a JSON number, a boolean, null).
fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = String;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("text")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_string<E: serde::de::Error>(self, v: String) -> Result<String, E> {
            Ok(v)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<String, E> {
            Ok(if v { "1" } else { "0" }.to_string())
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<String, E> {
            Ok(String::new())
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<String, E> {
            Ok(String::new())
        }
    }
    d.deserialize_any(V)
}

/// A petitioner of a national record (信访人). Names as the provincial interfaces use them
/// (xm, zjlx, zjhm, zz, sjh); the others in the same style.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NationalPetitioner {
    /// 姓名
    #[serde(deserialize_with = "lenient")]
    pub xm: String,
    /// 证件类型 (national code, e.g. 111 居民身份证)
    #[serde(deserialize_with = "lenient")]
    pub zjlx: String,
    /// 证件号码
    #[serde(deserialize_with = "lenient")]
    pub zjhm: String,
    /// 性别 (GB/T 2261.1: 1 男, 2 女), only when no ID number says it
    #[serde(deserialize_with = "lenient")]
    pub xb: String,
    /// 年龄, only when no ID number says it
    #[serde(deserialize_with = "lenient")]
    pub nl: String,
    /// 民族 (GB/T 3304 two digits)
    #[serde(deserialize_with = "lenient")]
    pub mz: String,
    /// 住址
    #[serde(deserialize_with = "lenient")]
    pub zz: String,
    /// 联系电话
    #[serde(deserialize_with = "lenient")]
    pub sjh: String,
    /// 职业或工作单位
    #[serde(deserialize_with = "lenient")]
    pub zy: String,
    /// 代表标志 (0/1)
    #[serde(deserialize_with = "lenient")]
    pub dbbz: String,
}

/// A handling row (the national 办理 table): 办理方式, 办理机构, 去向单位, 办理时间, 是否延期,
/// 延期时间.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NationalHandling {
    /// 办理方式 (national code)
    #[serde(deserialize_with = "lenient")]
    pub blfs: String,
    /// 办理机构
    #[serde(deserialize_with = "lenient")]
    pub bljg: String,
    /// 去向单位
    #[serde(deserialize_with = "lenient")]
    pub qxdw: String,
    /// 办理时间 `YYYY-MM-DD HH:MM:SS`
    #[serde(deserialize_with = "lenient")]
    pub blsj: String,
    /// 是否延期 (0/1)
    #[serde(deserialize_with = "lenient")]
    pub sfyq: String,
    /// 延期时间: the date the extension runs to, `YYYY-MM-DD`
    #[serde(deserialize_with = "lenient")]
    pub yqsj: String,
}

/// One 信访件 in the national field names. Fields after `blcx` are from the richer mirror of the
/// same system (问题属地名称, 是否保密, 关联件编号, 信访来源) or this system's own extensions
/// (拟办意见, 信访事项类别, 越级, 区外), documented in docs/exchange.md.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NationalRecord {
    /// 行政区划代码 of the registering organ
    #[serde(deserialize_with = "lenient")]
    pub xzqh: String,
    /// 信访件编号
    #[serde(deserialize_with = "lenient")]
    pub xfjbh: String,
    /// 查询码
    #[serde(deserialize_with = "lenient")]
    pub cxm: String,
    /// 信访日期 `YYYY-MM-DD HH:MM:SS`
    #[serde(deserialize_with = "lenient")]
    pub xfrq: String,
    /// 信访形式
    #[serde(deserialize_with = "lenient")]
    pub xfxs: String,
    /// 信访人数
    #[serde(deserialize_with = "lenient")]
    pub xfrs: String,
    /// 涉及人数
    #[serde(deserialize_with = "lenient")]
    pub sjrs: String,
    /// 登记机构名称
    #[serde(deserialize_with = "lenient")]
    pub djjgmc: String,
    /// 登记机构代码
    #[serde(deserialize_with = "lenient")]
    pub djjgdm: String,
    /// 登记时间
    #[serde(deserialize_with = "lenient")]
    pub djsj: String,
    /// 概况信息 (the main problem)
    #[serde(deserialize_with = "lenient")]
    pub gkxx: String,
    /// 投诉内容 (the requests)
    #[serde(deserialize_with = "lenient")]
    pub tsnr: String,
    /// 信访件状态
    #[serde(deserialize_with = "lenient")]
    pub xfjzt: String,
    /// 重复信访标志 (0/1)
    #[serde(deserialize_with = "lenient")]
    pub cfxfbz: String,
    /// 问题属地代码: county (6 digits) or township (9, or 12 ending 000)
    #[serde(deserialize_with = "lenient")]
    pub wtsddm: String,
    /// 内容分类代码
    #[serde(deserialize_with = "lenient")]
    pub nrfldm: String,
    /// 信访目的代码
    #[serde(deserialize_with = "lenient")]
    pub xfmddm: String,
    /// 是否联名 (0/1): here the collective flag
    #[serde(deserialize_with = "lenient")]
    pub lmbz: String,
    /// 是否同意公开 (0/1)
    #[serde(deserialize_with = "lenient")]
    pub gkbz: String,
    /// 重大紧急标志 (0/1)
    #[serde(deserialize_with = "lenient")]
    pub zdjjbz: String,
    /// 匿名标志 (0/1)
    #[serde(deserialize_with = "lenient")]
    pub nmbz: String,
    /// 限办截止时间 `YYYY-MM-DD`: the higher organ's deadline
    #[serde(deserialize_with = "lenient")]
    pub xbjzsj: String,
    /// 被反映人或单位: the accused unit's name
    #[serde(deserialize_with = "lenient")]
    pub bfyrhdw: String,
    /// 办理程序: the acceptance decision
    #[serde(deserialize_with = "lenient")]
    pub blcx: String,
    /// 问题属地名称: the township's name when it is one of the bureau's units
    #[serde(deserialize_with = "lenient")]
    pub wtsdmc: String,
    /// 是否保密 (0/1)
    #[serde(deserialize_with = "lenient")]
    pub isbm: String,
    /// 关联件编号: the earlier petition of a repeat (its national or own number)
    #[serde(deserialize_with = "lenient")]
    pub gljbh: String,
    /// 信访来源代码
    #[serde(deserialize_with = "lenient")]
    pub xflydm: String,
    /// 来源机关 (higher organ) or 批办领导 (local leader: 姓名/职务)
    #[serde(deserialize_with = "lenient")]
    pub xflyjg: String,
    /// 来源文号, or the 12345 order number
    #[serde(deserialize_with = "lenient")]
    pub xflywh: String,
    /// 来源日期 `YYYY-MM-DD`
    #[serde(deserialize_with = "lenient")]
    pub xflyrq: String,
    /// 拟办意见 (extension)
    #[serde(deserialize_with = "lenient")]
    pub nbyj: String,
    /// 信访事项类别 (extension: 2022 three-way class)
    #[serde(deserialize_with = "lenient")]
    pub xfsxlb: String,
    /// 越级标志 (extension, 0/1)
    #[serde(deserialize_with = "lenient")]
    pub yjbz: String,
    /// 区外来访标志 (extension, 0/1)
    #[serde(deserialize_with = "lenient")]
    pub qwbz: String,
    /// 信访人
    pub xfr: Vec<NationalPetitioner>,
    /// 办理情况
    pub blxx: Vec<NationalHandling>,
}

/// A file: `{"format": …, "xfj": [...]}` in JSON, `<xfjs format="…"><xfj>…</xfj></xfjs>` in XML.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NationalFile {
    pub format: String,
    pub xfj: Vec<NationalRecord>,
}

/// The national fields with their Chinese names, for messages and docs/exchange.md.
pub const FIELD_LABELS: &[(&str, &str)] = &[
    ("xzqh", "行政区划代码"),
    ("xfjbh", "信访件编号"),
    ("cxm", "查询码"),
    ("xfrq", "信访日期"),
    ("xfxs", "信访形式"),
    ("xfrs", "信访人数"),
    ("sjrs", "涉及人数"),
    ("djjgmc", "登记机构名称"),
    ("djjgdm", "登记机构代码"),
    ("djsj", "登记时间"),
    ("gkxx", "概况信息"),
    ("tsnr", "投诉内容"),
    ("xfjzt", "信访件状态"),
    ("cfxfbz", "重复信访标志"),
    ("wtsddm", "问题属地代码"),
    ("nrfldm", "内容分类代码"),
    ("xfmddm", "信访目的代码"),
    ("lmbz", "是否联名"),
    ("gkbz", "是否同意公开"),
    ("zdjjbz", "重大紧急标志"),
    ("nmbz", "匿名标志"),
    ("xbjzsj", "限办截止时间"),
    ("bfyrhdw", "被反映人或单位"),
    ("blcx", "办理程序"),
    ("wtsdmc", "问题属地名称"),
    ("isbm", "是否保密"),
    ("gljbh", "关联件编号"),
    ("xflydm", "信访来源代码"),
    ("xflyjg", "来源机关"),
    ("xflywh", "来源文号"),
    ("xflyrq", "来源日期"),
    ("nbyj", "拟办意见"),
    ("xfsxlb", "信访事项类别"),
    ("yjbz", "越级标志"),
    ("qwbz", "区外来访标志"),
    ("xm", "姓名"),
    ("zjlx", "证件类型"),
    ("zjhm", "证件号码"),
    ("xb", "性别"),
    ("nl", "年龄"),
    ("mz", "民族"),
    ("zz", "住址"),
    ("sjh", "联系电话"),
    ("zy", "职业或工作单位"),
    ("dbbz", "代表标志"),
    ("blfs", "办理方式"),
    ("bljg", "办理机构"),
    ("qxdw", "去向单位"),
    ("blsj", "办理时间"),
    ("sfyq", "是否延期"),
    ("yqsj", "延期时间"),
];

/// The Chinese name of a national field (its last path segment).
pub fn field_label(path: &str) -> &'static str {
    let last = path.rsplit('.').next().unwrap_or(path);
    let last = last.split('[').next().unwrap_or(last);
    catalog::label(FIELD_LABELS, last).unwrap_or("")
}

// ---------------------------------------------------------------------------------------------
// Code mapping

/// The coded national fields the bureau maps, with what our side of each is.
pub const CODED_FIELDS: &[(&str, &str)] = &[
    ("xfxs", "信访形式"),
    ("xfmddm", "信访目的"),
    ("nrfldm", "内容分类"),
    ("zjlx", "证件类型"),
    ("xb", "性别"),
    ("xfjzt", "信访件状态"),
    ("blcx", "办理程序"),
    ("blfs", "办理方式"),
    ("xflydm", "信访来源"),
    ("xfsxlb", "信访事项类别"),
];

/// One line of the mapping: our code, the national code, and whether the national value is
/// confirmed by a source (china-research §3) or only this system's provisional choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeEntry {
    pub field: String,
    pub ours: String,
    pub national: String,
    pub verified: bool,
}

/// Shipped mapping: `(field, ours, national, verified)`. Verified values are the ones a source
/// confirms (§3: 990000 其它, xfmddm 99 其他, zjlx 111 居民身份证, GB/T 2261 sex, the 100/200
/// letter/visit bucketing); the rest are provisional until the bureau learns the real codes.
pub const DEFAULT_CODES: &[(&str, &str, &str, bool)] = &[
    ("xfxs", "letter", "100", true),
    ("xfxs", "visit", "200", true),
    ("xfxs", "online", "300", false),
    ("xfxs", "phone", "400", false),
    ("xfmddm", "01", "01", false),
    ("xfmddm", "02", "02", false),
    ("xfmddm", "03", "03", false),
    ("xfmddm", "04", "04", false),
    ("xfmddm", "05", "05", false),
    ("xfmddm", "99", "99", true),
    ("zjlx", "resident_id", "111", true),
    ("zjlx", "hk_macao_residence_permit", "554", false),
    ("zjlx", "taiwan_residence_permit", "555", false),
    ("zjlx", "foreign_permanent_resident", "553", false),
    ("zjlx", "passport", "414", false),
    ("zjlx", "none", "990", false),
    ("xb", "male", "1", true),
    ("xb", "female", "2", true),
    ("blcx", "accepted", "1", false),
    ("blcx", "not_accepted", "2", false),
    ("blcx", "no_longer_accepted", "3", false),
    ("blcx", "referred_to_locality", "4", false),
    ("blcx", "referred_to_department", "5", false),
    ("blfs", "assignment", "1", false),
    ("blfs", "transfer", "2", false),
    ("blfs", "report_up", "3", false),
    ("blfs", "coordination", "4", false),
    ("blfs", "direct_reply", "5", false),
    ("blfs", "set_aside", "6", false),
    ("blfs", "circular", "7", false),
    ("xflydm", "own_accord", "1", false),
    ("xflydm", "forwarded_by_higher_organ", "2", false),
    ("xflydm", "assigned_by_higher_organ", "3", false),
    ("xflydm", "instructed_by_local_leader", "4", false),
    ("xflydm", "hotline_12345", "5", false),
    ("xflydm", "online", "6", false),
    ("xfsxlb", "suggestion", "1", false),
    ("xfsxlb", "accusation", "2", false),
    ("xfsxlb", "claim", "3", false),
];

/// Our codes of a coded field (what the left side of the mapping may name).
pub fn our_codes(field: &str) -> Vec<&'static str> {
    match field {
        "xfxs" => Channel::ALL.iter().map(|c| c.as_str()).collect(),
        "xfmddm" => catalog::PURPOSES.iter().map(|x| x.0).collect(),
        "nrfldm" => catalog::CATEGORIES.iter().map(|x| x.0).collect(),
        "zjlx" => catalog::ID_TYPES.iter().map(|x| x.0).collect(),
        "xb" => vec!["male", "female"],
        "xfjzt" => Stage::ALL.iter().map(|s| s.as_str()).collect(),
        "blcx" => vec![
            "accepted",
            "not_accepted",
            "no_longer_accepted",
            "referred_to_locality",
            "referred_to_department",
        ],
        "blfs" => Disposition::ALL.iter().map(|d| d.as_str()).collect(),
        "xflydm" => Source::KINDS.to_vec(),
        "xfsxlb" => catalog::PETITION_CLASSES.iter().map(|x| x.0).collect(),
        _ => Vec::new(),
    }
}

/// The mapping in use: the shipped lines, each replaced by the bureau's edit of the same
/// `(field, ours)`. Fields whose codes have the national shape already (内容分类's six digits,
/// a stage with no national code known) map to themselves when no line names them.
#[derive(Debug, Clone, Default)]
pub struct CodeMap {
    entries: Vec<CodeEntry>,
}

impl CodeMap {
    /// The shipped mapping overlaid with the bureau's `edits`.
    pub fn new(edits: &[CodeEntry]) -> CodeMap {
        let mut entries: Vec<CodeEntry> = DEFAULT_CODES
            .iter()
            .map(|(f, o, n, v)| CodeEntry {
                field: f.to_string(),
                ours: o.to_string(),
                national: n.to_string(),
                verified: *v,
            })
            .collect();
        for e in edits {
            entries.retain(|x| !(x.field == e.field && x.ours == e.ours));
            entries.push(e.clone());
        }
        CodeMap { entries }
    }

    pub fn entries(&self) -> &[CodeEntry] {
        &self.entries
    }

    /// The national code of our `code`; identity for a field without a line for it.
    pub fn to_national(&self, field: &str, code: &str) -> String {
        self.entries
            .iter()
            .find(|e| e.field == field && e.ours == code)
            .map(|e| e.national.clone())
            .unwrap_or_else(|| code.to_string())
    }

    /// Our code for a national `code`; identity where no line names the national code and the
    /// code is one of ours (a six-digit 内容分类 that has the national shape).
    pub fn from_national(&self, field: &str, code: &str) -> Option<String> {
        if let Some(e) = self
            .entries
            .iter()
            .find(|e| e.field == field && e.national == code)
        {
            return Some(e.ours.clone());
        }
        let mapped = self
            .entries
            .iter()
            .any(|e| e.field == field && e.ours == code);
        (!mapped && our_codes(field).contains(&code)).then(|| code.to_string())
    }
}

/// Checks a bureau's edit of one line: a coded field, one of our codes, a national code of 1–12
/// letters or digits that no other of our codes maps to (an import must read it back to one).
pub fn check_code_entry(map: &CodeMap, entry: &CodeEntry) -> Result<CodeEntry, FieldError> {
    let field = entry.field.trim();
    if catalog::label(CODED_FIELDS, field).is_none() {
        return Err(FieldError::new(
            "field",
            "unknown_field",
            format!("「{field}」不是可对照的国家信访信息系统代码字段"),
        ));
    }
    let ours = entry.ours.trim();
    if !our_codes(field).contains(&ours) {
        return Err(FieldError::new(
            "ours",
            "unknown_code",
            format!("「{ours}」不是本系统的{}代码", field_label(field)),
        ));
    }
    let national = entry.national.trim();
    if national.is_empty()
        || national.chars().count() > 12
        || !national.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(FieldError::new(
            "national",
            "invalid_code",
            "国家代码应为 1 至 12 位字母或数字",
        ));
    }
    if let Some(other) = map
        .entries
        .iter()
        .find(|e| e.field == field && e.national == national && e.ours != ours)
    {
        return Err(FieldError::new(
            "national",
            "code_taken",
            format!(
                "国家代码「{national}」已对照本系统代码「{}」，一个国家代码只能对照一个本系统代码",
                other.ours
            ),
        ));
    }
    Ok(CodeEntry {
        field: field.into(),
        ours: ours.into(),
        national: national.into(),
        verified: entry.verified,
    })
}

// ---------------------------------------------------------------------------------------------
// Parsing a record into a registration

/// A record read for import: the registration the intake checks, and what the exchange keeps
/// beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedRecord {
    pub registration: Registration,
    pub national_no: String,
    pub national_query_code: Option<String>,
    /// The accused unit's name, for the caller to find among the bureau's units.
    pub accused_unit_name: Option<String>,
    /// The township's name (wtsdmc) when wtsddm names no township: one of the bureau's units.
    pub township_name: Option<String>,
    /// The earlier petition's number (关联件编号) of a repeat.
    pub repeat_of_no: Option<String>,
    pub handling: Vec<HandlingRow>,
}

/// A handling row read from the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandlingRow {
    /// Our disposition code.
    pub disposition: String,
    pub organ: String,
    pub unit: String,
    pub at: NaiveDateTime,
    pub extended: bool,
    pub extended_to: Option<NaiveDate>,
}

/// Where in the file an error lies: `xfj[3].xfr[0].zjhm`, and its message prefixed
/// 第 4 条信访件 证件号码（zjhm）.
fn at(element: usize, path: &str, code: &'static str, message: impl AsRef<str>) -> FieldError {
    let label = field_label(path);
    FieldError::new(
        format!("xfj[{element}].{path}"),
        code,
        format!(
            "第 {} 条信访件 {label}（{path}）：{}",
            element + 1,
            message.as_ref()
        ),
    )
}

/// Our registration field path → the national one.
fn national_path(ours: &str) -> String {
    if let Some(rest) = ours.strip_prefix("petitioners[") {
        let (index, field) = rest.split_once("].").unwrap_or((rest, ""));
        let index = index.trim_end_matches(']');
        let f = match field {
            "name" => "xm",
            "id_type" => "zjlx",
            "id_number" => "zjhm",
            "sex" => "xb",
            "age" => "nl",
            "ethnicity" => "mz",
            "address" => "zz",
            "phone" => "sjh",
            "occupation" => "zy",
            _ => "",
        };
        return if f.is_empty() {
            "xfr".into()
        } else {
            format!("xfr[{index}].{f}")
        };
    }
    match ours {
        "channel" => "xfxs",
        "visited_at" => "xfrq",
        "petitioners" => "xfr",
        "visitor_count" => "xfrs",
        "people_involved" => "sjrs",
        "issue_region" | "township" => "wtsddm",
        "summary" => "gkxx",
        "requests" => "tsnr",
        "proposal" => "nbyj",
        "purpose" => "xfmddm",
        "category" => "nrfldm",
        "petition_class" => "xfsxlb",
        "repeat_reason" | "repeat_of" => "gljbh",
        "source.kind" => "xflydm",
        "source.organ" | "source.leader_name" | "source.leader_post" => "xflyjg",
        "source.doc_no" | "source.order_no" => "xflywh",
        "source.issued_on" => "xflyrq",
        "source.deadline" => "xbjzsj",
        _ => "xfjbh",
    }
    .into()
}

fn flag(element: usize, field: &str, v: &str, errors: &mut Vec<FieldError>) -> bool {
    match v.trim() {
        "" | "0" => false,
        "1" => true,
        other => {
            errors.push(at(
                element,
                field,
                "invalid_flag",
                format!("标志应为 0 或 1，收到「{other}」"),
            ));
            false
        }
    }
}

fn count(element: usize, field: &str, v: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    match v.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(at(
                element,
                field,
                "invalid_number",
                format!("应为整数，收到「{v}」"),
            ));
            None
        }
    }
}

fn code(
    map: &CodeMap,
    element: usize,
    path: &str,
    field: &str,
    v: &str,
    errors: &mut Vec<FieldError>,
) -> String {
    let v = v.trim();
    if v.is_empty() {
        return String::new();
    }
    match map.from_national(field, v) {
        Some(c) => c,
        None => {
            errors.push(at(
                element,
                path,
                "unknown_code",
                format!("未知的代码「{v}」（请在代码对照表中对照）"),
            ));
            String::new()
        }
    }
}

/// A national date-time: `YYYY-MM-DD HH:MM[:SS]`, with `T`, or a date alone (midnight).
pub fn parse_national_datetime(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y%m%d%H%M%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t);
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .or_else(|| NaiveDate::parse_from_str(s, "%Y%m%d").ok())
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}

/// The national number: 1–64 letters, digits, `-` or `_`.
pub fn parse_national_no(s: &str) -> Result<String, &'static str> {
    let s = s.trim();
    if s.is_empty() {
        return Err("信访件编号必填");
    }
    if s.chars().count() > 64
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    {
        return Err("信访件编号应为不超过 64 位的字母、数字、- 或 _");
    }
    Ok(s.to_string())
}

/// Parses record `element` (0-based) of a file for import: every field is checked, mapped
/// through `map`, and the registration checked by `parse_registration` at `now` (China Standard
/// Time), its errors named by the national field. Nothing here knows the bureau's units: the
/// township and accused unit names come back for the caller to find.
pub fn parse_record(
    r: &NationalRecord,
    element: usize,
    map: &CodeMap,
    now: NaiveDateTime,
) -> Result<ImportedRecord, Vec<FieldError>> {
    let mut errors = Vec::new();
    let national_no = match parse_national_no(&r.xfjbh) {
        Ok(n) => n,
        Err(m) => {
            errors.push(at(element, "xfjbh", "invalid_national_no", m));
            String::new()
        }
    };
    let query = r.cxm.trim();
    if query.chars().count() > 64 || query.chars().any(char::is_control) {
        errors.push(at(
            element,
            "cxm",
            "invalid_query_code",
            "查询码不超过 64 位且不含控制字符",
        ));
    }
    let visited_at = if r.xfrq.trim().is_empty() {
        errors.push(at(element, "xfrq", "required", "信访日期必填"));
        None
    } else {
        match parse_national_datetime(&r.xfrq) {
            Some(t) if t > now + chrono::Duration::minutes(5) => {
                errors.push(at(
                    element,
                    "xfrq",
                    "future_datetime",
                    format!("信访日期「{}」晚于当前时间", r.xfrq.trim()),
                ));
                None
            }
            Some(t) => Some(t),
            None => {
                errors.push(at(
                    element,
                    "xfrq",
                    "invalid_datetime",
                    format!(
                        "日期时间「{}」无效，格式应为 2026-11-27 09:30:00",
                        r.xfrq.trim()
                    ),
                ));
                None
            }
        }
    };
    if r.xfxs.trim().is_empty() {
        errors.push(at(element, "xfxs", "required", "信访形式必填"));
    }
    let channel = code(map, element, "xfxs", "xfxs", &r.xfxs, &mut errors);
    let purpose = code(map, element, "xfmddm", "xfmddm", &r.xfmddm, &mut errors);
    let category = code(map, element, "nrfldm", "nrfldm", &r.nrfldm, &mut errors);
    let petition_class = code(map, element, "xfsxlb", "xfsxlb", &r.xfsxlb, &mut errors);
    let source_kind = code(map, element, "xflydm", "xflydm", &r.xflydm, &mut errors);
    let visitor_count = count(element, "xfrs", &r.xfrs, &mut errors);
    let people_involved = count(element, "sjrs", &r.sjrs, &mut errors);
    // 联名 is derived again from the count, as at the window; the flag is only checked.
    flag(element, "lmbz", &r.lmbz, &mut errors);
    let repeat = flag(element, "cfxfbz", &r.cfxfbz, &mut errors);
    let anonymous = flag(element, "nmbz", &r.nmbz, &mut errors);
    let consent = flag(element, "gkbz", &r.gkbz, &mut errors);
    let urgent = flag(element, "zdjjbz", &r.zdjjbz, &mut errors);
    let confidential = flag(element, "isbm", &r.isbm, &mut errors);
    let skip_level = flag(element, "yjbz", &r.yjbz, &mut errors);
    let out_of_district = flag(element, "qwbz", &r.qwbz, &mut errors);
    // The matter's place: a township code gives the county too; a county code with the
    // township's name leaves the name for the caller.
    let wtsddm = r.wtsddm.trim();
    let (issue_region, township_code) = match wtsddm.len() {
        9 | 12 if wtsddm.bytes().all(|b| b.is_ascii_digit()) => {
            (wtsddm[..6].to_string(), Some(wtsddm.to_string()))
        }
        _ => (wtsddm.to_string(), None),
    };
    let township_name = (township_code.is_none() && !r.wtsdmc.trim().is_empty())
        .then(|| r.wtsdmc.trim().to_string());
    if township_code.is_none() && township_name.is_none() && !wtsddm.is_empty() {
        errors.push(at(
            element,
            "wtsdmc",
            "required",
            "问题属地代码为县级代码时，须填写问题属地名称（乡镇、街道）",
        ));
    }
    let repeat_of_no = (!r.gljbh.trim().is_empty()).then(|| r.gljbh.trim().to_string());
    if repeat && repeat_of_no.is_none() {
        errors.push(at(element, "gljbh", "required", "重复信访须填写关联件编号"));
    }
    let mut petitioners = Vec::new();
    for (i, p) in r.xfr.iter().enumerate() {
        let id_type = code(
            map,
            element,
            &format!("xfr[{i}].zjlx"),
            "zjlx",
            &p.zjlx,
            &mut errors,
        );
        let sex = code(
            map,
            element,
            &format!("xfr[{i}].xb"),
            "xb",
            &p.xb,
            &mut errors,
        );
        let age = count(element, &format!("xfr[{i}].nl"), &p.nl, &mut errors);
        let representative = flag(element, &format!("xfr[{i}].dbbz"), &p.dbbz, &mut errors);
        petitioners.push(PetitionerInput {
            name: p.xm.trim().into(),
            id_type,
            id_number: p.zjhm.trim().into(),
            sex,
            age,
            ethnicity: p.mz.trim().into(),
            address: p.zz.trim().into(),
            phone: p.sjh.trim().into(),
            occupation: p.zy.trim().into(),
            is_representative: representative,
        });
    }
    let mut handling = Vec::new();
    for (i, h) in r.blxx.iter().enumerate() {
        let path = |f: &str| format!("blxx[{i}].{f}");
        let disposition = code(map, element, &path("blfs"), "blfs", &h.blfs, &mut errors);
        if h.blfs.trim().is_empty() {
            errors.push(at(element, &path("blfs"), "required", "办理方式必填"));
        }
        let at_time = match parse_national_datetime(&h.blsj) {
            Some(t) if t > now + chrono::Duration::minutes(5) => {
                errors.push(at(
                    element,
                    &path("blsj"),
                    "future_datetime",
                    "办理时间晚于当前时间",
                ));
                None
            }
            Some(t) => Some(t),
            None => {
                errors.push(at(
                    element,
                    &path("blsj"),
                    "invalid_datetime",
                    format!("日期时间「{}」无效", h.blsj.trim()),
                ));
                None
            }
        };
        let extended = flag(element, &path("sfyq"), &h.sfyq, &mut errors);
        let extended_to = if h.yqsj.trim().is_empty() {
            None
        } else {
            match parse_national_datetime(&h.yqsj) {
                Some(t) => Some(t.date()),
                None => {
                    errors.push(at(
                        element,
                        &path("yqsj"),
                        "invalid_date",
                        format!("日期「{}」无效", h.yqsj.trim()),
                    ));
                    None
                }
            }
        };
        for (f, v) in [("bljg", &h.bljg), ("qxdw", &h.qxdw)] {
            if v.chars().count() > 100 {
                errors.push(at(element, &path(f), "too_long", "不超过 100 字"));
            }
        }
        if let Some(t) = at_time {
            handling.push(HandlingRow {
                disposition,
                organ: h.bljg.trim().into(),
                unit: h.qxdw.trim().into(),
                at: t,
                extended,
                extended_to,
            });
        }
    }
    let source = {
        let kind = if source_kind.is_empty() {
            String::new()
        } else {
            source_kind.clone()
        };
        let mut s = SourceInput {
            kind,
            ..Default::default()
        };
        match s.kind.as_str() {
            "forwarded_by_higher_organ" | "assigned_by_higher_organ" => {
                s.organ = r.xflyjg.trim().into();
                s.doc_no = r.xflywh.trim().into();
                s.issued_on = r.xflyrq.trim().into();
                s.deadline = r.xbjzsj.trim().get(..10).unwrap_or("").into();
            }
            "instructed_by_local_leader" => {
                let (name, post) = r
                    .xflyjg
                    .trim()
                    .split_once('/')
                    .unwrap_or((r.xflyjg.trim(), ""));
                s.leader_name = name.trim().into();
                s.leader_post = post.trim().into();
            }
            "hotline_12345" => s.order_no = r.xflywh.trim().into(),
            _ => {}
        }
        s
    };
    let input = RegistrationInput {
        channel,
        visited_at: visited_at
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
            .unwrap_or_default(),
        petitioners,
        visitor_count,
        people_involved,
        issue_region: issue_region.clone(),
        summary: r.gkxx.clone(),
        requests: r.tsnr.clone(),
        proposal: r.nbyj.clone(),
        purpose,
        category,
        petition_class,
        anonymous,
        consent_to_publish: consent,
        major_urgent: urgent,
        confidential,
        skip_level,
        out_of_district,
        // The earlier petition is found by the caller; the reason says where it came from.
        repeat_of: None,
        repeat_reason: String::new(),
        accused_unit_id: None,
        source,
        // A placeholder unit id when the caller resolves the township by name.
        township: township_code.unwrap_or_else(|| "by-name".into()),
    };
    let registration = match parse_registration(&input, now) {
        Ok(reg) => Some(reg),
        Err(es) => {
            for e in es {
                let path = national_path(e.field.as_deref().unwrap_or(""));
                let full = format!("xfj[{element}].{path}");
                // A field already reported under its national name is not reported again.
                if errors
                    .iter()
                    .any(|x| x.field.as_deref() == Some(full.as_str()))
                {
                    continue;
                }
                errors.push(at(element, &path, e.code, &e.message));
            }
            None
        }
    };
    match registration {
        Some(mut registration) if errors.is_empty() => {
            ages_at_visit(&mut registration);
            Ok(ImportedRecord {
                registration,
                national_no,
                national_query_code: (!query.is_empty()).then(|| query.to_string()),
                accused_unit_name: (!r.bfyrhdw.trim().is_empty())
                    .then(|| r.bfyrhdw.trim().to_string()),
                township_name,
                repeat_of_no,
                handling,
            })
        }
        _ => Err(errors),
    }
}

/// An imported petition's petitioners' ages as on the day of the visit, as the window records
/// them, not on the day of the import: ages read from ID numbers are recomputed.
pub fn ages_at_visit(reg: &mut Registration) {
    use chrono::Datelike;
    let day = reg.visited_at.date();
    for p in &mut reg.petitioners {
        if let Some(b) = p.birth_date {
            let mut age = i64::from(day.year() - b.year());
            if (day.month(), day.day()) < (b.month(), b.day()) {
                age -= 1;
            }
            p.age = Some(age.max(0));
        }
    }
}

/// National numbers that occur more than once in a file: `(element, first element)`.
pub fn duplicates_in_file(records: &[NationalRecord]) -> Vec<(usize, usize)> {
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut out = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let no = r.xfjbh.trim();
        if no.is_empty() {
            continue;
        }
        match seen.get(no) {
            Some(first) => out.push((i, *first)),
            None => {
                seen.insert(no, i);
            }
        }
    }
    out
}

/// The error of a national number already held by the bureau or earlier in the file.
pub fn duplicate_error(element: usize, no: &str, first_in_file: Option<usize>) -> FieldError {
    match first_in_file {
        Some(first) => at(
            element,
            "xfjbh",
            "duplicate_national_no",
            format!("信访件编号「{no}」与第 {} 条重复", first + 1),
        ),
        None => at(
            element,
            "xfjbh",
            "duplicate_national_no",
            format!("信访件编号「{no}」已存在于本局，不能重复导入"),
        ),
    }
}

/// An error of record `element` at national field `path` (for checks the caller makes: units
/// not found, an unknown earlier petition).
pub fn record_error(
    element: usize,
    path: &str,
    code: &'static str,
    message: impl AsRef<str>,
) -> FieldError {
    at(element, path, code, message)
}

/// A national date-time as written: `YYYY-MM-DD HH:MM:SS`.
pub fn format_datetime(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A flag as written.
pub fn format_flag(b: bool) -> String {
    if b { "1" } else { "0" }.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now() -> NaiveDateTime {
        "2026-11-27T10:00:00".parse().unwrap()
    }

    fn record() -> NationalRecord {
        NationalRecord {
            xzqh: "652302".into(),
            xfjbh: "65230220261127000001".into(),
            cxm: "A1B2C3".into(),
            xfrq: "2026-11-27 09:30:00".into(),
            xfxs: "200".into(),
            xfrs: "1".into(),
            sjrs: "1".into(),
            gkxx: "反映某建筑公司拖欠工资。".into(),
            tsnr: "要求支付。".into(),
            wtsddm: "652302100".into(),
            nrfldm: "060101".into(),
            xfmddm: "01".into(),
            xfr: vec![NationalPetitioner {
                xm: "张三".into(),
                zjlx: "111".into(),
                zjhm: "11010519491231002X".into(),
                sjh: "13912345678".into(),
                ..Default::default()
            }],
            blxx: vec![NationalHandling {
                blfs: "1".into(),
                bljg: "阜康市信访局".into(),
                qxdw: "城关镇".into(),
                blsj: "2026-11-27 09:50:00".into(),
                sfyq: "0".into(),
                yqsj: String::new(),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn a_record_becomes_a_registration_through_the_mapping() {
        let r = parse_record(&record(), 0, &CodeMap::new(&[]), now()).unwrap();
        assert_eq!(r.registration.channel, Channel::Visit);
        assert_eq!(r.registration.issue_region, "652302");
        assert_eq!(r.registration.petitioners[0].id_type, "resident_id");
        assert_eq!(r.national_no, "65230220261127000001");
        assert_eq!(r.national_query_code.as_deref(), Some("A1B2C3"));
        assert_eq!(r.handling[0].disposition, "assignment");
        assert_eq!(r.registration.source, Source::OwnAccord);
    }

    #[test]
    fn errors_name_the_record_and_the_national_field() {
        let map = CodeMap::new(&[]);
        let mut bad = record();
        bad.xfxs = "700".into();
        bad.xfr[0].zjhm = "110105194912310021".into();
        bad.xfrq = "2026-12-01 09:00:00".into();
        let e = parse_record(&bad, 2, &map, now()).unwrap_err();
        let fields: Vec<_> = e.iter().filter_map(|e| e.field.clone()).collect();
        assert!(fields.contains(&"xfj[2].xfxs".to_string()), "{fields:?}");
        assert!(fields.contains(&"xfj[2].xfrq".to_string()), "{fields:?}");
        assert!(
            e[0].message.starts_with("第 3 条信访件"),
            "{}",
            e[0].message
        );
        let mut id = record();
        id.xfr[0].zjhm = "110105194912310021".into();
        let e = parse_record(&id, 0, &map, now()).unwrap_err();
        assert_eq!(e[0].field.as_deref(), Some("xfj[0].xfr[0].zjhm"), "{e:?}");
        assert!(
            e[0].message.contains("证件号码（xfr[0].zjhm）"),
            "{}",
            e[0].message
        );
        let mut future = record();
        future.xfrq = "2026-12-01 09:00:00".into();
        let e = parse_record(&future, 0, &map, now()).unwrap_err();
        assert_eq!(
            (e[0].field.as_deref(), e[0].code),
            (Some("xfj[0].xfrq"), "future_datetime")
        );
    }

    #[test]
    fn duplicates_in_a_file_name_the_first() {
        let recs = vec![record(), record()];
        assert_eq!(duplicates_in_file(&recs), vec![(1, 0)]);
        let e = duplicate_error(1, "X", Some(0));
        assert!(e.message.contains("与第 1 条重复"));
    }

    #[test]
    fn the_bureau_edits_the_mapping_one_national_code_to_one_of_ours() {
        let map = CodeMap::new(&[]);
        let e = check_code_entry(
            &map,
            &CodeEntry {
                field: "xfxs".into(),
                ours: "phone".into(),
                national: "100".into(),
                verified: false,
            },
        )
        .unwrap_err();
        assert_eq!(e.code, "code_taken");
        let ok = check_code_entry(
            &map,
            &CodeEntry {
                field: "xfxs".into(),
                ours: "phone".into(),
                national: "303".into(),
                verified: true,
            },
        )
        .unwrap();
        let edited = CodeMap::new(&[ok]);
        assert_eq!(edited.to_national("xfxs", "phone"), "303");
        assert_eq!(
            edited.from_national("xfxs", "303").as_deref(),
            Some("phone")
        );
        assert_eq!(edited.from_national("xfxs", "400"), None);
        // 内容分类 has the national shape: identity.
        assert_eq!(
            edited.from_national("nrfldm", "990000").as_deref(),
            Some("990000")
        );
        assert_eq!(
            check_code_entry(
                &map,
                &CodeEntry {
                    field: "xyz".into(),
                    ours: "a".into(),
                    national: "1".into(),
                    verified: false
                }
            )
            .unwrap_err()
            .code,
            "unknown_field"
        );
    }

    #[test]
    fn json_numbers_and_booleans_read_as_text() {
        let v = serde_json::json!({"xfj": [{"xfjbh": 123, "xfrs": 2, "nmbz": true, "cxm": null}]});
        let f: NationalFile = serde_json::from_value(v).unwrap();
        assert_eq!(f.xfj[0].xfjbh, "123");
        assert_eq!(f.xfj[0].xfrs, "2");
        assert_eq!(f.xfj[0].nmbz, "1");
        assert_eq!(f.xfj[0].cxm, "");
    }

    proptest! {
        /// Every shipped line reads back: to_national then from_national is the identity.
        #[test]
        fn the_mapping_reads_back(i in 0..DEFAULT_CODES.len()) {
            let map = CodeMap::new(&[]);
            let (field, ours, _, _) = DEFAULT_CODES[i];
            let n = map.to_national(field, ours);
            let back = map.from_national(field, &n);
            prop_assert_eq!(back.as_deref(), Some(ours));
        }

        /// Whatever text a record holds, parsing never panics and either succeeds or names a
        /// field of the record it came from.
        #[test]
        fn any_record_is_parsed_or_refused_by_field(
            xfxs in "[0-9]{0,4}", xfrq in "[0-9: -]{0,20}", zjhm in "[0-9X]{0,18}",
            xfrs in "[0-9a]{0,3}", element in 0usize..50,
        ) {
            let mut r = record();
            r.xfxs = xfxs;
            r.xfrq = xfrq;
            r.xfr[0].zjhm = zjhm;
            r.xfrs = xfrs;
            if let Err(es) = parse_record(&r, element, &CodeMap::new(&[]), now()) {
                prop_assert!(!es.is_empty());
                let prefix = format!("xfj[{element}].");
                for e in es {
                    prop_assert!(e.field.as_deref().unwrap_or("").starts_with(&prefix));
                    let head = format!("第 {} 条信访件", element + 1);
                    prop_assert!(e.message.starts_with(&head));
                }
            }
        }
    }
}
