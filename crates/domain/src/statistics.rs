//! Statistics (seed 二(九), L9; rules §9): the periods a bureau counts by, the facts of a
//! petition that figures read, and every figure once — its key, label, unit and what it counts.
//!
//! Each figure has an anchor date (registration for volumes, the decision for acceptance, the
//! disposition for the bureau's own ways of handling, the closing for closures, the 15-day mark
//! for timely acceptance, the deadline for on-time closure) and counts a petition in a period
//! when its anchor falls inside it and what it requires had happened by the period's end. So a
//! period's figures are those of the events up to its end: a petition closed this month still
//! counts as open in last month's report, and the months of a year add up to the year.
//!
//! One function, [`contributions`], says what each petition adds to which figure; the totals
//! ([`tally`]) and the petitions behind a number ([`members`]) both come from it, so a drill-down
//! list always has as many rows (or persons) as its number.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, Months, NaiveDate};
use serde::Serialize;

use crate::error::FieldError;
use crate::words::{Acceptance, Channel, Disposition};

/// Days from registration within which acceptance counts as timely (rules §9).
pub const TIMELY_ACCEPTANCE_DAYS: i64 = 15;
/// The longest date range a report covers.
pub const MAX_RANGE_DAYS: i64 = 3660;

/// The first day of the statistical month: 1 for the natural month; some bureaus count from the
/// 21st to the 20th (rules §9). At most 28, so every month has that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthStart(u32);

impl MonthStart {
    pub const NATURAL: MonthStart = MonthStart(1);

    pub fn new(day: u32) -> Result<MonthStart, FieldError> {
        if (1..=28).contains(&day) {
            Ok(MonthStart(day))
        } else {
            Err(FieldError::new(
                "statistics_month_start",
                "invalid_month_start",
                format!("统计月起始日应在 1 至 28 日之间，「{day}」无效"),
            ))
        }
    }

    pub fn day(self) -> u32 {
        self.0
    }
}

impl Default for MonthStart {
    fn default() -> Self {
        MonthStart::NATURAL
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Month,
    Quarter,
    Half,
    Year,
    Range,
}

impl PeriodKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Half => "half",
            PeriodKind::Year => "year",
            PeriodKind::Range => "range",
        }
    }

    pub fn parse(s: &str) -> Option<PeriodKind> {
        [
            PeriodKind::Month,
            PeriodKind::Quarter,
            PeriodKind::Half,
            PeriodKind::Year,
            PeriodKind::Range,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Statistical months in one period of this kind.
    fn months(self) -> u32 {
        match self {
            PeriodKind::Month => 1,
            PeriodKind::Quarter => 3,
            PeriodKind::Half => 6,
            PeriodKind::Year | PeriodKind::Range => 12,
        }
    }

    /// Periods of this kind in a year.
    fn per_year(self) -> u32 {
        12 / self.months()
    }
}

/// A period: its kind, for the named kinds its year and index (month 1–12, quarter 1–4, half
/// 1–2, year 1), and the inclusive dates it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub kind: PeriodKind,
    pub year: i32,
    pub index: u32,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The years a report may name.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Statistical month `m` (1–12) of `year`: with a start day d > 1 it runs from day d of the
/// month before to day d − 1 of month m (month 1 of 2026 from 2025-12-21 to 2026-01-20).
fn month_bounds(year: i32, m: u32, start: MonthStart) -> (NaiveDate, NaiveDate) {
    let first = NaiveDate::from_ymd_opt(year, m, 1).expect("month 1–12 of a checked year");
    if start.0 == 1 {
        let next = first + Months::new(1);
        (first, next - Duration::days(1))
    } else {
        let to = first.with_day(start.0 - 1).expect("day ≤ 27");
        let from = (first - Months::new(1))
            .with_day(start.0)
            .expect("day ≤ 28");
        (from, to)
    }
}

impl Period {
    /// A named period: the `index`-th month, quarter or half of `year`, or the year.
    pub fn named(
        kind: PeriodKind,
        year: i32,
        index: u32,
        start: MonthStart,
    ) -> Result<Period, FieldError> {
        if kind == PeriodKind::Range {
            return Err(FieldError::new(
                "period",
                "range_needs_dates",
                "自定义区间须给出起止日期（from、to）",
            ));
        }
        if !YEARS.contains(&year) {
            return Err(FieldError::new(
                "year",
                "invalid_year",
                format!(
                    "年份应在 {} 至 {} 之间，「{year}」无效",
                    YEARS.start(),
                    YEARS.end()
                ),
            ));
        }
        let per_year = kind.per_year();
        if index < 1 || index > per_year {
            let what = match kind {
                PeriodKind::Month => "月份应在 1 至 12 之间",
                PeriodKind::Quarter => "季度应在 1 至 4 之间",
                PeriodKind::Half => "半年应为 1（上半年）或 2（下半年）",
                _ => "全年统计的序号应为 1",
            };
            return Err(FieldError::new(
                "index",
                "invalid_index",
                format!("{what}，「{index}」无效"),
            ));
        }
        let months = kind.months();
        let first_month = (index - 1) * months + 1;
        let (from, _) = month_bounds(year, first_month, start);
        let (_, to) = month_bounds(year, first_month + months - 1, start);
        Ok(Period {
            kind,
            year,
            index,
            from,
            to,
        })
    }

    /// Any inclusive date range of at most ten years.
    pub fn range(from: NaiveDate, to: NaiveDate) -> Result<Period, FieldError> {
        if to < from {
            return Err(FieldError::new(
                "to",
                "range_reversed",
                format!("截止日期 {to} 早于起始日期 {from}"),
            ));
        }
        if (to - from).num_days() > MAX_RANGE_DAYS {
            return Err(FieldError::new(
                "to",
                "range_too_long",
                "统计区间不能超过十年",
            ));
        }
        if !YEARS.contains(&from.year()) || !YEARS.contains(&to.year()) {
            return Err(FieldError::new(
                "from",
                "invalid_year",
                format!("统计区间应在 {} 至 {} 年之间", YEARS.start(), YEARS.end()),
            ));
        }
        Ok(Period {
            kind: PeriodKind::Range,
            year: to.year(),
            index: 0,
            from,
            to,
        })
    }

    /// The period just before (环比): the previous month, quarter or half (across the year's
    /// end), the year before, or a range of the same length ending the day before.
    pub fn previous(&self, start: MonthStart) -> Period {
        match self.kind {
            PeriodKind::Range => {
                let days = (self.to - self.from).num_days();
                let to = self.from - Duration::days(1);
                Period {
                    kind: PeriodKind::Range,
                    year: to.year(),
                    index: 0,
                    from: to - Duration::days(days),
                    to,
                }
            }
            kind => {
                let (year, index) = if self.index > 1 {
                    (self.year, self.index - 1)
                } else {
                    (self.year - 1, kind.per_year())
                };
                Period::named(kind, year, index, start).unwrap_or(*self)
            }
        }
    }

    /// The same period a year earlier (同比).
    pub fn year_before(&self, start: MonthStart) -> Period {
        match self.kind {
            PeriodKind::Range => {
                let back = |d: NaiveDate| d - Months::new(12);
                Period {
                    kind: PeriodKind::Range,
                    year: self.year - 1,
                    index: 0,
                    from: back(self.from),
                    to: back(self.to),
                }
            }
            kind => Period::named(kind, self.year - 1, self.index, start).unwrap_or(*self),
        }
    }

    /// The statistical month that holds `day` (with a start day after the 1st, the 25th of
    /// December falls in month 1 of the next year).
    pub fn month_of(day: NaiveDate, start: MonthStart) -> Period {
        let first = NaiveDate::from_ymd_opt(day.year(), day.month(), 1).unwrap_or(day);
        let next = first + Months::new(1);
        let (year, month) = if start.0 > 1 && day.day() >= start.0 {
            (next.year(), next.month())
        } else {
            (day.year(), day.month())
        };
        let (from, to) = month_bounds(year, month, start);
        Period {
            kind: PeriodKind::Month,
            year,
            index: month,
            from,
            to,
        }
    }

    /// The statistical months that make up this named period, in order.
    pub fn months(&self, start: MonthStart) -> Vec<Period> {
        if self.kind == PeriodKind::Range {
            return vec![*self];
        }
        let months = self.kind.months();
        let first = (self.index - 1) * months + 1;
        (first..first + months)
            .filter_map(|m| Period::named(PeriodKind::Month, self.year, m, start).ok())
            .collect()
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }

    /// How a report names the period: 2026年11月, 2026年第四季度, 2026年上半年, 2026年,
    /// 2026-11-03至2026-11-20.
    pub fn label_zh(&self) -> String {
        const QUARTERS: [&str; 4] = ["一", "二", "三", "四"];
        match self.kind {
            PeriodKind::Month => format!("{}年{}月", self.year, self.index),
            PeriodKind::Quarter => format!(
                "{}年第{}季度",
                self.year,
                QUARTERS[(self.index as usize).clamp(1, 4) - 1]
            ),
            PeriodKind::Half => format!(
                "{}年{}",
                self.year,
                if self.index == 1 {
                    "上半年"
                } else {
                    "下半年"
                }
            ),
            PeriodKind::Year => format!("{}年", self.year),
            PeriodKind::Range => format!("{}至{}", self.from, self.to),
        }
    }
}

/// Parses a report's period as a request names it: `period` = month | quarter | half | year
/// with `year` and `index` (not needed for a year), or `from` and `to` as inclusive dates.
pub fn parse_period(
    period: Option<&str>,
    year: Option<&str>,
    index: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    start: MonthStart,
) -> Result<Period, FieldError> {
    fn blank(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|s| !s.is_empty())
    }
    let (period, year, index, from, to) = (
        blank(period),
        blank(year),
        blank(index),
        blank(from),
        blank(to),
    );
    let kind = match period {
        None if from.is_some() || to.is_some() => PeriodKind::Range,
        None => {
            return Err(FieldError::new(
                "period",
                "missing",
                "请选择统计周期（月、季度、半年、全年）或给出起止日期",
            ));
        }
        Some(p) => PeriodKind::parse(p).ok_or_else(|| {
            FieldError::new(
                "period",
                "unknown_period",
                format!("统计周期「{p}」无效，应为 month、quarter、half、year 或 range"),
            )
        })?,
    };
    if kind == PeriodKind::Range {
        let date = |field: &str, v: Option<&str>| -> Result<NaiveDate, FieldError> {
            let v = v.ok_or_else(|| {
                FieldError::new(
                    field,
                    "missing",
                    if field == "from" {
                        "请填写起始日期"
                    } else {
                        "请填写截止日期"
                    },
                )
            })?;
            crate::words::parse_date(field, v)
        };
        return Period::range(date("from", from)?, date("to", to)?);
    }
    let number = |field: &str, v: Option<&str>| -> Result<Option<i64>, FieldError> {
        v.map(|s| {
            s.parse::<i64>()
                .map_err(|_| FieldError::new(field, "not_a_number", format!("「{s}」不是整数")))
        })
        .transpose()
    };
    let year = number("year", year)?
        .ok_or_else(|| FieldError::new("year", "missing", "请填写统计年份"))?;
    let index = match (kind, number("index", index)?) {
        (PeriodKind::Year, None) => 1,
        (_, Some(i)) => i,
        (_, None) => {
            return Err(FieldError::new(
                "index",
                "missing",
                "请填写统计的月份、季度或半年序号",
            ));
        }
    };
    let year = i32::try_from(year).unwrap_or(i32::MAX);
    let index = u32::try_from(index).unwrap_or(u32::MAX);
    Period::named(kind, year, index, start)
}

/// A deadline a unit owes, as statistics read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitDeadline {
    pub unit_id: String,
    pub due_on: NaiveDate,
    /// When it was met (cancelled deadlines are not read at all).
    pub met_on: Option<NaiveDate>,
}

/// A unit's record of a petition sent to it (交办 or 转送), as statistics read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRecord {
    pub unit_id: String,
    /// `assignment` or `transfer`.
    pub kind: String,
    pub sent_on: NaiveDate,
}

/// What a petition contributes to statistics: its registration (fixed), and the dates of what
/// happened to it since. Dates are local (China Standard Time) days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountedPetition {
    pub petition_id: String,
    pub channel: Channel,
    pub registered_on: NaiveDate,
    /// People who came or signed (人次 for visits and letters).
    pub persons: i64,
    pub collective: bool,
    pub joint: bool,
    pub anonymous: bool,
    pub skip_level: bool,
    pub out_of_district: bool,
    pub repeat: bool,
    /// `source::Source` kind: own_accord, forwarded_by_higher_organ, assigned_by_higher_organ,
    /// instructed_by_local_leader, hotline_12345, online.
    pub source_kind: String,
    pub township: String,
    pub category: Option<String>,
    pub purpose: Option<String>,
    pub petition_class: Option<String>,
    pub accused_unit_id: Option<String>,
    pub decision: Option<(NaiveDate, Acceptance)>,
    pub dispositions: Vec<(NaiveDate, Disposition)>,
    pub closed_on: Option<NaiveDate>,
    /// The closing deadline (办理并办结, the lead unit's, extensions included).
    pub closure_due: Option<NaiveDate>,
    pub records: Vec<UnitRecord>,
    pub unit_deadlines: Vec<UnitDeadline>,
    /// Satisfaction rating (rules §9: 参评率, 满意率), once the handling opinion was delivered.
    pub rating: Option<RatingFact>,
}

/// A petition's rating facts: the day its handling opinion reached the petitioner (from then on
/// it should be rated), the day it was rated, and whether every subject rated was satisfied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatingFact {
    pub eligible_on: NaiveDate,
    pub rated_on: Option<NaiveDate>,
    pub satisfied: bool,
}

/// How a figure is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// 件 / 件次: petitions.
    Items,
    /// 批次: visits, whatever the group size.
    Batches,
    /// 人次: persons summed over petitions.
    Persons,
}

impl Measure {
    pub fn unit_zh(self) -> &'static str {
        match self {
            Measure::Items => "件",
            Measure::Batches => "批次",
            Measure::Persons => "人次",
        }
    }
}

/// One figure: a key (a group's figures are `key:value`, e.g. `township:652302100`), what the
/// report calls it, its measure, the date it is anchored on and what it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Figure {
    pub key: &'static str,
    pub label: &'static str,
    pub measure: Measure,
    pub anchor: &'static str,
    pub counts: &'static str,
}

const fn figure(
    key: &'static str,
    label: &'static str,
    measure: Measure,
    anchor: &'static str,
    counts: &'static str,
) -> Figure {
    Figure {
        key,
        label,
        measure,
        anchor,
        counts,
    }
}

use Measure::{Batches, Items, Persons};

const REGISTERED: &str = "登记日期";

/// Every figure, once. docs/statistics.md defines each (a test checks it lists them all).
const OPINION_DELIVERED: &str = "处理意见送达日期";

pub const FIGURES: &[Figure] = &[
    figure(
        "petitions",
        "信访总量",
        Items,
        REGISTERED,
        "登记的信访事项（来信、来访、网上信访、电话），不含退回未拆的信件",
    ),
    figure(
        "persons",
        "信访总人次",
        Persons,
        REGISTERED,
        "各事项的来访或署名人数之和",
    ),
    figure("letters", "来信", Items, REGISTERED, "渠道为来信的事项"),
    figure(
        "letter_persons",
        "来信人次",
        Persons,
        REGISTERED,
        "来信的署名人数之和",
    ),
    figure(
        "visit_batches",
        "来访批次",
        Batches,
        REGISTERED,
        "渠道为来访的事项，每次来访一批",
    ),
    figure(
        "visit_persons",
        "来访人次",
        Persons,
        REGISTERED,
        "来访批次的到访人数之和",
    ),
    figure(
        "online",
        "网上信访",
        Items,
        REGISTERED,
        "渠道为网上信访的事项",
    ),
    figure("phone", "电话信访", Items, REGISTERED, "渠道为电话的事项"),
    figure(
        "network",
        "网信（网上与电话）",
        Items,
        REGISTERED,
        "网上信访与电话信访之和，报表合称网信",
    ),
    figure(
        "first",
        "初信初访",
        Items,
        REGISTERED,
        "未关联为重复信访的事项",
    ),
    figure(
        "repeat",
        "重复信访",
        Items,
        REGISTERED,
        "登记为重复信、重复访的事项",
    ),
    figure(
        "collective_batches",
        "集体访批次",
        Batches,
        REGISTERED,
        "5人以上的来访",
    ),
    figure(
        "collective_persons",
        "集体访人次",
        Persons,
        REGISTERED,
        "集体访的到访人数之和",
    ),
    figure(
        "collective_5_10",
        "集体访 5–10人",
        Batches,
        REGISTERED,
        "到访 5 至 10 人的集体访",
    ),
    figure(
        "collective_11_20",
        "集体访 11–20人",
        Batches,
        REGISTERED,
        "到访 11 至 20 人的集体访",
    ),
    figure(
        "collective_21_50",
        "集体访 21–50人",
        Batches,
        REGISTERED,
        "到访 21 至 50 人的集体访",
    ),
    figure(
        "collective_51_100",
        "集体访 51–100人",
        Batches,
        REGISTERED,
        "到访 51 至 100 人的集体访",
    ),
    figure(
        "collective_over_100",
        "集体访 100人以上",
        Batches,
        REGISTERED,
        "到访超过 100 人的集体访",
    ),
    figure(
        "joint_letters",
        "联名信",
        Items,
        REGISTERED,
        "登记为联名的来信",
    ),
    figure(
        "anonymous_letters",
        "匿名信",
        Items,
        REGISTERED,
        "登记为匿名的来信",
    ),
    figure(
        "skip_level",
        "越级访",
        Batches,
        REGISTERED,
        "登记为越级的来访",
    ),
    figure(
        "out_of_district",
        "异地访",
        Batches,
        REGISTERED,
        "问题属地在本辖区以外的来访",
    ),
    figure(
        "forwarded_by_higher_organ",
        "上级转送",
        Items,
        REGISTERED,
        "来源为上级机关转送的事项",
    ),
    figure(
        "assigned_by_higher_organ",
        "上级交办",
        Items,
        REGISTERED,
        "来源为上级机关交办的事项",
    ),
    figure(
        "instructed_by_local_leader",
        "本级领导批办",
        Items,
        REGISTERED,
        "来源为本级党政领导批示交办的事项",
    ),
    figure(
        "hotline_12345",
        "12345热线转办",
        Items,
        REGISTERED,
        "来源为 12345 热线的事项",
    ),
    figure(
        "township",
        "按问题属地",
        Items,
        REGISTERED,
        "按问题属地（乡镇、街道）分组的事项",
    ),
    figure(
        "category",
        "按内容分类（一级）",
        Items,
        REGISTERED,
        "按内容分类第一级分组的事项",
    ),
    figure(
        "category_detail",
        "按内容分类（各级）",
        Items,
        REGISTERED,
        "按登记的内容分类（二级、三级）分组的事项",
    ),
    figure(
        "purpose",
        "按信访目的",
        Items,
        REGISTERED,
        "按信访目的分组的事项",
    ),
    figure(
        "petition_class",
        "按类别（2022 条例）",
        Items,
        REGISTERED,
        "按建议意见、检举控告、申诉求决分组的事项",
    ),
    figure(
        "accused_unit",
        "按被反映单位",
        Items,
        REGISTERED,
        "按被反映（被检举控告）单位分组的事项",
    ),
    figure(
        "accepted",
        "受理",
        Items,
        "受理决定日期",
        "期内作出受理决定的事项",
    ),
    figure(
        "not_accepted",
        "不予受理",
        Items,
        "受理决定日期",
        "期内作出不予受理决定的事项",
    ),
    figure(
        "no_longer_accepted",
        "不再受理",
        Items,
        "受理决定日期",
        "期内作出不再受理决定的事项",
    ),
    figure(
        "referred",
        "告知或转送有权机关",
        Items,
        "受理决定日期",
        "期内当场告知到乡镇街道或转送本级部门的事项",
    ),
    figure(
        "disposed",
        "本机关办理方式",
        Items,
        "办理方式确定日期",
        "期内确定办理方式的事项，按上报、交办、转送、协调、暂存、直接答复、通报分组",
    ),
    figure(
        "unit_received",
        "承办单位收到",
        Items,
        "交办、转送日期",
        "期内交办、转送到各承办单位的事项，按单位分组",
    ),
    figure(
        "closed",
        "办结",
        Items,
        "办结日期",
        "期内批准结案（或随信访情况通报办结）的事项",
    ),
    figure(
        "closed_on_time",
        "按期办结",
        Items,
        "办结日期",
        "期内办结且不晚于办结期限的事项（无期限的视为按期）",
    ),
    figure(
        "acceptance_due",
        "应及时受理",
        Items,
        "登记后第 15 日",
        "登记后第 15 日落在期内的事项（及时受理率的分母）",
    ),
    figure(
        "accepted_in_time",
        "及时受理",
        Items,
        "登记后第 15 日",
        "其中在登记后 15 日内作出受理决定的事项（分子）",
    ),
    figure(
        "closure_due",
        "应按期办结",
        Items,
        "办结期限",
        "办结期限落在期内的事项（按期办结率的分母：按期办结、逾期办结、未到期、逾期未办结）",
    ),
    figure(
        "closure_due_met",
        "期限内办结",
        Items,
        "办结期限",
        "其中不晚于期限办结的事项（分子）",
    ),
    figure(
        "unit_deadlines_due",
        "单位应办期限",
        Items,
        "期限到期日",
        "有承办单位期限（告知、汇报、办结）到期日落在期内的事项，按单位分组",
    ),
    figure(
        "unit_overdue",
        "单位逾期",
        Items,
        "期限到期日",
        "其中到期未办（或逾期才办）的，按单位分组",
    ),
    figure(
        "rating_eligible",
        "应参评",
        Items,
        OPINION_DELIVERED,
        "处理意见已送达信访人、应作满意度评价的事项",
    ),
    figure(
        "rated",
        "已参评",
        Items,
        OPINION_DELIVERED,
        "应参评事项中至期末已作评价的（网上或电话）",
    ),
    figure(
        "satisfied",
        "满意",
        Items,
        OPINION_DELIVERED,
        "已参评事项中各项评价均为满意类等级的（默认满意、基本满意）",
    ),
];

/// The figure a key (`township:652302100` → `township`) belongs to.
pub fn figure_of(key: &str) -> Option<&'static Figure> {
    let base = key.split(':').next().unwrap_or(key);
    FIGURES.iter().find(|f| f.key == base)
}

/// Checks a key a request names: a known figure, with a group value where the figure is
/// grouped.
pub fn parse_figure_key(field: &str, key: &str) -> Result<&'static Figure, FieldError> {
    figure_of(key.trim())
        .filter(|f| !GROUPED.contains(&f.key) || key.contains(':'))
        .ok_or_else(|| {
            FieldError::new(
                field,
                "unknown_figure",
                format!("统计项「{}」不存在", key.trim()),
            )
        })
}

/// Figures counted per group value: their keys carry it (`disposed:assignment`).
pub const GROUPED: &[&str] = &[
    "township",
    "category",
    "category_detail",
    "purpose",
    "petition_class",
    "accused_unit",
    "disposed",
    "unit_received",
    "unit_deadlines_due",
    "unit_overdue",
];

/// The first level of a six-digit category code (`060101` → `060000`).
pub fn category_first_level(code: &str) -> String {
    if code.len() == 6 && code.is_ascii() {
        format!("{}0000", &code[..2])
    } else {
        code.to_string()
    }
}

/// The version of [`dated_contributions`]: kept figures computed under an older version are
/// recounted at start (`Store::migrate`). Bump it whenever a figure's definition changes.
pub const KEPT_VERSION: i64 = 1;

/// One contribution of a petition to a figure, independent of any period: the figure's key,
/// the day it is anchored on (the period it counts in), the day it became true (it counts in a
/// report whose period ends on or after that day) and the amount (1, or the persons for 人次).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dated {
    pub key: String,
    pub anchor_on: NaiveDate,
    pub effective_on: NaiveDate,
    pub amount: i64,
}

/// Everything a petition adds to any figure, each with its anchor and effective day. Nothing
/// is effective before the registration: a period's report reads only the petitions registered
/// by its end. Each key at most once per petition.
pub fn dated_contributions(f: &CountedPetition) -> Vec<Dated> {
    let mut out: Vec<Dated> = Vec::new();
    let reg = f.registered_on;
    let mut add = |k: &str, anchor: NaiveDate, effective: NaiveDate, n: i64| {
        out.push(Dated {
            key: k.to_string(),
            anchor_on: anchor,
            effective_on: effective.max(reg),
            amount: n,
        })
    };
    let persons = f.persons.max(1);
    {
        let mut add = |k: &str, n: i64| add(k, reg, reg, n);
        add("petitions", 1);
        add("persons", persons);
        match f.channel {
            Channel::Letter => {
                add("letters", 1);
                add("letter_persons", persons);
                if f.joint {
                    add("joint_letters", 1);
                }
                if f.anonymous {
                    add("anonymous_letters", 1);
                }
            }
            Channel::Visit => {
                add("visit_batches", 1);
                add("visit_persons", persons);
                if f.collective {
                    add("collective_batches", 1);
                    add("collective_persons", persons);
                    add(
                        match persons {
                            ..=10 => "collective_5_10",
                            11..=20 => "collective_11_20",
                            21..=50 => "collective_21_50",
                            51..=100 => "collective_51_100",
                            _ => "collective_over_100",
                        },
                        1,
                    );
                }
                if f.skip_level {
                    add("skip_level", 1);
                }
                if f.out_of_district {
                    add("out_of_district", 1);
                }
            }
            Channel::Online => {
                add("online", 1);
                add("network", 1);
            }
            Channel::Phone => {
                add("phone", 1);
                add("network", 1);
            }
        }
        add(if f.repeat { "repeat" } else { "first" }, 1);
        if let s @ ("forwarded_by_higher_organ"
        | "assigned_by_higher_organ"
        | "instructed_by_local_leader"
        | "hotline_12345") = f.source_kind.as_str()
        {
            add(s, 1);
        }
        if !f.township.is_empty() {
            add(&format!("township:{}", f.township), 1);
        }
        if let Some(c) = f.category.as_deref().filter(|c| !c.is_empty()) {
            add(&format!("category:{}", category_first_level(c)), 1);
            add(&format!("category_detail:{c}"), 1);
        }
        if let Some(p) = f.purpose.as_deref().filter(|p| !p.is_empty()) {
            add(&format!("purpose:{p}"), 1);
        }
        if let Some(c) = f.petition_class.as_deref().filter(|c| !c.is_empty()) {
            add(&format!("petition_class:{c}"), 1);
        }
        if let Some(u) = f.accused_unit_id.as_deref().filter(|u| !u.is_empty()) {
            add(&format!("accused_unit:{u}"), 1);
        }
    }
    if let Some((on, acceptance)) = f.decision {
        add(
            match acceptance {
                Acceptance::Accepted => "accepted",
                Acceptance::NotAccepted => "not_accepted",
                Acceptance::NoLongerAccepted => "no_longer_accepted",
                Acceptance::ReferredToLocality | Acceptance::ReferredToDepartment => "referred",
            },
            on,
            on,
            1,
        );
    }
    // Each way once per petition, on the day it first took effect; each unit once, on the day
    // it first received the petition: one anchor each, so months still add up to the year.
    let mut ways: BTreeMap<&str, NaiveDate> = BTreeMap::new();
    for (on, d) in &f.dispositions {
        let e = ways.entry(d.as_str()).or_insert(*on);
        *e = (*e).min(*on);
    }
    for (way, on) in ways {
        add(&format!("disposed:{way}"), on, on, 1);
    }
    let mut received: BTreeMap<&str, NaiveDate> = BTreeMap::new();
    for r in &f.records {
        let e = received.entry(r.unit_id.as_str()).or_insert(r.sent_on);
        *e = (*e).min(r.sent_on);
    }
    for (unit, on) in received {
        add(&format!("unit_received:{unit}"), on, on, 1);
    }
    if let Some(on) = f.closed_on {
        add("closed", on, on, 1);
        if f.closure_due.is_none_or(|due| on <= due) {
            add("closed_on_time", on, on, 1);
        }
    }
    let mark = reg + Duration::days(TIMELY_ACCEPTANCE_DAYS);
    add("acceptance_due", mark, mark, 1);
    if f.decision.is_some_and(|(on, _)| on <= mark) {
        add("accepted_in_time", mark, mark, 1);
    }
    if let Some(due) = f.closure_due {
        add("closure_due", due, due, 1);
        if f.closed_on.is_some_and(|on| on <= due) {
            add("closure_due_met", due, due, 1);
        }
    }
    // Anchored on the opinion's delivery; rated and satisfied count from the rating's day (a
    // period ending before it still counts the petition as not rated).
    if let Some(r) = &f.rating {
        add("rating_eligible", r.eligible_on, r.eligible_on, 1);
        if let Some(on) = r.rated_on {
            add("rated", r.eligible_on, on, 1);
            if r.satisfied {
                add("satisfied", r.eligible_on, on, 1);
            }
        }
    }
    // Per unit and petition once, on the last of its deadlines there; overdue when any of
    // them was not met by its due date.
    let mut owed: BTreeMap<&str, (NaiveDate, bool)> = BTreeMap::new();
    for d in &f.unit_deadlines {
        let missed = d.met_on.is_none_or(|m| m > d.due_on);
        let e = owed.entry(d.unit_id.as_str()).or_insert((d.due_on, missed));
        e.0 = e.0.max(d.due_on);
        e.1 |= missed;
    }
    for (unit, (due, missed)) in owed {
        add(&format!("unit_deadlines_due:{unit}"), due, due, 1);
        if missed {
            add(&format!("unit_overdue:{unit}"), due, due, 1);
        }
    }
    out
}

/// Whether a dated contribution counts in `period`: anchored in it and true by its end.
pub fn counts_in(d: &Dated, period: &Period) -> bool {
    period.contains(d.anchor_on) && d.effective_on <= period.to
}

/// What one petition adds to which figure in `period`: (key, amount) pairs, the amount 1 for
/// items and batches, the persons for 人次. Each key at most once per petition. The dated
/// contributions that count in the period: the one definition behind the recount from the
/// facts and the kept figures.
pub fn contributions(f: &CountedPetition, period: &Period) -> Vec<(String, i64)> {
    dated_contributions(f)
        .into_iter()
        .filter(|d| counts_in(d, period))
        .map(|d| (d.key, d.amount))
        .collect()
}

/// A period's figures by key; a key not present is 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally(pub BTreeMap<String, i64>);

impl Tally {
    pub fn get(&self, key: &str) -> i64 {
        self.0.get(key).copied().unwrap_or(0)
    }

    /// The group values of a grouped figure with their counts, largest first.
    pub fn group(&self, figure: &str) -> Vec<(String, i64)> {
        let prefix = format!("{figure}:");
        let mut v: Vec<(String, i64)> = self
            .0
            .iter()
            .filter_map(|(k, n)| k.strip_prefix(&prefix).map(|g| (g.to_string(), *n)))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }

    /// The rates of rules §9, as fractions (None without a denominator).
    pub fn kpis(&self) -> Kpis {
        let rate = |num: i64, den: i64| (den > 0).then(|| num as f64 / den as f64);
        Kpis {
            timely_acceptance_rate: rate(self.get("accepted_in_time"), self.get("acceptance_due")),
            on_time_closure_rate: rate(self.get("closure_due_met"), self.get("closure_due")),
            repeat_rate: rate(self.get("repeat"), self.get("petitions")),
            participation_rate: rate(self.get("rated"), self.get("rating_eligible")),
            satisfaction_rate: rate(self.get("satisfied"), self.get("rated")),
        }
    }
}

/// The indicators of rules §9.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Kpis {
    pub timely_acceptance_rate: Option<f64>,
    pub on_time_closure_rate: Option<f64>,
    pub repeat_rate: Option<f64>,
    pub participation_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
}

/// Every figure of `period` over the petitions' facts.
pub fn tally(facts: &[CountedPetition], period: &Period) -> Tally {
    let mut t = BTreeMap::new();
    for f in facts {
        for (k, n) in contributions(f, period) {
            *t.entry(k).or_insert(0) += n;
        }
    }
    Tally(t)
}

/// The petitions behind one number: those that contribute to `key` in `period`.
pub fn members<'a>(
    facts: &'a [CountedPetition],
    period: &Period,
    key: &str,
) -> Vec<&'a CountedPetition> {
    facts
        .iter()
        .filter(|f| contributions(f, period).iter().any(|(k, _)| k == key))
        .collect()
}

/// A period's figures as a 信访情况通报 states them (V5.2, L4.5): volumes and their trend, the
/// rates, the main matters and places, and the units ranked by what they received.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Briefing {
    pub label: String,
    pub previous_label: String,
    pub year_before_label: String,
    pub petitions: i64,
    pub previous: i64,
    pub year_before: i64,
    pub persons: i64,
    pub letters: i64,
    pub visit_batches: i64,
    pub visit_persons: i64,
    pub network: i64,
    pub collective_batches: i64,
    pub collective_persons: i64,
    pub repeat: i64,
    pub accepted: i64,
    pub closed: i64,
    pub closed_on_time: i64,
    pub timely_acceptance_rate: Option<f64>,
    pub on_time_closure_rate: Option<f64>,
    /// First-level categories, most first: name, petitions.
    pub categories: Vec<(String, i64)>,
    /// Townships of the matter, most first.
    pub townships: Vec<(String, i64)>,
    /// Handling units ranked by petitions received: name, received, overdue.
    pub units: Vec<(String, i64, i64)>,
    /// 转送 in the period (V5.1, L4.3): times (批次) and items over every unit.
    pub transfer_times: i64,
    pub transfer_items: i64,
    /// Per unit, most items first: name, times, items.
    pub transfers: Vec<(String, i64, i64)>,
    /// The units' reports on transferred matters whose period ends in this one: due, filed,
    /// late.
    pub transfer_reports: (i64, i64, i64),
}

/// "比上期（2026年10月）增加 3 件、上升 25.0%", or 持平, or the earlier period had none.
pub fn trend_zh(now: i64, before: i64, what: &str, label: &str) -> String {
    if before == 0 {
        return if now == 0 {
            format!("与{what}（{label}）持平")
        } else {
            format!("{what}（{label}）无登记")
        };
    }
    let diff = now - before;
    let pct = diff.abs() as f64 * 100.0 / before as f64;
    match diff.cmp(&0) {
        std::cmp::Ordering::Equal => format!("与{what}（{label}）持平"),
        std::cmp::Ordering::Greater => format!("比{what}（{label}）增加{diff}件、上升{pct:.1}%"),
        std::cmp::Ordering::Less => format!("比{what}（{label}）减少{}件、下降{pct:.1}%", -diff),
    }
}

/// A rate as a report writes it: 80.0%, or 无 without a denominator.
pub fn rate_zh(r: Option<f64>) -> String {
    r.map(|f| format!("{:.1}%", f * 100.0))
        .unwrap_or_else(|| "无".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn start(day: u32) -> MonthStart {
        MonthStart::new(day).unwrap()
    }

    #[test]
    fn natural_and_business_months_quarters_and_years() {
        let m = Period::named(PeriodKind::Month, 2026, 2, MonthStart::NATURAL).unwrap();
        assert_eq!((m.from, m.to), (d("2026-02-01"), d("2026-02-28")));
        let m = Period::named(PeriodKind::Month, 2026, 1, start(21)).unwrap();
        assert_eq!((m.from, m.to), (d("2025-12-21"), d("2026-01-20")));
        let q = Period::named(PeriodKind::Quarter, 2026, 4, start(21)).unwrap();
        assert_eq!((q.from, q.to), (d("2026-09-21"), d("2026-12-20")));
        let h = Period::named(PeriodKind::Half, 2024, 1, MonthStart::NATURAL).unwrap();
        assert_eq!((h.from, h.to), (d("2024-01-01"), d("2024-06-30")));
        let y = Period::named(PeriodKind::Year, 2026, 1, start(21)).unwrap();
        assert_eq!((y.from, y.to), (d("2025-12-21"), d("2026-12-20")));
        assert_eq!(q.label_zh(), "2026年第四季度");
        assert_eq!(h.label_zh(), "2024年上半年");
    }

    #[test]
    fn previous_and_year_before_cross_the_year() {
        let m = Period::named(PeriodKind::Month, 2026, 1, MonthStart::NATURAL).unwrap();
        let p = m.previous(MonthStart::NATURAL);
        assert_eq!((p.year, p.index, p.from), (2025, 12, d("2025-12-01")));
        let y = m.year_before(MonthStart::NATURAL);
        assert_eq!((y.from, y.to), (d("2025-01-01"), d("2025-01-31")));
        let r = Period::range(d("2026-11-03"), d("2026-11-12")).unwrap();
        let p = r.previous(MonthStart::NATURAL);
        assert_eq!((p.from, p.to), (d("2026-10-24"), d("2026-11-02")));
        let leap = Period::range(d("2024-02-29"), d("2024-03-01")).unwrap();
        assert_eq!(leap.year_before(MonthStart::NATURAL).from, d("2023-02-28"));
    }

    #[test]
    fn bad_periods_name_their_field_in_chinese() {
        let e = |r: Result<Period, FieldError>| {
            let e = r.unwrap_err();
            (e.field.unwrap(), e.code)
        };
        let s = MonthStart::NATURAL;
        assert_eq!(
            e(parse_period(
                Some("week"),
                Some("2026"),
                None,
                None,
                None,
                s
            )),
            ("period".into(), "unknown_period")
        );
        assert_eq!(
            e(parse_period(
                Some("month"),
                Some("2026"),
                Some("13"),
                None,
                None,
                s
            )),
            ("index".into(), "invalid_index")
        );
        assert_eq!(
            e(parse_period(
                Some("quarter"),
                Some("二〇二六"),
                Some("1"),
                None,
                None,
                s
            )),
            ("year".into(), "not_a_number")
        );
        assert_eq!(
            e(parse_period(
                None,
                None,
                None,
                Some("2026-11-31"),
                Some("2026-12-01"),
                s
            )),
            ("from".into(), "invalid_date")
        );
        assert_eq!(
            e(parse_period(
                None,
                None,
                None,
                Some("2026-12-02"),
                Some("2026-12-01"),
                s
            )),
            ("to".into(), "range_reversed")
        );
        assert_eq!(
            e(parse_period(
                Some("month"),
                Some("1999"),
                Some("1"),
                None,
                None,
                s
            )),
            ("year".into(), "invalid_year")
        );
        assert!(MonthStart::new(29).is_err());
        let y = parse_period(Some("year"), Some("2026"), None, None, None, s).unwrap();
        assert_eq!((y.from, y.to), (d("2026-01-01"), d("2026-12-31")));
    }

    fn facts(registered: &str) -> CountedPetition {
        CountedPetition {
            petition_id: format!("p-{registered}"),
            channel: Channel::Visit,
            registered_on: d(registered),
            persons: 1,
            collective: false,
            joint: false,
            anonymous: false,
            skip_level: false,
            out_of_district: false,
            repeat: false,
            source_kind: "own_accord".into(),
            township: "652302100".into(),
            category: Some("060101".into()),
            purpose: Some("01".into()),
            petition_class: Some("claim".into()),
            accused_unit_id: None,
            decision: None,
            dispositions: Vec::new(),
            closed_on: None,
            closure_due: None,
            records: Vec::new(),
            unit_deadlines: Vec::new(),
            rating: None,
        }
    }

    #[test]
    fn ratings_make_the_participation_and_satisfaction_rates_of_their_delivery_month() {
        let nov = Period::named(PeriodKind::Month, 2026, 11, MonthStart::NATURAL).unwrap();
        let dec = Period::named(PeriodKind::Month, 2026, 12, MonthStart::NATURAL).unwrap();
        let rated = |served: &str, on: Option<&str>, satisfied: bool| {
            let mut f = facts("2026-10-01");
            f.rating = Some(RatingFact {
                eligible_on: d(served),
                rated_on: on.map(d),
                satisfied,
            });
            f
        };
        let all = vec![
            rated("2026-11-03", Some("2026-11-04"), true),
            rated("2026-11-10", Some("2026-11-20"), false),
            rated("2026-11-20", Some("2026-12-02"), true),
            rated("2026-11-25", None, false),
            facts("2026-11-01"),
        ];
        let t = tally(&all, &nov);
        assert_eq!(
            (t.get("rating_eligible"), t.get("rated"), t.get("satisfied")),
            (4, 2, 1)
        );
        let k = t.kpis();
        assert_eq!(
            (k.participation_rate, k.satisfaction_rate),
            (Some(0.5), Some(0.5))
        );
        // Rated in December: it counts in November's figures as of December's end only.
        assert_eq!(tally(&all, &dec).get("rating_eligible"), 0);
        assert_eq!(tally(&[], &nov).kpis().participation_rate, None);
    }

    #[test]
    fn a_petition_closed_later_counts_as_open_in_the_earlier_month() {
        let mut f = facts("2026-10-10");
        f.decision = Some((d("2026-10-12"), Acceptance::Accepted));
        f.closure_due = Some(d("2026-10-30"));
        f.closed_on = Some(d("2026-11-05"));
        let oct = Period::named(PeriodKind::Month, 2026, 10, MonthStart::NATURAL).unwrap();
        let nov = Period::named(PeriodKind::Month, 2026, 11, MonthStart::NATURAL).unwrap();
        let t = tally(std::slice::from_ref(&f), &oct);
        assert_eq!((t.get("petitions"), t.get("closed")), (1, 0));
        assert_eq!((t.get("closure_due"), t.get("closure_due_met")), (1, 0));
        assert_eq!(
            t.get("acceptance_due"),
            1,
            "the 15-day mark 10-25 is in October"
        );
        assert_eq!(t.get("accepted_in_time"), 1);
        let t = tally(std::slice::from_ref(&f), &nov);
        assert_eq!(
            (t.get("petitions"), t.get("closed"), t.get("closed_on_time")),
            (0, 1, 0)
        );
        assert_eq!(t.kpis().timely_acceptance_rate, None);
    }

    #[test]
    fn collective_visits_fall_in_their_size_band() {
        let p = Period::named(PeriodKind::Year, 2026, 1, MonthStart::NATURAL).unwrap();
        let bands = [
            (5, "collective_5_10"),
            (10, "collective_5_10"),
            (11, "collective_11_20"),
            (50, "collective_21_50"),
            (51, "collective_51_100"),
            (101, "collective_over_100"),
        ];
        for (n, band) in bands {
            let mut f = facts("2026-03-01");
            f.collective = true;
            f.persons = n;
            let t = tally(&[f], &p);
            assert_eq!(
                (
                    t.get(band),
                    t.get("collective_persons"),
                    t.get("visit_persons")
                ),
                (1, n, n),
                "{n}"
            );
        }
    }

    #[test]
    fn trends_read_as_a_circular_writes_them() {
        assert_eq!(
            trend_zh(5, 4, "上期", "2026年10月"),
            "比上期（2026年10月）增加1件、上升25.0%"
        );
        assert_eq!(
            trend_zh(3, 4, "去年同期", "2025年11月"),
            "比去年同期（2025年11月）减少1件、下降25.0%"
        );
        assert_eq!(trend_zh(0, 0, "上期", "10月"), "与上期（10月）持平");
        assert_eq!(trend_zh(2, 0, "上期", "10月"), "上期（10月）无登记");
        assert_eq!(rate_zh(Some(0.8)), "80.0%");
        assert_eq!(rate_zh(None), "无");
    }

    #[test]
    fn the_documentation_defines_every_figure() {
        let doc = include_str!("../../../docs/statistics.md");
        for f in FIGURES {
            assert!(
                doc.contains(&format!("`{}`", f.key)),
                "docs/statistics.md does not define `{}`",
                f.key
            );
        }
    }

    fn arb_facts() -> impl Strategy<Value = CountedPetition> {
        let day = 0i64..900;
        let base = d("2025-06-01");
        (
            day.clone(),
            0usize..4,
            1i64..150,
            any::<(bool, bool, bool, bool)>(),
            proptest::option::of((0i64..60, 0usize..5)),
            proptest::collection::vec((0i64..120, 0usize..7), 0..3),
            proptest::option::of(0i64..200),
            proptest::option::of(0i64..120),
            proptest::collection::vec(
                (0usize..3, 0i64..150, proptest::option::of(0i64..160)),
                0..3,
            ),
        )
            .prop_map(
                move |(
                    reg,
                    ch,
                    persons,
                    (collective, joint, repeat, anonymous),
                    decision,
                    dispositions,
                    closed,
                    due,
                    deadlines,
                )| {
                    let on = base + Duration::days(reg);
                    let mut f = facts(&on.to_string());
                    f.petition_id = format!("p{reg}-{ch}-{persons}");
                    f.channel = Channel::ALL[ch];
                    f.persons = persons;
                    f.collective = collective && f.channel == Channel::Visit && persons >= 5;
                    f.joint = joint;
                    f.repeat = repeat;
                    f.anonymous = anonymous;
                    f.decision =
                        decision.map(|(days, a)| (on + Duration::days(days), Acceptance::ALL[a]));
                    f.dispositions = dispositions
                        .into_iter()
                        .map(|(days, k)| (on + Duration::days(days), Disposition::ALL[k]))
                        .collect();
                    f.closed_on = closed.map(|days| on + Duration::days(days));
                    f.closure_due = due.map(|days| on + Duration::days(days));
                    f.unit_deadlines = deadlines
                        .into_iter()
                        .map(|(u, due, met)| UnitDeadline {
                            unit_id: format!("u{u}"),
                            due_on: on + Duration::days(due),
                            met_on: met.map(|m| on + Duration::days(m)),
                        })
                        .collect();
                    f
                },
            )
    }

    /// The definition before contributions were dated, kept as the oracle of the dated form.
    fn old_contributions(f: &CountedPetition, period: &Period) -> Vec<(String, i64)> {
        let mut out: Vec<(String, i64)> = Vec::new();
        let mut add = |k: &str, n: i64| out.push((k.to_string(), n));
        let persons = f.persons.max(1);
        if period.contains(f.registered_on) {
            add("petitions", 1);
            add("persons", persons);
            match f.channel {
                Channel::Letter => {
                    add("letters", 1);
                    add("letter_persons", persons);
                    if f.joint {
                        add("joint_letters", 1);
                    }
                    if f.anonymous {
                        add("anonymous_letters", 1);
                    }
                }
                Channel::Visit => {
                    add("visit_batches", 1);
                    add("visit_persons", persons);
                    if f.collective {
                        add("collective_batches", 1);
                        add("collective_persons", persons);
                        add(
                            match persons {
                                ..=10 => "collective_5_10",
                                11..=20 => "collective_11_20",
                                21..=50 => "collective_21_50",
                                51..=100 => "collective_51_100",
                                _ => "collective_over_100",
                            },
                            1,
                        );
                    }
                    if f.skip_level {
                        add("skip_level", 1);
                    }
                    if f.out_of_district {
                        add("out_of_district", 1);
                    }
                }
                Channel::Online => {
                    add("online", 1);
                    add("network", 1);
                }
                Channel::Phone => {
                    add("phone", 1);
                    add("network", 1);
                }
            }
            add(if f.repeat { "repeat" } else { "first" }, 1);
            if let s @ ("forwarded_by_higher_organ"
            | "assigned_by_higher_organ"
            | "instructed_by_local_leader"
            | "hotline_12345") = f.source_kind.as_str()
            {
                add(s, 1);
            }
            if !f.township.is_empty() {
                add(&format!("township:{}", f.township), 1);
            }
            if let Some(c) = f.category.as_deref().filter(|c| !c.is_empty()) {
                add(&format!("category:{}", category_first_level(c)), 1);
                add(&format!("category_detail:{c}"), 1);
            }
            if let Some(p) = f.purpose.as_deref().filter(|p| !p.is_empty()) {
                add(&format!("purpose:{p}"), 1);
            }
            if let Some(c) = f.petition_class.as_deref().filter(|c| !c.is_empty()) {
                add(&format!("petition_class:{c}"), 1);
            }
            if let Some(u) = f.accused_unit_id.as_deref().filter(|u| !u.is_empty()) {
                add(&format!("accused_unit:{u}"), 1);
            }
        }
        if let Some((on, acceptance)) = f.decision
            && period.contains(on)
        {
            add(
                match acceptance {
                    Acceptance::Accepted => "accepted",
                    Acceptance::NotAccepted => "not_accepted",
                    Acceptance::NoLongerAccepted => "no_longer_accepted",
                    Acceptance::ReferredToLocality | Acceptance::ReferredToDepartment => "referred",
                },
                1,
            );
        }
        // Each way once per petition, on the day it first took effect; each unit once, on the day
        // it first received the petition: one anchor each, so months still add up to the year.
        let mut ways: BTreeMap<&str, NaiveDate> = BTreeMap::new();
        for (on, d) in &f.dispositions {
            let e = ways.entry(d.as_str()).or_insert(*on);
            *e = (*e).min(*on);
        }
        for (way, on) in ways {
            if period.contains(on) {
                add(&format!("disposed:{way}"), 1);
            }
        }
        let mut received: BTreeMap<&str, NaiveDate> = BTreeMap::new();
        for r in &f.records {
            let e = received.entry(r.unit_id.as_str()).or_insert(r.sent_on);
            *e = (*e).min(r.sent_on);
        }
        for (unit, on) in received {
            if period.contains(on) {
                add(&format!("unit_received:{unit}"), 1);
            }
        }
        if let Some(on) = f.closed_on
            && period.contains(on)
        {
            add("closed", 1);
            if f.closure_due.is_none_or(|due| on <= due) {
                add("closed_on_time", 1);
            }
        }
        let mark = f.registered_on + Duration::days(TIMELY_ACCEPTANCE_DAYS);
        if period.contains(mark) {
            add("acceptance_due", 1);
            if f.decision.is_some_and(|(on, _)| on <= mark) {
                add("accepted_in_time", 1);
            }
        }
        if let Some(due) = f.closure_due
            && period.contains(due)
        {
            add("closure_due", 1);
            if f.closed_on.is_some_and(|on| on <= due) {
                add("closure_due_met", 1);
            }
        }
        // Anchored on the opinion's delivery: rated by the period's end, and satisfied.
        if let Some(r) = &f.rating
            && period.contains(r.eligible_on)
        {
            add("rating_eligible", 1);
            if r.rated_on.is_some_and(|on| on <= period.to) {
                add("rated", 1);
                if r.satisfied {
                    add("satisfied", 1);
                }
            }
        }
        // Per unit and petition once, on the last of its deadlines there; overdue when any of
        // them was not met by its due date.
        let mut owed: BTreeMap<&str, (NaiveDate, bool)> = BTreeMap::new();
        for d in &f.unit_deadlines {
            let missed = d.met_on.is_none_or(|m| m > d.due_on);
            let e = owed.entry(d.unit_id.as_str()).or_insert((d.due_on, missed));
            e.0 = e.0.max(d.due_on);
            e.1 |= missed;
        }
        for (unit, (due, missed)) in owed {
            if period.contains(due) {
                add(&format!("unit_deadlines_due:{unit}"), 1);
                if missed {
                    add(&format!("unit_overdue:{unit}"), 1);
                }
            }
        }
        out
    }

    proptest! {
        #[test]
        fn dated_contributions_filtered_by_a_period_are_the_old_definition(
            all in proptest::collection::vec(arb_facts(), 0..20),
            rated in proptest::collection::vec(proptest::option::of((0i64..200, proptest::option::of(-20i64..200), any::<bool>())), 20),
            from in 0i64..1000,
            len in 0i64..400,
        ) {
            let base = d("2025-03-01");
            let period = Period::range(base + Duration::days(from), base + Duration::days(from + len)).unwrap();
            for (mut f, r) in all.into_iter().zip(rated) {
                f.rating = r.map(|(e, on, satisfied)| RatingFact {
                    eligible_on: f.registered_on + Duration::days(e),
                    rated_on: on.map(|o| f.registered_on + Duration::days(e + o)),
                    satisfied,
                });
                let mut new = contributions(&f, &period);
                // The old definition counted the petitions read up to the period's end.
                let mut old = if f.registered_on <= period.to { old_contributions(&f, &period) } else { Vec::new() };
                new.sort();
                old.sort();
                prop_assert_eq!(new, old);
                let keys: BTreeSet<String> = dated_contributions(&f).into_iter().map(|d| d.key).collect();
                prop_assert_eq!(keys.len(), dated_contributions(&f).len(), "each key once");
            }
        }

        #[test]
        fn months_add_up_to_the_year_and_drill_downs_to_their_figures(
            all in proptest::collection::vec(arb_facts(), 0..40),
            start_day in prop_oneof![Just(1u32), Just(21u32), 2u32..=28],
        ) {
            let s = MonthStart::new(start_day).unwrap();
            for year in [2025, 2026] {
                let y = Period::named(PeriodKind::Year, year, 1, s).unwrap();
                let whole = tally(&all, &y);
                let mut sum: BTreeMap<String, i64> = BTreeMap::new();
                for m in y.months(s) {
                    for (k, n) in tally(&all, &m).0 {
                        *sum.entry(k).or_insert(0) += n;
                    }
                }
                prop_assert_eq!(&whole.0, &sum);
                for q in 1..=4 {
                    let q = Period::named(PeriodKind::Quarter, year, q, s).unwrap();
                    prop_assert_eq!(q.months(s).first().unwrap().from, q.from);
                }
                for (key, n) in &whole.0 {
                    let rows = members(&all, &y, key);
                    let weight: i64 = if figure_of(key).unwrap().measure == Measure::Persons {
                        rows.iter().map(|f| f.persons.max(1)).sum()
                    } else {
                        rows.len() as i64
                    };
                    prop_assert_eq!(weight, *n, "{}", key);
                }
            }
        }

        #[test]
        fn every_day_falls_in_the_statistical_month_that_holds_it(start_day in 1u32..=28, days in 0i64..36_000) {
            let s = MonthStart::new(start_day).unwrap();
            let day = d("2001-01-01") + Duration::days(days);
            let m = Period::month_of(day, s);
            prop_assert!(m.contains(day), "{day} not in {m:?}");
            prop_assert_eq!(Period::named(PeriodKind::Month, m.year, m.index, s).unwrap(), m);
        }

        #[test]
        fn consecutive_months_tile_the_year(start_day in 1u32..=28, year in 2001i32..2099) {
            let s = MonthStart::new(start_day).unwrap();
            let y = Period::named(PeriodKind::Year, year, 1, s).unwrap();
            let months = y.months(s);
            prop_assert_eq!(months.len(), 12);
            prop_assert_eq!(months[0].from, y.from);
            prop_assert_eq!(months[11].to, y.to);
            for w in months.windows(2) {
                prop_assert_eq!(w[0].to + Duration::days(1), w[1].from);
                prop_assert_eq!(w[1].previous(s), w[0]);
            }
            prop_assert_eq!(Period::named(PeriodKind::Month, year, 1, s).unwrap().previous(s).to + Duration::days(1), y.from);
        }
    }
}
