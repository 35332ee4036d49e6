//! The kinds of official document the bureau issues (rules §13): layout, numbering, sign-off.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// 来访事项告知单
    VisitNoticeSlip,
    /// 来访事项转送单
    VisitTransferSlip,
    /// 来信办理单 (internal form, no number)
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbering {
    /// 机关代字〔year〕N号, one sequence per kind and year.
    PerKindAndYear,
    /// 第N期 per year.
    Issue,
    /// Internal forms: no number.
    None,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 7] = [
        DocumentKind::VisitNoticeSlip,
        DocumentKind::VisitTransferSlip,
        DocumentKind::LetterHandlingForm,
        DocumentKind::AcceptanceNotice,
        DocumentKind::NonAcceptanceNotice,
        DocumentKind::NoLongerAcceptedNotice,
        DocumentKind::SupervisionLetter,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::VisitNoticeSlip => "visit_notice_slip",
            DocumentKind::VisitTransferSlip => "visit_transfer_slip",
            DocumentKind::LetterHandlingForm => "letter_handling_form",
            DocumentKind::AcceptanceNotice => "acceptance_notice",
            DocumentKind::NonAcceptanceNotice => "non_acceptance_notice",
            DocumentKind::NoLongerAcceptedNotice => "no_longer_accepted_notice",
            DocumentKind::SupervisionLetter => "supervision_letter",
        }
    }

    pub fn parse(s: &str) -> Option<DocumentKind> {
        DocumentKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn title_zh(self) -> &'static str {
        match self {
            DocumentKind::VisitNoticeSlip => "来访事项告知单",
            DocumentKind::VisitTransferSlip => "来访事项转送单",
            DocumentKind::LetterHandlingForm => "来信办理单",
            DocumentKind::AcceptanceNotice => "受理告知书",
            DocumentKind::NonAcceptanceNotice => "不予受理告知书",
            DocumentKind::NoLongerAcceptedNotice => "不再受理告知书",
            DocumentKind::SupervisionLetter => "督办函",
        }
    }

    /// The 代字 suffix after the bureau's organ abbreviation: 某信告〔2026〕3号.
    pub fn number_code(self) -> &'static str {
        match self {
            DocumentKind::VisitNoticeSlip => "告",
            DocumentKind::VisitTransferSlip => "转",
            DocumentKind::LetterHandlingForm => "",
            DocumentKind::AcceptanceNotice => "受告",
            DocumentKind::NonAcceptanceNotice => "不受告",
            DocumentKind::NoLongerAcceptedNotice => "不再告",
            DocumentKind::SupervisionLetter => "督",
        }
    }

    pub fn numbering(self) -> Numbering {
        match self {
            DocumentKind::LetterHandlingForm => Numbering::None,
            _ => Numbering::PerKindAndYear,
        }
    }

    /// Window slips are issued on the spot from a leader-approved template: no per-slip sign-off.
    pub fn needs_sign_off(self) -> bool {
        match self {
            DocumentKind::VisitNoticeSlip | DocumentKind::VisitTransferSlip => false,
            // The 来信办理单 is routed to the leader as the form itself (rules §13).
            DocumentKind::LetterHandlingForm => false,
            // Rules §13 wants a leader's sign-off; until the sign-off workflow lands, the clerk
            // issues them directly after the deputy director's instruction.
            DocumentKind::AcceptanceNotice
            | DocumentKind::NonAcceptanceNotice
            | DocumentKind::NoLongerAcceptedNotice => true,
            // Rules §13: the deputy director signs 督办函 off.
            DocumentKind::SupervisionLetter => true,
        }
    }
}

/// Formats a document number: 机关代字〔2026〕12号 — full year in 〔〕, no leading zeros, no 第.
pub fn format_doc_no(organ_code: &str, kind: DocumentKind, year: i32, seq: u64) -> String {
    format!("{organ_code}{}〔{year}〕{seq}号", kind.number_code())
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
    }
}
