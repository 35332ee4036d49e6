//! Deadline arithmetic (rules.md §2). The day of the starting event is not counted.
//! - Calendar days (the default): start + N; if that is not a working day of the official
//!   calendar, the next working day.
//! - Working days: the N-th working day after the start day (make-up Saturdays count, holidays
//!   don't).
//!
//! A deadline is a date and ends at the close of that day, China Standard Time; callers pass
//! "today" in that zone. Then the warning ladder: under 50 % of the period used is normal, 50 %
//! warning, 75 % alert, 85 % severe, past the due date overdue (thresholds configurable).

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::calendar::OfficialCalendar;
use crate::error::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CountingMode {
    /// 自然日: start + N, moved to the next working day if needed.
    #[default]
    Calendar,
    /// 工作日: the N-th working day after the start day.
    Working,
}

impl CountingMode {
    pub fn label_zh(self) -> &'static str {
        match self {
            CountingMode::Calendar => "自然日",
            CountingMode::Working => "工作日",
        }
    }
}

/// A date as written in Chinese documents and messages: 2026年12月1日.
pub fn date_zh(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// The due date of a period of `days` starting on `start`.
///
/// Calendar mode: `start + days`, rolled forward to a working day (so `days = 0` is the start day
/// itself, or the next working day). Working mode: the `days`-th working day after `start`;
/// `days = 0` is, as in calendar mode, the start day or the next working day. Saturates at the
/// end of representable time instead of panicking.
pub fn due_date(
    cal: &OfficialCalendar,
    start: NaiveDate,
    days: u32,
    mode: CountingMode,
) -> NaiveDate {
    match mode {
        CountingMode::Calendar => {
            let raw = start
                .checked_add_days(Days::new(u64::from(days)))
                .unwrap_or(NaiveDate::MAX);
            cal.roll_forward(raw)
        }
        CountingMode::Working if days == 0 => cal.roll_forward(start),
        CountingMode::Working => add_working_days(cal, start, days),
    }
}

fn add_working_days(cal: &OfficialCalendar, start: NaiveDate, days: u32) -> NaiveDate {
    let last_special = cal.last_special_date();
    let mut d = start;
    let mut remaining = u64::from(days);
    while remaining > 0 {
        // Past the last date the notices mention, any 7 consecutive days hold exactly 5 working
        // days: jump whole weeks, keeping 1..=5 days to walk.
        if remaining > 5 && last_special.is_none_or(|l| d >= l) {
            let weeks = (remaining - 1) / 5;
            match d.checked_add_days(Days::new(weeks * 7)) {
                Some(next) => {
                    d = next;
                    remaining -= weeks * 5;
                    continue;
                }
                None => return NaiveDate::MAX,
            }
        }
        match d.succ_opt() {
            Some(next) => d = next,
            None => return d,
        }
        if cal.is_working_day(d) {
            remaining -= 1;
        }
    }
    d
}

/// Whether a deadline counted from `start` to `due` is provisional: some year it runs through
/// has no official notice entered yet (`OfficialCalendar::covers`), so that year's holidays and
/// make-up days are unknown and were counted as plain weekends. It firms up when an
/// administrator enters the notice and the deadline is recomputed. The order of the two dates
/// does not matter.
pub fn is_provisional(calendar: &OfficialCalendar, start: NaiveDate, due: NaiveDate) -> bool {
    use chrono::Datelike;
    let (lo, hi) = (start.min(due).year(), start.max(due).year());
    let known = calendar
        .notices()
        .filter(|n| (lo..=hi).contains(&n.year))
        .count();
    // Notices are one per year, so every year is known exactly when the counts agree.
    i64::try_from(known).unwrap_or(i64::MAX) != i64::from(hi) - i64::from(lo) + 1
}

/// A unit's handling due date under a higher organ's deadline: the rule's due date, or the
/// higher organ's deadline if that comes first (the matter must be back with the higher organ
/// by then; see `source::Source::higher_organ_deadline`). Without a higher organ's deadline,
/// the rule's date.
pub fn capped_due(rule_due: NaiveDate, higher_organ_deadline: Option<NaiveDate>) -> NaiveDate {
    match higher_organ_deadline {
        Some(cap) => rule_due.min(cap),
        None => rule_due,
    }
}

/// Calendar days from `today` to `due`: positive while time is left, 0 on the due day, negative
/// once overdue.
pub fn days_left(due: NaiveDate, today: NaiveDate) -> i64 {
    (due - today).num_days()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WarningLevel {
    Normal,
    Warning,
    Alert,
    Severe,
    Overdue,
}

impl WarningLevel {
    pub fn label_zh(self) -> &'static str {
        match self {
            WarningLevel::Normal => "正常",
            WarningLevel::Warning => "预警",
            WarningLevel::Alert => "警示",
            WarningLevel::Severe => "严重",
            WarningLevel::Overdue => "逾期",
        }
    }

    /// CSS class for the badge: `deadline-normal`, `deadline-warning`, ….
    pub fn css_class(self) -> &'static str {
        match self {
            WarningLevel::Normal => "deadline-normal",
            WarningLevel::Warning => "deadline-warning",
            WarningLevel::Alert => "deadline-alert",
            WarningLevel::Severe => "deadline-severe",
            WarningLevel::Overdue => "deadline-overdue",
        }
    }
}

/// Percentages of the period used at which each level starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningThresholds {
    pub warning: u8,
    pub alert: u8,
    pub severe: u8,
}

impl Default for WarningThresholds {
    fn default() -> Self {
        WarningThresholds {
            warning: 50,
            alert: 75,
            severe: 85,
        }
    }
}

impl WarningThresholds {
    /// Checked constructor for administrator input: `0 < warning <= alert <= severe <= 100`.
    pub fn new(warning: u8, alert: u8, severe: u8) -> Result<Self, FieldError> {
        if warning == 0 || warning > alert || alert > severe || severe > 100 {
            return Err(FieldError::new(
                "warning_thresholds",
                "thresholds_order",
                format!(
                    "预警比例应满足 0 < 预警 ≤ 警示 ≤ 严重 ≤ 100，收到 {warning} / {alert} / {severe}"
                ),
            ));
        }
        Ok(WarningThresholds {
            warning,
            alert,
            severe,
        })
    }
}

/// The warning level on `today` of a period from `start` to `due`, by the fraction of calendar
/// days elapsed. Overdue only after the due day; on a zero-length period's due day, severe.
pub fn warning_level(
    start: NaiveDate,
    due: NaiveDate,
    today: NaiveDate,
    t: &WarningThresholds,
) -> WarningLevel {
    if today > due {
        return WarningLevel::Overdue;
    }
    if today < start {
        return WarningLevel::Normal;
    }
    let total = (due - start).num_days();
    if total <= 0 {
        return WarningLevel::Severe;
    }
    let elapsed = (today - start).num_days();
    let reached = |pct: u8| elapsed * 100 >= i64::from(pct) * total;
    if reached(t.severe) {
        WarningLevel::Severe
    } else if reached(t.alert) {
        WarningLevel::Alert
    } else if reached(t.warning) {
        WarningLevel::Warning
    } else {
        WarningLevel::Normal
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    fn cal() -> OfficialCalendar {
        OfficialCalendar::shipped()
    }

    #[test]
    fn deadline_15_calendar_days_landing_on_makeup_saturday_stays() {
        let due = due_date(&cal(), d(2026, 1, 30), 15, CountingMode::Calendar);
        assert_eq!(due, d(2026, 2, 14));
    }

    #[test]
    fn deadline_15_calendar_days_landing_in_spring_festival_moves_to_february_24() {
        let due = due_date(&cal(), d(2026, 2, 1), 15, CountingMode::Calendar);
        assert_eq!(due, d(2026, 2, 24));
    }

    #[test]
    fn deadline_5_working_days_across_national_day_2026_is_october_13() {
        // 10-01..07 off; 10-08 Thu, 10-09 Fri, 10-10 make-up Sat, (10-11 Sun off), 10-12 Mon,
        // 10-13 Tue.
        let due = due_date(&cal(), d(2026, 9, 30), 5, CountingMode::Working);
        assert_eq!(due, d(2026, 10, 13));
    }

    #[test]
    fn deadline_60_calendar_days_plain_case() {
        // 2026-03-02 + 60 = 2026-05-01 (holiday) → 05-06 (Wed).
        let due = due_date(&cal(), d(2026, 3, 2), 60, CountingMode::Calendar);
        assert_eq!(due, d(2026, 5, 6));
        // 2026-03-03 + 30 = 04-02 (Thu), a working day.
        assert_eq!(
            due_date(&cal(), d(2026, 3, 3), 30, CountingMode::Calendar),
            d(2026, 4, 2)
        );
    }

    #[test]
    fn deadline_zero_days_is_same_day_rolled_forward() {
        let c = cal();
        assert_eq!(
            due_date(&c, d(2026, 3, 2), 0, CountingMode::Calendar),
            d(2026, 3, 2)
        );
        assert_eq!(
            due_date(&c, d(2026, 2, 15), 0, CountingMode::Calendar),
            d(2026, 2, 24)
        );
        assert_eq!(
            due_date(&c, d(2026, 2, 15), 0, CountingMode::Working),
            d(2026, 2, 24)
        );
        assert_eq!(
            due_date(&c, d(2026, 2, 14), 0, CountingMode::Working),
            d(2026, 2, 14)
        );
    }

    #[test]
    fn deadline_working_days_count_makeup_days_and_skip_holidays() {
        // From Friday 2026-02-13: 02-14 make-up Saturday is the 1st, then 02-24 the 2nd.
        let c = cal();
        assert_eq!(
            due_date(&c, d(2026, 2, 13), 1, CountingMode::Working),
            d(2026, 2, 14)
        );
        assert_eq!(
            due_date(&c, d(2026, 2, 13), 2, CountingMode::Working),
            d(2026, 2, 24)
        );
    }

    #[test]
    fn deadline_huge_periods_saturate_without_panicking() {
        let c = cal();
        let far = due_date(&c, d(2026, 1, 1), u32::MAX, CountingMode::Calendar);
        assert!(far > d(9999, 1, 1));
        let far = due_date(&c, d(2026, 1, 1), u32::MAX, CountingMode::Working);
        assert!(far > d(9999, 1, 1));
        assert_eq!(
            due_date(&c, NaiveDate::MAX, 10, CountingMode::Working),
            NaiveDate::MAX
        );
        let _ = due_date(&c, NaiveDate::MAX, 10, CountingMode::Calendar);
    }

    #[test]
    fn deadline_counting_mode_serialises_as_calendar_and_working() {
        assert_eq!(
            serde_json::to_string(&CountingMode::Calendar).unwrap(),
            "\"calendar\""
        );
        assert_eq!(
            serde_json::to_string(&CountingMode::Working).unwrap(),
            "\"working\""
        );
        assert_eq!(
            serde_json::from_str::<CountingMode>("\"working\"").unwrap(),
            CountingMode::Working
        );
        assert_eq!(CountingMode::default(), CountingMode::Calendar);
        assert_eq!(CountingMode::Working.label_zh(), "工作日");
    }

    #[test]
    fn deadline_into_a_year_without_a_notice_is_provisional() {
        let cal = cal();
        // 2026 is shipped, 2027 is not.
        assert!(!is_provisional(&cal, d(2026, 11, 2), d(2026, 12, 31)));
        let due = due_date(&cal, d(2026, 12, 17), 15, CountingMode::Calendar);
        assert_eq!(due, d(2027, 1, 1));
        assert!(is_provisional(&cal, d(2026, 12, 17), due));
        assert!(is_provisional(&cal, due, d(2026, 12, 17)));
        assert!(!is_provisional(&cal, d(2020, 1, 2), d(2026, 6, 1)));
        // A gap in the middle counts too.
        let mut gap = cal.clone();
        gap.insert(crate::calendar::YearNotice {
            year: 2028,
            holidays: vec![],
            makeup_workdays: vec![],
        });
        assert!(!is_provisional(&gap, d(2028, 1, 5), d(2028, 3, 1)));
        assert!(is_provisional(&gap, d(2026, 12, 1), d(2028, 3, 1)));
        assert!(is_provisional(
            &OfficialCalendar::weekends_only(),
            d(2026, 1, 5),
            d(2026, 1, 6)
        ));
        assert!(is_provisional(&cal, NaiveDate::MIN, NaiveDate::MAX));
    }

    #[test]
    fn deadline_capped_due_is_the_earlier_of_the_rule_and_the_higher_organ() {
        let rule_due = d(2027, 1, 26);
        assert_eq!(capped_due(rule_due, None), rule_due);
        assert_eq!(capped_due(rule_due, Some(d(2026, 12, 20))), d(2026, 12, 20));
        assert_eq!(capped_due(rule_due, Some(d(2027, 2, 1))), rule_due);
        assert_eq!(capped_due(rule_due, Some(rule_due)), rule_due);
    }

    #[test]
    fn deadline_days_left_is_signed_calendar_days() {
        assert_eq!(days_left(d(2026, 3, 10), d(2026, 3, 1)), 9);
        assert_eq!(days_left(d(2026, 3, 10), d(2026, 3, 10)), 0);
        assert_eq!(days_left(d(2026, 3, 10), d(2026, 3, 12)), -2);
    }

    #[test]
    fn deadline_warning_ladder_50_75_85_then_overdue() {
        let t = WarningThresholds::default();
        let (start, due) = (d(2026, 1, 1), d(2026, 1, 21)); // 20 days
        let at = |day| warning_level(start, due, d(2026, 1, day), &t);
        assert_eq!(
            warning_level(start, due, d(2025, 12, 31), &t),
            WarningLevel::Normal
        );
        assert_eq!(at(1), WarningLevel::Normal);
        assert_eq!(at(10), WarningLevel::Normal); // 45 %
        assert_eq!(at(11), WarningLevel::Warning); // 50 %
        assert_eq!(at(15), WarningLevel::Warning); // 70 %
        assert_eq!(at(16), WarningLevel::Alert); // 75 %
        assert_eq!(at(17), WarningLevel::Alert); // 80 %
        assert_eq!(at(18), WarningLevel::Severe); // 85 %
        assert_eq!(at(21), WarningLevel::Severe); // due day: not yet overdue
        assert_eq!(at(22), WarningLevel::Overdue);
    }

    #[test]
    fn deadline_warning_same_day_period_is_severe_on_the_day() {
        let t = WarningThresholds::default();
        let day = d(2026, 3, 2);
        assert_eq!(warning_level(day, day, day, &t), WarningLevel::Severe);
        assert_eq!(
            warning_level(day, day, d(2026, 3, 3), &t),
            WarningLevel::Overdue
        );
    }

    #[test]
    fn deadline_warning_level_labels_and_css_classes() {
        let all = [
            WarningLevel::Normal,
            WarningLevel::Warning,
            WarningLevel::Alert,
            WarningLevel::Severe,
            WarningLevel::Overdue,
        ];
        let labels: Vec<_> = all.iter().map(|l| l.label_zh()).collect();
        assert_eq!(labels, ["正常", "预警", "警示", "严重", "逾期"]);
        assert_eq!(WarningLevel::Overdue.css_class(), "deadline-overdue");
        assert!(WarningLevel::Overdue > WarningLevel::Severe);
        assert_eq!(
            serde_json::to_string(&WarningLevel::Alert).unwrap(),
            "\"alert\""
        );
    }

    #[test]
    fn deadline_warning_thresholds_new_checks_order() {
        assert_eq!(
            WarningThresholds::new(50, 75, 85),
            Ok(WarningThresholds::default())
        );
        assert!(WarningThresholds::new(60, 60, 100).is_ok());
        for (w, a, s) in [(0, 75, 85), (80, 75, 85), (50, 90, 85), (50, 75, 101)] {
            assert_eq!(
                WarningThresholds::new(w, a, s).unwrap_err().code,
                "thresholds_order"
            );
        }
    }

    fn naive_working(cal: &OfficialCalendar, start: NaiveDate, days: u32) -> NaiveDate {
        let mut d = start;
        let mut left = days;
        while left > 0 {
            d = d.succ_opt().unwrap();
            if cal.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        // 2019-06-01 .. 2027-12-31: across the shipped years and past their end.
        (0i64..3135).prop_map(|o| d(2019, 6, 1) + chrono::Duration::days(o))
    }

    fn any_mode() -> impl Strategy<Value = CountingMode> {
        prop_oneof![Just(CountingMode::Calendar), Just(CountingMode::Working)]
    }

    proptest! {
        #[test]
        fn prop_deadline_provisional_exactly_when_a_year_lacks_its_notice(
            start in any_date(),
            days in 0u32..800,
            mode in any_mode(),
        ) {
            let cal = cal();
            let due = due_date(&cal, start, days, mode);
            use chrono::Datelike;
            let expected = (start.year()..=due.year()).any(|y| !cal.covers(y));
            prop_assert_eq!(is_provisional(&cal, start, due), expected);
        }

        #[test]
        fn prop_deadline_due_date_is_always_a_working_day(
            start in any_date(), days in 0u32..200, mode in any_mode()
        ) {
            let c = cal();
            prop_assert!(c.is_working_day(due_date(&c, start, days, mode)));
        }

        #[test]
        fn prop_deadline_calendar_mode_is_first_working_day_on_or_after_start_plus_days(
            start in any_date(), days in 0u32..200
        ) {
            let c = cal();
            let due = due_date(&c, start, days, CountingMode::Calendar);
            let raw = start + chrono::Duration::days(i64::from(days));
            prop_assert!(due >= raw);
            let mut x = raw;
            while x < due {
                prop_assert!(!c.is_working_day(x));
                x = x.succ_opt().unwrap();
            }
        }

        #[test]
        fn prop_deadline_working_mode_counts_exactly_n_working_days(
            start in any_date(), days in 1u32..200
        ) {
            let c = cal();
            let due = due_date(&c, start, days, CountingMode::Working);
            prop_assert!(due > start);
            prop_assert_eq!(c.working_days_between(start, due), u64::from(days));
            prop_assert!(c.is_working_day(due));
        }

        #[test]
        fn prop_deadline_working_mode_week_jumps_match_day_by_day_count(
            start in any_date(), days in 0u32..3000
        ) {
            let c = cal();
            prop_assert_eq!(
                due_date(&c, start, days, CountingMode::Working),
                if days == 0 { c.roll_forward(start) } else { naive_working(&c, start, days) }
            );
        }

        #[test]
        fn prop_deadline_warning_level_never_decreases_as_days_pass(
            start in any_date(), len in 0i64..120, a in 0i64..200, b in 0i64..200
        ) {
            let t = WarningThresholds::default();
            let due = start + chrono::Duration::days(len);
            let (a, b) = (a.min(b), a.max(b));
            let early = warning_level(start, due, start + chrono::Duration::days(a - 20), &t);
            let late = warning_level(start, due, start + chrono::Duration::days(b - 20), &t);
            prop_assert!(early <= late);
        }
    }
}
