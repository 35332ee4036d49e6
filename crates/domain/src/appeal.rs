//! The petitioner's appeals (lifecycle §3; 2005 Art. 34, 35): 复查 (re-examination) within 30
//! days of receiving the written handling opinion, 复核 (re-check) within 30 days of receiving the
//! 复查 opinion; each decided within 30 days (复核 hearing time excluded). After 复核, or when a
//! window lapses unused, the matter is final (三级终结).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::OfficialCalendar;
use crate::deadline::{CountingMode, date_zh, due_date};
use crate::error::FieldError;

/// Days to ask, and days to decide.
pub const REQUEST_WINDOW_DAYS: u32 = 30;
pub const DECISION_DAYS: u32 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppealLevel {
    /// 复查
    Reexamination,
    /// 复核
    Recheck,
}

impl AppealLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AppealLevel::Reexamination => "reexamination",
            AppealLevel::Recheck => "recheck",
        }
    }

    pub fn parse(s: &str) -> Option<AppealLevel> {
        [AppealLevel::Reexamination, AppealLevel::Recheck]
            .into_iter()
            .find(|l| l.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            AppealLevel::Reexamination => "复查",
            AppealLevel::Recheck => "复核",
        }
    }

    /// The opinion this level contests.
    pub fn contested_zh(self) -> &'static str {
        match self {
            AppealLevel::Reexamination => "书面处理意见",
            AppealLevel::Recheck => "复查意见",
        }
    }
}

/// The last day a request may be made, counted from the day the contested opinion was received.
pub fn window_closes(cal: &OfficialCalendar, opinion_received_on: NaiveDate) -> NaiveDate {
    due_date(
        cal,
        opinion_received_on,
        REQUEST_WINDOW_DAYS,
        CountingMode::Calendar,
    )
}

/// The decision's due date: 30 days from the request's receipt, plus hearing days (复核).
pub fn decision_due(
    cal: &OfficialCalendar,
    requested_on: NaiveDate,
    hearing_days: u32,
) -> NaiveDate {
    due_date(
        cal,
        requested_on,
        DECISION_DAYS.saturating_add(hearing_days),
        CountingMode::Calendar,
    )
}

/// What is known about a petition's appeals so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppealHistory {
    /// The day the petitioner received the written handling opinion.
    pub opinion_served_on: Option<NaiveDate>,
    /// 复查: requested, and the day its opinion was received.
    pub reexamination: Option<(NaiveDate, Option<NaiveDate>)>,
    /// 复核: requested, and the day its opinion was received.
    pub recheck: Option<(NaiveDate, Option<NaiveDate>)>,
}

/// Judges a request for `level` made on `requested_on`. Returns the day the window closed.
pub fn check_request(
    cal: &OfficialCalendar,
    history: &AppealHistory,
    level: AppealLevel,
    requested_on: NaiveDate,
    today: NaiveDate,
) -> Result<NaiveDate, FieldError> {
    if requested_on > today {
        return Err(FieldError::new(
            "requested_on",
            "in_future",
            "申请日期不能晚于今天",
        ));
    }
    let contested = match level {
        AppealLevel::Reexamination => {
            if history.reexamination.is_some() {
                return Err(FieldError::new(
                    "level",
                    "already_requested",
                    "已申请过复查，不能再次申请复查",
                ));
            }
            history.opinion_served_on
        }
        AppealLevel::Recheck => {
            if history.recheck.is_some() {
                return Err(FieldError::new(
                    "level",
                    "already_requested",
                    "已申请过复核，复核意见为终结意见",
                ));
            }
            match history.reexamination {
                None => {
                    return Err(FieldError::new(
                        "level",
                        "reexamination_first",
                        "须先经复查，方可申请复核",
                    ));
                }
                Some((_, received)) => received,
            }
        }
    };
    let Some(received) = contested else {
        return Err(FieldError::new(
            "level",
            "no_opinion",
            format!(
                "{}尚未送达信访人，不能申请{}",
                level.contested_zh(),
                level.label_zh()
            ),
        ));
    };
    if requested_on < received {
        return Err(FieldError::new(
            "requested_on",
            "before_opinion",
            format!("申请日期早于{}送达日期", level.contested_zh()),
        ));
    }
    let closes = window_closes(cal, received);
    if requested_on > closes {
        return Err(FieldError::new(
            "requested_on",
            "window_closed",
            format!(
                "{}申请期限已于{}届满（自收到{}之日起30日），不予受理",
                level.label_zh(),
                date_zh(closes),
                level.contested_zh()
            ),
        ));
    }
    Ok(closes)
}

/// 三级终结: final after a 复核 opinion, or when the window after the latest opinion lapsed
/// unused.
pub fn is_final(cal: &OfficialCalendar, history: &AppealHistory, today: NaiveDate) -> bool {
    if let Some((_, Some(_))) = history.recheck {
        return true;
    }
    let latest = match (history.reexamination, history.opinion_served_on) {
        (Some((_, Some(received))), _) => Some(received),
        (Some((_, None)), _) => return false,
        (None, served) => served,
    };
    matches!(latest, Some(received) if today > window_closes(cal, received))
        && history.recheck.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn cal() -> OfficialCalendar {
        OfficialCalendar::shipped()
    }

    #[test]
    fn a_late_request_is_refused_with_the_closing_date() {
        let h = AppealHistory {
            opinion_served_on: Some(d("2026-10-09")),
            ..Default::default()
        };
        // 2026-10-09 + 30 = 2026-11-08, a Sunday → the window closes on Monday 2026-11-09.
        assert_eq!(window_closes(&cal(), d("2026-10-09")), d("2026-11-09"));
        assert!(
            check_request(
                &cal(),
                &h,
                AppealLevel::Reexamination,
                d("2026-11-09"),
                d("2026-11-27")
            )
            .is_ok()
        );
        let e = check_request(
            &cal(),
            &h,
            AppealLevel::Reexamination,
            d("2026-11-10"),
            d("2026-11-27"),
        )
        .unwrap_err();
        assert_eq!(e.code, "window_closed");
        assert!(e.message.contains("2026年11月9日"), "{}", e.message);
    }

    #[test]
    fn recheck_needs_a_reexamination_opinion_and_ends_the_matter() {
        let mut h = AppealHistory {
            opinion_served_on: Some(d("2026-09-01")),
            ..Default::default()
        };
        assert_eq!(
            check_request(
                &cal(),
                &h,
                AppealLevel::Recheck,
                d("2026-09-10"),
                d("2026-11-27")
            )
            .unwrap_err()
            .code,
            "reexamination_first"
        );
        h.reexamination = Some((d("2026-09-10"), None));
        assert!(!is_final(&cal(), &h, d("2026-11-27")));
        assert_eq!(
            check_request(
                &cal(),
                &h,
                AppealLevel::Recheck,
                d("2026-09-20"),
                d("2026-11-27")
            )
            .unwrap_err()
            .code,
            "no_opinion"
        );
        h.reexamination = Some((d("2026-09-10"), Some(d("2026-10-08"))));
        assert!(
            check_request(
                &cal(),
                &h,
                AppealLevel::Recheck,
                d("2026-10-20"),
                d("2026-11-27")
            )
            .is_ok()
        );
        h.recheck = Some((d("2026-10-20"), Some(d("2026-11-18"))));
        assert!(is_final(&cal(), &h, d("2026-11-27")));
    }

    #[test]
    fn an_unused_window_makes_the_matter_final() {
        let h = AppealHistory {
            opinion_served_on: Some(d("2026-10-09")),
            ..Default::default()
        };
        assert!(!is_final(&cal(), &h, d("2026-11-09")));
        assert!(is_final(&cal(), &h, d("2026-11-10")));
        assert!(!is_final(
            &cal(),
            &AppealHistory::default(),
            d("2026-11-10")
        ));
    }

    #[test]
    fn recheck_hearing_days_are_excluded() {
        assert_eq!(decision_due(&cal(), d("2026-11-02"), 0), d("2026-12-02"));
        assert_eq!(decision_due(&cal(), d("2026-11-02"), 10), d("2026-12-14"));
    }
}
