//! The statistics page: a period picker, the tables with 环比 and 同比, a chart drawn on the
//! server as SVG (no script, printable), every number a link to the petitions behind it; and the
//! Excel download.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use xinfang_app::statistics::{
    PeriodInput, ReleaseDecisionInput, ReleaseInput, ReleaseView, StatisticsReport,
};

use super::{Layout, S, error_page, layout};
use crate::http::auth::PageUser;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PeriodForm {
    figure: Option<String>,
    format: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
    #[serde(flatten)]
    period: PeriodInput,
}

impl PeriodForm {
    fn input(&self) -> PeriodInput {
        self.period.clone()
    }
}

/// The query string that names a report's period exactly (its dates), for links.
fn period_query(r: &xinfang_app::statistics::PeriodJson) -> String {
    if r.kind == "range" {
        format!("from={}&to={}", r.from, r.to)
    } else {
        format!("period={}&year={}&index={}", r.kind, r.year, r.index)
    }
}

/// One bar of the chart.
pub struct Bar {
    label: String,
    value: i64,
    previous: i64,
    /// Widths in the SVG's units (0–300).
    width: i64,
    previous_width: i64,
    y: i64,
}

fn percent(r: Option<f64>) -> String {
    match r {
        Some(f) => format!("{:.1}%", f * 100.0),
        None => "—".into(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "statistics/report.html")]
struct ReportPage {
    layout: Layout,
    r: StatisticsReport,
    query: String,
    bars: Vec<Bar>,
    chart_height: i64,
    kpis: Vec<(&'static str, String, String, String)>,
    releases: Vec<ReleaseView>,
    may_propose: bool,
    transfers: xinfang_app::statistics::transfers::TransferTable,
    /// The viewer files its unit's reports / chases the units' reports.
    may_file: bool,
    may_remind: bool,
    kind: String,
    year: String,
    index: String,
    from: String,
    to: String,
}

async fn report(State(state): S, PageUser(u): PageUser, Query(f): Query<PeriodForm>) -> Response {
    let r = match xinfang_app::statistics::report(&state, &u, &f.input()).await {
        Ok(r) => r,
        Err(e) => return error_page(&state, Some(&u), e),
    };
    let releases = match xinfang_app::statistics::releases(&state, &u, &f.input()).await {
        Ok(r) => r,
        Err(e) => return error_page(&state, Some(&u), e),
    };
    let transfers =
        match xinfang_app::statistics::transfers::transfer_table(&state, &u, &f.input()).await {
            Ok(t) => t,
            Err(e) => return error_page(&state, Some(&u), e),
        };
    let volume = &r.sections[0];
    let picked = ["letters", "visit_batches", "online", "phone"];
    let rows: Vec<&xinfang_app::statistics::FigureRow> = volume
        .rows
        .iter()
        .filter(|row| picked.contains(&row.key.as_str()))
        .collect();
    let max = rows
        .iter()
        .map(|r| r.value.max(r.previous))
        .max()
        .unwrap_or(0)
        .max(1);
    let bars: Vec<Bar> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| Bar {
            label: row.label.clone(),
            value: row.value,
            previous: row.previous,
            width: row.value * 300 / max,
            previous_width: row.previous * 300 / max,
            y: i as i64 * 36 + 4,
        })
        .collect();
    let kpis = r
        .kpi_rows()
        .into_iter()
        .map(|(label, a, b, c)| (label, percent(a), percent(b), percent(c)))
        .collect();
    ReportPage {
        layout: layout(&state, Some(&u), ""),
        query: period_query(&r.period),
        chart_height: bars.len() as i64 * 36 + 8,
        bars,
        kpis,
        releases,
        transfers,
        may_file: matches!(
            u.role(),
            xinfang_domain::role::Role::UnitHandler | xinfang_domain::role::Role::UnitHead
        ),
        may_remind: r.scope == "bureau"
            && matches!(
                u.role(),
                xinfang_domain::role::Role::Office
                    | xinfang_domain::role::Role::LetterClerk
                    | xinfang_domain::role::Role::Inspector
            ),
        may_propose: r.scope == "bureau"
            && matches!(
                u.role(),
                xinfang_domain::role::Role::Office
                    | xinfang_domain::role::Role::LetterClerk
                    | xinfang_domain::role::Role::Inspector
            ),
        kind: r.period.kind.clone(),
        year: r.period.year.to_string(),
        index: r.period.index.to_string(),
        from: r.period.from.to_string(),
        to: r.period.to.to_string(),
        r,
    }
    .into_response()
}

pub struct DrillRow {
    id: String,
    petition_no: String,
    channel: &'static str,
    registered_on: String,
    stage: &'static str,
    summary: String,
    /// Listed by number only: the viewer may not open it.
    number_only: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "statistics/petitions.html")]
struct DrillPage {
    layout: Layout,
    d: xinfang_app::statistics::DrillDown,
    rows: Vec<DrillRow>,
    back: String,
    /// The next page, if there is one.
    next: Option<String>,
}

async fn petitions(
    State(state): S,
    PageUser(u): PageUser,
    Query(f): Query<PeriodForm>,
) -> Response {
    let figure = f.figure.clone().unwrap_or_default();
    let page = xinfang_app::statistics::PageInput {
        cursor: f.cursor.clone(),
        limit: f.limit.clone(),
    };
    let d = match xinfang_app::statistics::drill_down(&state, &u, &f.input(), &figure, &page).await
    {
        Ok(d) => d,
        Err(e) => return error_page(&state, Some(&u), e),
    };
    let rows = d
        .rows
        .iter()
        .map(|v| DrillRow {
            id: v.id.clone(),
            petition_no: v.petition_no.clone(),
            channel: v.channel.label_zh(),
            registered_on: v.registered_on.clone(),
            stage: v.stage.label_zh(),
            summary: v.summary.chars().take(60).collect(),
            number_only: v.access() == xinfang_domain::visibility::Access::Denied,
        })
        .collect();
    let next = d.next_cursor.as_ref().map(|c| {
        format!(
            "/statistics/petitions?{}&{}",
            period_query(&d.period),
            form_urlencoded::Serializer::new(String::new())
                .append_pair("figure", &d.key)
                .append_pair("cursor", c)
                .finish()
        )
    });
    DrillPage {
        layout: layout(&state, Some(&u), ""),
        back: format!("/statistics?{}", period_query(&d.period)),
        rows,
        d,
        next,
    }
    .into_response()
}

async fn export(State(state): S, PageUser(u): PageUser, Query(f): Query<PeriodForm>) -> Response {
    let out = if f.format.as_deref() == Some("pdf") {
        xinfang_app::statistics::export_pdf(&state, &u, &f.input())
            .await
            .map(crate::http::api::statistics_pdf_response)
    } else {
        xinfang_app::statistics::export_xlsx(&state, &u, &f.input())
            .await
            .map(crate::http::api::xlsx_response)
    };
    match out {
        Ok(r) => r,
        Err(e) => error_page(&state, Some(&u), e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReleaseForm {
    from: String,
    to: String,
    purpose: String,
}

async fn propose(State(state): S, PageUser(u): PageUser, Form(f): Form<ReleaseForm>) -> Response {
    let input = ReleaseInput {
        period: PeriodInput {
            from: Some(f.from.clone()),
            to: Some(f.to.clone()),
            ..PeriodInput::default()
        },
        purpose: f.purpose,
    };
    match xinfang_app::statistics::propose_release(&state, &u, &input).await {
        Ok(_) => Redirect::to(&format!("/statistics?from={}&to={}#releases", f.from, f.to))
            .into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DecisionForm {
    decision: String,
    comment: String,
}

async fn decide(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Response {
    let input = ReleaseDecisionInput {
        accept: f.decision == "accept",
        comment: f.comment,
    };
    match xinfang_app::statistics::decide_release(&state, &u, &id, &input).await {
        Ok(v) => Redirect::to(&format!("/statistics?from={}&to={}#releases", v.from, v.to))
            .into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterForm {
    channel: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

impl RegisterForm {
    fn channel(&self) -> String {
        self.channel.clone().unwrap_or_else(|| "visit".into())
    }

    fn input(&self) -> PeriodInput {
        PeriodInput {
            from: self.from.clone(),
            to: self.to.clone(),
            ..Default::default()
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "statistics/register.html")]
struct RegisterPage {
    layout: Layout,
    r: xinfang_app::statistics::Register,
}

async fn register(
    State(state): S,
    PageUser(u): PageUser,
    Query(f): Query<RegisterForm>,
) -> Response {
    match xinfang_app::statistics::register(&state, &u, &f.channel(), &f.input()).await {
        Ok(r) => RegisterPage {
            layout: layout(&state, Some(&u), ""),
            r,
        }
        .into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn register_export(
    State(state): S,
    PageUser(u): PageUser,
    Query(f): Query<RegisterForm>,
) -> Response {
    match xinfang_app::statistics::export_register(&state, &u, &f.channel(), &f.input()).await {
        Ok(x) => crate::http::api::xlsx_response(x),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

/// A unit's report on transferred matters, as its form posts it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TransferReportForm {
    reported_to_leaders: String,
    assigned: String,
    sent_to_departments: String,
    handled_on_time: String,
    note: String,
}

async fn file_transfer_report(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<TransferReportForm>,
) -> Response {
    let mut bad = Vec::new();
    let mut n = |field: &str, label: &str, v: &str| -> i64 {
        match v.trim().parse::<i64>() {
            Ok(n) => n,
            Err(_) => {
                bad.push(xinfang_domain::FieldError::new(
                    field,
                    "not_a_number",
                    format!("{label}应为整数，「{}」无效", v.trim()),
                ));
                0
            }
        }
    };
    let input = xinfang_app::statistics::transfers::TransferReportInput {
        reported_to_leaders: n("reported_to_leaders", "报领导件数", &f.reported_to_leaders),
        assigned: n("assigned", "交办件数", &f.assigned),
        sent_to_departments: n(
            "sent_to_departments",
            "转送部门件数",
            &f.sent_to_departments,
        ),
        handled_on_time: n("handled_on_time", "及时办理件数", &f.handled_on_time),
        note: f.note,
    };
    if !bad.is_empty() {
        return error_page(&state, Some(&u), xinfang_app::error::AppError::Invalid(bad));
    }
    match xinfang_app::statistics::transfers::file_report(&state, &u, &id, &input).await {
        Ok(_) => Redirect::to("/statistics#transfers").into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn remind_transfer_report(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<xinfang_app::statistics::transfers::ReminderInput>,
) -> Response {
    match xinfang_app::statistics::transfers::remind(&state, &u, &id, &f).await {
        Ok(_) => Redirect::to("/statistics#transfers").into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

pub fn router() -> Router<std::sync::Arc<xinfang_app::context::AppState>> {
    Router::new()
        .route("/statistics", get(report))
        .route("/statistics/petitions", get(petitions))
        .route("/statistics/export", get(export))
        .route("/registers", get(register))
        .route("/registers/export", get(register_export))
        .route("/statistics/releases", post(propose))
        .route("/statistics/releases/{id}", post(decide))
        .route("/transfer-reports/{id}", post(file_transfer_report))
        .route(
            "/transfer-reports/{id}/reminders",
            post(remind_transfer_report),
        )
}
