//! 拟办 (rules §4; V3.0, L4.0): what each way of handling needs. A proposal is parsed once into a
//! `DispositionPlan`; the plan, not the raw form, is what an approval request keeps, so the move
//! made on approval is exactly the one that was checked. Whether the chosen units exist is the
//! caller's check: it needs the unit list.

use serde::{Deserialize, Serialize};

use crate::document::DocumentKind;
use crate::error::FieldError;
use crate::words::{Channel, Disposition};

/// A unit's handling period for 交办 and 转送 unless a shorter one is set (rules §4).
pub const HANDLING_DAYS: u32 = 60;

/// One unit chosen for 交办 / 转送.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct UnitChoice {
    pub unit_id: String,
    /// The lead unit (主办); others co-handle (协办).
    pub lead: bool,
}

/// A disposition proposal as the API and the form send it, before validation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct DispositionInput {
    /// `report_up`, `assignment`, `transfer`, `coordination`, `set_aside`, `direct_reply`,
    /// `circular` (letters only).
    pub disposition: String,
    /// 交办 / 转送: the units; exactly one lead.
    pub units: Vec<UnitChoice>,
    /// 交办 / 转送: the handling period in days (default 60; a local leader may set a shorter one).
    pub period_days: Option<u32>,
    /// 上报: one of `CARRIERS`, by its Chinese name (new proposals: one of `VISIT_CARRIERS`;
    /// the three letter labels are still read from stored proposals).
    pub carrier: String,
    /// 上报 of a letter: how the letter goes up, `original`, `digest` or `summary`
    /// ([`ReportMode`]); visits have none.
    pub report_mode: String,
    /// What the unit must do and report (交办 requirements), or the direct reply's outline.
    pub requirements: String,
    /// Urgent 交办: notified first by phone or fax; the 交办函 must follow.
    pub urgent: bool,
    /// `phone` or `fax`.
    pub urgent_method: String,
    /// 协调处理: the office's plan.
    pub plan: String,
    /// 协调处理: `bureau_leader`, `case_officer` or `local_leader`.
    pub coordination_level: String,
    pub note: String,
}

/// 上报载体: the form a report to the leaders or upwards takes (V3.1, V3.2, L4.1): 每日信访信息,
/// 信访信息专报, 重要信访问题请示报告单, for visits and letters alike. The last three values are the
/// letter's report modes as earlier versions stored them in place of a carrier; they are read
/// from stored proposals (`Carrier::legacy_report_mode`), never offered for a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Carrier {
    DailyInformation,
    SpecialReport,
    RequestReport,
    OriginalLetter,
    LetterDigest,
    SummaryReport,
}

impl Carrier {
    pub const ALL: [Carrier; 6] = [
        Carrier::DailyInformation,
        Carrier::SpecialReport,
        Carrier::RequestReport,
        Carrier::OriginalLetter,
        Carrier::LetterDigest,
        Carrier::SummaryReport,
    ];

    /// The name the form shows and sends.
    pub const fn label_zh(self) -> &'static str {
        match self {
            Carrier::DailyInformation => "每日信访信息",
            Carrier::SpecialReport => "信访信息专报",
            Carrier::RequestReport => "重要信访问题请示报告单",
            Carrier::OriginalLetter => "来信原件",
            Carrier::LetterDigest => "来信摘要",
            Carrier::SummaryReport => "综合报告",
        }
    }

    /// By its Chinese name, as the form sends it.
    pub fn parse_label(s: &str) -> Option<Carrier> {
        Carrier::ALL.into_iter().find(|c| c.label_zh() == s)
    }

    /// One of the three carriers the seed names (每日信访信息, 信访信息专报, 重要信访问题请示报告单).
    pub fn is_visit_carrier(self) -> bool {
        matches!(
            self,
            Carrier::DailyInformation | Carrier::SpecialReport | Carrier::RequestReport
        )
    }

    /// The report mode an old letter label stood for: 来信原件 → 原信上报, 来信摘要 → 摘要上报,
    /// 综合报告 → 综合上报; `None` for the three carriers.
    pub fn legacy_report_mode(self) -> Option<ReportMode> {
        match self {
            Carrier::OriginalLetter => Some(ReportMode::Original),
            Carrier::LetterDigest => Some(ReportMode::Digest),
            Carrier::SummaryReport => Some(ReportMode::Summary),
            _ => None,
        }
    }

    /// The document drafted for this petition when it is reported up on this carrier:
    /// 信访信息专报 and 重要信访问题请示报告单 are written for the leaders; 每日信访信息 is compiled
    /// from the day's petitions as a whole, so it drafts nothing per petition (nor do the old
    /// letter labels).
    pub fn drafted_kind(self) -> Option<DocumentKind> {
        match self {
            Carrier::SpecialReport => Some(DocumentKind::SpecialBulletin),
            Carrier::RequestReport => Some(DocumentKind::RequestReport),
            _ => None,
        }
    }
}

/// The carriers a new proposal may name, visits and letters alike, in the order the form lists
/// them.
pub const VISIT_CARRIERS: [&str; 3] = [
    Carrier::ALL[0].label_zh(),
    Carrier::ALL[1].label_zh(),
    Carrier::ALL[2].label_zh(),
];

/// How a letter is reported up (L4.1: 原信上报、摘要上报、综合上报). A visit has no mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportMode {
    /// 原信上报: the letter itself goes up (attached to the carrier).
    Original,
    /// 摘要上报: a digest of the letter.
    Digest,
    /// 综合上报: consolidated with others into one report.
    Summary,
}

impl ReportMode {
    pub const ALL: [ReportMode; 3] = [
        ReportMode::Original,
        ReportMode::Digest,
        ReportMode::Summary,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportMode::Original => "original",
            ReportMode::Digest => "digest",
            ReportMode::Summary => "summary",
        }
    }

    pub fn parse(s: &str) -> Option<ReportMode> {
        ReportMode::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ReportMode::Original => "原信上报",
            ReportMode::Digest => "摘要上报",
            ReportMode::Summary => "综合上报",
        }
    }
}

/// The carriers' Chinese names, in the order the form lists them.
pub const CARRIERS: [&str; 6] = [
    Carrier::ALL[0].label_zh(),
    Carrier::ALL[1].label_zh(),
    Carrier::ALL[2].label_zh(),
    Carrier::ALL[3].label_zh(),
    Carrier::ALL[4].label_zh(),
    Carrier::ALL[5].label_zh(),
];

/// How an urgent 交办 is notified before the 交办函 follows (V3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UrgentMethod {
    Phone,
    Fax,
}

impl UrgentMethod {
    pub const ALL: [UrgentMethod; 2] = [UrgentMethod::Phone, UrgentMethod::Fax];

    pub fn as_str(self) -> &'static str {
        match self {
            UrgentMethod::Phone => "phone",
            UrgentMethod::Fax => "fax",
        }
    }

    pub fn parse(s: &str) -> Option<UrgentMethod> {
        UrgentMethod::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            UrgentMethod::Phone => "电话",
            UrgentMethod::Fax => "传真",
        }
    }
}

/// Who coordinates a 协调处理 (V3.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoordinationLevel {
    BureauLeader,
    CaseOfficer,
    LocalLeader,
}

impl CoordinationLevel {
    pub const ALL: [CoordinationLevel; 3] = [
        CoordinationLevel::BureauLeader,
        CoordinationLevel::CaseOfficer,
        CoordinationLevel::LocalLeader,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CoordinationLevel::BureauLeader => "bureau_leader",
            CoordinationLevel::CaseOfficer => "case_officer",
            CoordinationLevel::LocalLeader => "local_leader",
        }
    }

    pub fn parse(s: &str) -> Option<CoordinationLevel> {
        CoordinationLevel::ALL.into_iter().find(|l| l.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            CoordinationLevel::BureauLeader => "局领导",
            CoordinationLevel::CaseOfficer => "经办人",
            CoordinationLevel::LocalLeader => "本级党政领导",
        }
    }
}

/// A checked proposal. Each typed choice is present only where its way of handling uses it
/// (units and period for 交办 / 转送, carrier for 上报, urgency for 交办, level for 协调处理), so
/// a leftover form value cannot take effect; texts are trimmed and kept, as they were checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DispositionPlan {
    pub disposition: Disposition,
    /// Trimmed ids, each once, exactly one lead; empty unless 交办 / 转送.
    pub units: Vec<UnitChoice>,
    /// As proposed; `None` means the default `HANDLING_DAYS` (see `handling_period_days`).
    pub period_days: Option<u32>,
    pub carrier: Option<Carrier>,
    /// A letter's 上报 mode, from `parse_disposition_for`; `None` for visits, for other ways of
    /// handling, and for plans `parse_disposition` checked (stored before modes existed).
    #[serde(default)]
    pub report_mode: Option<ReportMode>,
    pub requirements: String,
    /// Set for an urgent 交办 only.
    pub urgent: Option<UrgentMethod>,
    pub coordination: Option<CoordinationLevel>,
    pub plan: String,
    pub note: String,
}

impl DispositionPlan {
    /// The handling period the units get: 交办 / 转送 only.
    pub fn handling_period_days(&self) -> Option<u32> {
        self.disposition
            .takes_units()
            .then(|| self.period_days.unwrap_or(HANDLING_DAYS))
    }

    pub fn lead_unit(&self) -> Option<&UnitChoice> {
        self.units.iter().find(|u| u.lead)
    }

    /// The plan as a form would send it; `parse_disposition` of it gives the plan back.
    pub fn to_input(&self) -> DispositionInput {
        DispositionInput {
            disposition: self.disposition.as_str().into(),
            units: self.units.clone(),
            period_days: self.period_days,
            carrier: self
                .carrier
                .map(Carrier::label_zh)
                .unwrap_or_default()
                .into(),
            report_mode: self
                .report_mode
                .map(ReportMode::as_str)
                .unwrap_or_default()
                .into(),
            requirements: self.requirements.clone(),
            urgent: self.urgent.is_some(),
            urgent_method: self
                .urgent
                .map(UrgentMethod::as_str)
                .unwrap_or_default()
                .into(),
            plan: self.plan.clone(),
            coordination_level: self
                .coordination
                .map(CoordinationLevel::as_str)
                .unwrap_or_default()
                .into(),
            note: self.note.clone(),
        }
    }
}

/// The way of handling by its API name.
pub fn parse_disposition_kind(s: &str) -> Result<Disposition, FieldError> {
    let s = s.trim();
    Disposition::parse(s).ok_or_else(|| {
        FieldError::new(
            "disposition",
            "unknown_disposition",
            format!("未知的办理方式：{s}"),
        )
    })
}

/// The Chinese name of a stored disposition value; `其他` for one this version does not know.
pub fn disposition_label(s: &str) -> &'static str {
    Disposition::parse(s).map_or("其他", Disposition::label_zh)
}

/// Checks what the chosen way of handling needs, first problem first, in the order the form
/// shows the fields. The units' existence is left to the caller (`unknown_unit`).
///
/// Channel-blind, as proposals were checked before the channel mattered: any of the six
/// carrier names is a carrier and no report mode is read. It stays for proposals stored that
/// way; a new proposal is checked by [`parse_disposition_for`].
pub fn parse_disposition(input: &DispositionInput) -> Result<DispositionPlan, FieldError> {
    parse_plan(input, None)
}

/// Checks a new proposal for a petition of `channel`: everything `parse_disposition` checks,
/// and what the channel allows (V3.1, L4.0, L4.1):
/// - a letter's 上报 names its mode (`report_mode`: 原信, 摘要 or 综合) and one of the three
///   carriers; a stored letter label (来信原件, 来信摘要, 综合报告) still reads as its mode;
/// - a visit (any channel but a letter) is reported on one of the three carriers only, with no
///   mode, and never as 来信原件 etc. (`not_for_visits`);
/// - 通报 is a way of handling letters only (`not_for_visits`).
pub fn parse_disposition_for(
    input: &DispositionInput,
    channel: Channel,
) -> Result<DispositionPlan, FieldError> {
    parse_plan(input, Some(channel))
}

const CARRIER_REQUIRED: &str = "请选择上报载体（每日信访信息、信访信息专报、请示报告单等）";

/// 上报 as `parse_disposition_for` checks it: (carrier, mode).
fn report_up_for(
    input: &DispositionInput,
    channel: Channel,
) -> Result<(Carrier, Option<ReportMode>), FieldError> {
    let carrier = Carrier::parse_label(input.carrier.trim());
    let mode_text = input.report_mode.trim();
    if !channel.follows_letter_procedure() {
        if !mode_text.is_empty() {
            return Err(FieldError::new(
                "report_mode",
                "not_for_visits",
                format!(
                    "{}上报不分原信、摘要、综合上报方式（仅适用于来信）",
                    channel.label_zh()
                ),
            ));
        }
        return match carrier {
            None => Err(FieldError::new("carrier", "required", CARRIER_REQUIRED)),
            Some(c) if !c.is_visit_carrier() => Err(FieldError::new(
                "carrier",
                "not_for_visits",
                format!(
                    "{}不能以「{}」上报，请选择每日信访信息、信访信息专报或重要信访问题请示报告单",
                    channel.label_zh(),
                    c.label_zh()
                ),
            )),
            Some(c) => Ok((c, None)),
        };
    }
    let mode = match mode_text {
        "" => None,
        m => Some(ReportMode::parse(m).ok_or_else(mode_required)?),
    };
    if let Some(c) = carrier
        && let Some(legacy) = c.legacy_report_mode()
    {
        if let Some(m) = mode
            && m != legacy
        {
            return Err(FieldError::new(
                "report_mode",
                "mode_conflict",
                format!(
                    "上报载体「{}」即{}，与所选的{}不符",
                    c.label_zh(),
                    legacy.label_zh(),
                    m.label_zh()
                ),
            ));
        }
        return Ok((c, Some(legacy)));
    }
    let mode = mode.ok_or_else(mode_required)?;
    match carrier {
        Some(c) if c.is_visit_carrier() => Ok((c, Some(mode))),
        _ => Err(FieldError::new(
            "carrier",
            "required",
            "请选择上报载体（每日信访信息、信访信息专报或重要信访问题请示报告单）",
        )),
    }
}

fn mode_required() -> FieldError {
    FieldError::new(
        "report_mode",
        "required",
        "来信上报须选择上报方式（原信上报、摘要上报或综合上报）",
    )
}

fn parse_plan(
    input: &DispositionInput,
    channel: Option<Channel>,
) -> Result<DispositionPlan, FieldError> {
    let disposition = parse_disposition_kind(&input.disposition)?;
    if disposition == Disposition::Circular
        && let Some(channel) = channel
        && !channel.follows_letter_procedure()
    {
        return Err(FieldError::new(
            "disposition",
            "not_for_visits",
            format!(
                "{}不能以通报方式办理（通报仅适用于来信）",
                channel.label_zh()
            ),
        ));
    }
    let mut plan = DispositionPlan {
        disposition,
        units: Vec::new(),
        period_days: None,
        carrier: None,
        report_mode: None,
        requirements: input.requirements.trim().into(),
        urgent: None,
        coordination: None,
        plan: input.plan.trim().into(),
        note: input.note.trim().into(),
    };
    match disposition {
        Disposition::Assignment | Disposition::Transfer => {
            if input.units.is_empty() {
                return Err(FieldError::new("units", "required", "请选择承办单位"));
            }
            for (i, c) in input.units.iter().enumerate() {
                let unit_id = c.unit_id.trim();
                if plan.units.iter().any(|u| u.unit_id == unit_id) {
                    return Err(FieldError::new(
                        format!("units[{i}].unit_id"),
                        "duplicate_unit",
                        "承办单位重复选择",
                    ));
                }
                plan.units.push(UnitChoice {
                    unit_id: unit_id.into(),
                    lead: c.lead,
                });
            }
            if plan.units.iter().filter(|u| u.lead).count() != 1 {
                return Err(FieldError::new(
                    "units",
                    "one_lead",
                    "须指定且只指定一个主办单位",
                ));
            }
            if let Some(days) = input.period_days
                && !(1..=HANDLING_DAYS).contains(&days)
            {
                return Err(FieldError::new(
                    "period_days",
                    "out_of_range",
                    format!("办理期限应为 1 至 {HANDLING_DAYS} 日"),
                ));
            }
            plan.period_days = input.period_days;
        }
        Disposition::ReportUp => match channel {
            Some(channel) => {
                let (carrier, mode) = report_up_for(input, channel)?;
                plan.carrier = Some(carrier);
                plan.report_mode = mode;
            }
            None => {
                let Some(carrier) = Carrier::parse_label(input.carrier.trim()) else {
                    return Err(FieldError::new("carrier", "required", CARRIER_REQUIRED));
                };
                plan.carrier = Some(carrier);
            }
        },
        Disposition::Coordination => {
            if plan.plan.is_empty() {
                return Err(FieldError::new("plan", "required", "请填写协调处理方案"));
            }
            let Some(level) = CoordinationLevel::parse(input.coordination_level.trim()) else {
                return Err(FieldError::new(
                    "coordination_level",
                    "required",
                    "请选择协调层级（局领导、经办人或本级党政领导）",
                ));
            };
            plan.coordination = Some(level);
        }
        Disposition::DirectReply => {
            if plan.requirements.is_empty() {
                return Err(FieldError::new(
                    "requirements",
                    "required",
                    "请填写答复提纲",
                ));
            }
        }
        // 通报: the circular itself is drafted later from a selection of petitions (L4.5).
        Disposition::SetAside | Disposition::Circular => {}
    }
    if input.urgent && disposition == Disposition::Assignment {
        let Some(method) = UrgentMethod::parse(input.urgent_method.trim()) else {
            return Err(FieldError::new(
                "urgent_method",
                "required",
                "紧急交办须先以电话或传真通知，请选择方式",
            ));
        };
        plan.urgent = Some(method);
    }
    // Counted as typed, before trimming, like every other length limit of the forms.
    for (field, text, max) in [
        ("requirements", &input.requirements, 5000),
        ("plan", &input.plan, 5000),
        ("note", &input.note, 2000),
    ] {
        if text.chars().count() > max {
            return Err(FieldError::new(
                field,
                "too_long",
                format!("不超过 {max} 字"),
            ));
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn unit(id: &str, lead: bool) -> UnitChoice {
        UnitChoice {
            unit_id: id.into(),
            lead,
        }
    }

    fn assignment() -> DispositionInput {
        DispositionInput {
            disposition: "assignment".into(),
            units: vec![unit(" u1 ", true), unit("u2", false)],
            requirements: "  调查核实并书面答复  ".into(),
            ..Default::default()
        }
    }

    fn err(input: &DispositionInput) -> (Option<String>, &'static str, String) {
        let e = parse_disposition(input).unwrap_err();
        (e.field, e.code, e.message)
    }

    fn field(f: &str) -> Option<String> {
        Some(f.into())
    }

    #[test]
    fn an_assignment_keeps_trimmed_units_and_its_period() {
        let p = parse_disposition(&assignment()).unwrap();
        assert_eq!(p.disposition, Disposition::Assignment);
        assert_eq!(p.units, vec![unit("u1", true), unit("u2", false)]);
        assert_eq!(p.lead_unit(), Some(&unit("u1", true)));
        assert_eq!(p.requirements, "调查核实并书面答复");
        assert_eq!(p.handling_period_days(), Some(HANDLING_DAYS));
        let mut i = assignment();
        i.period_days = Some(15);
        assert_eq!(
            parse_disposition(&i).unwrap().handling_period_days(),
            Some(15)
        );
    }

    #[test]
    fn units_are_required_once_each_with_exactly_one_lead() {
        let mut i = assignment();
        i.disposition = " transfer ".into();
        i.units.clear();
        assert_eq!(
            err(&i),
            (field("units"), "required", "请选择承办单位".into())
        );
        i.units = vec![unit("u1", true), unit("u2", false), unit(" u1", false)];
        assert_eq!(
            err(&i),
            (
                field("units[2].unit_id"),
                "duplicate_unit",
                "承办单位重复选择".into()
            )
        );
        for units in [
            vec![unit("u1", false), unit("u2", false)],
            vec![unit("u1", true), unit("u2", true)],
        ] {
            i.units = units;
            assert_eq!(
                err(&i),
                (
                    field("units"),
                    "one_lead",
                    "须指定且只指定一个主办单位".into()
                )
            );
        }
    }

    #[test]
    fn the_period_is_one_to_sixty_days() {
        let mut i = assignment();
        for days in [0, 61, u32::MAX] {
            i.period_days = Some(days);
            assert_eq!(
                err(&i),
                (
                    field("period_days"),
                    "out_of_range",
                    "办理期限应为 1 至 60 日".into()
                )
            );
        }
        for days in [1, 60] {
            i.period_days = Some(days);
            assert!(parse_disposition(&i).is_ok());
        }
        // Only 交办 and 转送 have a period; elsewhere it is ignored, as before.
        let p = parse_disposition(&DispositionInput {
            disposition: "set_aside".into(),
            period_days: Some(500),
            ..Default::default()
        })
        .unwrap();
        assert_eq!((p.period_days, p.handling_period_days()), (None, None));
    }

    #[test]
    fn a_report_up_names_a_known_carrier() {
        let mut i = DispositionInput {
            disposition: "report_up".into(),
            carrier: "口头汇报".into(),
            ..Default::default()
        };
        assert_eq!(
            err(&i),
            (
                field("carrier"),
                "required",
                "请选择上报载体（每日信访信息、信访信息专报、请示报告单等）".into()
            )
        );
        for (name, carrier) in CARRIERS.iter().zip(Carrier::ALL) {
            i.carrier = format!(" {name} ");
            assert_eq!(parse_disposition(&i).unwrap().carrier, Some(carrier));
        }
        assert_eq!(
            CARRIERS,
            [
                "每日信访信息",
                "信访信息专报",
                "重要信访问题请示报告单",
                "来信原件",
                "来信摘要",
                "综合报告"
            ]
        );
    }

    fn report_up(carrier: &str, mode: &str) -> DispositionInput {
        DispositionInput {
            disposition: "report_up".into(),
            carrier: carrier.into(),
            report_mode: mode.into(),
            ..Default::default()
        }
    }

    fn err_for(
        input: &DispositionInput,
        channel: Channel,
    ) -> (Option<String>, &'static str, String) {
        let e = parse_disposition_for(input, channel).unwrap_err();
        (e.field, e.code, e.message)
    }

    #[test]
    fn a_letter_is_reported_up_in_a_mode_and_on_a_carrier() {
        for mode in ReportMode::ALL {
            for (name, carrier) in VISIT_CARRIERS.iter().zip(Carrier::ALL) {
                let p = parse_disposition_for(
                    &report_up(&format!(" {name} "), &format!(" {} ", mode.as_str())),
                    Channel::Letter,
                )
                .unwrap();
                assert_eq!((p.carrier, p.report_mode), (Some(carrier), Some(mode)));
            }
        }
        assert_eq!(
            err_for(&report_up("信访信息专报", ""), Channel::Letter),
            (
                field("report_mode"),
                "required",
                "来信上报须选择上报方式（原信上报、摘要上报或综合上报）".into()
            )
        );
        assert_eq!(
            err_for(&report_up("信访信息专报", "photocopy"), Channel::Letter).1,
            "required"
        );
        // The mode comes first; then a carrier among the three.
        assert_eq!(
            err_for(&report_up("", ""), Channel::Letter).0,
            field("report_mode")
        );
        for carrier in ["", "口头汇报"] {
            assert_eq!(
                err_for(&report_up(carrier, "original"), Channel::Letter),
                (
                    field("carrier"),
                    "required",
                    "请选择上报载体（每日信访信息、信访信息专报或重要信访问题请示报告单）".into()
                )
            );
        }
    }

    #[test]
    fn stored_letter_labels_still_read_as_their_mode() {
        for (label, carrier, mode) in [
            ("来信原件", Carrier::OriginalLetter, ReportMode::Original),
            ("来信摘要", Carrier::LetterDigest, ReportMode::Digest),
            ("综合报告", Carrier::SummaryReport, ReportMode::Summary),
        ] {
            assert_eq!(carrier.legacy_report_mode(), Some(mode));
            for given in ["", mode.as_str()] {
                let p = parse_disposition_for(&report_up(label, given), Channel::Letter).unwrap();
                assert_eq!((p.carrier, p.report_mode), (Some(carrier), Some(mode)));
            }
        }
        assert_eq!(
            err_for(&report_up("来信原件", "digest"), Channel::Letter),
            (
                field("report_mode"),
                "mode_conflict",
                "上报载体「来信原件」即原信上报，与所选的摘要上报不符".into()
            )
        );
        for c in Carrier::ALL.into_iter().filter(|c| c.is_visit_carrier()) {
            assert_eq!(c.legacy_report_mode(), None);
        }
    }

    #[test]
    fn a_visit_is_reported_on_the_three_carriers_only_and_has_no_mode() {
        for channel in [Channel::Visit, Channel::Phone] {
            for (name, carrier) in VISIT_CARRIERS.iter().zip(Carrier::ALL) {
                let p = parse_disposition_for(&report_up(name, ""), channel).unwrap();
                assert_eq!((p.carrier, p.report_mode), (Some(carrier), None));
            }
        }
        for label in ["来信原件", "来信摘要", "综合报告"] {
            let (f, code, message) = err_for(&report_up(label, ""), Channel::Visit);
            assert_eq!((f, code), (field("carrier"), "not_for_visits"));
            assert_eq!(
                message,
                format!(
                    "来访不能以「{label}」上报，请选择每日信访信息、信访信息专报或重要信访问题请示报告单"
                )
            );
        }
        assert_eq!(
            err_for(&report_up("每日信访信息", "original"), Channel::Visit),
            (
                field("report_mode"),
                "not_for_visits",
                "来访上报不分原信、摘要、综合上报方式（仅适用于来信）".into()
            )
        );
        assert_eq!(
            err_for(&report_up("", ""), Channel::Visit),
            (
                field("carrier"),
                "required",
                "请选择上报载体（每日信访信息、信访信息专报、请示报告单等）".into()
            )
        );
        // A leftover mode on another way of handling is ignored, as other leftovers are.
        let mut i = assignment();
        i.report_mode = "original".into();
        assert_eq!(
            parse_disposition_for(&i, Channel::Visit)
                .unwrap()
                .report_mode,
            None
        );
    }

    #[test]
    fn the_channel_blind_check_reads_stored_proposals_as_before() {
        // Any of the six names, no mode read: what stored proposals were checked against.
        for name in CARRIERS {
            let p = parse_disposition(&report_up(name, "digest")).unwrap();
            assert_eq!(p.report_mode, None);
        }
        // A plan stored before modes existed still reads.
        let mut json =
            serde_json::to_value(parse_disposition(&report_up("综合报告", "")).unwrap()).unwrap();
        json.as_object_mut().unwrap().remove("report_mode");
        let p: DispositionPlan = serde_json::from_value(json).unwrap();
        assert_eq!(
            (p.carrier, p.report_mode),
            (Some(Carrier::SummaryReport), None)
        );
    }

    #[test]
    fn only_the_bulletin_and_the_request_report_are_drafted_per_petition() {
        let drafted: Vec<(Carrier, Option<DocumentKind>)> = Carrier::ALL
            .into_iter()
            .map(|c| (c, c.drafted_kind()))
            .collect();
        assert_eq!(
            drafted,
            [
                (Carrier::DailyInformation, None),
                (Carrier::SpecialReport, Some(DocumentKind::SpecialBulletin)),
                (Carrier::RequestReport, Some(DocumentKind::RequestReport)),
                (Carrier::OriginalLetter, None),
                (Carrier::LetterDigest, None),
                (Carrier::SummaryReport, None),
            ]
        );
        assert_eq!(
            VISIT_CARRIERS,
            ["每日信访信息", "信访信息专报", "重要信访问题请示报告单"]
        );
        for m in ReportMode::ALL {
            assert_eq!(ReportMode::parse(m.as_str()), Some(m));
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
        let labels: Vec<&str> = ReportMode::ALL
            .into_iter()
            .map(ReportMode::label_zh)
            .collect();
        assert_eq!(labels, ["原信上报", "摘要上报", "综合上报"]);
    }

    #[test]
    fn a_circular_is_for_letters_only() {
        let i = DispositionInput {
            disposition: " circular ".into(),
            note: " 列入下期信访情况通报 ".into(),
            ..Default::default()
        };
        let p = parse_disposition_for(&i, Channel::Letter).unwrap();
        assert_eq!(
            (p.disposition, p.note.as_str()),
            (Disposition::Circular, "列入下期信访情况通报")
        );
        assert_eq!(parse_disposition(&i).unwrap(), p);
        for channel in [Channel::Visit, Channel::Phone] {
            let (f, code, message) = err_for(&i, channel);
            assert_eq!((f, code), (field("disposition"), "not_for_visits"));
            assert_eq!(
                message,
                format!(
                    "{}不能以通报方式办理（通报仅适用于来信）",
                    channel.label_zh()
                )
            );
        }
    }

    #[test]
    fn a_coordination_needs_a_plan_and_a_level() {
        let mut i = DispositionInput {
            disposition: "coordination".into(),
            plan: "   ".into(),
            coordination_level: "local_leader".into(),
            ..Default::default()
        };
        assert_eq!(
            err(&i),
            (field("plan"), "required", "请填写协调处理方案".into())
        );
        i.plan = "召集相关部门会商".into();
        i.coordination_level = "mayor".into();
        assert_eq!(
            err(&i),
            (
                field("coordination_level"),
                "required",
                "请选择协调层级（局领导、经办人或本级党政领导）".into()
            )
        );
        for level in CoordinationLevel::ALL {
            i.coordination_level = level.as_str().into();
            assert_eq!(parse_disposition(&i).unwrap().coordination, Some(level));
        }
    }

    #[test]
    fn a_direct_reply_needs_its_outline() {
        let i = DispositionInput {
            disposition: "direct_reply".into(),
            ..Default::default()
        };
        assert_eq!(
            err(&i),
            (field("requirements"), "required", "请填写答复提纲".into())
        );
    }

    #[test]
    fn an_urgent_assignment_says_how_it_was_notified() {
        let mut i = assignment();
        i.urgent = true;
        assert_eq!(
            err(&i),
            (
                field("urgent_method"),
                "required",
                "紧急交办须先以电话或传真通知，请选择方式".into()
            )
        );
        i.urgent_method = " fax ".into();
        assert_eq!(
            parse_disposition(&i).unwrap().urgent,
            Some(UrgentMethod::Fax)
        );
        // Urgency is a 交办 matter: a transfer ignores it, as before.
        i.disposition = "transfer".into();
        i.urgent_method.clear();
        assert_eq!(parse_disposition(&i).unwrap().urgent, None);
    }

    #[test]
    fn texts_have_limits_counted_in_characters() {
        let mut i = DispositionInput {
            disposition: "set_aside".into(),
            note: "字".repeat(2000),
            plan: "字".repeat(5000),
            ..Default::default()
        };
        assert!(parse_disposition(&i).is_ok());
        i.note.push('字');
        assert_eq!(
            err(&i),
            (field("note"), "too_long", "不超过 2000 字".into())
        );
        i.requirements = "字".repeat(5001);
        assert_eq!(err(&i).0, field("requirements"));
    }

    #[test]
    fn unknown_ways_of_handling_are_named() {
        let i = DispositionInput {
            disposition: " shelve ".into(),
            ..Default::default()
        };
        assert_eq!(
            err(&i),
            (
                field("disposition"),
                "unknown_disposition",
                "未知的办理方式：shelve".into()
            )
        );
        assert_eq!(disposition_label("transfer"), "转送");
        assert_eq!(disposition_label("shelve"), "其他");
        let labels: Vec<&str> = Disposition::ALL
            .into_iter()
            .map(|d| disposition_label(d.as_str()))
            .collect();
        assert_eq!(
            labels,
            [
                "上报",
                "交办",
                "转送",
                "协调处理",
                "暂存",
                "直接答复",
                "通报"
            ]
        );
    }

    #[test]
    fn leftover_choices_do_not_reach_the_plan() {
        let mut i = assignment();
        i.carrier = "每日信访信息".into();
        i.coordination_level = "bureau_leader".into();
        let p = parse_disposition(&i).unwrap();
        assert_eq!((p.carrier, p.coordination), (None, None));
        let p = parse_disposition(&DispositionInput {
            disposition: "report_up".into(),
            carrier: "综合报告".into(),
            units: vec![unit("u1", false), unit("u1", false)],
            ..Default::default()
        })
        .unwrap();
        assert!(p.units.is_empty());
    }

    /// Mostly well-formed values, so that plans come out, with arbitrary text mixed in.
    fn any_input() -> impl Strategy<Value = DispositionInput> {
        fn mixed(valid: &'static [&'static str]) -> impl Strategy<Value = String> {
            prop_oneof![
                3 => prop::sample::select(valid).prop_map(String::from),
                1 => any::<String>(),
            ]
        }
        let names: &'static [&'static str] = &[
            "report_up",
            "assignment",
            "transfer",
            "coordination",
            "set_aside",
            "direct_reply",
            "circular",
        ];
        let units = prop::collection::vec(
            (mixed(&["u1", " u2", "u3 ", ""]), any::<bool>())
                .prop_map(|(unit_id, lead)| UnitChoice { unit_id, lead }),
            0..4,
        );
        let period = prop_oneof![Just(None), (0u32..70).prop_map(Some), any::<Option<u32>>()];
        (
            mixed(names),
            units,
            period,
            mixed(&CARRIERS),
            (any::<String>(), any::<bool>(), mixed(&["phone", "fax"])),
            (
                any::<String>(),
                mixed(&["bureau_leader", "case_officer", "local_leader"]),
                any::<String>(),
            ),
            prop_oneof![
                2 => Just(String::new()),
                3 => prop::sample::select(&["original", "digest", "summary", " digest "][..])
                    .prop_map(String::from),
                1 => any::<String>(),
            ],
        )
            .prop_map(
                |(
                    disposition,
                    units,
                    period_days,
                    carrier,
                    (requirements, urgent, urgent_method),
                    (plan, coordination_level, note),
                    report_mode,
                )| DispositionInput {
                    disposition,
                    units,
                    period_days,
                    carrier,
                    report_mode,
                    requirements,
                    urgent,
                    urgent_method,
                    plan,
                    coordination_level,
                    note,
                },
            )
    }

    proptest! {
        /// Parsing never panics; a plan survives storage as JSON, and its form parses back to it.
        #[test]
        fn plans_round_trip(input in any_input()) {
            if let Ok(plan) = parse_disposition(&input) {
                let json = serde_json::to_string(&plan).unwrap();
                let back: DispositionPlan = serde_json::from_str(&json).unwrap();
                prop_assert_eq!(&back, &plan);
                prop_assert_eq!(parse_disposition(&plan.to_input()), Ok(plan.clone()));
                if plan.disposition.takes_units() {
                    prop_assert_eq!(plan.units.iter().filter(|u| u.lead).count(), 1);
                } else {
                    prop_assert!(plan.units.is_empty());
                }
            }
        }

        #[test]
        fn parsing_arbitrary_strings_never_panics(
            disposition in prop_oneof![
                prop::sample::select(Disposition::ALL.to_vec()).prop_map(|d| d.as_str().to_string()),
                any::<String>(),
            ],
            ids in prop::collection::vec(any::<String>(), 0..4),
            carrier in any::<String>(),
            urgent_method in any::<String>(),
            level in any::<String>(),
            text in any::<String>(),
        ) {
            let input = DispositionInput {
                disposition,
                units: ids.into_iter().map(|unit_id| UnitChoice { unit_id, lead: true }).collect(),
                carrier,
                urgent: true,
                urgent_method,
                coordination_level: level,
                requirements: text.clone(),
                plan: text.clone(),
                note: text,
                ..Default::default()
            };
            let _ = parse_disposition(&input);
            for channel in Channel::ALL {
                let _ = parse_disposition_for(&input, channel);
            }
        }

        /// The channel-aware check: never panics; its plans round-trip through storage and their
        /// form; a letter's 上报 always has a mode, a visit's never, and a visit's carrier is
        /// always one of the three.
        #[test]
        fn channel_plans_round_trip(
            input in any_input(),
            channel in prop::sample::select(Channel::ALL.to_vec()),
        ) {
            if let Ok(plan) = parse_disposition_for(&input, channel) {
                let json = serde_json::to_string(&plan).unwrap();
                let back: DispositionPlan = serde_json::from_str(&json).unwrap();
                prop_assert_eq!(&back, &plan);
                prop_assert_eq!(parse_disposition_for(&plan.to_input(), channel), Ok(plan.clone()));
                let letters = channel.follows_letter_procedure();
                if plan.disposition == Disposition::Circular {
                    prop_assert!(letters);
                }
                if plan.disposition == Disposition::ReportUp {
                    prop_assert_eq!(plan.report_mode.is_some(), letters);
                    if !letters {
                        prop_assert!(plan.carrier.is_some_and(Carrier::is_visit_carrier));
                    }
                } else {
                    prop_assert_eq!(plan.report_mode, None);
                }
            }
        }
    }
}
