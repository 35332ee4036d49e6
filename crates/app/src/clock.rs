//! Time is injected: the server uses the system clock, tests a manual one. Deadlines and
//! "today" are China Standard Time whatever the server's zone.

use std::sync::Mutex;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }
    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[allow(clippy::expect_used, reason = "a constant offset, not input")]
pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// Local (China Standard Time) wall-clock time.
pub fn local(t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&cst()).naive_local()
}

pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    local(t).date()
}

/// A CST wall-clock time as UTC. Saturates at the ends of chrono's range instead of
/// panicking (parsing bounds the years anyway).
pub fn from_local(t: NaiveDateTime) -> DateTime<Utc> {
    t.checked_sub_signed(chrono::Duration::hours(8))
        .unwrap_or(NaiveDateTime::MIN)
        .and_utc()
}

/// Formats a stored UTC RFC 3339 timestamp as CST "2026-11-27 09:30".
pub fn show(ts: &str) -> String {
    DateTime::parse_from_rfc3339(ts)
        .map(|t| t.with_timezone(&cst()).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| ts.to_string())
}
