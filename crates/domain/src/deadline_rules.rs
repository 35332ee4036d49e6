//! The deadline rules of rules §2 as data: each has a code, a name, the event that starts it, a
//! period, a counting mode and what happens when it passes. The defaults below ship with every
//! bureau; an administrator edits them, and every edit is a new version, so a running deadline
//! keeps the version it started with. Also the checks on a running deadline's changes: an
//! extension (only of an extendable rule, at most 30 days, once, before expiry), a shorter
//! deadline by a leader's instruction, and the pause for 复核 hearing time.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::calendar::OfficialCalendar;
use crate::deadline::{CountingMode, due_date};
use crate::error::FieldError;
use crate::supervision::TriggerKind;

/// What happens when a deadline passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryAction {
    /// Shown as overdue on the responsible queue; nothing is raised.
    Overdue,
    /// Raises a supervision item (督办) against the unit, of the rule's trigger kind.
    Supervise,
    /// A petitioner's window lapses unused: the matter becomes final (三级终结).
    WindowCloses,
}

impl ExpiryAction {
    pub const ALL: [ExpiryAction; 3] = [
        ExpiryAction::Overdue,
        ExpiryAction::Supervise,
        ExpiryAction::WindowCloses,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ExpiryAction::Overdue => "overdue",
            ExpiryAction::Supervise => "supervise",
            ExpiryAction::WindowCloses => "window_closes",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            ExpiryAction::Overdue => "列入逾期队列",
            ExpiryAction::Supervise => "自动督办",
            ExpiryAction::WindowCloses => "期满未申请即终结",
        }
    }
}

/// Who is responsible for meeting a deadline: the queue it appears on.
pub const RESPONSIBLE: [(&str, &str); 5] = [
    ("office", "办公室（来信为办信人员）"),
    ("letter_clerk", "办信人员"),
    ("unit", "承办单位"),
    ("case_officer", "经办人"),
    ("petitioner", "信访人（申请期间）"),
];

/// One rule, in one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineRule {
    /// Stable identifier, e.g. `handle_and_close`.
    pub code: String,
    pub version: i64,
    pub name: String,
    /// The event that starts it, as the users say it.
    pub starts: String,
    pub days: u32,
    pub mode: CountingMode,
    pub on_expiry: ExpiryAction,
    /// For `Supervise`: which trigger the supervision item carries.
    pub trigger: Option<TriggerKind>,
    /// `office`, `letter_clerk`, `unit`, `case_officer` or `petitioner` (see [`RESPONSIBLE`]).
    pub responsible: String,
    /// 复核 hearing time may pause it.
    pub pausable: bool,
    /// Where the rule comes from.
    pub basis: String,
    /// Whether stored running deadlines follow it (false for the office's monthly and yearly
    /// routines, which are listed for completeness).
    pub per_petition: bool,
    /// Whether a running deadline of this rule may be extended (L5.2; 2005 Art. 33: the
    /// handling period of a complex matter). Rules stored before this flag existed read as not
    /// extendable.
    #[serde(default)]
    pub extendable: bool,
}

/// The longest extension the law allows (seed 二(五)2; 2005 Art. 33).
pub const MAX_EXTENSION_DAYS: u32 = 30;
/// The code of the rule whose period is the allowed extension.
pub const EXTENSION_RULE: &str = "extension";
/// The higher organ's deadline for a matter it forwarded or assigned: a fixed date, not a period.
pub const HIGHER_ORGAN_RULE: &str = "higher_organ_deadline";
/// The rules that may be extended by default: rules §2 allows the extension (at most 30 days,
/// once, approved by the unit's head before expiry) on the handling period only.
pub const EXTENDABLE_BY_DEFAULT: [&str; 1] = ["handle_and_close"];

#[allow(clippy::too_many_arguments)]
fn rule(
    code: &str,
    name: &str,
    starts: &str,
    days: u32,
    mode: CountingMode,
    on_expiry: ExpiryAction,
    trigger: Option<TriggerKind>,
    responsible: &str,
    pausable: bool,
    basis: &str,
    per_petition: bool,
) -> DeadlineRule {
    DeadlineRule {
        code: code.into(),
        version: 1,
        name: name.into(),
        starts: starts.into(),
        days,
        mode,
        on_expiry,
        trigger,
        responsible: responsible.into(),
        pausable,
        basis: basis.into(),
        per_petition,
        extendable: EXTENDABLE_BY_DEFAULT.contains(&code),
    }
}

/// The rules of rules §2 with their default periods, version 1.
pub fn default_rules() -> Vec<DeadlineRule> {
    use CountingMode::{Calendar, Working};
    use ExpiryAction::*;
    vec![
        rule(
            "register_same_day",
            "当日录入登记",
            "来访或收信",
            0,
            Working,
            Overdue,
            None,
            "office",
            false,
            "seed 一(一)3",
            true,
        ),
        rule(
            "dispose_visit",
            "确定办理方式（上报、交办、转送、协调）",
            "登记",
            15,
            Calendar,
            Overdue,
            None,
            "office",
            false,
            "seed 一(三)；2022 条例第22条",
            true,
        ),
        rule(
            "notify_letter_writer",
            "告知来信人是否受理",
            "收到来信",
            15,
            Calendar,
            Overdue,
            None,
            "letter_clerk",
            false,
            "seed 二(三)；2005 条例第21条",
            true,
        ),
        rule(
            "unit_notify_petitioner",
            "承办单位告知信访人是否受理",
            "承办单位收到转送、交办",
            15,
            Calendar,
            Supervise,
            Some(TriggerKind::NotTold),
            "unit",
            false,
            "2022 条例第23条",
            true,
        ),
        rule(
            "unit_objection",
            "承办单位对转送提出异议",
            "承办单位收到转送、交办",
            5,
            Working,
            WindowCloses,
            None,
            "unit",
            false,
            "2022 条例第23条",
            true,
        ),
        rule(
            "handle_and_close",
            "办理并办结",
            "受理",
            60,
            Calendar,
            Supervise,
            Some(TriggerKind::Overdue),
            "unit",
            false,
            "2005 条例第33条；2022 条例",
            true,
        ),
        rule(
            "handling_report",
            "报送办理情况汇报",
            "交办函送达承办单位",
            60,
            Calendar,
            Supervise,
            Some(TriggerKind::ReportMissing),
            "unit",
            false,
            "seed 一(三)4；rules §5",
            true,
        ),
        rule(
            HIGHER_ORGAN_RULE,
            "上级机关要求的办结期限",
            "上级机关来文",
            0,
            Calendar,
            Supervise,
            Some(TriggerKind::Overdue),
            "office",
            false,
            "seed 一(三)4、二(七)3；lifecycle §1",
            true,
        ),
        rule(
            EXTENSION_RULE,
            "延期（最多一次）",
            "期满前经承办单位负责人批准",
            MAX_EXTENSION_DAYS,
            Calendar,
            Overdue,
            None,
            "unit",
            false,
            "seed 二(五)2；2005 条例第33条",
            false,
        ),
        rule(
            "request_reexamination",
            "信访人申请复查",
            "收到书面答复",
            30,
            Calendar,
            WindowCloses,
            None,
            "petitioner",
            false,
            "2005 条例第34条",
            true,
        ),
        rule(
            "reexamination_decision",
            "作出复查意见",
            "收到复查申请",
            30,
            Calendar,
            Overdue,
            None,
            "case_officer",
            false,
            "2005 条例第34条",
            true,
        ),
        rule(
            "request_recheck",
            "信访人申请复核",
            "收到复查意见",
            30,
            Calendar,
            WindowCloses,
            None,
            "petitioner",
            false,
            "2005 条例第35条",
            true,
        ),
        rule(
            "recheck_decision",
            "作出复核意见（听证时间不计）",
            "收到复核申请",
            30,
            Calendar,
            Overdue,
            None,
            "case_officer",
            true,
            "2005 条例第35条",
            true,
        ),
        rule(
            "supervision_answer",
            "承办单位书面答复督办",
            "督办通知",
            30,
            Calendar,
            Overdue,
            None,
            "unit",
            false,
            "2005 条例第36条",
            true,
        ),
        rule(
            "monthly_backup",
            "电子档案每月备份",
            "月末",
            0,
            Calendar,
            Overdue,
            None,
            "office",
            false,
            "seed 一(八)4、5",
            false,
        ),
        rule(
            "yearly_dossiers",
            "案卷年底移交局办公室",
            "年末",
            0,
            Calendar,
            Overdue,
            None,
            "office",
            false,
            "seed 二 四",
            false,
        ),
        // One per unit and reporting period; started by the daily scan for the units that
        // received transfers (`transfer_table::ReportSchedule`).
        rule(
            TRANSFER_REPORT_RULE,
            "承办单位定期报告转送事项办理情况",
            "报告期结束",
            0,
            Calendar,
            Overdue,
            None,
            "unit",
            false,
            "seed 二(四)3、一(五)1",
            false,
        ),
    ]
}

/// The units' periodic report on the matters transferred to them (V5.1, L4.3): a deadline of no
/// petition, one per unit and reporting period.
pub const TRANSFER_REPORT_RULE: &str = "transfer_report";

/// Checks an administrator's edit of a rule: a name, a period of 0 to 3650 days (the extension
/// at most 30), a trigger exactly when the rule supervises, a known responsible queue.
pub fn validate_rule(r: &DeadlineRule) -> Result<(), FieldError> {
    let name = r.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(FieldError::new(
            "name",
            "invalid_name",
            "期限名称为必填项，不超过 100 字",
        ));
    }
    if r.days > 3650 {
        return Err(FieldError::new(
            "days",
            "days_out_of_range",
            format!("期限天数 {} 无效，应在 0 至 3650 之间", r.days),
        ));
    }
    if r.code == EXTENSION_RULE && r.days > MAX_EXTENSION_DAYS {
        return Err(FieldError::new(
            "days",
            "extension_too_long",
            format!(
                "延期最长 {MAX_EXTENSION_DAYS} 日（《信访条例》第三十三条），不能设为 {} 日",
                r.days
            ),
        ));
    }
    match (r.on_expiry, r.trigger) {
        (ExpiryAction::Supervise, None) => {
            return Err(FieldError::new(
                "trigger",
                "trigger_required",
                "期满自动督办的期限须指明督办情形",
            ));
        }
        (a, Some(_)) if a != ExpiryAction::Supervise => {
            return Err(FieldError::new(
                "trigger",
                "trigger_not_allowed",
                "只有期满自动督办的期限才有督办情形",
            ));
        }
        _ => {}
    }
    if let Some(t) = r.trigger
        && !t.automatic()
    {
        return Err(FieldError::new(
            "trigger",
            "trigger_not_automatic",
            format!("「{}」须人工启动督办，不能自动触发", t.label_zh()),
        ));
    }
    if r.extendable && (r.code == EXTENSION_RULE || !r.per_petition) {
        return Err(FieldError::new(
            "extendable",
            "not_extendable",
            format!("「{}」不能设为可延期", r.name.trim()),
        ));
    }
    if !RESPONSIBLE.iter().any(|(k, _)| *k == r.responsible) {
        return Err(FieldError::new(
            "responsible",
            "unknown_responsible",
            format!("未知的责任方：{}", r.responsible),
        ));
    }
    Ok(())
}

/// A running deadline's counting facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineFacts {
    pub started_on: NaiveDate,
    /// The rule's period, or the shorter one a leader's instruction set.
    pub period_days: u32,
    pub mode: CountingMode,
    pub extended_days: u32,
    /// Calendar days spent paused (复核 hearing), finished pauses only.
    pub paused_days: u32,
    /// Set while paused.
    pub paused_since: Option<NaiveDate>,
    pub due_on: NaiveDate,
    pub running: bool,
}

/// The due date from the counting facts: the period (plus any extension) counted from the start
/// day moved on by the paused days. While paused, the clock is stopped at the pause day: the due
/// date shown is the one that holds if it resumed today (callers recompute on resume).
pub fn recompute_due(
    cal: &OfficialCalendar,
    started_on: NaiveDate,
    period_days: u32,
    mode: CountingMode,
    extended_days: u32,
    paused_days: u32,
) -> NaiveDate {
    let start = started_on
        .checked_add_days(Days::new(u64::from(paused_days)))
        .unwrap_or(NaiveDate::MAX);
    due_date(cal, start, period_days.saturating_add(extended_days), mode)
}

/// An extension of a running deadline of `rule` (the version it started with): only on an
/// extendable rule (L5.2: the handling period), at most [`MAX_EXTENSION_DAYS`] (or the
/// configured extension rule, if shorter), once, before the deadline expires, with a reason.
pub fn check_extension(
    rule: &DeadlineRule,
    d: &DeadlineFacts,
    days: i64,
    max_days: u32,
    reason: &str,
    today: NaiveDate,
) -> Result<u32, FieldError> {
    let max = max_days.min(MAX_EXTENSION_DAYS);
    if !rule.extendable {
        return Err(FieldError::new(
            "days",
            "not_extendable",
            format!("「{}」的期限不能延长", rule.name.trim()),
        ));
    }
    if !d.running {
        return Err(FieldError::new(
            "deadline",
            "deadline_not_running",
            "该期限已结束，不能延期",
        ));
    }
    if d.extended_days > 0 {
        return Err(FieldError::new(
            "days",
            "already_extended",
            "该期限已经延期一次，依照《信访条例》第三十三条只能延期一次",
        ));
    }
    if days < 1 || days > i64::from(max) {
        return Err(FieldError::new(
            "days",
            "extension_too_long",
            format!("延期天数应为 1 至 {max} 日，收到 {days} 日（延长期限不得超过 30 日）"),
        ));
    }
    if today > d.due_on {
        return Err(FieldError::new(
            "deadline",
            "already_expired",
            format!("期限已于 {} 届满，延期须在期满前批准", d.due_on),
        ));
    }
    if reason.trim().is_empty() || reason.chars().count() > 1000 {
        return Err(FieldError::new(
            "reason",
            "reason_required",
            "请填写延期理由（告知信访人延期理由），不超过 1000 字",
        ));
    }
    Ok(days as u32)
}

/// A shorter deadline set by a local leader's 批示: shorter than the current period, at least one
/// day, with the instruction recorded.
pub fn check_shorten(d: &DeadlineFacts, days: i64, instruction: &str) -> Result<u32, FieldError> {
    if !d.running {
        return Err(FieldError::new(
            "deadline",
            "deadline_not_running",
            "该期限已结束，不能缩短",
        ));
    }
    if days < 1 || days >= i64::from(d.period_days) {
        return Err(FieldError::new(
            "days",
            "not_shorter",
            format!(
                "领导批示的期限应短于现行期限 {} 日且至少 1 日，收到 {days} 日",
                d.period_days
            ),
        ));
    }
    if instruction.trim().is_empty() || instruction.chars().count() > 1000 {
        return Err(FieldError::new(
            "instruction",
            "instruction_required",
            "请填写领导批示内容（谁、何时、要求的期限），不超过 1000 字",
        ));
    }
    Ok(days as u32)
}

/// Pausing: only a pausable rule (复核, hearing time excluded), running and not already paused.
pub fn check_pause(d: &DeadlineFacts, pausable: bool) -> Result<(), FieldError> {
    if !pausable {
        return Err(FieldError::new(
            "deadline",
            "not_pausable",
            "只有复核期限在听证期间可以中止计算",
        ));
    }
    if !d.running {
        return Err(FieldError::new(
            "deadline",
            "deadline_not_running",
            "该期限已结束",
        ));
    }
    if d.paused_since.is_some() {
        return Err(FieldError::new(
            "deadline",
            "already_paused",
            "该期限已在中止计算中",
        ));
    }
    Ok(())
}

/// Resuming: returns the calendar days of this pause.
pub fn check_resume(d: &DeadlineFacts, today: NaiveDate) -> Result<u32, FieldError> {
    let Some(since) = d.paused_since else {
        return Err(FieldError::new(
            "deadline",
            "not_paused",
            "该期限没有中止计算",
        ));
    };
    Ok(u32::try_from((today - since).num_days().max(0)).unwrap_or(u32::MAX))
}

/// The bureau's routines: rules kept per bureau, not per petition, each with one deadline per
/// period — the monthly backup of the electronic files (seed 一(八)4、5) and the year-end
/// transfer of the year's dossiers (seed 二 四).
pub const ROUTINE_RULES: [&str; 2] = ["monthly_backup", "yearly_dossiers"];

/// The period of routine `code` that `day` falls in: its first and last day (the deadline's
/// start and due date). `None` for a rule that is not a routine.
pub fn routine_period(code: &str, day: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    use chrono::Datelike;
    let (first, next) = match code {
        "monthly_backup" => {
            let first = day.with_day(1)?;
            let next = if day.month() == 12 {
                NaiveDate::from_ymd_opt(day.year() + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(day.year(), day.month() + 1, 1)?
            };
            (first, next)
        }
        "yearly_dossiers" => (
            NaiveDate::from_ymd_opt(day.year(), 1, 1)?,
            NaiveDate::from_ymd_opt(day.year() + 1, 1, 1)?,
        ),
        _ => return None,
    };
    Some((first, next.pred_opt()?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn routine_periods_are_the_calendar_month_and_year() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(
            routine_period("monthly_backup", d(2024, 2, 10)),
            Some((d(2024, 2, 1), d(2024, 2, 29)))
        );
        assert_eq!(
            routine_period("monthly_backup", d(2026, 12, 31)),
            Some((d(2026, 12, 1), d(2026, 12, 31)))
        );
        assert_eq!(
            routine_period("yearly_dossiers", d(2026, 7, 1)),
            Some((d(2026, 1, 1), d(2026, 12, 31)))
        );
        assert_eq!(routine_period("handle_and_close", d(2026, 7, 1)), None);
        // Every routine is a rule kept per bureau.
        for code in ROUTINE_RULES {
            let r = default_rules()
                .into_iter()
                .find(|r| r.code == code)
                .unwrap();
            assert!(!r.per_petition, "{code}");
        }
    }

    proptest::proptest! {
        #[test]
        fn every_day_lies_in_its_routine_period(days in 0i64..40_000) {
            let day = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap() + chrono::Duration::days(days);
            for code in ROUTINE_RULES {
                let (first, last) = routine_period(code, day).unwrap();
                proptest::prop_assert!(first <= day && day <= last);
                // The next period starts the day after this one ends.
                let (next_first, _) = routine_period(code, last.succ_opt().unwrap()).unwrap();
                proptest::prop_assert_eq!(next_first, last.succ_opt().unwrap());
            }
        }
    }

    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    fn facts(due: NaiveDate) -> DeadlineFacts {
        DeadlineFacts {
            started_on: d(2026, 11, 2),
            period_days: 60,
            mode: CountingMode::Calendar,
            extended_days: 0,
            paused_days: 0,
            paused_since: None,
            due_on: due,
            running: true,
        }
    }

    #[test]
    fn deadline_rules_defaults_cover_rules_section_2_and_are_valid() {
        let rules = default_rules();
        for code in [
            "register_same_day",
            "dispose_visit",
            "notify_letter_writer",
            "unit_notify_petitioner",
            "unit_objection",
            "handle_and_close",
            "extension",
            "request_reexamination",
            "reexamination_decision",
            "request_recheck",
            "recheck_decision",
            "supervision_answer",
            "monthly_backup",
            "yearly_dossiers",
        ] {
            let r = rules.iter().find(|r| r.code == code).expect(code);
            assert_eq!(validate_rule(r), Ok(()), "{code}");
            assert_eq!(r.version, 1);
        }
        let objection = rules.iter().find(|r| r.code == "unit_objection").unwrap();
        assert_eq!((objection.days, objection.mode), (5, CountingMode::Working));
        let close = rules.iter().find(|r| r.code == "handle_and_close").unwrap();
        assert_eq!(close.days, 60);
        assert_eq!(close.trigger, Some(TriggerKind::Overdue));
        assert!(
            rules
                .iter()
                .find(|r| r.code == "recheck_decision")
                .unwrap()
                .pausable
        );
    }

    #[test]
    fn deadline_rules_validate_refuses_bad_edits() {
        let mut r = default_rules()
            .into_iter()
            .find(|r| r.code == EXTENSION_RULE)
            .unwrap();
        r.days = 31;
        assert_eq!(validate_rule(&r).unwrap_err().code, "extension_too_long");
        let mut r = default_rules().remove(1);
        r.on_expiry = ExpiryAction::Supervise;
        assert_eq!(validate_rule(&r).unwrap_err().code, "trigger_required");
        r.trigger = Some(TriggerKind::WrongProcedure);
        assert_eq!(validate_rule(&r).unwrap_err().code, "trigger_not_automatic");
        r.name = " ".into();
        assert_eq!(validate_rule(&r).unwrap_err().code, "invalid_name");
        let mut r = default_rules().remove(1);
        r.days = 4000;
        assert_eq!(validate_rule(&r).unwrap_err().code, "days_out_of_range");
        r.days = 10;
        r.responsible = "nobody".into();
        assert_eq!(validate_rule(&r).unwrap_err().code, "unknown_responsible");
    }

    fn rule_of(code: &str) -> DeadlineRule {
        default_rules()
            .into_iter()
            .find(|r| r.code == code)
            .expect(code)
    }

    #[test]
    fn deadline_extension_at_most_30_days_once_before_expiry() {
        let close = rule_of("handle_and_close");
        let f = facts(d(2027, 1, 4));
        let today = d(2026, 12, 20);
        assert_eq!(
            check_extension(&close, &f, 30, 30, "案情复杂", today),
            Ok(30)
        );
        let e = check_extension(&close, &f, 31, 30, "案情复杂", today).unwrap_err();
        assert_eq!(e.code, "extension_too_long");
        assert!(e.message.contains("不得超过 30 日"), "{}", e.message);
        assert_eq!(
            check_extension(&close, &f, 0, 30, "x", today)
                .unwrap_err()
                .code,
            "extension_too_long"
        );
        // A configured shorter maximum applies; a longer one never exceeds the law.
        assert!(check_extension(&close, &f, 20, 15, "x", today).is_err());
        assert!(check_extension(&close, &f, 31, 90, "x", today).is_err());
        let mut twice = f.clone();
        twice.extended_days = 10;
        let e = check_extension(&close, &twice, 5, 30, "x", today).unwrap_err();
        assert_eq!(e.code, "already_extended");
        assert!(e.message.contains("只能延期一次"));
        assert_eq!(
            check_extension(&close, &f, 5, 30, "x", d(2027, 1, 5))
                .unwrap_err()
                .code,
            "already_expired"
        );
        // On the due day itself it is still in time.
        assert!(check_extension(&close, &f, 5, 30, "x", d(2027, 1, 4)).is_ok());
        assert_eq!(
            check_extension(&close, &f, 5, 30, " ", today)
                .unwrap_err()
                .code,
            "reason_required"
        );
        let mut stopped = f.clone();
        stopped.running = false;
        assert_eq!(
            check_extension(&close, &stopped, 5, 30, "x", today)
                .unwrap_err()
                .code,
            "deadline_not_running"
        );
    }

    #[test]
    fn deadline_only_extendable_rules_are_extended() {
        let f = facts(d(2027, 1, 4));
        let today = d(2026, 12, 20);
        // rules §2: the extension applies to the handling period only.
        let extendable: Vec<String> = default_rules()
            .into_iter()
            .filter(|r| r.extendable)
            .map(|r| r.code)
            .collect();
        assert_eq!(extendable, ["handle_and_close"]);
        for code in [
            "handling_report",
            "unit_notify_petitioner",
            "recheck_decision",
        ] {
            let r = rule_of(code);
            let e = check_extension(&r, &f, 10, 30, "案情复杂", today).unwrap_err();
            assert_eq!(
                (e.field.as_deref(), e.code),
                (Some("days"), "not_extendable")
            );
            assert_eq!(e.message, format!("「{}」的期限不能延长", r.name));
        }
        assert_eq!(
            check_extension(&rule_of("handling_report"), &f, 10, 30, "x", today)
                .unwrap_err()
                .message,
            "「报送办理情况汇报」的期限不能延长"
        );
        // An administrator may make a per-petition rule extendable, but not the extension
        // itself nor the office's routines.
        let mut report = rule_of("handling_report");
        report.extendable = true;
        assert_eq!(validate_rule(&report), Ok(()));
        assert_eq!(check_extension(&report, &f, 10, 30, "x", today), Ok(10));
        for code in [EXTENSION_RULE, "monthly_backup"] {
            let mut r = rule_of(code);
            r.extendable = true;
            let e = validate_rule(&r).unwrap_err();
            assert_eq!(
                (e.field.as_deref(), e.code),
                (Some("extendable"), "not_extendable")
            );
        }
    }

    #[test]
    fn deadline_rules_stored_without_the_flag_are_not_extendable() {
        let mut json = serde_json::to_value(rule_of("handle_and_close")).unwrap();
        assert_eq!(json["extendable"], true);
        json.as_object_mut().unwrap().remove("extendable");
        let r: DeadlineRule = serde_json::from_value(json).unwrap();
        assert!(!r.extendable);
        let back: DeadlineRule =
            serde_json::from_str(&serde_json::to_string(&rule_of("handle_and_close")).unwrap())
                .unwrap();
        assert_eq!(back, rule_of("handle_and_close"));
    }

    #[test]
    fn deadline_shorten_needs_a_shorter_period_and_the_instruction() {
        let f = facts(d(2027, 1, 4));
        assert_eq!(check_shorten(&f, 20, "区长批示：20日内办结"), Ok(20));
        assert_eq!(check_shorten(&f, 60, "x").unwrap_err().code, "not_shorter");
        assert_eq!(check_shorten(&f, 0, "x").unwrap_err().code, "not_shorter");
        assert_eq!(
            check_shorten(&f, 20, "").unwrap_err().code,
            "instruction_required"
        );
    }

    #[test]
    fn deadline_pause_and_resume_move_the_due_date_by_the_hearing_days() {
        let cal = OfficialCalendar::shipped();
        let mut f = facts(d(2026, 12, 2));
        f.started_on = d(2026, 11, 2);
        f.period_days = 30;
        assert_eq!(check_pause(&f, false).unwrap_err().code, "not_pausable");
        assert_eq!(check_pause(&f, true), Ok(()));
        assert_eq!(
            check_resume(&f, d(2026, 11, 20)).unwrap_err().code,
            "not_paused"
        );
        f.paused_since = Some(d(2026, 11, 10));
        assert_eq!(check_pause(&f, true).unwrap_err().code, "already_paused");
        let days = check_resume(&f, d(2026, 11, 17)).unwrap();
        assert_eq!(days, 7);
        // 11-02 + 30 = 12-02 (Wed); with 7 paused days 12-09 (Wed).
        assert_eq!(
            recompute_due(&cal, f.started_on, 30, CountingMode::Calendar, 0, 0),
            d(2026, 12, 2)
        );
        assert_eq!(
            recompute_due(&cal, f.started_on, 30, CountingMode::Calendar, 0, days),
            d(2026, 12, 9)
        );
        // An extension adds to the period: 60 + 30 from 11-02 = 2027-01-31 (Sunday) → 02-01.
        assert_eq!(
            recompute_due(&cal, f.started_on, 60, CountingMode::Calendar, 30, 0),
            d(2027, 2, 1)
        );
    }

    #[test]
    fn expiry_action_round_trips() {
        for a in ExpiryAction::ALL {
            assert_eq!(ExpiryAction::parse(a.as_str()), Some(a));
            assert!(!a.label_zh().is_empty());
        }
        assert_eq!(ExpiryAction::parse("x"), None);
    }

    /// Counting on the tricky dates of 2025 and 2026 (rules §12): a calendar-day deadline
    /// landing on any holiday moves to the first working day after its break; one landing on a
    /// make-up working day stays there.
    #[test]
    fn deadline_every_2025_and_2026_holiday_rolls_to_the_end_of_its_break() {
        let cal = OfficialCalendar::shipped();
        // (first day off, last day off, first working day after)
        let breaks = [
            ((2025, 1, 1), (2025, 1, 1), (2025, 1, 2)),
            ((2025, 1, 28), (2025, 2, 4), (2025, 2, 5)),
            ((2025, 4, 4), (2025, 4, 6), (2025, 4, 7)),
            ((2025, 5, 1), (2025, 5, 5), (2025, 5, 6)),
            ((2025, 5, 31), (2025, 6, 2), (2025, 6, 3)),
            ((2025, 10, 1), (2025, 10, 8), (2025, 10, 9)),
            // 元旦 2026 ends on Saturday 01-03; Sunday 01-04 is a make-up working day.
            ((2026, 1, 1), (2026, 1, 3), (2026, 1, 4)),
            ((2026, 2, 15), (2026, 2, 23), (2026, 2, 24)),
            ((2026, 4, 4), (2026, 4, 6), (2026, 4, 7)),
            ((2026, 5, 1), (2026, 5, 5), (2026, 5, 6)),
            ((2026, 6, 19), (2026, 6, 21), (2026, 6, 22)),
            ((2026, 9, 25), (2026, 9, 27), (2026, 9, 28)),
            ((2026, 10, 1), (2026, 10, 7), (2026, 10, 8)),
        ];
        let ymd = |(y, m, dd): (i32, u32, u32)| d(y, m, dd);
        for (first, last, after) in breaks {
            let mut day = ymd(first);
            while day <= ymd(last) {
                assert!(!cal.is_working_day(day), "{day}");
                for (days, mode) in [(15, CountingMode::Calendar), (60, CountingMode::Calendar)] {
                    let start = day - chrono::Duration::days(i64::from(days));
                    assert_eq!(
                        due_date(&cal, start, days, mode),
                        ymd(after),
                        "{start} + {days} lands on {day}"
                    );
                }
                day = day.succ_opt().unwrap();
            }
        }
        let makeup = [
            (2025, 1, 26),
            (2025, 2, 8),
            (2025, 4, 27),
            (2025, 9, 28),
            (2025, 10, 11),
            (2026, 1, 4),
            (2026, 2, 14),
            (2026, 2, 28),
            (2026, 5, 9),
            (2026, 9, 20),
            (2026, 10, 10),
        ];
        for m in makeup {
            let day = ymd(m);
            assert!(cal.is_makeup_workday(day), "{day}");
            let start = day - chrono::Duration::days(15);
            assert_eq!(
                due_date(&cal, start, 15, CountingMode::Calendar),
                day,
                "{day} stays"
            );
            // Counted as a working day: the day before it (a weekend or holiday eve) + 1 working
            // day lands on it when the days between are off.
            let prev_working = {
                let mut p = day.pred_opt().unwrap();
                while !cal.is_working_day(p) {
                    p = p.pred_opt().unwrap();
                }
                p
            };
            assert_eq!(
                due_date(&cal, prev_working, 1, CountingMode::Working),
                day,
                "1 working day after {prev_working}"
            );
        }
    }

    #[test]
    fn deadline_first_day_of_the_nine_day_spring_festival_break_2026() {
        let cal = OfficialCalendar::shipped();
        // 2026-01-31 + 15 = 02-15, the first of nine days off (02-15 … 02-23): due 02-24.
        assert_eq!(
            due_date(&cal, d(2026, 1, 31), 15, CountingMode::Calendar),
            d(2026, 2, 24)
        );
        // Working days: from Friday 02-13, the make-up Saturday 02-14 is the 1st, 02-24 the 2nd,
        // 02-26 the 4th; five working days from 02-13 land on 02-27.
        assert_eq!(
            due_date(&cal, d(2026, 2, 13), 5, CountingMode::Working),
            d(2026, 2, 27)
        );
        // 2025's eight-day break (01-28 … 02-04) after the make-up Sunday 01-26.
        assert_eq!(
            due_date(&cal, d(2025, 1, 13), 15, CountingMode::Calendar),
            d(2025, 2, 5)
        );
        assert_eq!(
            due_date(&cal, d(2025, 1, 24), 2, CountingMode::Working),
            d(2025, 1, 27)
        );
    }

    #[test]
    fn deadline_year_ends() {
        let cal = OfficialCalendar::shipped();
        // Into 元旦 2026 (01-01 … 01-03): the make-up Sunday 01-04.
        assert_eq!(
            due_date(&cal, d(2025, 12, 17), 15, CountingMode::Calendar),
            d(2026, 1, 4)
        );
        assert_eq!(
            due_date(&cal, d(2025, 12, 31), 1, CountingMode::Working),
            d(2026, 1, 4)
        );
        // Into 2025 (only 01-01 off).
        assert_eq!(
            due_date(&cal, d(2024, 12, 17), 15, CountingMode::Calendar),
            d(2025, 1, 2)
        );
        // Into 2027, whose notice is not entered: Friday 01-01 counts as a working day until
        // an administrator enters the notice.
        assert_eq!(
            due_date(&cal, d(2026, 12, 17), 15, CountingMode::Calendar),
            d(2027, 1, 1)
        );
        assert_eq!(
            due_date(&cal, d(2026, 12, 31), 1, CountingMode::Working),
            d(2027, 1, 1)
        );
        // A 60-day handling period across the year end: 2026-11-27 + 60 = 2027-01-26 (Tue).
        assert_eq!(
            due_date(&cal, d(2026, 11, 27), 60, CountingMode::Calendar),
            d(2027, 1, 26)
        );
    }
}
