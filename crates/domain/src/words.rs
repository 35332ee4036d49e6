//! The vocabulary the other modules share: the petition's channel and stage, the acceptance
//! decision, the way of handling, and the date formats of the forms. It sits below lifecycle,
//! registration, handling and the code tables so that none of them has to import another just
//! for a word (the modules form a layered graph; tests/modules.rs keeps it so).

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::document::DocumentKind;
use crate::error::FieldError;

/// 信访形式. Reports group online and phone as 网信.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Letter,
    Visit,
    Online,
    Phone,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::Visit,
        Channel::Letter,
        Channel::Online,
        Channel::Phone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Letter => "letter",
            Channel::Visit => "visit",
            Channel::Online => "online",
            Channel::Phone => "phone",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Channel::Letter => "来信",
            Channel::Visit => "来访",
            Channel::Online => "网上信访",
            Channel::Phone => "电话",
        }
    }

    /// One letter used in petition numbers (V = 访, L = 信, W = 网, D = 电).
    pub fn number_prefix(self) -> &'static str {
        match self {
            Channel::Letter => "L",
            Channel::Visit => "V",
            Channel::Online => "W",
            Channel::Phone => "D",
        }
    }

    /// Letters follow part 二 of the seed, and so do online petitions (as they do in practice:
    /// registered, proposed, instructed and told like a letter); visits and phone calls follow
    /// part 一.
    pub fn follows_letter_procedure(self) -> bool {
        matches!(self, Channel::Letter | Channel::Online)
    }
}

/// The petition's stage: exactly one value per petition (lifecycle §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Received,
    ReturnedUnopened,
    Registered,
    AwaitingInstruction,
    Decided,
    Disposing,
    ReportedUp,
    Assigned,
    Transferred,
    Coordinating,
    SetAside,
    Destroyed,
    DirectReply,
    /// Letters disposed of by 通报 (L4.5): handled, waiting to be listed in the next 信访情况通报.
    AwaitingCircular,
    Reviewing,
    AwaitingClosure,
    Closed,
    Deregistered,
    Archived,
}

impl Stage {
    pub const ALL: [Stage; 19] = [
        Stage::Received,
        Stage::ReturnedUnopened,
        Stage::Registered,
        Stage::AwaitingInstruction,
        Stage::Decided,
        Stage::Disposing,
        Stage::ReportedUp,
        Stage::Assigned,
        Stage::Transferred,
        Stage::Coordinating,
        Stage::SetAside,
        Stage::Destroyed,
        Stage::DirectReply,
        Stage::AwaitingCircular,
        Stage::Reviewing,
        Stage::AwaitingClosure,
        Stage::Closed,
        Stage::Deregistered,
        Stage::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Received => "received",
            Stage::ReturnedUnopened => "returned_unopened",
            Stage::Registered => "registered",
            Stage::AwaitingInstruction => "awaiting_instruction",
            Stage::Decided => "decided",
            Stage::Disposing => "disposing",
            Stage::ReportedUp => "reported_up",
            Stage::Assigned => "assigned",
            Stage::Transferred => "transferred",
            Stage::Coordinating => "coordinating",
            Stage::SetAside => "set_aside",
            Stage::Destroyed => "destroyed",
            Stage::DirectReply => "direct_reply",
            Stage::AwaitingCircular => "awaiting_circular",
            Stage::Reviewing => "reviewing",
            Stage::AwaitingClosure => "awaiting_closure",
            Stage::Closed => "closed",
            Stage::Deregistered => "deregistered",
            Stage::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Stage::Received => "已签收",
            Stage::ReturnedUnopened => "退回未拆",
            Stage::Registered => "已登记",
            Stage::AwaitingInstruction => "待领导批示",
            Stage::Decided => "已作受理决定",
            Stage::Disposing => "拟办中",
            Stage::ReportedUp => "已上报",
            Stage::Assigned => "已交办",
            Stage::Transferred => "已转送",
            Stage::Coordinating => "协调处理中",
            Stage::SetAside => "暂存",
            Stage::Destroyed => "已销毁",
            Stage::DirectReply => "直接答复",
            Stage::AwaitingCircular => "待通报",
            Stage::Reviewing => "审阅中",
            Stage::AwaitingClosure => "待结案审批",
            Stage::Closed => "已结案",
            Stage::Deregistered => "已销案",
            Stage::Archived => "已归档",
        }
    }

    /// The reference table's "next stages" column: the only moves the machine can make.
    pub fn next_stages(self) -> &'static [Stage] {
        use Stage::*;
        match self {
            Received => &[Registered, ReturnedUnopened],
            ReturnedUnopened => &[],
            Registered => &[AwaitingInstruction, Decided, Disposing, Transferred],
            AwaitingInstruction => &[Decided, Disposing, Transferred],
            Decided => &[Disposing, Closed],
            Disposing => &[
                ReportedUp,
                Assigned,
                Transferred,
                Coordinating,
                SetAside,
                DirectReply,
                AwaitingCircular,
            ],
            ReportedUp => &[
                Assigned,
                Transferred,
                Coordinating,
                DirectReply,
                AwaitingClosure,
            ],
            Assigned => &[Reviewing, Disposing],
            Transferred => &[AwaitingClosure, Disposing],
            Coordinating => &[DirectReply, Assigned, AwaitingClosure],
            SetAside => &[Destroyed, Disposing],
            Destroyed => &[],
            DirectReply => &[AwaitingClosure],
            AwaitingCircular => &[Closed],
            Reviewing => &[Assigned, AwaitingClosure],
            AwaitingClosure => &[Closed, Reviewing],
            Closed => &[Deregistered],
            Deregistered => &[Archived],
            Archived => &[],
        }
    }

    pub fn is_final(self) -> bool {
        self.next_stages().is_empty()
    }

    /// Stages in which the petition is still being worked on (counts in queues and deadlines).
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            Stage::ReturnedUnopened
                | Stage::Destroyed
                | Stage::Closed
                | Stage::Deregistered
                | Stage::Archived
        )
    }
}

/// The acceptance decision (rules §3), a sub-value of `decided`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Acceptance {
    /// 受理
    Accepted,
    /// 不予受理
    NotAccepted,
    /// 不再受理
    NoLongerAccepted,
    /// A township or street-office matter: 告知单, back to the locality (V2.2).
    ReferredToLocality,
    /// A department of the bureau's own level: 转送单 on the spot (V2.2).
    ReferredToDepartment,
}

impl Acceptance {
    pub const ALL: [Acceptance; 5] = [
        Acceptance::Accepted,
        Acceptance::NotAccepted,
        Acceptance::NoLongerAccepted,
        Acceptance::ReferredToLocality,
        Acceptance::ReferredToDepartment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Acceptance::Accepted => "accepted",
            Acceptance::NotAccepted => "not_accepted",
            Acceptance::NoLongerAccepted => "no_longer_accepted",
            Acceptance::ReferredToLocality => "referred_to_locality",
            Acceptance::ReferredToDepartment => "referred_to_department",
        }
    }

    pub fn parse(s: &str) -> Option<Acceptance> {
        Acceptance::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Acceptance::Accepted => "受理",
            Acceptance::NotAccepted => "不予受理",
            Acceptance::NoLongerAccepted => "不再受理",
            Acceptance::ReferredToLocality => "告知回当地反映",
            Acceptance::ReferredToDepartment => "转送本级部门",
        }
    }

    /// The stage a decision leads to.
    pub fn next_stage(self) -> Stage {
        match self {
            Acceptance::Accepted => Stage::Disposing,
            Acceptance::ReferredToDepartment => Stage::Transferred,
            _ => Stage::Decided,
        }
    }

    /// A referral names the unit it sends the visitor or the matter to (V2.2): a township or
    /// street office for the locality, a department of the bureau's own level for a 转送单.
    /// Checks a unit's kind (`township`, `street`, `department`); `Ok(false)` when the decision
    /// takes no unit.
    pub fn check_target_unit_kind(self, kind: Option<&str>) -> Result<bool, FieldError> {
        let wanted_department = match self {
            Acceptance::ReferredToDepartment => true,
            Acceptance::ReferredToLocality => false,
            _ => return Ok(false),
        };
        let Some(kind) = kind else {
            return Err(FieldError::new(
                "target_unit_id",
                "required",
                "请选择承办单位",
            ));
        };
        if (kind == "department") != wanted_department {
            return Err(FieldError::new(
                "target_unit_id",
                "wrong_unit_kind",
                if wanted_department {
                    "转送单须选择本级部门"
                } else {
                    "告知回当地反映须选择乡镇或街道"
                },
            ));
        }
        Ok(true)
    }

    /// The slip issued at the window for this decision (V1.2, V2.2), if any.
    pub fn window_slip(self) -> Option<DocumentKind> {
        match self {
            Acceptance::Accepted => None,
            Acceptance::ReferredToDepartment => Some(DocumentKind::VisitTransferSlip),
            _ => Some(DocumentKind::VisitNoticeSlip),
        }
    }
}

/// A way of handling (办理方式, rules §4), chosen in `disposing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    ReportUp,
    Assignment,
    Transfer,
    Coordination,
    SetAside,
    DirectReply,
    /// 通报 (L4.0, L4.5): letters only; the matter is fed back through the next 信访情况通报.
    Circular,
}

impl Disposition {
    pub const ALL: [Disposition; 7] = [
        Disposition::ReportUp,
        Disposition::Assignment,
        Disposition::Transfer,
        Disposition::Coordination,
        Disposition::SetAside,
        Disposition::DirectReply,
        Disposition::Circular,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::ReportUp => "report_up",
            Disposition::Assignment => "assignment",
            Disposition::Transfer => "transfer",
            Disposition::Coordination => "coordination",
            Disposition::SetAside => "set_aside",
            Disposition::DirectReply => "direct_reply",
            Disposition::Circular => "circular",
        }
    }

    pub fn parse(s: &str) -> Option<Disposition> {
        Disposition::ALL.into_iter().find(|d| d.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Disposition::ReportUp => "上报",
            Disposition::Assignment => "交办",
            Disposition::Transfer => "转送",
            Disposition::Coordination => "协调处理",
            Disposition::SetAside => "暂存",
            Disposition::DirectReply => "直接答复",
            Disposition::Circular => "通报",
        }
    }

    /// 交办 and 转送 send the matter to units, each with a handling record.
    pub fn takes_units(self) -> bool {
        matches!(self, Disposition::Assignment | Disposition::Transfer)
    }

    pub fn stage(self) -> Stage {
        match self {
            Disposition::ReportUp => Stage::ReportedUp,
            Disposition::Assignment => Stage::Assigned,
            Disposition::Transfer => Stage::Transferred,
            Disposition::Coordination => Stage::Coordinating,
            Disposition::SetAside => Stage::SetAside,
            Disposition::DirectReply => Stage::DirectReply,
            Disposition::Circular => Stage::AwaitingCircular,
        }
    }

    /// Letters only: 暂存 (L4.4) and 通报 (L4.5) are ways of handling of part 二 of the seed.
    pub fn letters_only(self) -> bool {
        matches!(self, Disposition::SetAside | Disposition::Circular)
    }

    /// The dossier a petition handled this way is filed in (seed 一 5): 立案自办、交办 → 专卷;
    /// 直接答复、转送 or not filed → 普通. A circulated or set-aside letter is never a case of its
    /// own: 普通.
    pub fn dossier_kind(self, filed: bool) -> DossierKind {
        match self {
            Disposition::Assignment => DossierKind::Dedicated,
            Disposition::Transfer
            | Disposition::DirectReply
            | Disposition::SetAside
            | Disposition::Circular => DossierKind::Ordinary,
            Disposition::ReportUp | Disposition::Coordination if filed => DossierKind::Dedicated,
            Disposition::ReportUp | Disposition::Coordination => DossierKind::Ordinary,
        }
    }
}

/// The two kinds of dossier (seed 一 5; rules §8): `Dossier { kind }` in the glossary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DossierKind {
    /// 专卷档案: filed and self-handled or assigned petitions.
    Dedicated,
    /// 普通档案: direct replies, transfers, unfiled petitions.
    Ordinary,
}

impl DossierKind {
    pub const ALL: [DossierKind; 2] = [DossierKind::Dedicated, DossierKind::Ordinary];

    pub fn as_str(self) -> &'static str {
        match self {
            DossierKind::Dedicated => "dedicated",
            DossierKind::Ordinary => "ordinary",
        }
    }

    pub fn parse(s: &str) -> Option<DossierKind> {
        DossierKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            DossierKind::Dedicated => "专卷档案",
            DossierKind::Ordinary => "普通档案",
        }
    }
}

/// A form's date and time, China Standard Time, `YYYY-MM-DD HH:MM` or with `T`, seconds optional.
pub fn parse_datetime(field: &str, s: &str) -> Result<NaiveDateTime, FieldError> {
    let s = s.trim();
    for fmt in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            check_year(field, s, dt.date())?;
            return Ok(dt);
        }
    }
    Err(FieldError::new(
        field,
        "invalid_datetime",
        format!("日期时间「{s}」无效，格式应为 2026-11-27 09:30"),
    ))
}

/// A form's date, `YYYY-MM-DD`.
pub fn parse_date(field: &str, s: &str) -> Result<NaiveDate, FieldError> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        FieldError::new(
            field,
            "invalid_date",
            format!("日期「{}」无效，格式应为 2026-11-27", s.trim()),
        )
    })?;
    check_year(field, s.trim(), d)?;
    Ok(d)
}

/// The years a date typed into the system can name: nothing a bureau records lies before 1900,
/// and far-off years (chrono accepts ±262 143) only overflow date arithmetic later.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2999;

fn check_year(field: &str, s: &str, d: NaiveDate) -> Result<(), FieldError> {
    use chrono::Datelike;
    if YEARS.contains(&d.year()) {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            "out_of_range",
            format!("日期「{s}」超出范围，应在 1900 年至 2999 年之间"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_outside_the_years_a_bureau_records_are_refused() {
        for s in [
            "-262143-01-01T00:00",
            "0001-01-01T00:00",
            "1899-12-31T23:59",
            "3000-01-01T00:00",
        ] {
            let e = parse_datetime("visited_at", s).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("visited_at"), "{s}");
        }
        assert_eq!(
            parse_date("d", "0001-01-01").unwrap_err().code,
            "out_of_range"
        );
        assert!(parse_datetime("visited_at", "1900-01-01T00:00").is_ok());
        assert!(parse_date("d", "2026-11-27").is_ok());
    }

    #[test]
    fn every_name_round_trips_and_matches_serde() {
        for d in Disposition::ALL {
            assert_eq!(Disposition::parse(d.as_str()), Some(d));
            assert_eq!(serde_json::to_value(d).unwrap(), d.as_str());
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        for s in Stage::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for a in Acceptance::ALL {
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
        }
        for k in DossierKind::ALL {
            assert_eq!(DossierKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }

    #[test]
    fn a_circular_is_a_letters_only_way_that_rests_until_the_circular_is_issued() {
        let c = Disposition::Circular;
        assert_eq!((c.as_str(), c.label_zh()), ("circular", "通报"));
        assert_eq!(c.stage(), Stage::AwaitingCircular);
        assert!(c.letters_only() && Disposition::SetAside.letters_only());
        assert!(!c.takes_units());
        let s = Stage::AwaitingCircular;
        assert_eq!((s.as_str(), s.label_zh()), ("awaiting_circular", "待通报"));
        assert!(s.is_open());
        assert_eq!(s.next_stages(), &[Stage::Closed]);
        assert!(Stage::Disposing.next_stages().contains(&s));
        for d in Disposition::ALL {
            assert!(Stage::Disposing.next_stages().contains(&d.stage()), "{d:?}");
        }
    }

    #[test]
    fn the_dossier_follows_the_way_of_handling_and_filing() {
        use DossierKind::*;
        for filed in [false, true] {
            assert_eq!(Disposition::Assignment.dossier_kind(filed), Dedicated);
            for d in [
                Disposition::Transfer,
                Disposition::DirectReply,
                Disposition::SetAside,
                Disposition::Circular,
            ] {
                assert_eq!(d.dossier_kind(filed), Ordinary, "{d:?}");
            }
        }
        for d in [Disposition::ReportUp, Disposition::Coordination] {
            assert_eq!(d.dossier_kind(true), Dedicated);
            assert_eq!(d.dossier_kind(false), Ordinary);
        }
        assert_eq!(Ordinary.label_zh(), "普通档案");
    }

    #[test]
    fn form_dates_accept_the_documented_formats() {
        assert!(parse_date("d", " 2026-11-27 ").is_ok());
        assert_eq!(
            parse_date("d", "27/11/2026").unwrap_err().code,
            "invalid_date"
        );
        for s in ["2026-11-27T09:30", "2026-11-27 09:30:15"] {
            assert!(parse_datetime("t", s).is_ok(), "{s}");
        }
        assert_eq!(
            parse_datetime("t", "2026-11-27").unwrap_err().code,
            "invalid_datetime"
        );
    }
}
