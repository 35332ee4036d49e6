//! The transfer statistics table and the units' periodic reports on transferred matters (seed
//! 二(四)3 and 一(五)1; V5.1, L4.3). The bureau circulates, per unit and period, how many times
//! and how many petitions it transferred; each unit reports periodically what became of them —
//! how many it reported to its leaders, assigned on, sent on to departments and handled on time —
//! and the letter clerk compiles both into the 转送信件办理情况统计表.
//!
//! Counted like every statistic (`crate::statistics`): one anchor per fact, so the months of a
//! year add up to the year. A **time** (批次) is one day's dispatch of transfers to a unit,
//! however many petitions it carried; an **item** (件) is a petition, counted on the day it was
//! first transferred to that unit; a unit's report counts in the period holding its reporting
//! period's last day.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use crate::error::FieldError;
use crate::statistics::{MonthStart, Period, PeriodKind};

/// The longest note a unit files with its report.
pub const MAX_NOTE_CHARS: usize = 500;
/// The latest a report may fall due after its period ends.
pub const MAX_DUE_DAYS: u32 = 60;

/// A petition transferred (转送, by letter or by the window's 转送单) to a unit on a local day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferSent {
    pub unit_id: String,
    pub petition_id: String,
    pub sent_on: NaiveDate,
}

/// What a unit reports on the matters transferred to it in a reporting period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ReportFigures {
    /// 报领导件数
    pub reported_to_leaders: i64,
    /// 交办件数
    pub assigned: i64,
    /// 转送部门件数
    pub sent_to_departments: i64,
    /// 及时办理件数
    pub handled_on_time: i64,
}

impl ReportFigures {
    fn add(&mut self, o: &ReportFigures) {
        self.reported_to_leaders += o.reported_to_leaders;
        self.assigned += o.assigned;
        self.sent_to_departments += o.sent_to_departments;
        self.handled_on_time += o.handled_on_time;
    }
}

/// A report a unit owes for one reporting period: when it falls due, and what it said once
/// filed (the local day it was filed and its figures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportOwed {
    pub unit_id: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub due_on: NaiveDate,
    pub filed: Option<(NaiveDate, ReportFigures)>,
}

/// One unit's line of the table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TransferLine {
    pub unit_id: String,
    /// 转送次数 (批次): days on which petitions were transferred to the unit.
    pub times: i64,
    /// 转送件数 (件): petitions first transferred to the unit in the period.
    pub items: i64,
    /// Reports whose reporting period ends in the period.
    pub reports_due: i64,
    /// Of those, filed.
    pub reports_filed: i64,
    /// Of those, filed after the due date or, by `today`, past it and not filed.
    pub reports_late: i64,
    /// The filed reports' figures, summed.
    pub reported: ReportFigures,
}

/// The table for `period`: one line per unit with a transfer or a report in it, the units with
/// the most items first. `today` decides whether an unfiled report is already late.
pub fn transfer_table(
    sent: &[TransferSent],
    reports: &[ReportOwed],
    period: &Period,
    today: NaiveDate,
) -> Vec<TransferLine> {
    let mut lines: BTreeMap<&str, TransferLine> = BTreeMap::new();
    let mut days: BTreeSet<(&str, NaiveDate)> = BTreeSet::new();
    let mut first: BTreeMap<(&str, &str), NaiveDate> = BTreeMap::new();
    for s in sent {
        days.insert((s.unit_id.as_str(), s.sent_on));
        let e = first
            .entry((s.unit_id.as_str(), s.petition_id.as_str()))
            .or_insert(s.sent_on);
        *e = (*e).min(s.sent_on);
    }
    for (unit, on) in &days {
        if period.contains(*on) {
            lines.entry(*unit).or_insert_with(|| new_line(unit)).times += 1;
        }
    }
    for ((unit, _), on) in &first {
        if period.contains(*on) {
            lines.entry(*unit).or_insert_with(|| new_line(unit)).items += 1;
        }
    }
    for r in reports {
        if !period.contains(r.period_to) {
            continue;
        }
        let l = lines
            .entry(r.unit_id.as_str())
            .or_insert_with(|| new_line(&r.unit_id));
        l.reports_due += 1;
        match &r.filed {
            Some((on, figures)) => {
                l.reports_filed += 1;
                if *on > r.due_on {
                    l.reports_late += 1;
                }
                l.reported.add(figures);
            }
            None if today > r.due_on => l.reports_late += 1,
            None => {}
        }
    }
    let mut out: Vec<TransferLine> = lines.into_values().collect();
    out.sort_by(|a, b| {
        b.items
            .cmp(&a.items)
            .then(b.times.cmp(&a.times))
            .then_with(|| a.unit_id.cmp(&b.unit_id))
    });
    out
}

fn new_line(unit: &str) -> TransferLine {
    TransferLine {
        unit_id: unit.to_string(),
        ..TransferLine::default()
    }
}

/// The table's totals line.
pub fn total(lines: &[TransferLine]) -> TransferLine {
    let mut t = TransferLine::default();
    for l in lines {
        t.times += l.times;
        t.items += l.items;
        t.reports_due += l.reports_due;
        t.reports_filed += l.reports_filed;
        t.reports_late += l.reports_late;
        t.reported.add(&l.reported);
    }
    t
}

/// How often units report on the matters transferred to them, and how many days after a
/// reporting period's end the report is due. Reporting periods are statistical months,
/// quarters, halves or years, so the reports line up with the statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportSchedule {
    pub every: PeriodKind,
    pub due_days: u32,
}

impl ReportSchedule {
    /// Monthly, due ten days after the month's end.
    pub const DEFAULT: ReportSchedule = ReportSchedule {
        every: PeriodKind::Month,
        due_days: 10,
    };

    /// `every` = month | quarter | half | year, or `off` (no periodic reports: `None`);
    /// `due_days` 1–60.
    pub fn parse(every: &str, due_days: u32) -> Result<Option<ReportSchedule>, FieldError> {
        let every = match every.trim() {
            "off" | "" => return Ok(None),
            s => match PeriodKind::parse(s) {
                Some(k) if k != PeriodKind::Range => k,
                _ => {
                    return Err(FieldError::new(
                        "transfer_report_every",
                        "unknown_period",
                        format!(
                            "转送事项办理情况报告周期「{s}」无效，应为 month、quarter、half、year 或 off"
                        ),
                    ));
                }
            },
        };
        if !(1..=MAX_DUE_DAYS).contains(&due_days) {
            return Err(FieldError::new(
                "transfer_report_due_days",
                "out_of_range",
                format!(
                    "转送事项办理情况报告应在报告期结束后 1 至 {MAX_DUE_DAYS} 日内报送，「{due_days}」无效"
                ),
            ));
        }
        Ok(Some(ReportSchedule { every, due_days }))
    }

    /// The reporting period that holds `day`.
    pub fn period_of(&self, day: NaiveDate, start: MonthStart) -> Period {
        let m = Period::month_of(day, start);
        let per = match self.every {
            PeriodKind::Quarter => 3,
            PeriodKind::Half => 6,
            PeriodKind::Year => 12,
            _ => 1,
        };
        let index = (m.index - 1) / per + 1;
        Period::named(self.every, m.year, index, start).unwrap_or(m)
    }

    /// The last reporting period that ended before `today`, and the day its reports are due.
    pub fn last_ended(&self, today: NaiveDate, start: MonthStart) -> (Period, NaiveDate) {
        let current = self.period_of(today, start);
        let last = current.previous(start);
        (last, self.due_of(&last))
    }

    /// The day the reports of `period` are due.
    pub fn due_of(&self, period: &Period) -> NaiveDate {
        period.to + Duration::days(i64::from(self.due_days))
    }
}

/// Checks what a unit files: every figure a whole number from 0 up to the items transferred to
/// it in the reporting period, and a note of at most [`MAX_NOTE_CHARS`] characters.
pub fn check_report(figures: &ReportFigures, items: i64, note: &str) -> Result<(), FieldError> {
    let fields = [
        (
            "reported_to_leaders",
            "报领导件数",
            figures.reported_to_leaders,
        ),
        ("assigned", "交办件数", figures.assigned),
        (
            "sent_to_departments",
            "转送部门件数",
            figures.sent_to_departments,
        ),
        ("handled_on_time", "及时办理件数", figures.handled_on_time),
    ];
    for (field, label, n) in fields {
        if n < 0 {
            return Err(FieldError::new(
                field,
                "negative",
                format!("{label}不能为负数"),
            ));
        }
        if n > items {
            return Err(FieldError::new(
                field,
                "more_than_transferred",
                format!("{label}（{n}）超过本报告期转送你单位的件数（{items}）"),
            ));
        }
    }
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(FieldError::new(
            "note",
            "too_long",
            format!("其他需要说明的情况不超过 {MAX_NOTE_CHARS} 字"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn sent(unit: &str, petition: &str, on: &str) -> TransferSent {
        TransferSent {
            unit_id: unit.into(),
            petition_id: petition.into(),
            sent_on: d(on),
        }
    }

    fn month(m: u32) -> Period {
        Period::named(PeriodKind::Month, 2026, m, MonthStart::NATURAL).unwrap()
    }

    #[test]
    fn times_are_days_of_dispatch_and_items_petitions_on_their_first_transfer() {
        let all = [
            sent("a", "p1", "2026-10-05"),
            sent("a", "p2", "2026-10-05"),
            sent("a", "p3", "2026-10-20"),
            // Sent to the same unit again in November: a time there, not an item.
            sent("a", "p1", "2026-11-02"),
            sent("b", "p4", "2026-10-31"),
        ];
        let t = transfer_table(&all, &[], &month(10), d("2026-11-27"));
        assert_eq!(
            t.iter()
                .map(|l| (l.unit_id.as_str(), l.times, l.items))
                .collect::<Vec<_>>(),
            vec![("a", 2, 3), ("b", 1, 1)]
        );
        let t = transfer_table(&all, &[], &month(11), d("2026-11-27"));
        assert_eq!((t[0].times, t[0].items), (1, 0));
        assert_eq!(total(&t).times, 1);
    }

    #[test]
    fn reports_count_in_the_period_of_their_last_day_and_are_late_after_their_due_date() {
        let figures = ReportFigures {
            reported_to_leaders: 1,
            assigned: 2,
            sent_to_departments: 0,
            handled_on_time: 3,
        };
        let owed = |unit: &str, filed: Option<&str>| ReportOwed {
            unit_id: unit.into(),
            period_from: d("2026-10-01"),
            period_to: d("2026-10-31"),
            due_on: d("2026-11-10"),
            filed: filed.map(|f| (d(f), figures)),
        };
        let reports = [
            owed("a", Some("2026-11-09")),
            owed("b", Some("2026-11-12")),
            owed("c", None),
        ];
        let t = transfer_table(&[], &reports, &month(10), d("2026-11-10"));
        let by = |u: &str| t.iter().find(|l| l.unit_id == u).unwrap().clone();
        assert_eq!(
            (by("a").reports_filed, by("a").reports_late),
            (1, 0),
            "filed before its due date"
        );
        assert_eq!((by("b").reports_filed, by("b").reports_late), (1, 1));
        assert_eq!(
            (by("c").reports_filed, by("c").reports_late),
            (0, 0),
            "not yet late on its due date"
        );
        let t = transfer_table(&[], &reports, &month(10), d("2026-11-11"));
        assert_eq!(total(&t).reports_late, 2);
        assert_eq!(total(&t).reported.handled_on_time, 6);
        assert!(transfer_table(&[], &reports, &month(11), d("2026-12-01")).is_empty());
    }

    #[test]
    fn schedules_follow_the_statistical_periods() {
        let s = ReportSchedule::parse("quarter", 10).unwrap().unwrap();
        let (p, due) = s.last_ended(d("2026-11-27"), MonthStart::NATURAL);
        assert_eq!(
            (p.from, p.to, due),
            (d("2026-07-01"), d("2026-09-30"), d("2026-10-10"))
        );
        let m = ReportSchedule::parse("month", 5).unwrap().unwrap();
        let (p, due) = m.last_ended(d("2026-01-03"), MonthStart::NATURAL);
        assert_eq!(
            (p.from, p.to, due),
            (d("2025-12-01"), d("2025-12-31"), d("2026-01-05"))
        );
        // A bureau counting from the 21st: the month ending on 11-20 is due on 11-30.
        let (p, due) = ReportSchedule::parse("month", 10)
            .unwrap()
            .unwrap()
            .last_ended(d("2026-11-27"), MonthStart::new(21).unwrap());
        assert_eq!(
            (p.from, p.to, due),
            (d("2026-10-21"), d("2026-11-20"), d("2026-11-30"))
        );
        assert_eq!(ReportSchedule::parse("off", 10).unwrap(), None);
        let e = ReportSchedule::parse("week", 10).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("transfer_report_every"));
        let e = ReportSchedule::parse("month", 0).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("transfer_report_due_days"));
    }

    #[test]
    fn a_report_names_the_figure_it_gets_wrong() {
        let ok = ReportFigures {
            reported_to_leaders: 1,
            assigned: 0,
            sent_to_departments: 2,
            handled_on_time: 2,
        };
        assert!(check_report(&ok, 2, "").is_ok());
        let e = check_report(&ReportFigures { assigned: 3, ..ok }, 2, "").unwrap_err();
        assert_eq!(
            (e.field.as_deref(), e.code),
            (Some("assigned"), "more_than_transferred")
        );
        assert!(e.message.contains("交办件数"));
        let e = check_report(
            &ReportFigures {
                handled_on_time: -1,
                ..ok
            },
            2,
            "",
        )
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("handled_on_time"));
        let e = check_report(&ok, 2, &"长".repeat(MAX_NOTE_CHARS + 1)).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("note"));
    }

    proptest! {
        #[test]
        fn transfer_months_add_up_to_the_year(
            transfers in proptest::collection::vec((0usize..3, 0usize..6, 0i64..500), 0..40),
            filed in proptest::collection::vec((0usize..3, 0u32..14, proptest::option::of(0i64..40), 0i64..5), 0..10),
        ) {
            let base = d("2026-01-01") - Duration::days(60);
            let sent: Vec<TransferSent> = transfers
                .iter()
                .map(|&(u, p, day)| TransferSent {
                    unit_id: format!("u{u}"),
                    petition_id: format!("p{p}"),
                    sent_on: base + Duration::days(day),
                })
                .collect();
            let schedule = ReportSchedule::parse("month", 10).unwrap().unwrap();
            let reports: Vec<ReportOwed> = filed
                .iter()
                .map(|&(u, m, late, n)| {
                    let p = Period::named(PeriodKind::Month, 2026, m.clamp(1, 12), MonthStart::NATURAL).unwrap();
                    let due = schedule.due_of(&p);
                    ReportOwed {
                        unit_id: format!("u{u}"),
                        period_from: p.from,
                        period_to: p.to,
                        due_on: due,
                        filed: late.map(|l| (due + Duration::days(l - 20), ReportFigures { handled_on_time: n, ..ReportFigures::default() })),
                    }
                })
                .collect();
            let today = d("2026-08-01");
            let year = Period::named(PeriodKind::Year, 2026, 1, MonthStart::NATURAL).unwrap();
            let whole = total(&transfer_table(&sent, &reports, &year, today));
            let mut sum = TransferLine::default();
            for m in year.months(MonthStart::NATURAL) {
                let t = total(&transfer_table(&sent, &reports, &m, today));
                sum = total(&[sum, t]);
            }
            prop_assert_eq!(whole, sum);
        }
    }
}
