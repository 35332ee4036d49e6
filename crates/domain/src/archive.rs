//! Archives (seed 一 5, 二 四; rules §8): which dossier a petition is filed in, what the dossier
//! must hold for its source and in which order, its archival number (档号) and retention period,
//! when it may be archived, appraised, lent and moved off the network.
//!
//! Pure: the use cases find a petition's records and name each one's [`ItemKind`]; this module
//! says what is missing and how the volume is ordered.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::role::Role;
use crate::words::{Disposition, DossierKind, Stage};

// ---------------------------------------------------------------------------------------------
// Which dossier, which list

/// Which of the seed's content lists a dossier follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentList {
    /// A visit (or online / phone petition on the visit procedure), 专卷 (seed 一 5).
    VisitDedicated,
    /// A visit, 普通 (seed 一 5: 来访人员登记表、来访材料).
    VisitOrdinary,
    /// A letter assigned or forwarded by a higher organ (seed 二 四 1, L10.1).
    LetterHigherOrgan,
    /// A letter with a local leader's instruction (seed 二 四 2, L10.2).
    LetterLocalLeader,
    /// A letter the bureau filed and handled itself (seed 二 四 3, L10.3).
    LetterOwnFiling,
    /// A letter transferred, answered directly or not filed: its material and the bureau's
    /// handling form (seed 二 四: 办信案卷包括原件、转送、办理过程中形成的各种文字材料).
    LetterOrdinary,
}

impl ContentList {
    pub const ALL: [ContentList; 6] = [
        ContentList::VisitDedicated,
        ContentList::VisitOrdinary,
        ContentList::LetterHigherOrgan,
        ContentList::LetterLocalLeader,
        ContentList::LetterOwnFiling,
        ContentList::LetterOrdinary,
    ];

    pub fn parse(s: &str) -> Option<ContentList> {
        ContentList::ALL.into_iter().find(|l| l.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ContentList::VisitDedicated => "visit_dedicated",
            ContentList::VisitOrdinary => "visit_ordinary",
            ContentList::LetterHigherOrgan => "letter_higher_organ",
            ContentList::LetterLocalLeader => "letter_local_leader",
            ContentList::LetterOwnFiling => "letter_own_filing",
            ContentList::LetterOrdinary => "letter_ordinary",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ContentList::VisitDedicated => "来访专卷",
            ContentList::VisitOrdinary => "来访普通档案",
            ContentList::LetterHigherOrgan => "上级交办信访事项案卷",
            ContentList::LetterLocalLeader => "区领导批示信访事项案卷",
            ContentList::LetterOwnFiling => "本局自立自办信访事项案卷",
            ContentList::LetterOrdinary => "来信普通档案",
        }
    }

    /// The seed clause the list comes from.
    pub fn clause(self) -> &'static str {
        match self {
            ContentList::VisitDedicated | ContentList::VisitOrdinary => "V11",
            ContentList::LetterHigherOrgan => "L10.1",
            ContentList::LetterLocalLeader => "L10.2",
            ContentList::LetterOwnFiling => "L10.3",
            ContentList::LetterOrdinary => "L10.0",
        }
    }

    pub fn kind(self) -> DossierKind {
        match self {
            ContentList::VisitOrdinary | ContentList::LetterOrdinary => DossierKind::Ordinary,
            _ => DossierKind::Dedicated,
        }
    }

    /// The list's entries in archival order: the seed's own order for each source.
    pub fn entries(self) -> &'static [Entry] {
        match self {
            ContentList::VisitDedicated => VISIT_DEDICATED,
            ContentList::VisitOrdinary => VISIT_ORDINARY,
            ContentList::LetterHigherOrgan => LETTER_HIGHER_ORGAN,
            ContentList::LetterLocalLeader => LETTER_LOCAL_LEADER,
            ContentList::LetterOwnFiling => LETTER_OWN_FILING,
            ContentList::LetterOrdinary => LETTER_ORDINARY,
        }
    }

    /// The entry an item of `kind` is filed under: its own, or the list's 其他.
    pub fn entry_of(self, kind: ItemKind) -> usize {
        let entries = self.entries();
        entries
            .iter()
            .position(|e| e.kind == kind)
            .or_else(|| entries.iter().position(|e| e.kind == ItemKind::Other))
            .unwrap_or(entries.len() - 1)
    }
}

// The seed's lists, in its order.
use ItemKind::*;
use Need::*;

const VISIT_DEDICATED: &[Entry] = &[
    Entry::new(Registration, "来访人员登记表", Required),
    Entry::new(PetitionMaterial, "来访材料", Required),
    Entry::new(IssuedSlip, "向来访人出具的单据", Required),
    Entry::new(Evidence, "证明事实的证据材料", Required),
    Entry::new(Conclusion, "结论材料", Required),
    Entry::new(HandlingReport, "汇报材料", Required),
    Entry::new(ClosingApproval, "办结审批单", Required),
    Entry::new(Other, "其他材料", IfAny),
];

const VISIT_ORDINARY: &[Entry] = &[
    Entry::new(Registration, "来访人员登记表", Required),
    Entry::new(PetitionMaterial, "来访材料", Required),
    Entry::new(IssuedSlip, "向来访人出具的单据", IfAny),
    Entry::new(Other, "其他材料", IfAny),
];

const LETTER_HIGHER_ORGAN: &[Entry] = &[
    Entry::new(HigherOrganLetter, "上级部门的交办函", Required),
    Entry::new(LocalLeaderInstruction, "市领导批示", IfAny),
    Entry::new(BureauLeaderInstruction, "局领导批示", Required),
    Entry::new(FilingForm, "本局立案交办函或办理单", Required),
    Entry::new(HandlingReport, "办理汇报或结案材料", Required),
    Entry::new(ClosingReport, "结案报告单", Required),
    Entry::new(Reply, "答复函", Required),
    Entry::new(Other, "其他形成的材料", IfAny),
];

const LETTER_LOCAL_LEADER: &[Entry] = &[
    Entry::new(LocalLeaderInstruction, "领导批示原件", Required),
    Entry::new(BureauLeaderInstruction, "局领导审阅单", Required),
    Entry::new(FilingForm, "立案交办单", Required),
    Entry::new(HandlingReport, "调查报告或办理情况汇报", Required),
    Entry::new(ClosingMaterials, "结案材料", Required),
    Entry::new(ClosingReport, "结案报告单", Required),
    Entry::new(Reply, "答复函", Required),
    Entry::new(Other, "其他形成的需装卷材料", IfAny),
];

const LETTER_OWN_FILING: &[Entry] = &[
    Entry::new(PetitionMaterial, "信访人的信访材料", Required),
    Entry::new(BureauLeaderInstruction, "局领导批示", Required),
    Entry::new(FilingForm, "立案办理单", Required),
    Entry::new(HandlingReport, "调查报告、办理情况汇报", Required),
    Entry::new(Evidence, "主要证据材料", Required),
    Entry::new(ClosingMaterials, "结案材料", Required),
    Entry::new(Reply, "答复函", Required),
    Entry::new(MeetingMinutes, "会议纪要", IfAny),
    Entry::new(Other, "其他需归卷的材料", IfAny),
];

const LETTER_ORDINARY: &[Entry] = &[
    Entry::new(PetitionMaterial, "来信原件", Required),
    Entry::new(BureauLeaderInstruction, "来信办理单及局领导批示", Required),
    Entry::new(FilingForm, "转送函", IfAny),
    Entry::new(Reply, "答复函", IfAny),
    Entry::new(Other, "其他材料", IfAny),
];

/// Whether a list entry must be present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// Missing unless supplied or its absence explained.
    Required,
    /// Filed when there is one (市领导批示 on a higher organ's matter, 会议纪要, 其他).
    IfAny,
}

/// One line of a content list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub kind: ItemKind,
    pub label: &'static str,
    pub need: Need,
}

impl Entry {
    const fn new(kind: ItemKind, label: &'static str, need: Need) -> Entry {
        Entry { kind, label, need }
    }
}

/// What a piece of the dossier is, in the words of the seed's lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// 来访人员登记表 / the letter's registration.
    Registration,
    /// 来访材料, 信访人的信访材料: what the petitioner brought or wrote (scans, interview records).
    PetitionMaterial,
    /// 向来访人出具的单据: slips and notices given to the petitioner.
    IssuedSlip,
    /// 证明事实的证据材料, 主要证据材料.
    Evidence,
    /// 结论材料: the handling opinion, 复查 / 复核 opinions, the closing report of a visit.
    Conclusion,
    /// 汇报材料, 调查报告, 办理情况汇报.
    HandlingReport,
    /// 办结审批单.
    ClosingApproval,
    /// 上级部门的交办函.
    HigherOrganLetter,
    /// 市领导批示 / 领导批示原件.
    LocalLeaderInstruction,
    /// 局领导批示 / 局领导审阅单 (the 来信办理单 with the deputy director's instruction).
    BureauLeaderInstruction,
    /// 本局立案交办函或办理单 / 立案交办单 / 立案办理单.
    FilingForm,
    /// 结案材料 (closing approval, 复查 / 复核 opinions of a letter).
    ClosingMaterials,
    /// 结案报告单.
    ClosingReport,
    /// 答复函.
    Reply,
    /// 会议纪要.
    MeetingMinutes,
    /// 其他.
    Other,
}

impl ItemKind {
    pub const ALL: [ItemKind; 16] = [
        ItemKind::Registration,
        ItemKind::PetitionMaterial,
        ItemKind::IssuedSlip,
        ItemKind::Evidence,
        ItemKind::Conclusion,
        ItemKind::HandlingReport,
        ItemKind::ClosingApproval,
        ItemKind::HigherOrganLetter,
        ItemKind::LocalLeaderInstruction,
        ItemKind::BureauLeaderInstruction,
        ItemKind::FilingForm,
        ItemKind::ClosingMaterials,
        ItemKind::ClosingReport,
        ItemKind::Reply,
        ItemKind::MeetingMinutes,
        ItemKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Registration => "registration",
            ItemKind::PetitionMaterial => "petition_material",
            ItemKind::IssuedSlip => "issued_slip",
            ItemKind::Evidence => "evidence",
            ItemKind::Conclusion => "conclusion",
            ItemKind::HandlingReport => "handling_report",
            ItemKind::ClosingApproval => "closing_approval",
            ItemKind::HigherOrganLetter => "higher_organ_letter",
            ItemKind::LocalLeaderInstruction => "local_leader_instruction",
            ItemKind::BureauLeaderInstruction => "bureau_leader_instruction",
            ItemKind::FilingForm => "filing_form",
            ItemKind::ClosingMaterials => "closing_materials",
            ItemKind::ClosingReport => "closing_report",
            ItemKind::Reply => "reply",
            ItemKind::MeetingMinutes => "meeting_minutes",
            ItemKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<ItemKind> {
        ItemKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A label when no list is at hand.
    pub fn label_zh(self) -> &'static str {
        match self {
            ItemKind::Registration => "登记表",
            ItemKind::PetitionMaterial => "信访材料",
            ItemKind::IssuedSlip => "出具的单据",
            ItemKind::Evidence => "证据材料",
            ItemKind::Conclusion => "结论材料",
            ItemKind::HandlingReport => "办理情况汇报",
            ItemKind::ClosingApproval => "办结审批单",
            ItemKind::HigherOrganLetter => "上级部门的交办函",
            ItemKind::LocalLeaderInstruction => "领导批示",
            ItemKind::BureauLeaderInstruction => "局领导批示",
            ItemKind::FilingForm => "立案交办（办理）单",
            ItemKind::ClosingMaterials => "结案材料",
            ItemKind::ClosingReport => "结案报告单",
            ItemKind::Reply => "答复函",
            ItemKind::MeetingMinutes => "会议纪要",
            ItemKind::Other => "其他材料",
        }
    }
}

/// What the rules need to know to choose the dossier and its list.
#[derive(Debug, Clone, Default)]
pub struct FilingFacts {
    /// Follows the letter procedure (letters, online petitions).
    pub letter: bool,
    /// Accepted (立案); a petition not accepted is 未予立案 → 普通.
    pub accepted: bool,
    /// The ways of handling approved for it, in order.
    pub dispositions: Vec<Disposition>,
    /// Assigned or forwarded by a higher organ.
    pub from_higher_organ: bool,
    /// Instructed by a local leader, at registration or later (批示).
    pub local_leader_instruction: bool,
}

/// The dossier and list a petition is filed in (seed 一 5, 二 四): 立案自办、交办 → 专卷;
/// 直接答复、转送、未予立案 → 普通; an assignment at any point makes it a 专卷.
pub fn content_list(f: &FilingFacts) -> ContentList {
    let kind = if !f.accepted {
        DossierKind::Ordinary
    } else if f.dispositions.contains(&Disposition::Assignment) {
        DossierKind::Dedicated
    } else {
        match f.dispositions.last() {
            Some(d) => d.dossier_kind(true),
            // Accepted and closed without a recorded way of handling: handled by the bureau.
            None => DossierKind::Dedicated,
        }
    };
    match (f.letter, kind) {
        (false, DossierKind::Dedicated) => ContentList::VisitDedicated,
        (false, DossierKind::Ordinary) => ContentList::VisitOrdinary,
        (true, DossierKind::Ordinary) => ContentList::LetterOrdinary,
        (true, DossierKind::Dedicated) if f.from_higher_organ => ContentList::LetterHigherOrgan,
        (true, DossierKind::Dedicated) if f.local_leader_instruction => {
            ContentList::LetterLocalLeader
        }
        (true, DossierKind::Dedicated) => ContentList::LetterOwnFiling,
    }
}

// ---------------------------------------------------------------------------------------------
// Assembly

/// A piece found for the dossier, as the use case describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Piece {
    pub kind: ItemKind,
    /// 题名.
    pub title: String,
    /// 文号 (empty when it has none).
    pub doc_no: String,
    /// 责任者: the organ or unit that made it.
    pub responsible: String,
    /// 日期, the day it was made or received.
    pub dated: NaiveDate,
    /// Where it comes from (`document:<id>`, `scan:<id>`, `record:<kind>:<id>` …), unique.
    pub source: String,
}

/// The archivist's statement that a required entry is absent, and why (备考表 情况说明).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Absence {
    pub kind: ItemKind,
    pub reason: String,
}

/// A dossier's contents: pieces in archival order, the entries still missing, the explained
/// absences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contents {
    pub list: ContentList,
    /// Each piece with the index of its list entry, in archival order.
    pub pieces: Vec<(usize, Piece)>,
    pub missing: Vec<Entry>,
    pub absences: Vec<(Entry, String)>,
}

/// Orders the pieces by the list (the seed's order), then by date and source within an entry,
/// and says which required entries are neither present nor explained.
pub fn assemble(list: ContentList, pieces: Vec<Piece>, absences: &[Absence]) -> Contents {
    let entries = list.entries();
    let mut placed: Vec<(usize, Piece)> = pieces
        .into_iter()
        .map(|p| (list.entry_of(p.kind), p))
        .collect();
    placed.sort_by(|(ea, a), (eb, b)| {
        ea.cmp(eb)
            .then(a.dated.cmp(&b.dated))
            .then(a.source.cmp(&b.source))
    });
    placed.dedup_by(|a, b| a.1.source == b.1.source);
    let mut missing = Vec::new();
    let mut explained = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if placed.iter().any(|(j, _)| *j == i) {
            continue;
        }
        match absences.iter().find(|a| a.kind == e.kind) {
            Some(a) => explained.push((*e, a.reason.clone())),
            None if e.need == Need::Required => missing.push(*e),
            None => {}
        }
    }
    Contents {
        list,
        pieces: placed,
        missing,
        absences: explained,
    }
}

/// Checks an absence statement: a kind the list requires, and a reason.
pub fn check_absence(list: ContentList, kind: &str, reason: &str) -> Result<Absence, FieldError> {
    let kind = ItemKind::parse(kind.trim())
        .filter(|k| list.entries().iter().any(|e| e.kind == *k))
        .ok_or_else(|| FieldError::new("item_kind", "unknown_code", "请选择本卷目录中的材料"))?;
    let reason = reason.trim();
    if reason.chars().count() < 4 || reason.chars().count() > 500 {
        return Err(FieldError::new(
            "reason",
            "required",
            "请说明缺少该材料的原因（4 至 500 字）",
        ));
    }
    Ok(Absence {
        kind,
        reason: reason.to_string(),
    })
}

/// Whether a petition may be archived now (lifecycle: `deregistered` → `archived`): it has been
/// deregistered, its 复查 / 复核 windows have lapsed or been used (三级终结), and every required
/// entry is present or its absence explained.
pub fn check_archivable(
    stage: Stage,
    appeals_final: bool,
    missing: &[Entry],
) -> Result<(), FieldError> {
    if stage != Stage::Deregistered {
        return Err(FieldError::general(
            "wrong_stage",
            format!("当前状态为「{}」，销案后方可归档", stage.label_zh()),
        ));
    }
    if !appeals_final {
        return Err(FieldError::general(
            "appeal_window_open",
            "复查、复核申请期限尚未届满，期满或复核意见送达后方可归档",
        ));
    }
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|e| e.label).collect();
        return Err(FieldError::general(
            "dossier_incomplete",
            format!(
                "卷内材料不全：缺少{}（请补充材料或说明缺少原因）",
                names.join("、")
            ),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Retention and the archival number

/// 保管期限 (国家档案局令第8号: 永久 / 定期30年 / 定期10年).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Retention {
    #[serde(rename = "Y")]
    Permanent,
    #[serde(rename = "D30")]
    Years30,
    #[serde(rename = "D10")]
    Years10,
}

impl Retention {
    pub const ALL: [Retention; 3] = [Retention::Permanent, Retention::Years30, Retention::Years10];

    /// The code in the archival number (DA/T 13: Y, D30, D10).
    pub fn code(self) -> &'static str {
        match self {
            Retention::Permanent => "Y",
            Retention::Years30 => "D30",
            Retention::Years10 => "D10",
        }
    }

    pub fn parse(s: &str) -> Option<Retention> {
        Retention::ALL.into_iter().find(|r| r.code() == s.trim())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Retention::Permanent => "永久",
            Retention::Years30 => "30年",
            Retention::Years10 => "10年",
        }
    }

    pub fn years(self) -> Option<i32> {
        match self {
            Retention::Permanent => None,
            Retention::Years30 => Some(30),
            Retention::Years10 => Some(10),
        }
    }

    /// The first day the dossier is due for appraisal: the period counts whole years from the
    /// 1 January after the year it was filed in. `None`: kept for ever.
    pub fn expires_on(self, year: i32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(year + 1 + self.years()?, 1, 1)
    }
}

/// One line of the bureau's retention table: dossiers of `kind` whose content category starts
/// with `category_prefix` (empty: any category) are kept for `retention`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionRule {
    pub kind: DossierKind,
    pub category_prefix: String,
    pub retention: Retention,
}

/// The shipped defaults (notes on 国家档案局令第8号): 专卷 30 years, 普通 10 years.
pub fn default_retention_rules() -> Vec<RetentionRule> {
    vec![
        RetentionRule {
            kind: DossierKind::Dedicated,
            category_prefix: String::new(),
            retention: Retention::Years30,
        },
        RetentionRule {
            kind: DossierKind::Ordinary,
            category_prefix: String::new(),
            retention: Retention::Years10,
        },
    ]
}

/// The retention of a dossier: the rule of its kind with the longest matching category prefix;
/// the default of its kind when the table has none.
pub fn retention_for(
    rules: &[RetentionRule],
    kind: DossierKind,
    category: Option<&str>,
) -> Retention {
    let category = category.unwrap_or("");
    rules
        .iter()
        .filter(|r| r.kind == kind && category.starts_with(r.category_prefix.as_str()))
        .max_by_key(|r| r.category_prefix.len())
        .map(|r| r.retention)
        .unwrap_or(match kind {
            DossierKind::Dedicated => Retention::Years30,
            DossierKind::Ordinary => Retention::Years10,
        })
}

/// Checks a retention rule entered by the administrator.
pub fn check_retention_rule(
    kind: &str,
    category_prefix: &str,
    retention: &str,
) -> Result<RetentionRule, FieldError> {
    let kind = DossierKind::parse(kind.trim())
        .ok_or_else(|| FieldError::new("kind", "unknown_code", "请选择专卷档案或普通档案"))?;
    let prefix = category_prefix.trim();
    if prefix.len() > 6 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new(
            "category_prefix",
            "invalid_format",
            "内容分类代码前缀应为 0 至 6 位数字",
        ));
    }
    let retention = Retention::parse(retention).ok_or_else(|| {
        FieldError::new("retention", "unknown_code", "保管期限应为永久、30年或10年")
    })?;
    Ok(RetentionRule {
        kind,
        category_prefix: prefix.to_string(),
        retention,
    })
}

/// 档号 (DA/T 13, 专业档案 ZY·XF): `全宗号-ZY·XF·类别·年度·期限-卷号`, e.g.
/// `X001-ZY·XF·01·2026·D30-0007`. The class is 01 for 专卷 and 02 for 普通.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivalNo {
    pub fonds: String,
    pub kind: DossierKind,
    pub year: i32,
    pub retention: Retention,
    pub volume: u32,
}

impl ArchivalNo {
    pub fn class_code(kind: DossierKind) -> &'static str {
        match kind {
            DossierKind::Dedicated => "01",
            DossierKind::Ordinary => "02",
        }
    }

    /// The numbering series a volume number counts in: one per year, class and retention, so a
    /// box never mixes them.
    pub fn series(kind: DossierKind, year: i32, retention: Retention) -> String {
        format!(
            "dossier:{}:{}:{}",
            Self::class_code(kind),
            year,
            retention.code()
        )
    }

    pub fn parse(s: &str) -> Option<ArchivalNo> {
        let (fonds, rest) = s.split_once("-ZY·XF·")?;
        let (middle, volume) = rest.rsplit_once('-')?;
        let mut parts = middle.split('·');
        let class = parts.next()?;
        let year: i32 = parts.next()?.parse().ok()?;
        let retention = Retention::parse(parts.next()?)?;
        if parts.next().is_some() || check_fonds(fonds).is_err() || volume.len() < 4 {
            return None;
        }
        let kind = DossierKind::ALL
            .into_iter()
            .find(|k| Self::class_code(*k) == class)?;
        let volume: u32 = volume.parse().ok().filter(|v| *v > 0)?;
        (1900..=9999).contains(&year).then(|| ArchivalNo {
            fonds: fonds.to_string(),
            kind,
            year,
            retention,
            volume,
        })
    }
}

impl std::fmt::Display for ArchivalNo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}-ZY·XF·{}·{}·{}-{:04}",
            self.fonds,
            Self::class_code(self.kind),
            self.year,
            self.retention.code(),
            self.volume
        )
    }
}

/// 全宗号: 1 to 12 letters and digits (the archives authority assigns it).
pub fn check_fonds(s: &str) -> Result<(), FieldError> {
    if s.is_empty() || s.len() > 12 || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(FieldError::new(
            "archive_fonds",
            "invalid_format",
            "全宗号应为 1 至 12 位字母或数字",
        ));
    }
    Ok(())
}

/// The filing year: the year the petition was deregistered (closed) in.
pub fn filing_year(deregistered_on: NaiveDate) -> i32 {
    deregistered_on.year()
}

// ---------------------------------------------------------------------------------------------
// Custody, lending, appraisal

/// Who keeps the archives (seed 一 5: 专人负责): the archivist; leaders read them.
pub fn may_keep(role: Role) -> bool {
    role == Role::Archivist
}

pub fn may_read_archives(role: Role) -> bool {
    role == Role::Archivist || role.is_leader()
}

/// The longest loan (档案借阅: a few days; a request names its return date).
pub const MAX_LOAN_DAYS: i64 = 30;

/// A loan request (seed 一 5: 原则上不向外单位或与办案无关的人员提供查阅): bureau staff only, who
/// worked on the matter, a reason, a return date within [`MAX_LOAN_DAYS`].
pub fn check_loan(
    role: Role,
    related: bool,
    reason: &str,
    return_on: NaiveDate,
    today: NaiveDate,
) -> Result<(), FieldError> {
    if role.is_unit_staff() || role.is_administrator() {
        return Err(FieldError::general(
            "outside_bureau",
            "档案不向外单位提供查阅",
        ));
    }
    if may_read_archives(role) {
        return Err(FieldError::general(
            "no_loan_needed",
            "档案管理人员和局领导可直接查阅，无需借阅",
        ));
    }
    if !related {
        return Err(FieldError::general(
            "unrelated",
            "档案不向与办案无关的人员提供查阅：您未经办过该信访事项",
        ));
    }
    let n = reason.trim().chars().count();
    if !(4..=200).contains(&n) {
        return Err(FieldError::new(
            "reason",
            "required",
            "请写明借阅事由（4 至 200 字）",
        ));
    }
    if return_on < today || (return_on - today).num_days() > MAX_LOAN_DAYS {
        return Err(FieldError::new(
            "return_on",
            "out_of_range",
            format!("归还日期应在今天起 {MAX_LOAN_DAYS} 日内"),
        ));
    }
    Ok(())
}

/// Whether an approved loan lets its borrower read today.
pub fn loan_open(approved: bool, returned: bool, return_on: NaiveDate, today: NaiveDate) -> bool {
    approved && !returned && today <= return_on
}

/// Whether a dossier is due for appraisal (到期鉴定): its retention period has ended.
pub fn due_for_appraisal(retention: Retention, year: i32, today: NaiveDate) -> bool {
    retention.expires_on(year).is_some_and(|d| today >= d)
}

/// A dossier moved to the offline machine (网机隔离) must be confidential and archived.
pub fn check_offline_move(
    confidential: bool,
    stage: Stage,
    already_moved: bool,
) -> Result<(), FieldError> {
    if already_moved {
        return Err(FieldError::general("already_moved", "该档案已移至离线存储"));
    }
    if !confidential {
        return Err(FieldError::general(
            "not_confidential",
            "只有保密信访事项的档案实施网机隔离",
        ));
    }
    if stage != Stage::Archived {
        return Err(FieldError::general("wrong_stage", "归档后方可移至离线存储"));
    }
    Ok(())
}

/// Checks the record of who carries a package where.
pub fn check_move_record(destination: &str, carrier: &str) -> Result<(), FieldError> {
    let d = destination.trim().chars().count();
    if !(2..=100).contains(&d) {
        return Err(FieldError::new(
            "destination",
            "required",
            "请填写离线存储的位置（如：档案室离线计算机，2 至 100 字）",
        ));
    }
    let c = carrier.trim().chars().count();
    if !(2..=50).contains(&c) {
        return Err(FieldError::new(
            "carrier",
            "required",
            "请填写携带人（2 至 50 字）",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn piece(kind: ItemKind, dated: &str, source: &str) -> Piece {
        Piece {
            kind,
            title: kind.label_zh().into(),
            doc_no: String::new(),
            responsible: "阜康市信访局".into(),
            dated: d(dated),
            source: source.into(),
        }
    }

    #[test]
    fn the_seed_decides_the_dossier() {
        let visit = |accepted, ds: Vec<Disposition>| FilingFacts {
            accepted,
            dispositions: ds,
            ..FilingFacts::default()
        };
        assert_eq!(
            content_list(&visit(false, vec![])),
            ContentList::VisitOrdinary
        );
        assert_eq!(
            content_list(&visit(true, vec![Disposition::Assignment])),
            ContentList::VisitDedicated
        );
        assert_eq!(
            content_list(&visit(true, vec![Disposition::Transfer])),
            ContentList::VisitOrdinary
        );
        assert_eq!(
            content_list(&visit(true, vec![Disposition::DirectReply])),
            ContentList::VisitOrdinary
        );
        // Reported up, then assigned: the assignment makes it a 专卷.
        assert_eq!(
            content_list(&visit(
                true,
                vec![Disposition::ReportUp, Disposition::Assignment]
            )),
            ContentList::VisitDedicated
        );
        assert_eq!(
            content_list(&visit(true, vec![Disposition::Coordination])),
            ContentList::VisitDedicated
        );
        let letter = |higher, leader| FilingFacts {
            letter: true,
            accepted: true,
            dispositions: vec![Disposition::Assignment],
            from_higher_organ: higher,
            local_leader_instruction: leader,
        };
        assert_eq!(
            content_list(&letter(true, true)),
            ContentList::LetterHigherOrgan
        );
        assert_eq!(
            content_list(&letter(false, true)),
            ContentList::LetterLocalLeader
        );
        assert_eq!(
            content_list(&letter(false, false)),
            ContentList::LetterOwnFiling
        );
        let transferred = FilingFacts {
            letter: true,
            accepted: true,
            dispositions: vec![Disposition::Transfer],
            ..FilingFacts::default()
        };
        assert_eq!(content_list(&transferred), ContentList::LetterOrdinary);
    }

    #[test]
    fn every_list_ends_with_other_and_names_each_kind_once() {
        for list in ContentList::ALL {
            let e = list.entries();
            assert_eq!(e.last().map(|e| e.kind), Some(ItemKind::Other), "{list:?}");
            for (i, a) in e.iter().enumerate() {
                assert!(e[i + 1..].iter().all(|b| b.kind != a.kind), "{list:?}");
            }
        }
    }

    #[test]
    fn assembly_orders_by_the_list_and_lists_what_is_missing() {
        let c = assemble(
            ContentList::LetterHigherOrgan,
            vec![
                piece(ItemKind::Reply, "2026-03-01", "document:r"),
                piece(ItemKind::FilingForm, "2026-01-10", "document:f"),
                piece(ItemKind::Evidence, "2026-02-01", "attachment:e"),
                piece(ItemKind::HigherOrganLetter, "2026-01-05", "record:source"),
            ],
            &[Absence {
                kind: ItemKind::ClosingReport,
                reason: "纸质结案报告单已随上报材料报送上级".into(),
            }],
        );
        let kinds: Vec<ItemKind> = c.pieces.iter().map(|(_, p)| p.kind).collect();
        // Evidence is not on the higher organ's list: filed under 其他, last.
        assert_eq!(
            kinds,
            vec![
                ItemKind::HigherOrganLetter,
                ItemKind::FilingForm,
                ItemKind::Reply,
                ItemKind::Evidence
            ]
        );
        let missing: Vec<ItemKind> = c.missing.iter().map(|e| e.kind).collect();
        assert_eq!(
            missing,
            vec![ItemKind::BureauLeaderInstruction, ItemKind::HandlingReport]
        );
        assert_eq!(c.absences.len(), 1);
        assert_eq!(c.absences[0].0.kind, ItemKind::ClosingReport);
        // 市领导批示 is filed only when there is one: never missing.
        assert!(!missing.contains(&ItemKind::LocalLeaderInstruction));
    }

    #[test]
    fn archiving_waits_for_deregistration_the_appeal_windows_and_a_complete_volume() {
        assert_eq!(
            check_archivable(Stage::Closed, true, &[]).unwrap_err().code,
            "wrong_stage"
        );
        assert_eq!(
            check_archivable(Stage::Deregistered, false, &[])
                .unwrap_err()
                .code,
            "appeal_window_open"
        );
        let missing = [ContentList::VisitDedicated.entries()[3]];
        let e = check_archivable(Stage::Deregistered, true, &missing).unwrap_err();
        assert_eq!(e.code, "dossier_incomplete");
        assert!(e.message.contains("证明事实的证据材料"), "{}", e.message);
        assert!(check_archivable(Stage::Deregistered, true, &[]).is_ok());
    }

    #[test]
    fn retention_takes_the_most_specific_rule() {
        let mut rules = default_retention_rules();
        rules.push(RetentionRule {
            kind: DossierKind::Dedicated,
            category_prefix: "13".into(),
            retention: Retention::Permanent,
        });
        assert_eq!(
            retention_for(&rules, DossierKind::Dedicated, Some("130100")),
            Retention::Permanent
        );
        assert_eq!(
            retention_for(&rules, DossierKind::Dedicated, Some("140100")),
            Retention::Years30
        );
        assert_eq!(
            retention_for(&rules, DossierKind::Ordinary, Some("130100")),
            Retention::Years10
        );
        assert_eq!(
            retention_for(&[], DossierKind::Ordinary, None),
            Retention::Years10
        );
        assert!(check_retention_rule("dedicated", "13x", "Y").is_err());
        assert!(check_retention_rule("dedicated", "13", "D5").is_err());
    }

    #[test]
    fn expiry_counts_whole_years_after_the_filing_year() {
        assert_eq!(Retention::Years10.expires_on(2026), Some(d("2037-01-01")));
        assert_eq!(Retention::Permanent.expires_on(2026), None);
        assert!(!due_for_appraisal(
            Retention::Years10,
            2026,
            d("2036-12-31")
        ));
        assert!(due_for_appraisal(Retention::Years10, 2026, d("2037-01-01")));
        assert!(!due_for_appraisal(
            Retention::Permanent,
            1990,
            d("2090-01-01")
        ));
    }

    #[test]
    fn loans_stay_inside_the_bureau_and_with_those_who_worked_on_it() {
        let today = d("2026-12-07");
        let ok =
            |role, related| check_loan(role, related, "复查答复需查阅", d("2026-12-10"), today);
        assert_eq!(
            ok(Role::UnitHandler, true).unwrap_err().code,
            "outside_bureau"
        );
        assert_eq!(ok(Role::CaseOfficer, false).unwrap_err().code, "unrelated");
        assert_eq!(
            ok(Role::Archivist, true).unwrap_err().code,
            "no_loan_needed"
        );
        assert!(ok(Role::CaseOfficer, true).is_ok());
        assert_eq!(
            check_loan(Role::CaseOfficer, true, "查阅", d("2027-02-01"), today)
                .unwrap_err()
                .field
                .as_deref(),
            Some("reason")
        );
        assert_eq!(
            check_loan(
                Role::CaseOfficer,
                true,
                "复查答复需查阅",
                d("2027-02-01"),
                today
            )
            .unwrap_err()
            .field
            .as_deref(),
            Some("return_on")
        );
        assert!(loan_open(true, false, d("2026-12-10"), d("2026-12-10")));
        assert!(!loan_open(true, false, d("2026-12-10"), d("2026-12-11")));
        assert!(!loan_open(true, true, d("2026-12-10"), d("2026-12-08")));
    }

    #[test]
    fn only_archived_confidential_dossiers_go_offline() {
        assert!(check_offline_move(true, Stage::Archived, false).is_ok());
        assert_eq!(
            check_offline_move(false, Stage::Archived, false)
                .unwrap_err()
                .code,
            "not_confidential"
        );
        assert_eq!(
            check_offline_move(true, Stage::Deregistered, false)
                .unwrap_err()
                .code,
            "wrong_stage"
        );
        assert_eq!(
            check_offline_move(true, Stage::Archived, true)
                .unwrap_err()
                .code,
            "already_moved"
        );
    }

    #[test]
    fn an_archival_number_reads_as_da_t_13_says() {
        let n = ArchivalNo {
            fonds: "X001".into(),
            kind: DossierKind::Dedicated,
            year: 2026,
            retention: Retention::Years30,
            volume: 7,
        };
        assert_eq!(n.to_string(), "X001-ZY·XF·01·2026·D30-0007");
        assert_eq!(ArchivalNo::parse(&n.to_string()), Some(n));
        assert_eq!(ArchivalNo::parse("X001-ZY·XF·03·2026·D30-0007"), None);
        assert_eq!(ArchivalNo::parse("X001-ZY·XF·01·2026·D5-0007"), None);
    }

    proptest! {
        #[test]
        fn archival_numbers_round_trip(
            fonds in "[A-Z0-9]{1,12}",
            dedicated in any::<bool>(),
            year in 1990i32..2100,
            r in 0usize..3,
            volume in 1u32..100_000,
        ) {
            let n = ArchivalNo {
                fonds,
                kind: if dedicated { DossierKind::Dedicated } else { DossierKind::Ordinary },
                year,
                retention: Retention::ALL[r],
                volume,
            };
            prop_assert_eq!(ArchivalNo::parse(&n.to_string()), Some(n));
        }

        /// Whatever is found, every piece is placed once, in list order, and an entry is either
        /// present, explained, missing (if required) or optional — never two of these.
        #[test]
        fn assembly_accounts_for_every_entry_once(
            list in 0usize..6,
            kinds in prop::collection::vec(0usize..16, 0..12),
            absent in prop::collection::vec(0usize..16, 0..4),
        ) {
            let list = ContentList::ALL[list];
            let pieces: Vec<Piece> = kinds
                .iter()
                .enumerate()
                .map(|(i, k)| piece(ItemKind::ALL[*k], "2026-01-01", &format!("s{i}")))
                .collect();
            let absences: Vec<Absence> = absent
                .iter()
                .map(|k| Absence { kind: ItemKind::ALL[*k], reason: "原因说明".into() })
                .collect();
            let c = assemble(list, pieces.clone(), &absences);
            prop_assert_eq!(c.pieces.len(), pieces.len());
            prop_assert!(c.pieces.windows(2).all(|w| w[0].0 <= w[1].0));
            for (i, e) in list.entries().iter().enumerate() {
                let present = c.pieces.iter().any(|(j, _)| *j == i);
                let explained = c.absences.iter().any(|(a, _)| a.kind == e.kind);
                let missing = c.missing.iter().any(|m| m.kind == e.kind);
                prop_assert!(!(present && (explained || missing)));
                prop_assert!(!(explained && missing));
                if e.need == Need::Required {
                    prop_assert!(present || explained || missing);
                }
            }
        }
    }
}
