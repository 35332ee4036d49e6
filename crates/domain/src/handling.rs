//! What a handling unit reports, how the bureau reviews it, and when a petition may close
//! (rules §6, §7; seed 一(七)(八)). Pure checks; the lifecycle decides the moves.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// The handling decision a unit's report carries (支持 / 解释 / 不予支持).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportDecision {
    Support,
    Explain,
    Reject,
}

impl ReportDecision {
    pub const ALL: [ReportDecision; 3] = [
        ReportDecision::Support,
        ReportDecision::Explain,
        ReportDecision::Reject,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportDecision::Support => "support",
            ReportDecision::Explain => "explain",
            ReportDecision::Reject => "reject",
        }
    }

    pub fn parse(s: &str) -> Option<ReportDecision> {
        ReportDecision::ALL.into_iter().find(|d| d.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ReportDecision::Support => "支持",
            ReportDecision::Explain => "解释",
            ReportDecision::Reject => "不予支持",
        }
    }
}

/// A handling report (汇报材料) as submitted, before validation.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct HandlingReportInput {
    pub findings: String,
    pub decision: String,
    /// The written reply to the petitioner (答复意见书 text or its summary).
    pub reply: String,
    /// The day the petitioner received the written reply (starts the 复查 window).
    pub reply_served_on: String,
    /// The petitioner signed the result …
    pub petitioner_signed: bool,
    /// … or refused to, with this note.
    pub refusal_note: String,
    /// The work to settle the matter (息诉罢访).
    pub settlement_note: String,
    /// Signed by the handling organ's responsible leader (name as on the report).
    pub signed_off_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandlingReport {
    pub findings: String,
    pub decision: ReportDecision,
    pub reply: String,
    pub reply_served_on: Option<NaiveDate>,
    pub petitioner_signed: bool,
    pub refusal_note: String,
    pub settlement_note: String,
    pub signed_off_by: String,
}

fn bounded(field: &str, s: &str, max: usize, label: &str) -> Result<String, FieldError> {
    let t = s.trim();
    if t.chars().count() > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("{label}不超过 {max} 字"),
        ));
    }
    Ok(t.to_string())
}

/// Validates a report: the findings and the decision are required; the other items may be
/// missing (review and closing list what is missing) but must be well-formed.
pub fn parse_report(
    input: &HandlingReportInput,
    today: NaiveDate,
) -> Result<HandlingReport, FieldError> {
    let findings = bounded("findings", &input.findings, 10_000, "调查核实情况")?;
    if findings.is_empty() {
        return Err(FieldError::new(
            "findings",
            "required",
            "请填写调查核实情况",
        ));
    }
    let decision = ReportDecision::parse(input.decision.trim()).ok_or_else(|| {
        FieldError::new(
            "decision",
            "required",
            "请选择处理意见：支持、解释或不予支持",
        )
    })?;
    let reply_served_on = match input.reply_served_on.trim() {
        "" => None,
        s => {
            let d = crate::words::parse_date("reply_served_on", s)?;
            if d > today {
                return Err(FieldError::new(
                    "reply_served_on",
                    "in_future",
                    "答复送达日期不能晚于今天",
                ));
            }
            Some(d)
        }
    };
    let refusal_note = bounded("refusal_note", &input.refusal_note, 2000, "拒签说明")?;
    if input.petitioner_signed && !refusal_note.is_empty() {
        return Err(FieldError::new(
            "refusal_note",
            "conflict",
            "已签字确认时不应填写拒签说明",
        ));
    }
    Ok(HandlingReport {
        findings,
        decision,
        reply: bounded("reply", &input.reply, 10_000, "书面答复")?,
        reply_served_on,
        petitioner_signed: input.petitioner_signed,
        refusal_note,
        settlement_note: bounded(
            "settlement_note",
            &input.settlement_note,
            5000,
            "息诉罢访工作情况",
        )?,
        signed_off_by: bounded("signed_off_by", &input.signed_off_by, 50, "签发领导")?,
    })
}

/// The ten review checks of rules §6 (seed 一(八)1), in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewCheck {
    Procedure,
    MatchesMatter,
    FactsClear,
    EvidenceSolid,
    Characterisation,
    LawApplied,
    HandlingAppropriate,
    FormalitiesComplete,
    CarriedOut,
    AnsweredInWriting,
}

impl ReviewCheck {
    pub const ALL: [ReviewCheck; 10] = [
        ReviewCheck::Procedure,
        ReviewCheck::MatchesMatter,
        ReviewCheck::FactsClear,
        ReviewCheck::EvidenceSolid,
        ReviewCheck::Characterisation,
        ReviewCheck::LawApplied,
        ReviewCheck::HandlingAppropriate,
        ReviewCheck::FormalitiesComplete,
        ReviewCheck::CarriedOut,
        ReviewCheck::AnsweredInWriting,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewCheck::Procedure => "procedure",
            ReviewCheck::MatchesMatter => "matches_matter",
            ReviewCheck::FactsClear => "facts_clear",
            ReviewCheck::EvidenceSolid => "evidence_solid",
            ReviewCheck::Characterisation => "characterisation",
            ReviewCheck::LawApplied => "law_applied",
            ReviewCheck::HandlingAppropriate => "handling_appropriate",
            ReviewCheck::FormalitiesComplete => "formalities_complete",
            ReviewCheck::CarriedOut => "carried_out",
            ReviewCheck::AnsweredInWriting => "answered_in_writing",
        }
    }

    pub fn parse(s: &str) -> Option<ReviewCheck> {
        ReviewCheck::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ReviewCheck::Procedure => "报告主体和程序正确",
            ReviewCheck::MatchesMatter => "与交办事项相符",
            ReviewCheck::FactsClear => "事实清楚",
            ReviewCheck::EvidenceSolid => "证据确凿",
            ReviewCheck::Characterisation => "定性准确",
            ReviewCheck::LawApplied => "适用法律政策正确",
            ReviewCheck::HandlingAppropriate => "处理恰当",
            ReviewCheck::FormalitiesComplete => "手续完备",
            ReviewCheck::CarriedOut => "处理意见落实到位",
            ReviewCheck::AnsweredInWriting => "已书面答复信访人",
        }
    }
}

/// What a reviewer asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewOutcome {
    /// Every check passed.
    Pass,
    /// 重办
    Redo,
    /// 补报材料
    Supplement,
}

impl ReviewOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewOutcome::Pass => "pass",
            ReviewOutcome::Redo => "redo",
            ReviewOutcome::Supplement => "supplement",
        }
    }

    pub fn parse(s: &str) -> Option<ReviewOutcome> {
        [
            ReviewOutcome::Pass,
            ReviewOutcome::Redo,
            ReviewOutcome::Supplement,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ReviewOutcome::Pass => "审阅通过",
            ReviewOutcome::Redo => "重办",
            ReviewOutcome::Supplement => "补报材料",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub check: ReviewCheck,
    pub pass: bool,
    #[serde(default)]
    pub note: String,
}

/// A review (审阅) as recorded: one finding per check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportReview {
    pub findings: Vec<Finding>,
    pub outcome: ReviewOutcome,
    pub opinion: String,
    /// For redo / supplement: the new deadline, in days from approval.
    pub new_period_days: Option<u32>,
}

/// Judges a review: every check recorded once; a failed check needs a note, an opinion, and a
/// redo or supplement outcome; all passed means pass.
pub fn judge_review(
    findings: &[Finding],
    outcome: &str,
    opinion: &str,
    new_period_days: Option<u32>,
) -> Result<ReportReview, FieldError> {
    for check in ReviewCheck::ALL {
        let n = findings.iter().filter(|f| f.check == check).count();
        if n != 1 {
            return Err(FieldError::new(
                format!("findings.{}", check.as_str()),
                "required",
                format!("请逐项审阅：「{}」", check.label_zh()),
            ));
        }
    }
    if findings.len() != ReviewCheck::ALL.len() {
        return Err(FieldError::new("findings", "unknown_check", "审阅项目有误"));
    }
    let opinion = bounded("opinion", opinion, 5000, "审阅意见")?;
    let failed: Vec<&Finding> = findings.iter().filter(|f| !f.pass).collect();
    for f in &failed {
        if f.note.trim().is_empty() {
            return Err(FieldError::new(
                format!("findings.{}", f.check.as_str()),
                "note_required",
                format!("「{}」未通过，请写明问题", f.check.label_zh()),
            ));
        }
    }
    let outcome = if failed.is_empty() {
        ReviewOutcome::Pass
    } else {
        let o = ReviewOutcome::parse(outcome.trim()).filter(|o| *o != ReviewOutcome::Pass);
        let Some(o) = o else {
            return Err(FieldError::new(
                "outcome",
                "required",
                "有未通过的审阅项目，请选择重办或补报材料",
            ));
        };
        if opinion.is_empty() {
            return Err(FieldError::new(
                "opinion",
                "required",
                "有未通过的审阅项目，须填写审阅意见",
            ));
        }
        o
    };
    let new_period_days = match outcome {
        ReviewOutcome::Pass => None,
        _ => match new_period_days {
            Some(d) if (1..=60).contains(&d) => Some(d),
            _ => {
                return Err(FieldError::new(
                    "new_period_days",
                    "out_of_range",
                    "重办或补报的新期限应为 1 至 60 日",
                ));
            }
        },
    };
    Ok(ReportReview {
        findings: findings.to_vec(),
        outcome,
        opinion,
        new_period_days,
    })
}

/// The closing conditions of rules §7, plus the open obligations of lifecycle §4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosureCondition {
    MaterialsComplete,
    OpinionRecorded,
    SignedOff,
    WrittenReply,
    PetitionerSignature,
    SettlementNote,
    ObligationsFulfilled,
}

impl ClosureCondition {
    pub const ALL: [ClosureCondition; 7] = [
        ClosureCondition::MaterialsComplete,
        ClosureCondition::OpinionRecorded,
        ClosureCondition::SignedOff,
        ClosureCondition::WrittenReply,
        ClosureCondition::PetitionerSignature,
        ClosureCondition::SettlementNote,
        ClosureCondition::ObligationsFulfilled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClosureCondition::MaterialsComplete => "materials_complete",
            ClosureCondition::OpinionRecorded => "opinion_recorded",
            ClosureCondition::SignedOff => "signed_off",
            ClosureCondition::WrittenReply => "written_reply",
            ClosureCondition::PetitionerSignature => "petitioner_signature",
            ClosureCondition::SettlementNote => "settlement_note",
            ClosureCondition::ObligationsFulfilled => "obligations_fulfilled",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ClosureCondition::MaterialsComplete => "材料齐全、手续完备（审阅通过）",
            ClosureCondition::OpinionRecorded => "有处理（复查、复核）意见",
            ClosureCondition::SignedOff => "承办机关及责任领导签发",
            ClosureCondition::WrittenReply => "已书面答复信访人",
            ClosureCondition::PetitionerSignature => "信访人签字确认或拒签说明",
            ClosureCondition::SettlementNote => "息诉罢访工作情况说明",
            ClosureCondition::ObligationsFulfilled => "待办事项已全部完成",
        }
    }
}

/// What the closing check needs to know.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosureFacts {
    /// Every lead unit's report passed review (or, without units, the bureau's own result was
    /// recorded and reviewed).
    pub reviews_passed: bool,
    /// The result that closes the matter: the lead report, or the bureau's own.
    pub decision_recorded: bool,
    pub signed_off: bool,
    pub written_reply: bool,
    pub petitioner_signed_or_refused: bool,
    pub settlement_noted: bool,
    /// Open obligations by their Chinese description.
    pub open_obligations: Vec<String>,
}

impl ClosureFacts {
    /// Facts of one report that passed review.
    pub fn from_report(report: &HandlingReport, reviews_passed: bool) -> ClosureFacts {
        ClosureFacts {
            reviews_passed,
            decision_recorded: true,
            signed_off: !report.signed_off_by.is_empty(),
            written_reply: !report.reply.is_empty() && report.reply_served_on.is_some(),
            petitioner_signed_or_refused: report.petitioner_signed
                || !report.refusal_note.is_empty(),
            settlement_noted: !report.settlement_note.is_empty(),
            open_obligations: Vec::new(),
        }
    }
}

/// The conditions that do not hold yet; closing is possible when this is empty.
pub fn missing_conditions(f: &ClosureFacts) -> Vec<ClosureCondition> {
    ClosureCondition::ALL
        .into_iter()
        .filter(|c| match c {
            ClosureCondition::MaterialsComplete => !f.reviews_passed,
            ClosureCondition::OpinionRecorded => !f.decision_recorded,
            ClosureCondition::SignedOff => !f.signed_off,
            ClosureCondition::WrittenReply => !f.written_reply,
            ClosureCondition::PetitionerSignature => !f.petitioner_signed_or_refused,
            ClosureCondition::SettlementNote => !f.settlement_noted,
            ClosureCondition::ObligationsFulfilled => !f.open_obligations.is_empty(),
        })
        .collect()
}

/// The refusal listing what is missing.
pub fn closure_refusal(missing: &[ClosureCondition]) -> FieldError {
    let items: Vec<&str> = missing.iter().map(|c| c.label_zh()).collect();
    FieldError::general(
        "closure_conditions",
        format!("尚不具备结案条件，缺少：{}", items.join("；")),
    )
}

/// Extensions (L5.2; 2005 Art. 33): at most 30 days, once, asked before the deadline passes.
pub fn check_extension(
    days: u32,
    already_extended: bool,
    due: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(), FieldError> {
    if already_extended {
        return Err(FieldError::new(
            "days",
            "already_extended",
            "延期只能申请一次",
        ));
    }
    if !(1..=30).contains(&days) {
        return Err(FieldError::new(
            "days",
            "out_of_range",
            "延期不得超过 30 日",
        ));
    }
    if let Some(due) = due
        && today > due
    {
        return Err(FieldError::new(
            "days",
            "past_deadline",
            format!(
                "办理期限已于{}届满，不能再申请延期",
                crate::deadline::date_zh(due)
            ),
        ));
    }
    Ok(())
}

/// Whether a letter's writer is owed a reply because the letter went before the leaders
/// (seed 二(八)1: letters reported to leaders for reading or instruction are answered when they
/// can be): only a letter, not anonymous, with an address or a phone to answer to. Queries about
/// earlier letters are answered through the query reply itself.
pub fn letter_reply_owed(letter: bool, anonymous: bool, reachable: bool) -> bool {
    letter && !anonymous && reachable
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_is_owed_only_to_a_reachable_named_letter_writer() {
        assert!(letter_reply_owed(true, false, true));
        assert!(!letter_reply_owed(true, true, true), "anonymous");
        assert!(
            !letter_reply_owed(true, false, false),
            "no address or phone"
        );
        assert!(
            !letter_reply_owed(false, false, true),
            "visits are answered in person"
        );
    }

    fn all_pass() -> Vec<Finding> {
        ReviewCheck::ALL
            .into_iter()
            .map(|check| Finding {
                check,
                pass: true,
                note: String::new(),
            })
            .collect()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_review_records_all_ten_checks() {
        let r = judge_review(&all_pass(), "", "", None).unwrap();
        assert_eq!(r.outcome, ReviewOutcome::Pass);
        let mut nine = all_pass();
        nine.pop();
        let e = judge_review(&nine, "", "", None).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("findings.answered_in_writing"));
    }

    #[test]
    fn a_failed_check_needs_a_note_an_opinion_and_an_outcome() {
        let mut f = all_pass();
        f[2].pass = false;
        assert_eq!(
            judge_review(&f, "redo", "事实不清", Some(15))
                .unwrap_err()
                .code,
            "note_required"
        );
        f[2].note = "未核实土地面积".into();
        assert_eq!(
            judge_review(&f, "redo", "", Some(15)).unwrap_err().field,
            Some("opinion".into())
        );
        assert_eq!(
            judge_review(&f, "pass", "事实不清", Some(15))
                .unwrap_err()
                .field,
            Some("outcome".into())
        );
        assert_eq!(
            judge_review(&f, "redo", "事实不清", None)
                .unwrap_err()
                .field,
            Some("new_period_days".into())
        );
        let r = judge_review(&f, "redo", "事实不清", Some(15)).unwrap();
        assert_eq!(r.outcome, ReviewOutcome::Redo);
    }

    #[test]
    fn closing_lists_every_missing_condition() {
        let none = ClosureFacts::default();
        assert_eq!(missing_conditions(&none).len(), 6);
        let report = parse_report(
            &HandlingReportInput {
                findings: "经核实".into(),
                decision: "support".into(),
                reply: "答复意见书".into(),
                reply_served_on: "2026-11-20".into(),
                petitioner_signed: true,
                refusal_note: String::new(),
                settlement_note: "已息诉".into(),
                signed_off_by: "王某".into(),
            },
            d("2026-11-27"),
        )
        .unwrap();
        let mut f = ClosureFacts::from_report(&report, true);
        assert!(missing_conditions(&f).is_empty());
        f.open_obligations.push("向领导报告".into());
        assert_eq!(
            missing_conditions(&f),
            vec![ClosureCondition::ObligationsFulfilled]
        );
        let e = closure_refusal(&missing_conditions(&ClosureFacts::default()));
        assert!(e.message.contains("息诉罢访"));
    }

    #[test]
    fn a_report_needs_findings_and_a_decision() {
        let mut i = HandlingReportInput {
            findings: "经核实".into(),
            decision: "maybe".into(),
            ..Default::default()
        };
        assert_eq!(
            parse_report(&i, d("2026-11-27")).unwrap_err().field,
            Some("decision".into())
        );
        i.decision = "explain".into();
        i.reply_served_on = "2026-12-01".into();
        assert_eq!(
            parse_report(&i, d("2026-11-27")).unwrap_err().code,
            "in_future"
        );
    }

    #[test]
    fn extensions_are_once_at_most_thirty_days_before_expiry() {
        let due = Some(d("2026-12-10"));
        let today = d("2026-12-01");
        assert!(check_extension(30, false, due, today).is_ok());
        assert_eq!(
            check_extension(31, false, due, today).unwrap_err().code,
            "out_of_range"
        );
        assert_eq!(
            check_extension(10, true, due, today).unwrap_err().code,
            "already_extended"
        );
        assert_eq!(
            check_extension(10, false, due, d("2026-12-11"))
                .unwrap_err()
                .code,
            "past_deadline"
        );
    }
}
