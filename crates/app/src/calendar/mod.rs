//! The official calendar and deadline computation (rules §2, §12).

use serde::{Deserialize, Serialize};
use xinfang_domain::calendar::{OfficialCalendar, YearNotice, validate_notice};
use xinfang_domain::role::Role;
use xinfang_domain::{FieldError, deadline};

use crate::auth::CurrentUser;
use crate::context::AppState;
use crate::error::{AppError, AppResult};

// ---------------------------------------------------------------------------------------------
// The official calendar and deadlines (rules §2, §12)

/// The bureau's working-day calendar. Read from the database on each use (a few small rows), so
/// an administrator's change applies at once, on every instance.
pub async fn calendar(state: &AppState) -> AppResult<OfficialCalendar> {
    Ok(OfficialCalendar::with_notices(
        state.store.calendar_notices(&state.bureau.id).await?,
    ))
}

/// One year's State Council holiday notice as entered.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CalendarNoticeInput {
    /// Days off (放假), YYYY-MM-DD; the weekends inside a break may be listed or not.
    pub holidays: Vec<String>,
    /// Saturdays and Sundays that are working days (调休上班), YYYY-MM-DD.
    pub makeup_workdays: Vec<String>,
}

/// More dates than any notice has: a guard against pasting the wrong thing.
const MAX_NOTICE_DATES: usize = 120;

fn parse_notice_dates(
    field: &str,
    label: &str,
    raw: &[String],
    errors: &mut Vec<FieldError>,
) -> Vec<chrono::NaiveDate> {
    if raw.len() > MAX_NOTICE_DATES {
        errors.push(FieldError::new(
            field,
            "too_many_dates",
            format!("{label}最多 {MAX_NOTICE_DATES} 个日期"),
        ));
        return Vec::new();
    }
    let mut dates = Vec::new();
    for (i, s) in raw.iter().enumerate() {
        match xinfang_domain::registration::parse_date(&format!("{field}[{i}]"), s) {
            Ok(d) => dates.push(d),
            Err(mut e) => {
                e.message = format!("{label}第 {} 项：{}", i + 1, e.message);
                errors.push(e);
            }
        }
    }
    dates
}

/// Parses and checks a notice ([`xinfang_domain::calendar::validate_notice`]); the dates come
/// back sorted, without repeats.
pub fn parse_calendar_notice(
    year: &str,
    input: &CalendarNoticeInput,
) -> Result<YearNotice, Vec<FieldError>> {
    let mut errors = Vec::new();
    let year = match year.trim().parse::<i32>() {
        Ok(y) if year.trim().len() == 4 => Some(y),
        _ => {
            errors.push(FieldError::new(
                "year",
                "invalid_year",
                format!("年份「{}」无效，应为四位数字，如 2027", year.trim()),
            ));
            None
        }
    };
    let holidays = parse_notice_dates("holidays", "放假日期", &input.holidays, &mut errors);
    let makeup_workdays = parse_notice_dates(
        "makeup_workdays",
        "调休上班日",
        &input.makeup_workdays,
        &mut errors,
    );
    if input.holidays.is_empty() {
        errors.push(FieldError::new(
            "holidays",
            "required",
            "请填写放假日期（元旦、春节、清明节、劳动节、端午节、中秋节、国庆节）",
        ));
    }
    let Some(year) = year.filter(|_| errors.is_empty()) else {
        return Err(errors);
    };
    let mut notice = YearNotice {
        year,
        holidays,
        makeup_workdays,
    };
    // Field paths name the entries as entered: check before sorting.
    validate_notice(&notice).map_err(|e| vec![e])?;
    for dates in [&mut notice.holidays, &mut notice.makeup_workdays] {
        dates.sort();
        dates.dedup();
    }
    Ok(notice)
}

/// Adds or corrects one year's notice (administrators only) inside the caller's transaction,
/// with its audit entry; the caller commits. `deadlines::enter_calendar_notice` is the use case:
/// it also recomputes the running deadlines that run through the year.
pub async fn save_calendar_notice_in(
    state: &AppState,
    tx: &mut xinfang_store::WriteTx,
    admin: &CurrentUser,
    year: &str,
    input: &CalendarNoticeInput,
) -> AppResult<YearNotice> {
    admin.require(&[Role::Admin])?;
    let notice = parse_calendar_notice(year, input)?;
    let previous = state
        .store
        .calendar_notices(&state.bureau.id)
        .await?
        .into_iter()
        .find(|n| n.year == notice.year);
    let now = state.clock.now();
    state
        .store
        .upsert_calendar_notice(tx, &state.bureau.id, &notice, &admin.user.id, now)
        .await?;
    state
        .store
        .audit(
            tx,
            &state.bureau.id,
            Some(&admin.user.id),
            "calendar_notice_saved",
            &serde_json::json!({
                "year": notice.year,
                "holidays": notice.holidays,
                "makeup_workdays": notice.makeup_workdays,
                "previous": previous,
            }),
            now,
        )
        .await?;
    Ok(notice)
}

/// An explicit period to count from a start date.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DeadlineInput {
    /// The day of the starting event, YYYY-MM-DD (China Standard Time); it is not counted.
    pub start: String,
    /// The period in days, 0 to 3650.
    pub days: Option<i64>,
    /// `calendar` (自然日: start + days, a non-working last day rolls forward to the next working
    /// day; the default) or `working` (工作日: the days-th working day after the start).
    pub mode: String,
    /// Instead of `days` and `mode`: a deadline rule's code (e.g. `handle_and_close`), counted
    /// with the rule's current period and mode.
    pub rule: Option<String>,
}

/// Longest period accepted: ten years.
const MAX_DEADLINE_DAYS: i64 = 3650;

/// The due date of a period on the bureau's official calendar (rules §2): the one computation
/// every stored deadline comes from.
pub async fn compute_deadline(
    state: &AppState,
    input: &DeadlineInput,
) -> AppResult<chrono::NaiveDate> {
    let mut errors = Vec::new();
    let start = match xinfang_domain::registration::parse_date("start", &input.start) {
        Ok(d) => Some(d),
        Err(mut e) => {
            e.message = format!("起算日期：{}", e.message);
            errors.push(e);
            None
        }
    };
    let rule_code = input
        .rule
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(code) = rule_code {
        if input.days.is_some() || !input.mode.trim().is_empty() {
            errors.push(FieldError::new(
                "rule",
                "rule_or_days",
                "请只指定期限规则（rule），或只指定天数和计算方式（days、mode），不能同时指定",
            ));
        }
        let rule = state
            .store
            .deadline_rule(&state.bureau.id, code, None)
            .await;
        let (Some(start), Ok(rule), true) = (start, &rule, errors.is_empty()) else {
            if rule.is_err() {
                errors.push(FieldError::new(
                    "rule",
                    "unknown_rule",
                    format!("未知的期限规则：{code}"),
                ));
            }
            return Err(AppError::Invalid(errors));
        };
        return Ok(deadline::due_date(
            &calendar(state).await?,
            start,
            rule.days,
            rule.mode,
        ));
    }
    let days = match input.days {
        None => {
            errors.push(FieldError::new(
                "days",
                "required",
                format!("请填写期限天数（0 至 {MAX_DEADLINE_DAYS}）"),
            ));
            None
        }
        Some(d) => match u32::try_from(d) {
            Ok(d) if i64::from(d) <= MAX_DEADLINE_DAYS => Some(d),
            _ => {
                errors.push(FieldError::new(
                    "days",
                    "days_out_of_range",
                    format!("期限天数 {d} 无效，应在 0 至 {MAX_DEADLINE_DAYS} 之间"),
                ));
                None
            }
        },
    };
    let mode = match input.mode.trim() {
        "" | "calendar" => Some(deadline::CountingMode::Calendar),
        "working" => Some(deadline::CountingMode::Working),
        other => {
            errors.push(FieldError::new(
                "mode",
                "unknown_mode",
                format!("计算方式「{other}」无效，应为 calendar（自然日）或 working（工作日）"),
            ));
            None
        }
    };
    let (Some(start), Some(days), Some(mode)) = (start, days, mode) else {
        return Err(AppError::Invalid(errors));
    };
    Ok(deadline::due_date(
        &calendar(state).await?,
        start,
        days,
        mode,
    ))
}

/// The holiday notices entered so far, one per year.
pub async fn notices(state: &AppState) -> AppResult<Vec<YearNotice>> {
    Ok(state.store.calendar_notices(&state.bureau.id).await?)
}
