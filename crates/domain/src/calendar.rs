//! The official working-day calendar (rules.md §2, §12): Monday to Friday are working days,
//! Saturday and Sunday are not, except as the State Council General Office's yearly notice
//! (国务院办公厅关于部分节假日安排的通知) says: its holidays are days off, its make-up working days
//! (调休上班日, always a Saturday or Sunday) are working days.
//!
//! Each notice appears in November for the next year and an administrator enters it; 2020–2026
//! ship with the system. A year without a notice falls back to plain weekends ([`OfficialCalendar::covers`]
//! tells whether a year is known).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// One year's notice. Dates may reach a few days into the neighbouring years (the 2023 notice's
/// 元旦 break ran 2022-12-31 to 2023-01-02).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearNotice {
    pub year: i32,
    /// Days off (放假), weekends inside a break included or not: either is fine.
    pub holidays: Vec<NaiveDate>,
    /// Saturdays and Sundays that are working days (调休上班).
    pub makeup_workdays: Vec<NaiveDate>,
}

impl YearNotice {
    /// See [`validate_notice`].
    pub fn validate(&self) -> Result<(), FieldError> {
        validate_notice(self)
    }
}

/// How far outside its own year a notice's dates may reach.
const NEIGHBOUR_DAYS: u64 = 7;

pub(crate) fn weekday_zh(d: NaiveDate) -> &'static str {
    match d.weekday() {
        Weekday::Mon => "星期一",
        Weekday::Tue => "星期二",
        Weekday::Wed => "星期三",
        Weekday::Thu => "星期四",
        Weekday::Fri => "星期五",
        Weekday::Sat => "星期六",
        Weekday::Sun => "星期日",
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Checks a notice an administrator entered: the year is plausible; every date lies in the year
/// or at most 7 days outside it; every make-up working day is a Saturday or Sunday; no date is
/// both a holiday and a make-up working day. Field paths are `year`, `holidays[i]`,
/// `makeup_workdays[i]`.
pub fn validate_notice(notice: &YearNotice) -> Result<(), FieldError> {
    let year = notice.year;
    let bounds = (1949..=9999)
        .contains(&year)
        .then(|| {
            let first = NaiveDate::from_ymd_opt(year, 1, 1)?;
            let last = NaiveDate::from_ymd_opt(year, 12, 31)?;
            Some((
                first.checked_sub_days(Days::new(NEIGHBOUR_DAYS))?,
                last.checked_add_days(Days::new(NEIGHBOUR_DAYS))?,
            ))
        })
        .flatten();
    let Some((earliest, latest)) = bounds else {
        return Err(FieldError::new(
            "year",
            "notice_year",
            format!("节假日安排的年份 {year} 不合理"),
        ));
    };
    let in_range = |field: String, d: NaiveDate| {
        if d < earliest || d > latest {
            Err(FieldError::new(
                field,
                "notice_date_out_of_range",
                format!(
                    "日期 {d} 不在 {year} 年内（最多可跨到相邻年份 {NEIGHBOUR_DAYS} 天：{earliest} 至 {latest}）"
                ),
            ))
        } else {
            Ok(())
        }
    };
    for (i, d) in notice.holidays.iter().enumerate() {
        in_range(format!("holidays[{i}]"), *d)?;
    }
    let holidays: BTreeSet<NaiveDate> = notice.holidays.iter().copied().collect();
    for (i, d) in notice.makeup_workdays.iter().enumerate() {
        let field = format!("makeup_workdays[{i}]");
        in_range(field.clone(), *d)?;
        if !is_weekend(*d) {
            return Err(FieldError::new(
                field,
                "notice_makeup_not_weekend",
                format!(
                    "调休上班日 {d} 是{}，调休上班日只能是星期六或星期日",
                    weekday_zh(*d)
                ),
            ));
        }
        if holidays.contains(d) {
            return Err(FieldError::new(
                field,
                "notice_date_conflict",
                format!("日期 {d} 不能既是放假日又是调休上班日"),
            ));
        }
    }
    Ok(())
}

/// The working-day calendar built from year notices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficialCalendar {
    notices: BTreeMap<i32, YearNotice>,
    holidays: BTreeSet<NaiveDate>,
    makeup_workdays: BTreeSet<NaiveDate>,
}

impl Default for OfficialCalendar {
    fn default() -> Self {
        Self::shipped()
    }
}

impl OfficialCalendar {
    /// The calendar with the notices for 2020–2026 that ship with the system.
    pub fn shipped() -> Self {
        Self::with_notices(shipped_notices())
    }

    /// A calendar with no notices at all: plain weekends.
    pub fn weekends_only() -> Self {
        Self::with_notices(Vec::new())
    }

    /// A calendar from the given notices (not validated: see [`validate_notice`]). If a year
    /// appears twice the later notice replaces the earlier; where two notices disagree about a
    /// date (a neighbouring-year overlap), the notice for the later year wins.
    pub fn with_notices(notices: Vec<YearNotice>) -> Self {
        let mut cal = OfficialCalendar {
            notices: BTreeMap::new(),
            holidays: BTreeSet::new(),
            makeup_workdays: BTreeSet::new(),
        };
        for n in notices {
            cal.notices.insert(n.year, n);
        }
        cal.rebuild();
        cal
    }

    /// Adds or replaces one year's notice.
    pub fn insert(&mut self, notice: YearNotice) {
        self.notices.insert(notice.year, notice);
        self.rebuild();
    }

    fn rebuild(&mut self) {
        self.holidays.clear();
        self.makeup_workdays.clear();
        for n in self.notices.values() {
            for d in &n.holidays {
                self.makeup_workdays.remove(d);
                self.holidays.insert(*d);
            }
            for d in &n.makeup_workdays {
                self.holidays.remove(d);
                self.makeup_workdays.insert(*d);
            }
        }
    }

    /// The notices, in year order.
    pub fn notices(&self) -> impl Iterator<Item = &YearNotice> {
        self.notices.values()
    }

    pub fn notice(&self, year: i32) -> Option<&YearNotice> {
        self.notices.get(&year)
    }

    /// Whether the notice for `year` is known. Without it, that year's holidays are unknown and
    /// deadlines in it count weekends only.
    pub fn covers(&self, year: i32) -> bool {
        self.notices.contains_key(&year)
    }

    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holidays.contains(&date)
    }

    pub fn is_makeup_workday(&self, date: NaiveDate) -> bool {
        self.makeup_workdays.contains(&date)
    }

    /// Monday to Friday unless a holiday; Saturday and Sunday only as make-up working days.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.makeup_workdays.contains(&date) {
            return true;
        }
        if self.holidays.contains(&date) {
            return false;
        }
        !is_weekend(date)
    }

    /// `date` itself if it is a working day, else the next one. Saturates at the end of
    /// representable time.
    pub fn roll_forward(&self, date: NaiveDate) -> NaiveDate {
        let mut d = date;
        while !self.is_working_day(d) {
            match d.succ_opt() {
                Some(next) => d = next,
                None => break,
            }
        }
        d
    }

    /// The number of working days in `(from, to]`: the start day is not counted, the end day
    /// is. Zero when `to <= from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u64 {
        let mut count = 0;
        let mut d = from;
        while d < to {
            match d.succ_opt() {
                Some(next) => d = next,
                None => break,
            }
            if self.is_working_day(d) {
                count += 1;
            }
        }
        count
    }

    /// The last date any notice says something special about: past it, every week has exactly
    /// five working days.
    pub(crate) fn last_special_date(&self) -> Option<NaiveDate> {
        let h = self.holidays.last().copied();
        let m = self.makeup_workdays.last().copied();
        h.max(m)
    }
}

/// Inclusive date range `(from, to)` as `(y, m, d)` triples.
type Span = ((i32, u32, u32), (i32, u32, u32));

struct ShippedYear {
    year: i32,
    holidays: &'static [Span],
    makeup_workdays: &'static [(i32, u32, u32)],
}

/// The State Council General Office notices for 2020–2026 (and the 2020 Spring Festival
/// extension), cross-checked against the `chinese-calendar` package's data.
const SHIPPED: &[ShippedYear] = &[
    // 国办发明电〔2019〕16号; Spring Festival extended to 02-02 by 国办发明电〔2020〕1号, which also
    // cancelled the make-up working day on Saturday 02-01.
    ShippedYear {
        year: 2020,
        holidays: &[
            ((2020, 1, 1), (2020, 1, 1)),
            ((2020, 1, 24), (2020, 2, 2)),
            ((2020, 4, 4), (2020, 4, 6)),
            ((2020, 5, 1), (2020, 5, 5)),
            ((2020, 6, 25), (2020, 6, 27)),
            ((2020, 10, 1), (2020, 10, 8)),
        ],
        makeup_workdays: &[
            (2020, 1, 19),
            (2020, 4, 26),
            (2020, 5, 9),
            (2020, 6, 28),
            (2020, 9, 27),
            (2020, 10, 10),
        ],
    },
    // 国办发明电〔2020〕27号
    ShippedYear {
        year: 2021,
        holidays: &[
            ((2021, 1, 1), (2021, 1, 3)),
            ((2021, 2, 11), (2021, 2, 17)),
            ((2021, 4, 3), (2021, 4, 5)),
            ((2021, 5, 1), (2021, 5, 5)),
            ((2021, 6, 12), (2021, 6, 14)),
            ((2021, 9, 19), (2021, 9, 21)),
            ((2021, 10, 1), (2021, 10, 7)),
        ],
        makeup_workdays: &[
            (2021, 2, 7),
            (2021, 2, 20),
            (2021, 4, 25),
            (2021, 5, 8),
            (2021, 9, 18),
            (2021, 9, 26),
            (2021, 10, 9),
        ],
    },
    // 国办发明电〔2021〕11号
    ShippedYear {
        year: 2022,
        holidays: &[
            ((2022, 1, 1), (2022, 1, 3)),
            ((2022, 1, 31), (2022, 2, 6)),
            ((2022, 4, 3), (2022, 4, 5)),
            ((2022, 4, 30), (2022, 5, 4)),
            ((2022, 6, 3), (2022, 6, 5)),
            ((2022, 9, 10), (2022, 9, 12)),
            ((2022, 10, 1), (2022, 10, 7)),
        ],
        makeup_workdays: &[
            (2022, 1, 29),
            (2022, 1, 30),
            (2022, 4, 2),
            (2022, 4, 24),
            (2022, 5, 7),
            (2022, 10, 8),
            (2022, 10, 9),
        ],
    },
    // 国办发明电〔2022〕16号
    ShippedYear {
        year: 2023,
        holidays: &[
            ((2022, 12, 31), (2023, 1, 2)),
            ((2023, 1, 21), (2023, 1, 27)),
            ((2023, 4, 5), (2023, 4, 5)),
            ((2023, 4, 29), (2023, 5, 3)),
            ((2023, 6, 22), (2023, 6, 24)),
            ((2023, 9, 29), (2023, 10, 6)),
        ],
        makeup_workdays: &[
            (2023, 1, 28),
            (2023, 1, 29),
            (2023, 4, 23),
            (2023, 5, 6),
            (2023, 6, 25),
            (2023, 10, 7),
            (2023, 10, 8),
        ],
    },
    // 国办发明电〔2023〕7号
    ShippedYear {
        year: 2024,
        holidays: &[
            ((2023, 12, 30), (2024, 1, 1)),
            ((2024, 2, 10), (2024, 2, 17)),
            ((2024, 4, 4), (2024, 4, 6)),
            ((2024, 5, 1), (2024, 5, 5)),
            ((2024, 6, 10), (2024, 6, 10)),
            ((2024, 9, 15), (2024, 9, 17)),
            ((2024, 10, 1), (2024, 10, 7)),
        ],
        makeup_workdays: &[
            (2024, 2, 4),
            (2024, 2, 18),
            (2024, 4, 7),
            (2024, 4, 28),
            (2024, 5, 11),
            (2024, 9, 14),
            (2024, 9, 29),
            (2024, 10, 12),
        ],
    },
    // 国办发明电〔2024〕12号 (rules.md §12)
    ShippedYear {
        year: 2025,
        holidays: &[
            ((2025, 1, 1), (2025, 1, 1)),
            ((2025, 1, 28), (2025, 2, 4)),
            ((2025, 4, 4), (2025, 4, 6)),
            ((2025, 5, 1), (2025, 5, 5)),
            ((2025, 5, 31), (2025, 6, 2)),
            ((2025, 10, 1), (2025, 10, 8)),
        ],
        makeup_workdays: &[
            (2025, 1, 26),
            (2025, 2, 8),
            (2025, 4, 27),
            (2025, 9, 28),
            (2025, 10, 11),
        ],
    },
    // Notice dated 2025-11-04 (rules.md §12)
    ShippedYear {
        year: 2026,
        holidays: &[
            ((2026, 1, 1), (2026, 1, 3)),
            ((2026, 2, 15), (2026, 2, 23)),
            ((2026, 4, 4), (2026, 4, 6)),
            ((2026, 5, 1), (2026, 5, 5)),
            ((2026, 6, 19), (2026, 6, 21)),
            ((2026, 9, 25), (2026, 9, 27)),
            ((2026, 10, 1), (2026, 10, 7)),
        ],
        makeup_workdays: &[
            (2026, 1, 4),
            (2026, 2, 14),
            (2026, 2, 28),
            (2026, 5, 9),
            (2026, 9, 20),
            (2026, 10, 10),
        ],
    },
];

fn ymd((y, m, d): (i32, u32, u32)) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// The notices that ship with the system, as editable data (e.g. to show on the admin page).
pub fn shipped_notices() -> Vec<YearNotice> {
    SHIPPED
        .iter()
        .map(|y| YearNotice {
            year: y.year,
            holidays: y
                .holidays
                .iter()
                .filter_map(|&(from, to)| Some((ymd(from)?, ymd(to)?)))
                .flat_map(|(from, to)| from.iter_days().take_while(move |d| *d <= to))
                .collect(),
            makeup_workdays: y.makeup_workdays.iter().filter_map(|&d| ymd(d)).collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    #[test]
    fn calendar_shipped_notices_are_valid_and_cover_2020_to_2026() {
        let cal = OfficialCalendar::shipped();
        for n in shipped_notices() {
            assert_eq!(validate_notice(&n), Ok(()), "{}", n.year);
        }
        for y in 2020..=2026 {
            assert!(cal.covers(y), "{y}");
        }
        assert!(!cal.covers(2019));
        assert!(!cal.covers(2027));
    }

    #[test]
    fn calendar_every_shipped_makeup_day_is_a_weekend_and_not_a_holiday() {
        for n in shipped_notices() {
            for m in &n.makeup_workdays {
                assert!(is_weekend(*m), "{m}");
                assert!(!n.holidays.contains(m), "{m}");
            }
        }
    }

    #[test]
    fn calendar_shipped_holiday_counts_match_the_notices() {
        let count = |y| {
            shipped_notices()
                .into_iter()
                .find(|n| n.year == y)
                .map(|n| (n.holidays.len(), n.makeup_workdays.len()))
        };
        assert_eq!(count(2020), Some((30, 6)));
        assert_eq!(count(2021), Some((31, 7)));
        assert_eq!(count(2022), Some((31, 7)));
        assert_eq!(count(2023), Some((27, 7)));
        assert_eq!(count(2024), Some((30, 8)));
        assert_eq!(count(2025), Some((28, 5)));
        assert_eq!(count(2026), Some((33, 6)));
    }

    #[test]
    fn calendar_2026_spring_festival_and_makeup_saturdays() {
        let cal = OfficialCalendar::shipped();
        assert!(cal.is_working_day(d(2026, 2, 14))); // make-up Saturday
        assert!(cal.is_makeup_workday(d(2026, 2, 14)));
        for day in 15..=23 {
            assert!(!cal.is_working_day(d(2026, 2, day)), "02-{day}");
        }
        assert!(cal.is_holiday(d(2026, 2, 16)));
        assert!(cal.is_working_day(d(2026, 2, 24)));
        assert!(cal.is_working_day(d(2026, 2, 28))); // make-up Saturday
        assert!(!cal.is_working_day(d(2026, 3, 1))); // plain Sunday
        assert!(cal.is_working_day(d(2026, 1, 4))); // make-up Sunday
        assert!(!cal.is_working_day(d(2026, 1, 2))); // 元旦 Friday
    }

    #[test]
    fn calendar_2020_spring_festival_extension_to_february_2() {
        let cal = OfficialCalendar::shipped();
        assert!(!cal.is_working_day(d(2020, 1, 31)));
        assert!(!cal.is_working_day(d(2020, 2, 1))); // make-up day cancelled
        assert!(!cal.is_working_day(d(2020, 2, 2)));
        assert!(cal.is_working_day(d(2020, 2, 3)));
        assert!(cal.is_working_day(d(2020, 1, 19))); // make-up Sunday kept
    }

    #[test]
    fn calendar_notice_can_reach_into_previous_year() {
        let cal = OfficialCalendar::shipped();
        assert!(cal.is_holiday(d(2022, 12, 31)));
        assert!(!cal.is_working_day(d(2023, 1, 2))); // Monday, 元旦 break
        assert!(cal.is_holiday(d(2023, 12, 30)));
        assert!(!cal.is_working_day(d(2024, 1, 1)));
    }

    #[test]
    fn calendar_uncovered_year_falls_back_to_weekends() {
        let cal = OfficialCalendar::shipped();
        assert!(cal.is_working_day(d(2027, 1, 1))); // Friday; 2027 notice not entered
        assert!(!cal.is_working_day(d(2027, 1, 2))); // Saturday
        let plain = OfficialCalendar::weekends_only();
        assert!(plain.is_working_day(d(2026, 10, 1)));
        assert!(!plain.is_working_day(d(2026, 2, 14)));
    }

    #[test]
    fn calendar_insert_adds_or_replaces_a_year() {
        let mut cal = OfficialCalendar::shipped();
        cal.insert(YearNotice {
            year: 2027,
            holidays: vec![d(2027, 1, 1)],
            makeup_workdays: vec![d(2027, 1, 9)],
        });
        assert!(cal.covers(2027));
        assert!(!cal.is_working_day(d(2027, 1, 1)));
        assert!(cal.is_working_day(d(2027, 1, 9)));
        cal.insert(YearNotice {
            year: 2027,
            holidays: vec![],
            makeup_workdays: vec![],
        });
        assert!(cal.is_working_day(d(2027, 1, 1)));
        assert!(!cal.is_working_day(d(2027, 1, 9)));
        assert_eq!(cal.notices().count(), 8);
        assert!(cal.notice(2027).is_some());
    }

    #[test]
    fn calendar_validate_notice_refuses_weekday_makeup_day() {
        let n = YearNotice {
            year: 2026,
            holidays: vec![d(2026, 2, 15)],
            makeup_workdays: vec![d(2026, 2, 14), d(2026, 2, 16)],
        };
        let e = validate_notice(&n).unwrap_err();
        assert_eq!(e.code, "notice_makeup_not_weekend");
        assert_eq!(e.field.as_deref(), Some("makeup_workdays[1]"));
        assert!(e.message.contains("星期一"), "{}", e.message);
    }

    #[test]
    fn calendar_validate_notice_refuses_dates_far_outside_the_year() {
        let ok = YearNotice {
            year: 2023,
            holidays: vec![d(2022, 12, 25), d(2024, 1, 7)],
            makeup_workdays: vec![],
        };
        assert_eq!(ok.validate(), Ok(()));
        let n = YearNotice {
            year: 2023,
            holidays: vec![d(2023, 5, 1), d(2022, 12, 24)],
            makeup_workdays: vec![],
        };
        let e = validate_notice(&n).unwrap_err();
        assert_eq!(e.code, "notice_date_out_of_range");
        assert_eq!(e.field.as_deref(), Some("holidays[1]"));
        let n = YearNotice {
            year: 2023,
            holidays: vec![],
            makeup_workdays: vec![d(2024, 1, 13)],
        };
        assert_eq!(
            validate_notice(&n).unwrap_err().code,
            "notice_date_out_of_range"
        );
    }

    #[test]
    fn calendar_validate_notice_refuses_date_both_holiday_and_makeup() {
        let n = YearNotice {
            year: 2026,
            holidays: vec![d(2026, 2, 14)],
            makeup_workdays: vec![d(2026, 2, 14)],
        };
        assert_eq!(
            validate_notice(&n).unwrap_err().code,
            "notice_date_conflict"
        );
    }

    #[test]
    fn calendar_validate_notice_refuses_absurd_year() {
        for year in [0, 1900, 10_000, i32::MAX, i32::MIN] {
            let n = YearNotice {
                year,
                holidays: vec![],
                makeup_workdays: vec![],
            };
            assert_eq!(
                validate_notice(&n).unwrap_err().code,
                "notice_year",
                "{year}"
            );
        }
    }

    #[test]
    fn calendar_working_days_between_excludes_start_includes_end() {
        let cal = OfficialCalendar::shipped();
        assert_eq!(cal.working_days_between(d(2026, 9, 30), d(2026, 10, 13)), 5);
        assert_eq!(cal.working_days_between(d(2026, 3, 2), d(2026, 3, 2)), 0);
        assert_eq!(cal.working_days_between(d(2026, 3, 2), d(2026, 3, 1)), 0);
        assert_eq!(cal.working_days_between(d(2026, 3, 1), d(2026, 3, 2)), 1);
    }

    #[test]
    fn calendar_notice_round_trips_through_json() {
        let n = &shipped_notices()[6];
        let json = serde_json::to_string(n).unwrap();
        assert!(json.contains("\"2026-02-14\""));
        let back: YearNotice = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, n);
    }
}
