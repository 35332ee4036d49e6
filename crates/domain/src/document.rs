//! The kinds of official document the bureau issues (rules §13): layout, numbering, sign-off.
//!
//! The table of kinds is data: [`SPECS`] holds one [`KindSpec`] per [`DocumentKind`]. Adding a
//! kind is one enum variant, one entry in `SPECS` and one template file
//! (`crates/docs/templates/<as_str>.typ`).

use serde::{Deserialize, Serialize};

use crate::role::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// 来访事项告知单
    VisitNoticeSlip,
    /// 来访事项转送单
    VisitTransferSlip,
    /// 延期告知书
    ExtensionNotice,
    /// 交办函
    AssignmentLetter,
    /// 转送函
    TransferLetter,
    /// 答复意见书 / 处理意见书
    HandlingOpinion,
    /// 书面告知单 (query reply)
    QueryReplyNotice,
    /// 结案报告
    ClosingReport,
    /// 办结审批单
    ClosingApprovalForm,
    /// 每日信访信息
    DailyBulletin,
    /// 信访信息专报
    SpecialBulletin,
    /// 重要信访问题请示报告单
    RequestReport,
    /// 信访情况通报
    Circular,
    /// 来信办理单 (internal form, no number; routed to the deputy director as the form itself)
    LetterHandlingForm,
    /// 受理告知书
    AcceptanceNotice,
    /// 不予受理告知书
    NonAcceptanceNotice,
    /// 不再受理告知书
    NoLongerAcceptedNotice,
    /// 督办函 (信函式): the bureau supervises a handling unit (rules §5, §13).
    SupervisionLetter,
}

/// How a kind is numbered (rules §13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Numbering {
    /// 机关代字〔year〕N号, one sequence per kind and year.
    PerKindAndYear,
    /// 第N期 per year.
    Issue,
    /// Internal forms: no number.
    None,
}

/// The page layout (GB/T 9704-2012 as rules §13 reads it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// Window slip with counterfoil.
    Slip,
    /// 文件式.
    Wenjian,
    /// 信函式 (函).
    Xinhan,
    /// 简报式 (bulletins, 第N期).
    Briefing,
    /// A form (internal forms, 书面告知单).
    Form,
}

/// Who signs a draft off before it is issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignOff {
    /// Issued on the spot from a leader-approved template (window slips).
    NotNeeded,
    /// A bureau leader: the deputy director or the director.
    Leader,
    /// The deputy director in charge only (交办函, 转送函, 督办函, 结案报告).
    DeputyDirector,
}

impl SignOff {
    pub fn may_sign(self, role: Role) -> bool {
        match self {
            SignOff::NotNeeded => false,
            SignOff::Leader => role.is_leader(),
            SignOff::DeputyDirector => role == Role::DeputyDirector,
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            SignOff::NotNeeded => "无需签发（模板已审定）",
            SignOff::Leader => "局领导签发",
            SignOff::DeputyDirector => "分管领导签发",
        }
    }
}

/// What a draft is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// One petition.
    Petition,
    /// A selection of petitions and statistics (bulletins, circulars).
    Selection,
}

/// One row of the table in rules §13.
#[derive(Debug, Clone, Copy)]
pub struct KindSpec {
    pub kind: DocumentKind,
    /// snake_case name: the API value, the template file name, the sequence name.
    pub code: &'static str,
    pub title_zh: &'static str,
    pub layout: Layout,
    pub numbering: Numbering,
    /// The 代字 suffix after the bureau's organ abbreviation: 阜信交〔2026〕3号.
    pub number_code: &'static str,
    pub sign_off: SignOff,
    pub source: Source,
    /// Who drafts it (rules §13 "issued by").
    pub drafters: &'static [Role],
}

const CLERKS: &[Role] = &[Role::CaseOfficer, Role::LetterClerk];
const OFFICE_AND_CLERKS: &[Role] = &[Role::Office, Role::CaseOfficer, Role::LetterClerk];
const CASE_OFFICER: &[Role] = &[Role::CaseOfficer];
const OFFICE: &[Role] = &[Role::Office, Role::CaseOfficer];
const WINDOW: &[Role] = &[Role::Receptionist];
const LETTERS: &[Role] = &[Role::LetterClerk];
/// Who supervises a unit and so drafts its 督办函: the office, the clerks, and the inspection
/// office for formal supervision projects (立项督办).
const SUPERVISORS: &[Role] = &[
    Role::Office,
    Role::CaseOfficer,
    Role::LetterClerk,
    Role::Inspector,
];

/// One row of the table, in the table's column order.
#[allow(clippy::too_many_arguments)]
const fn spec(
    kind: DocumentKind,
    code: &'static str,
    title_zh: &'static str,
    layout: Layout,
    numbering: Numbering,
    number_code: &'static str,
    sign_off: SignOff,
    source: Source,
    drafters: &'static [Role],
) -> KindSpec {
    KindSpec {
        kind,
        code,
        title_zh,
        layout,
        numbering,
        number_code,
        sign_off,
        source,
        drafters,
    }
}

use DocumentKind as K;
use Layout as L;
use Numbering as N;
use SignOff as S;
use Source::{Petition as One, Selection as Many};

/// The table of kinds (rules §13). Slips and the 来信办理单 are issued directly by their own
/// steps; every other kind is drafted and signed off.
#[rustfmt::skip]
pub const SPECS: &[KindSpec] = &[
    spec(K::VisitNoticeSlip, "visit_notice_slip", "来访事项告知单", L::Slip, N::PerKindAndYear, "告", S::NotNeeded, One, WINDOW),
    spec(K::VisitTransferSlip, "visit_transfer_slip", "来访事项转送单", L::Slip, N::PerKindAndYear, "转", S::NotNeeded, One, WINDOW),
    spec(K::ExtensionNotice, "extension_notice", "延期告知书", L::Xinhan, N::PerKindAndYear, "延", S::Leader, One, CLERKS),
    spec(K::AssignmentLetter, "assignment_letter", "交办函", L::Xinhan, N::PerKindAndYear, "交", S::DeputyDirector, One, OFFICE_AND_CLERKS),
    spec(K::TransferLetter, "transfer_letter", "转送函", L::Xinhan, N::PerKindAndYear, "送", S::DeputyDirector, One, OFFICE_AND_CLERKS),
    spec(K::HandlingOpinion, "handling_opinion", "信访事项处理意见书", L::Xinhan, N::PerKindAndYear, "复", S::Leader, One, CASE_OFFICER),
    spec(K::QueryReplyNotice, "query_reply_notice", "书面告知单", L::Form, N::PerKindAndYear, "询", S::Leader, One, CASE_OFFICER),
    spec(K::ClosingReport, "closing_report", "结案报告", L::Wenjian, N::PerKindAndYear, "结", S::DeputyDirector, One, CASE_OFFICER),
    spec(K::ClosingApprovalForm, "closing_approval_form", "办结审批单", L::Form, N::None, "", S::Leader, One, CLERKS),
    spec(K::DailyBulletin, "daily_bulletin", "每日信访信息", L::Briefing, N::Issue, "", S::Leader, Many, OFFICE),
    spec(K::SpecialBulletin, "special_bulletin", "信访信息专报", L::Briefing, N::Issue, "", S::Leader, Many, OFFICE),
    spec(K::RequestReport, "request_report", "重要信访问题请示报告单", L::Form, N::None, "", S::Leader, One, CLERKS),
    spec(K::Circular, "circular", "信访情况通报", L::Briefing, N::Issue, "", S::Leader, Many, OFFICE),
    spec(K::LetterHandlingForm, "letter_handling_form", "来信办理单", L::Form, N::None, "", S::NotNeeded, One, LETTERS),
    spec(K::AcceptanceNotice, "acceptance_notice", "受理告知书", L::Xinhan, N::PerKindAndYear, "受告", S::Leader, One, CLERKS),
    spec(K::NonAcceptanceNotice, "non_acceptance_notice", "不予受理告知书", L::Xinhan, N::PerKindAndYear, "不受告", S::Leader, One, CLERKS),
    spec(K::NoLongerAcceptedNotice, "no_longer_accepted_notice", "不再受理告知书", L::Xinhan, N::PerKindAndYear, "不再告", S::Leader, One, CLERKS),
    spec(K::SupervisionLetter, "supervision_letter", "督办函", L::Xinhan, N::PerKindAndYear, "督", S::DeputyDirector, One, SUPERVISORS),
];

impl DocumentKind {
    /// Every kind, in the order of [`SPECS`].
    pub fn all() -> impl Iterator<Item = DocumentKind> {
        SPECS.iter().map(|s| s.kind)
    }

    pub fn spec(self) -> &'static KindSpec {
        SPECS
            .iter()
            .find(|s| s.kind == self)
            .expect("every kind has a spec entry (checked by a test)")
    }

    pub fn as_str(self) -> &'static str {
        self.spec().code
    }

    pub fn parse(s: &str) -> Option<DocumentKind> {
        SPECS.iter().find(|k| k.code == s).map(|k| k.kind)
    }

    pub fn title_zh(self) -> &'static str {
        self.spec().title_zh
    }

    pub fn number_code(self) -> &'static str {
        self.spec().number_code
    }

    pub fn numbering(self) -> Numbering {
        self.spec().numbering
    }

    pub fn layout(self) -> Layout {
        self.spec().layout
    }

    /// The 告知书 that tell the petitioner the acceptance decision (受理 / 不予受理 / 不再受理).
    pub fn is_decision_notice(self) -> bool {
        matches!(
            self,
            DocumentKind::AcceptanceNotice
                | DocumentKind::NonAcceptanceNotice
                | DocumentKind::NoLongerAcceptedNotice
        )
    }

    /// Window slips are issued on the spot from a leader-approved template: no per-slip sign-off.
    pub fn needs_sign_off(self) -> bool {
        self.spec().sign_off != SignOff::NotNeeded
    }

    pub fn source(self) -> Source {
        self.spec().source
    }

    pub fn may_draft(self, role: Role) -> bool {
        self.spec().drafters.contains(&role)
    }
}

/// Formats a document number: 机关代字〔2026〕12号 — full year in 〔〕, no leading zeros, no 第.
pub fn format_doc_no(organ_code: &str, kind: DocumentKind, year: i32, seq: u64) -> String {
    format!("{organ_code}{}〔{year}〕{seq}号", kind.number_code())
}

/// The number a kind receives, or `None` for unnumbered internal forms: 〔year〕N号 or 第N期.
pub fn number_for(organ_code: &str, kind: DocumentKind, year: i32, seq: u64) -> Option<String> {
    match kind.numbering() {
        Numbering::PerKindAndYear => Some(format_doc_no(organ_code, kind, year, seq)),
        Numbering::Issue => Some(format!("第{seq}期")),
        Numbering::None => None,
    }
}

/// The sequence a kind's numbers come from (per bureau, kind and year).
pub fn sequence_name(kind: DocumentKind) -> String {
    format!("doc:{}", kind.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_no_has_full_year_and_no_leading_zeros() {
        assert_eq!(
            format_doc_no("东信", DocumentKind::VisitNoticeSlip, 2026, 3),
            "东信告〔2026〕3号"
        );
        assert_eq!(
            number_for("阜信", DocumentKind::AssignmentLetter, 2026, 12).as_deref(),
            Some("阜信交〔2026〕12号")
        );
        assert_eq!(
            number_for("阜信", DocumentKind::DailyBulletin, 2026, 7).as_deref(),
            Some("第7期")
        );
        assert_eq!(
            number_for("阜信", DocumentKind::ClosingApprovalForm, 2026, 1),
            None
        );
    }

    #[test]
    fn every_kind_has_exactly_one_spec_with_unique_codes() {
        let mut codes: Vec<&str> = SPECS.iter().map(|s| s.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), SPECS.len());
        let mut numbered: Vec<&str> = SPECS
            .iter()
            .filter(|s| s.numbering == Numbering::PerKindAndYear)
            .map(|s| s.number_code)
            .collect();
        let n = numbered.len();
        numbered.sort_unstable();
        numbered.dedup();
        assert_eq!(numbered.len(), n, "number codes distinguish kinds");
        for s in SPECS {
            assert_eq!(DocumentKind::parse(s.code), Some(s.kind));
            assert_eq!(s.kind.spec().code, s.code);
            assert!(!s.drafters.is_empty());
        }
    }

    #[test]
    fn sign_off_roles_follow_the_table() {
        let letter = DocumentKind::AssignmentLetter.spec().sign_off;
        assert!(letter.may_sign(Role::DeputyDirector));
        assert!(!letter.may_sign(Role::Director));
        assert!(!letter.may_sign(Role::CaseOfficer));
        let notice = DocumentKind::ExtensionNotice.spec().sign_off;
        assert!(notice.may_sign(Role::Director) && notice.may_sign(Role::DeputyDirector));
        assert!(!DocumentKind::VisitNoticeSlip.needs_sign_off());
        assert!(DocumentKind::Circular.needs_sign_off());
        // The letter notices: drafted by a clerk or case officer, signed off by a leader.
        for k in [
            DocumentKind::AcceptanceNotice,
            DocumentKind::NonAcceptanceNotice,
            DocumentKind::NoLongerAcceptedNotice,
        ] {
            assert_eq!(k.spec().sign_off, SignOff::Leader, "{k:?}");
            assert!(k.may_draft(Role::LetterClerk) && k.may_draft(Role::CaseOfficer));
            assert!(!k.may_draft(Role::UnitHandler));
        }
        // The 督办函: by whoever supervises, signed off by the deputy director in charge.
        let s = DocumentKind::SupervisionLetter;
        assert_eq!(s.spec().sign_off, SignOff::DeputyDirector);
        assert!(s.may_draft(Role::Office) && s.may_draft(Role::Inspector));
        assert!(!DocumentKind::LetterHandlingForm.needs_sign_off());
    }
}
