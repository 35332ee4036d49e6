//! Server-rendered pages (Simplified Chinese, keyboard first). Handlers decode forms, call the
//! same use cases as the API, and render askama templates.

mod accounts;
mod archives;
mod exchange;
mod handling;

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use xinfang_domain::catalog;
use xinfang_domain::lifecycle::{Acceptance, Channel, Stage};
use xinfang_domain::registration::{
    InterviewInput, PetitionerInput, RegistrationInput, missing_seed_fields,
};
use xinfang_domain::resident_id::{mask_id_number, mask_phone};
use xinfang_domain::role::Role;
use xinfang_domain::source::{Source, SourceInput};
use xinfang_domain::visibility;
use xinfang_domain::{deadline, ethnicity, region};

use crate::http::auth::{self, CurrentUser, PageUser};
use crate::http::error::AppError;
use xinfang_app::clock::{local, local_date, show};
use xinfang_app::context::AppState;
use xinfang_app::intake::DecisionInput;

mod mailroom;
pub mod public;

pub use archives::upload_router as archive_upload_router;
pub use exchange::upload_router as exchange_upload_router;
pub use handling::upload_router as report_upload_router;
pub use mailroom::upload_router as scan_upload_router;

mod statistics;
mod supervision;

mod drafting;

pub(crate) type S = State<Arc<AppState>>;
pub(crate) type Pairs = Vec<(String, String)>;

pub struct UserView {
    pub display_name: String,
    pub role_label: String,
}

pub struct Layout {
    pub bureau_name: String,
    pub user: Option<UserView>,
    pub nav: Vec<(&'static str, &'static str, &'static str)>,
    pub csrf: String,
    pub flash: String,
    /// Demo data: a banner on every page.
    pub demo: bool,
}

fn nav_for(role: Role) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut nav = vec![("/", "工作台", "h")];
    if matches!(role, Role::Receptionist) {
        nav.push(("/petitions/new", "来访登记", "n"));
    }
    if matches!(role, Role::LetterClerk) {
        nav.push(("/letters", "收信", "m"));
    }
    if matches!(role, Role::DeputyDirector | Role::Director) {
        nav.push(("/letters", "来信批示", "m"));
    }
    if !role.is_administrator() {
        nav.push(("/petitions", "信访件", "l"));
    }
    if role.is_unit_staff() {
        nav.push(("/inbox", "办理收件箱", "i"));
    }
    if matches!(role, Role::DeputyDirector | Role::Director | Role::UnitHead) {
        nav.push(("/approvals", "待我审批", "a"));
    }
    if role.is_leader() {
        nav.push(("/delegation", "代理与交接", ""));
    }
    if matches!(
        role,
        Role::LetterClerk | Role::DeputyDirector | Role::Director
    ) {
        nav.push(("/set-aside", "暂存件", "z"));
    }
    if role.is_bureau_staff() {
        nav.push(("/registrations/today", "当日登记", "t"));
        nav.push(("/drafting", "文稿", ""));
    }
    if !role.is_administrator() {
        nav.push(("/queues", "期限督办", "q"));
    }
    if xinfang_app::statistics::may_see(role) {
        nav.push(("/statistics", "统计", "j"));
    }
    if role.is_bureau_staff() {
        nav.push(("/registers", "登记簿", ""));
    }
    if role == Role::Archivist {
        nav.push(("/archives", "档案管理", "b"));
    } else if role.is_leader() || role == Role::Office {
        nav.push(("/archives", "档案", ""));
    } else if role.is_bureau_staff() {
        nav.push(("/archives", "档案借阅", ""));
    }
    if matches!(
        role,
        Role::Office
            | Role::LetterClerk
            | Role::CaseOfficer
            | Role::DeputyDirector
            | Role::Director
    ) {
        nav.push(("/publications", "网上公布", ""));
    }
    if xinfang_app::exchange::may_exchange(role) && role != Role::Admin {
        nav.push(("/exchange", "数据交换", ""));
    }
    if role == Role::SecurityAdmin {
        nav.push(("/admin/grants", "授权确认", "g"));
    }
    if role == Role::AuditAdmin {
        nav.push(("/audit", "审计查询", "u"));
    }
    if role == Role::Admin {
        nav.push(("/admin/users", "用户管理", "u"));
        nav.push(("/admin/units", "承办单位", "d"));
        nav.push(("/admin/reasons", "受理理由", "r"));
        nav.push(("/admin/calendar", "节假日安排", "c"));
        nav.push(("/admin/approval-gates", "审批设置", "g"));
        nav.push(("/admin/deadline-rules", "办理期限", "k"));
        nav.push(("/admin/dictionary", "检索词典", "w"));
        nav.push(("/admin/retention", "保管期限", ""));
        nav.push(("/admin/backups", "备份", ""));
        nav.push(("/exchange", "数据交换", ""));
    }
    nav.push(("/account/password", "修改密码", ""));
    nav
}

pub(crate) fn layout(state: &AppState, user: Option<&CurrentUser>, flash: &str) -> Layout {
    Layout {
        bureau_name: state.bureau.name.clone(),
        user: user.map(|u| UserView {
            display_name: u.user.display_name.clone(),
            role_label: u.role().label_zh().into(),
        }),
        nav: user
            .map(|u| {
                let mut nav = nav_for(u.role());
                if xinfang_app::public::works_online_queue(state, u) {
                    nav.insert(1, ("/online", "网上信访", "o"));
                }
                if u.role() == Role::Admin {
                    nav.push(("/admin/message-templates", "通知模板", ""));
                }
                nav
            })
            .unwrap_or_default(),
        csrf: user.map(|u| u.csrf.clone()).unwrap_or_default(),
        flash: flash.into(),
        demo: state.config.demo,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    heading: String,
    messages: Vec<String>,
}

pub(crate) fn error_page(state: &AppState, user: Option<&CurrentUser>, e: AppError) -> Response {
    if let AppError::Internal(detail) = &e {
        tracing::error!(%detail, "internal error");
    }
    let status = crate::http::error::status(&e);
    let heading = match status {
        StatusCode::FORBIDDEN => "无权操作",
        StatusCode::NOT_FOUND => "未找到",
        StatusCode::CONFLICT => "无法执行",
        _ => "出错了",
    };
    let page = ErrorPage {
        layout: layout(state, user, ""),
        heading: heading.into(),
        messages: e.messages().into_iter().map(|m| m.1).collect(),
    };
    (status, page).into_response()
}

pub(crate) fn flash_of(q: &HashMap<String, String>) -> String {
    match q.get("done").map(String::as_str) {
        Some("registered") => "登记已保存。".into(),
        Some("interview") => "接谈记录已保存。".into(),
        Some("decided") => "受理决定已作出。".into(),
        Some("saved") => "已保存。".into(),
        Some("rating") => "评价已记录。".into(),
        Some("password") => "密码已修改，其他登录会话已退出。".into(),
        _ => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Login

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    errors: Vec<(Option<String>, String)>,
    next: String,
    username: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginForm {
    username: String,
    password: String,
    next: String,
}

/// Only local paths: never redirect a user to another site after login.
fn safe_next(next: &str) -> String {
    // Browsers drop tabs and newlines from URLs, so `/\t/evil.example` would leave the site.
    if next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
    {
        next.to_string()
    } else {
        "/".into()
    }
}

async fn login_page(
    State(state): S,
    Query(q): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    LoginPage {
        layout: layout(&state, None, ""),
        errors: Vec::new(),
        next: safe_next(q.get("next").map(String::as_str).unwrap_or("/")),
        username: String::new(),
    }
}

async fn login_submit(
    State(state): S,
    auth::ClientAddr(client): auth::ClientAddr,
    Form(f): Form<LoginForm>,
) -> Response {
    match xinfang_app::auth::login(&state, &f.username, &f.password, &client).await {
        Ok((token, _)) => {
            let cookie = auth::session_cookie(
                &token,
                state.config.secure_cookies,
                state.config.session_hours * 3600,
            );
            (
                [(header::SET_COOKIE, cookie)],
                Redirect::to(&safe_next(&f.next)),
            )
                .into_response()
        }
        Err(e) => {
            let status = crate::http::error::status(&e);
            (
                status,
                LoginPage {
                    layout: layout(&state, None, ""),
                    errors: e.messages(),
                    next: safe_next(&f.next),
                    username: f.username,
                },
            )
                .into_response()
        }
    }
}

async fn logout(State(state): S, PageUser(u): PageUser) -> Response {
    let _ = xinfang_app::auth::logout(&state, &u).await;
    (
        [(header::SET_COOKIE, auth::clear_cookie())],
        Redirect::to("/login"),
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------------
// Home

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    /// The role's counts: link, label, number.
    counts: Vec<(&'static str, &'static str, String)>,
    /// Leaders: this month's figures against last month's.
    trend: Option<Trend>,
    actions: Vec<(&'static str, &'static str, &'static str)>,
    tasks: Vec<TaskView>,
}

/// The month's label and its lines: figure, this month, last month.
type Trend = (String, Vec<(String, i64, i64)>);

/// The most a home-page count reads; beyond it shows "500+".
const HOME_COUNT_CAP: usize = 500;

fn shown(n: usize) -> String {
    if n >= HOME_COUNT_CAP {
        format!("{HOME_COUNT_CAP}+")
    } else {
        n.to_string()
    }
}

/// What waits for this role: approvals, deadlines soon due and overdue, today's registrations,
/// letters whose writer is still to be told — each from the use case that lists them, so a
/// count never says more than its list shows.
async fn home_counts(
    state: &AppState,
    u: &CurrentUser,
) -> Result<Vec<(&'static str, &'static str, String)>, AppError> {
    let role = u.role();
    let mut out = Vec::new();
    if matches!(role, Role::DeputyDirector | Role::Director | Role::UnitHead) {
        let n = xinfang_app::handling::my_approvals(state, u).await?.len();
        out.push(("/approvals", "待我审批", shown(n)));
    }
    if role.is_leader() {
        let n = xinfang_app::statistics::releases_to_decide(state, u).await?;
        if n > 0 {
            out.push(("/statistics", "统计数据待批准对外提供", shown(n)));
        }
    }
    if role.is_bureau_staff() || role.is_unit_staff() {
        use xinfang_app::deadlines::{QueueKind, queue};
        let cap = HOME_COUNT_CAP as i64;
        let soon = queue(state, u, QueueKind::DueSoon, None, None, cap)
            .await?
            .len();
        let overdue = queue(state, u, QueueKind::Overdue, None, None, cap)
            .await?
            .len();
        out.push(("/queues", "即将到期", shown(soon)));
        out.push(("/queues?kind=overdue", "已逾期", shown(overdue)));
    }
    if role.is_bureau_staff() {
        let today = xinfang_app::clock::local_date(state.clock.now());
        let n = xinfang_app::intake::registrations_on(state, u, today)
            .await?
            .len();
        out.push(("/registrations/today", "今日登记", shown(n)));
    }
    if role == Role::LetterClerk {
        let n = xinfang_app::mailroom::queue(state, u, xinfang_app::mailroom::Queue::ToNotify)
            .await?
            .len();
        out.push(("/letters#to-notify", "待告知", shown(n)));
    }
    Ok(out)
}

struct TaskView {
    id: String,
    /// A routine's task links to the digest, where the routine is recorded.
    routine: bool,
    petition_id: Option<String>,
    petition_no: Option<String>,
    title: String,
    created_at: String,
}

async fn home(State(state): S, PageUser(u): PageUser) -> Response {
    let role = u.role();
    let mut actions = Vec::new();
    match role {
        Role::Receptionist => actions.push((
            "/petitions/new",
            "来访登记",
            "登记来访人、接谈、作出受理决定并出具单据",
        )),
        Role::LetterClerk => {
            actions.push(("/petitions/new?channel=letter", "来信登记", "登记来信"))
        }
        Role::Admin => {
            actions.push((
                "/admin/users",
                "用户管理",
                "新增、停用账号，申请变更角色（经安全保密管理员确认后生效）",
            ));
            actions.push(("/admin/units", "承办单位", "乡镇、街道和本级部门"));
            actions.push((
                "/admin/reasons",
                "受理理由",
                "不予受理等决定的理由及告知单上的法律说明",
            ));
            actions.push((
                "/admin/dictionary",
                "检索词典",
                "本局常用词语（地名、单位简称等），使检索按整词切分",
            ));
            actions.push((
                "/admin/calendar",
                "节假日安排",
                "每年录入国务院办公厅的放假调休通知，期限按此计算",
            ));
            actions.push((
                "/admin/deadline-rules",
                "办理期限",
                "各项办理期限、预警比例和督办升级次数（修改即生成新版本）",
            ));
            actions.push((
                "/admin/backups",
                "备份",
                "每日、每月自动备份及其校验结果，最近一次备份的大小",
            ));
        }
        Role::SecurityAdmin => actions.push((
            "/admin/grants",
            "授权确认",
            "确认或驳回系统管理员提出的授权，签发一次性登录码",
        )),
        Role::AuditAdmin => actions.push((
            "/audit",
            "审计查询",
            "谁在何时查看、打印、导出了哪件信访件，登录记录，历史校验",
        )),
        _ => {}
    }
    if !role.is_administrator() {
        actions.push(("/petitions", "信访件", "查询和办理信访件"));
    }
    if role.is_bureau_staff() {
        actions.push(("/registrations/today", "当日登记", "检查当日登记是否完整"));
    }
    if !role.is_administrator() {
        actions.push((
            "/queues",
            "期限与督办",
            "即将到期、已逾期的办理期限和督办事项",
        ));
    }
    if xinfang_app::statistics::may_see(role) {
        actions.push((
            "/statistics",
            "信访统计",
            "按月、季度、半年、全年统计，点击数字查看对应信访件，导出 Excel",
        ));
    }
    if matches!(role, Role::Office | Role::LetterClerk) || role.is_leader() {
        actions.push((
            "/digest",
            "每日汇总",
            "逾期、到期和督办情况，各承办单位统计",
        ));
    }
    let tasks = match xinfang_app::tasks::open_tasks(&state, &u).await {
        Ok(t) => t,
        Err(e) => return error_page(&state, Some(&u), e),
    };
    let counts = match home_counts(&state, &u).await {
        Ok(c) => c,
        Err(e) => return error_page(&state, Some(&u), e),
    };
    let trend = if role.is_leader() {
        let month = xinfang_app::statistics::PeriodInput::default();
        match xinfang_app::statistics::report(&state, &u, &month).await {
            Ok(r) => {
                let keys = ["petitions", "visit_batches", "letters", "repeat", "closed"];
                let rows = r
                    .sections
                    .iter()
                    .flat_map(|s| &s.rows)
                    .filter(|f| keys.contains(&f.key.as_str()))
                    .map(|f| (f.label.clone(), f.value, f.previous))
                    .collect();
                Some((r.period.label.clone(), rows))
            }
            Err(e) => return error_page(&state, Some(&u), e),
        }
    } else {
        None
    };
    HomePage {
        layout: layout(&state, Some(&u), ""),
        counts,
        trend,
        actions,
        tasks: tasks
            .into_iter()
            .map(|t| TaskView {
                id: t.id,
                routine: t.kind == xinfang_app::deadlines::routines::ROUTINE_TASK,
                petition_id: t.petition_id,
                petition_no: t.petition_no,
                title: t.title,
                created_at: show(&t.created_at),
            })
            .collect(),
    }
    .into_response()
}

async fn task_done(State(state): S, PageUser(u): PageUser, Path(id): Path<String>) -> Response {
    match xinfang_app::tasks::complete_task(&state, &u, &id).await {
        Ok(()) => Redirect::to("/").into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

// ---------------------------------------------------------------------------------------------
// Lists

struct Row {
    id: String,
    petition_no: String,
    channel: &'static str,
    names: String,
    id_number: String,
    phone: String,
    summary: String,
    stage: &'static str,
    registered_at: String,
    confidential: bool,
    collective: bool,
    repeat: bool,
    /// The earliest running deadline's warning badge.
    deadline: Option<xinfang_app::deadlines::Badge>,
    /// A search's highlighted snippet (escaped HTML).
    snippet: String,
}

fn row_of(r: &xinfang_app::intake::ListedPetition) -> Row {
    let p = &r.record;
    let first = p.petitioners.first();
    let short: String = p.summary.chars().take(40).collect();
    Row {
        id: p.id.clone(),
        petition_no: p.petition_no.clone(),
        channel: p.channel.label_zh(),
        names: if r.with_details {
            let mut n: Vec<&str> = p
                .petitioners
                .iter()
                .take(3)
                .map(|x| x.name.as_str())
                .collect();
            if p.petitioners.len() > 3 {
                n.push("等");
            }
            n.join("、")
        } else {
            "（保密）".into()
        },
        id_number: if r.with_details {
            first
                .and_then(|x| x.id_number.as_deref())
                .map(mask_id_number)
                .unwrap_or_default()
        } else {
            String::new()
        },
        phone: if r.with_details {
            first.map(|x| mask_phone(&x.phone)).unwrap_or_default()
        } else {
            String::new()
        },
        summary: if r.with_details {
            if p.summary.chars().count() > 40 {
                format!("{short}…")
            } else {
                short
            }
        } else {
            "（保密件）".into()
        },
        stage: p.stage.label_zh(),
        registered_at: show(&p.registered_at),
        confidential: p.confidential,
        collective: p.collective,
        repeat: p.repeat_of.is_some(),
        deadline: None,
        snippet: String::new(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "intake/petitions.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    form: SearchForm,
    stages: Vec<(&'static str, &'static str)>,
    channels: Vec<(&'static str, &'static str)>,
    townships: Vec<(String, String)>,
    categories: Vec<(&'static str, String)>,
    purposes: &'static [(&'static str, &'static str)],
    /// A search (words or its filters): paged by cursor, with snippets.
    searching: bool,
    offset: i64,
    total: usize,
    total_exact: bool,
    has_more: bool,
    prev_url: String,
    next_url: String,
    next_cursor: String,
    /// The Excel export button (the search's roles).
    may_export: bool,
}

/// The content categories, indented by level, for a select.
fn category_options() -> Vec<(&'static str, String)> {
    catalog::CATEGORIES
        .iter()
        .map(|(c, l)| {
            (
                *c,
                if c.ends_with("0000") {
                    l.to_string()
                } else if c.ends_with("00") {
                    format!("　{l}")
                } else {
                    format!("　　{l}")
                },
            )
        })
        .collect()
}

/// Rows counted past a list page before its total reads “N 件以上”.
const LIST_COUNT_AHEAD: usize = 50;

/// The list page's search box and filters. The search form posts (names and ID numbers typed
/// into it stay out of URLs and access logs); a plain GET lists.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct SearchForm {
    q: String,
    state: String,
    channel: String,
    registered_from: String,
    registered_to: String,
    township: String,
    category: String,
    purpose: String,
    /// "", "1" or "0"
    confidential: String,
    repeat: String,
    collective: String,
    /// "", "relevance" or "date"
    sort: String,
    cursor: String,
    offset: i64,
}

impl SearchForm {
    fn searching(&self) -> bool {
        [
            &self.q,
            &self.registered_from,
            &self.registered_to,
            &self.township,
            &self.category,
            &self.purpose,
            &self.confidential,
            &self.repeat,
            &self.collective,
            &self.sort,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
    }

    fn flag(v: &str) -> Option<bool> {
        match v {
            "1" => Some(true),
            "0" => Some(false),
            _ => None,
        }
    }

    fn input(&self) -> xinfang_app::search::SearchInput {
        let o = |v: &str| (!v.trim().is_empty()).then(|| v.trim().to_string());
        xinfang_app::search::SearchInput {
            q: self.q.clone(),
            stage: o(&self.state),
            channel: o(&self.channel),
            registered_from: o(&self.registered_from),
            registered_to: o(&self.registered_to),
            township: o(&self.township),
            category: o(&self.category),
            purpose: o(&self.purpose),
            confidential: Self::flag(&self.confidential),
            repeat: Self::flag(&self.repeat),
            collective: Self::flag(&self.collective),
            sort: o(&self.sort),
            cursor: o(&self.cursor),
            limit: Some(50),
            ..Default::default()
        }
    }
}

async fn petitions(
    State(state): S,
    PageUser(u): PageUser,
    Query(f): Query<SearchForm>,
) -> Response {
    petitions_page(&state, &u, f).await
}

async fn petitions_search(
    State(state): S,
    PageUser(u): PageUser,
    Form(f): Form<SearchForm>,
) -> Response {
    petitions_page(&state, &u, f).await
}

/// The list's search and filters as an Excel workbook (a POST: names and ID numbers typed
/// into the search stay out of URLs).
async fn petitions_xlsx(
    State(state): S,
    PageUser(u): PageUser,
    Form(f): Form<SearchForm>,
) -> Response {
    exchange::petitions_xlsx(&state, &u, f.input(), f.searching()).await
}

async fn petitions_page(state: &AppState, u: &CurrentUser, f: SearchForm) -> Response {
    let page_size = 50;
    let offset = f.offset.max(0);
    let searching = f.searching();
    let (rows, total, total_exact, next_cursor) = if searching {
        match xinfang_app::search::search(state, u, &f.input()).await {
            Ok(p) => {
                let rows: Vec<Row> = p
                    .rows
                    .iter()
                    .map(|r| Row {
                        snippet: r.snippet.clone(),
                        ..row_of(&xinfang_app::intake::ListedPetition {
                            record: r.record.clone(),
                            with_details: r.with_details,
                        })
                    })
                    .collect();
                (
                    rows,
                    p.total,
                    p.total_exact,
                    p.next_cursor.unwrap_or_default(),
                )
            }
            Err(e) => return error_page(state, Some(u), e),
        }
    } else {
        let q = crate::http::api::ListQuery {
            state: Some(f.state.clone()),
            channel: Some(f.channel.clone()),
            ..Default::default()
        };
        let filter = match crate::http::api::list_filter(&q) {
            Ok(mut lf) => {
                lf.limit = page_size;
                lf.offset = offset;
                lf
            }
            Err(e) => return error_page(state, Some(u), e),
        };
        // Counting stops a few pages ahead: the exact total of a large bureau's list would read
        // every row the viewer may see on every page view.
        match xinfang_app::intake::list_counted(state, u, &filter, Some(LIST_COUNT_AHEAD)).await {
            Ok(p) => (
                p.rows.iter().map(row_of).collect(),
                p.total,
                p.total_exact,
                String::new(),
            ),
            Err(e) => return error_page(state, Some(u), e),
        }
    };
    let has_more = if searching {
        !next_cursor.is_empty()
    } else {
        offset + (rows.len() as i64) < total as i64
    };
    let base = format!("/petitions?state={}&channel={}", f.state, f.channel);
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut badges = match xinfang_app::deadlines::badges_for(state, &ids).await {
        Ok(b) => b,
        Err(e) => return error_page(state, Some(u), e),
    };
    let townships = match xinfang_app::admin::units(state).await {
        Ok(units) => units
            .into_iter()
            .filter(|x| x.active && matches!(x.kind.as_str(), "township" | "street"))
            .map(|x| (x.id, x.name))
            .collect(),
        Err(e) => return error_page(state, Some(u), e),
    };
    ListPage {
        layout: layout(state, Some(u), ""),
        rows: rows
            .into_iter()
            .map(|r| Row {
                deadline: badges.remove(&r.id),
                ..r
            })
            .collect(),
        form: f,
        stages: Stage::ALL
            .iter()
            .map(|s| (s.as_str(), s.label_zh()))
            .collect(),
        channels: Channel::ALL
            .iter()
            .map(|c| (c.as_str(), c.label_zh()))
            .collect(),
        townships,
        categories: category_options(),
        purposes: catalog::PURPOSES,
        searching,
        offset,
        total,
        total_exact,
        has_more,
        prev_url: format!("{base}&offset={}", (offset - page_size).max(0)),
        next_url: format!("{base}&offset={}", offset + page_size),
        next_cursor,
        may_export: exchange::may_export_list(u.role()),
    }
    .into_response()
}

// ---------------------------------------------------------------------------------------------
// Registration

#[derive(Template, WebTemplate)]
#[template(path = "intake/register.html")]
struct RegisterPage {
    layout: Layout,
    values: HashMap<String, String>,
    errors: Vec<(String, String)>,
    rows: Vec<usize>,
    channels: Vec<(&'static str, &'static str)>,
    id_types: &'static [(&'static str, &'static str)],
    purposes: &'static [(&'static str, &'static str)],
    categories: Vec<(&'static str, String)>,
    classes: &'static [(&'static str, &'static str)],
    units: Vec<(String, String)>,
    flags: Vec<(&'static str, &'static str)>,
    region_options: Vec<(&'static str, String)>,
    ethnicities: &'static [(&'static str, &'static str)],
    default_region: String,
    /// The bureau's township and street-office units, for the township of the matter.
    townships: Vec<(String, String)>,
    source_kinds: Vec<(&'static str, &'static str)>,
}

impl RegisterPage {
    fn v(&self, key: impl AsRef<str>) -> &str {
        self.values
            .get(key.as_ref())
            .map(String::as_str)
            .unwrap_or("")
    }
    fn checked(&self, key: String) -> bool {
        matches!(self.v(key), "on" | "true" | "1")
    }
}

const FLAGS: &[(&str, &str)] = &[
    ("anonymous", "匿名"),
    ("skip_level", "越级访"),
    ("out_of_district", "区外来访（报局负责人）"),
    ("major_urgent", "重大紧急"),
    ("confidential", "保密"),
    ("consent_to_publish", "同意公开"),
];

/// Maps a domain field path to the form input's id: `petitioners[0].id_number` → `p0_id_number`.
fn input_id(field: &Option<String>) -> String {
    let Some(f) = field else { return String::new() };
    if let Some(rest) = f.strip_prefix("petitioners[")
        && let Some((i, tail)) = rest.split_once("].")
    {
        return format!("p{i}_{tail}");
    }
    if f == "petitioners" {
        "p0_name".into()
    } else {
        f.clone()
    }
}

async fn register_page_for(
    state: &AppState,
    u: &CurrentUser,
    values: HashMap<String, String>,
    errors: Vec<(String, String)>,
) -> Response {
    let rows = values
        .get("petitioner_rows")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, 50);
    let units = match xinfang_app::admin::units(state).await {
        Ok(u) => u,
        Err(e) => return error_page(state, Some(u), e),
    };
    // The bureau's own counties first, then its prefecture's: what a window mostly sees.
    let own = &state.bureau.region_code;
    let mut region_options: Vec<(&'static str, String)> =
        region::children(&format!("{}00", &own[..4]))
            .into_iter()
            .map(|r| (r.code, r.full_name.clone()))
            .collect();
    if let Some(r) = region::lookup(own) {
        region_options.insert(0, (r.code, r.full_name.clone()));
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = RegisterPage {
        layout: layout(state, Some(u), ""),
        values,
        errors,
        rows: (0..rows).collect(),
        channels: Channel::ALL
            .iter()
            .map(|c| (c.as_str(), c.label_zh()))
            .collect(),
        id_types: catalog::ID_TYPES,
        purposes: catalog::PURPOSES,
        categories: category_options(),
        classes: catalog::PETITION_CLASSES,
        units: units
            .iter()
            .filter(|x| x.active)
            .map(|x| (x.id.clone(), x.name.clone()))
            .collect(),
        flags: FLAGS.to_vec(),
        region_options,
        ethnicities: ethnicity::all(),
        default_region: region::lookup(own)
            .map(|r| format!("例如 {} {}", r.code, r.full_name))
            .unwrap_or_default(),
        townships: units
            .iter()
            .filter(|x| x.active && matches!(x.kind.as_str(), "township" | "street"))
            .map(|x| (x.id.clone(), x.name.clone()))
            .collect(),
        source_kinds: Source::KINDS
            .iter()
            .map(|k| (*k, xinfang_domain::source::kind_label_zh(k).unwrap_or(k)))
            .collect(),
    };
    (status, page).into_response()
}

async fn register_page(
    State(state): S,
    PageUser(u): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let letter = q.get("channel").map(String::as_str) == Some("letter");
    if !xinfang_domain::visibility::may_register(u.role(), letter) {
        return error_page(
            &state,
            Some(&u),
            AppError::Forbidden(format!("{}不能登记", u.role().label_zh())),
        );
    }
    let mut values = HashMap::new();
    values.insert(
        "channel".into(),
        if letter { "letter" } else { "visit" }.into(),
    );
    values.insert(
        "visited_at".into(),
        local(state.clock.now())
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
    );
    values.insert("p0_id_type".into(), "resident_id".into());
    // Most matters arise in the bureau's own county: start from it.
    values.insert("issue_region".into(), state.bureau.region_code.clone());
    values.insert("petitioner_rows".into(), "1".into());
    register_page_for(&state, &u, values, Vec::new()).await
}

/// A petition's source in one line: its kind and, for a higher organ, the covering document.
fn source_text(s: &Source) -> String {
    let mut t = s.label_zh().to_string();
    if let Some(d) = s.higher_organ() {
        t.push_str(&format!("：{} {} {}", d.organ, d.doc_no, d.issued_on));
        if let Some(due) = d.deadline {
            t.push_str(&format!("，要求 {due} 前办结"));
        }
    }
    match s {
        Source::InstructedByLocalLeader(l) => t.push_str(&format!("：{}", l.display_zh())),
        Source::Hotline12345 { order_no } => t.push_str(&format!("：工单 {order_no}")),
        _ => {}
    }
    t
}

/// Accepts a region by code, or by a name the search resolves to exactly one county.
fn resolve_region(input: &str) -> String {
    let t = input.trim();
    let code: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
    if code.len() == 6 {
        return code;
    }
    if !t.is_empty() {
        let found = region::search(t, 2);
        if let Some(first) = found.first()
            && (found.len() == 1 || first.name == t || first.full_name == t)
        {
            return first.code.to_string();
        }
    }
    t.to_string()
}

fn registration_from_form(form: &HashMap<String, String>) -> RegistrationInput {
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let flag = |k: &str| matches!(form.get(k).map(String::as_str), Some("on" | "true" | "1"));
    let num = |k: &str| form.get(k).and_then(|v| v.trim().parse::<i64>().ok());
    let rows = form
        .get("petitioner_rows")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, 50);
    let petitioners = (0..rows)
        .map(|i| {
            let g = |k: &str| get(&format!("p{i}_{k}"));
            PetitionerInput {
                name: g("name"),
                id_type: g("id_type"),
                id_number: g("id_number"),
                sex: g("sex"),
                age: num(&format!("p{i}_age")),
                ethnicity: g("ethnicity"),
                address: g("address"),
                phone: g("phone"),
                occupation: g("occupation"),
                is_representative: flag(&format!("p{i}_is_representative")),
            }
        })
        // An extra row left completely empty is not a petitioner.
        .filter(|p| {
            !(p.name.trim().is_empty()
                && p.id_number.trim().is_empty()
                && p.phone.trim().is_empty())
        })
        .collect();
    RegistrationInput {
        channel: get("channel"),
        visited_at: get("visited_at"),
        petitioners,
        visitor_count: num("visitor_count"),
        people_involved: num("people_involved"),
        issue_region: resolve_region(&get("issue_region")),
        summary: get("summary"),
        requests: get("requests"),
        proposal: get("proposal"),
        purpose: get("purpose"),
        category: get("category"),
        petition_class: get("petition_class"),
        anonymous: flag("anonymous"),
        consent_to_publish: flag("consent_to_publish"),
        major_urgent: flag("major_urgent"),
        confidential: flag("confidential"),
        skip_level: flag("skip_level"),
        out_of_district: flag("out_of_district"),
        repeat_of: form
            .get("repeat_of")
            .cloned()
            .filter(|s| !s.trim().is_empty()),
        repeat_reason: get("repeat_reason"),
        accused_unit_id: form
            .get("accused_unit_id")
            .cloned()
            .filter(|s| !s.trim().is_empty()),
        source: SourceInput {
            kind: get("source_kind"),
            organ: get("source_organ"),
            doc_no: get("source_doc_no"),
            issued_on: get("source_issued_on"),
            deadline: get("source_deadline"),
            leader_name: get("source_leader_name"),
            leader_post: get("source_leader_post"),
            order_no: get("source_order_no"),
        },
        // A statistical code typed in wins over the unit chosen: the matter lies outside them.
        township: Some(get("township_code"))
            .filter(|c| !c.trim().is_empty())
            .unwrap_or_else(|| get("township")),
    }
}

async fn register_submit(
    State(state): S,
    PageUser(u): PageUser,
    Form(pairs): Form<Pairs>,
) -> Response {
    let mut form: HashMap<String, String> = pairs
        .into_iter()
        .filter(|(k, _)| k != auth::CSRF_FIELD)
        .collect();
    if form.contains_key("add_petitioner") {
        let rows = form
            .get("petitioner_rows")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(1);
        form.insert("petitioner_rows".into(), (rows + 1).min(50).to_string());
        form.insert(format!("p{rows}_id_type"), "resident_id".into());
        form.remove("add_petitioner");
        return register_page_for(&state, &u, form, Vec::new()).await;
    }
    let input = registration_from_form(&form);
    match xinfang_app::intake::register(&state, &u, &input).await {
        Ok(p) => Redirect::to(&format!("/petitions/{}?done=registered", p.id)).into_response(),
        Err(AppError::Invalid(errors)) => {
            let errors = errors
                .iter()
                .map(|e| (input_id(&e.field), e.message.clone()))
                .collect();
            register_page_for(&state, &u, form, errors).await
        }
        Err(e) => error_page(&state, Some(&u), e),
    }
}

#[derive(Template)]
#[template(path = "intake/similar.html")]
struct SimilarFragment {
    /// Each candidate, whether it is final (三级终结: propose 不再受理), and why it was proposed.
    rows: Vec<(Row, bool, String)>,
}

/// What the intake form holds so far (posted: identity stays out of URLs).
#[derive(Deserialize, Default)]
#[serde(default)]
struct SimilarForm {
    p0_id_number: String,
    p0_name: String,
    p0_phone: String,
    p0_address: String,
    summary: String,
    requests: String,
    accused_unit_id: String,
    exclude_id: String,
}

async fn similar_fragment(
    State(state): S,
    PageUser(u): PageUser,
    Form(f): Form<SimilarForm>,
) -> Response {
    let o = |v: &str| (!v.trim().is_empty()).then(|| v.trim().to_string());
    let input = xinfang_app::search::SimilarInput {
        id_number: o(&f.p0_id_number),
        name: o(&f.p0_name),
        phone: o(&f.p0_phone),
        address: o(&f.p0_address),
        accused_unit_id: o(&f.accused_unit_id),
        matter: o(&format!("{} {}", f.summary, f.requests)),
        exclude_id: o(&f.exclude_id),
        window_days: None,
        national_no: None,
    };
    match xinfang_app::search::similar(&state, &u, &input).await {
        Ok(found) => {
            let mut out = Vec::new();
            for c in &found {
                let fin = xinfang_app::handling::is_final(&state, &c.record)
                    .await
                    .unwrap_or(false);
                let row = row_of(&xinfang_app::intake::ListedPetition {
                    record: c.record.clone(),
                    with_details: true,
                });
                let mut why = c.reasons.join("、");
                if c.suggest_joint {
                    why.push_str("；近期另有他人反映同一事项，可考虑合并为联名信或集体访");
                }
                out.push((row, fin, why));
            }
            Html(SimilarFragment { rows: out }.render().unwrap_or_default()).into_response()
        }
        Err(e) => (crate::http::error::status(&e), e.body().message).into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// One petition

struct PetitionerView {
    name: String,
    id_type: &'static str,
    id_number: String,
    sex: &'static str,
    age: String,
    ethnicity: &'static str,
    phone: String,
    occupation: String,
    address: String,
    representative: bool,
}

struct InterviewView {
    recorded_at: String,
    recorded_by: String,
    facts_and_requests: String,
    earlier_petitions: String,
    skip_or_repeat_reason: String,
    abnormal_behaviour: String,
    coordination: String,
    appointment_on: Option<String>,
    appointment_note: String,
}

/// 草稿, 待签发 … for a document still in drafting; empty once issued.
pub(crate) fn drafting_label(doc_state: &str) -> String {
    match xinfang_domain::drafting::DraftState::parse(doc_state) {
        Some(xinfang_domain::drafting::DraftState::Issued) | None => String::new(),
        Some(s) => s.label_zh().to_string(),
    }
}

struct DocumentView {
    id: String,
    /// The issued PDF, or the preview (with its 草稿 mark) while in drafting.
    pdf_href: String,
    /// 草稿, 待签发 … while in drafting; empty once issued.
    state: String,
    title: String,
    doc_no: String,
    issued_at: String,
    template_version: String,
    warnings: Vec<String>,
}

struct EventView {
    at: String,
    actor: String,
    role: &'static str,
    label: &'static str,
    detail: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "intake/petition.html")]
struct PetitionPage {
    layout: Layout,
    p: xinfang_app::access::PetitionView,
    errors: Vec<(Option<String>, String)>,
    stage_label: &'static str,
    channel_label: &'static str,
    acceptance_label: &'static str,
    visited_at: String,
    registered_at: String,
    query_code: String,
    region_name: String,
    /// The township of the matter and where it came from, as people read them; empty when
    /// not recorded.
    township_name: String,
    source_text: String,
    repeat_of: String,
    classification: String,
    identity: bool,
    petitioners: Vec<PetitionerView>,
    interviews: Vec<InterviewView>,
    can_interview: bool,
    can_decide: bool,
    acceptances: Vec<(&'static str, &'static str, bool)>,
    repeat_final: bool,
    reasons: Vec<(String, String, String)>,
    units: Vec<(String, String)>,
    documents: Vec<DocumentView>,
    events: Vec<EventView>,
    access_log: Vec<(String, String, String)>,
    h: handling::HandlingPanel,
    /// Deadlines and supervision (rules §2, §5).
    deadlines: Vec<DeadlineView>,
    supervision_items: Vec<supervision::ItemRow>,
    can_open_supervision: bool,
    manual_triggers: Vec<(&'static str, &'static str)>,
    /// The dossier (archives) and internet publication.
    archive: xinfang_app::archives::ArchiveStatus,
    may_publish: bool,
    today: String,
    /// Messages to the petitioner and satisfaction ratings (issue 20).
    messages: Vec<xinfang_app::outbox::MessageView>,
    ratings: Vec<xinfang_app::public::RatingView>,
    rating_offer: Option<xinfang_domain::public::RatingOffer>,
}

struct DeadlineView {
    rule_name: String,
    unit_name: String,
    started_on: String,
    due_on: String,
    state: &'static str,
    note: String,
    badge: Option<xinfang_app::deadlines::Badge>,
}

impl PetitionPage {
    fn acceptance_label_of(&self, a: &str) -> &'static str {
        Acceptance::parse(a).map(|x| x.label_zh()).unwrap_or("")
    }
}

fn event_label(kind: &str) -> &'static str {
    match kind {
        "registered" => "登记",
        "online_submitted" => "网上提交",
        "rated" => "满意度评价",
        "interviewed" => "记录接谈",
        "appointment_made" => "记录接谈并约谈",
        "decided" => "作出受理决定",
        "notice_served" => "当场送达告知单",
        "document_issued" => "出具文书",
        "document_drafted" => "起草文书",
        "document_edited" => "修改文稿",
        "document_submitted" => "文稿送签",
        "document_returned" => "文稿退回修改",
        "document_signed_off" => "文稿签发",
        "recusal_declared" => "声明回避",
        "disposition_proposed" => "提出拟办意见（待审批）",
        "disposed" => "确定办理方式",
        "approval_decided" => "审批",
        "obligation_opened" => "新增待办事项",
        "obligation_fulfilled" => "完成待办事项",
        "unit_signed_for" => "承办单位签收",
        "unit_accepted" => "承办单位受理",
        "unit_objected" => "承办单位提出异议",
        "objection_ruled" => "裁定异议",
        "extension_requested" => "申请延期",
        "extended" => "批准延期",
        "report_submitted" => "报送办理情况",
        "report_file_attached" => "上传汇报材料附件",
        "review_begun" => "开始审阅",
        "report_reviewed" => "审阅办理情况",
        "sent_back" => "退回重办或补报",
        "closure_proposed" => "提请结案",
        "closed" => "结案",
        "closure_rejected" => "结案未获批准",
        "deregistered" => "销案",
        "destroyed" => "销毁",
        "appeal_requested" => "登记复查（复核）申请",
        "appeal_opinion_recorded" => "记录复查（复核）意见",
        "leader_instruction_recorded" => "登记领导批示",
        "query_answered" => "答复查询",
        "incident_recorded" => "登记异常情况处置",
        "supervision_raised" => "自动启动督办",
        "supervision_opened" => "启动督办",
        "supervised" => "督办",
        "supervision_answered" => "承办单位答复督办",
        "supervision_escalated" => "督办报局领导",
        "supervision_project_approved" => "批准立项督办",
        "supervision_resolved" => "督办办结",
        "deadline_extended" => "延期",
        "deadline_recomputed" => "期限按节假日通知重算",
        "deadline_shortened" => "领导批示缩短期限",
        "deadline_paused" => "期限中止计算",
        "deadline_resumed" => "期限恢复计算",
        _ => "其他操作",
    }
}

fn event_detail(kind: &str, payload: &serde_json::Value) -> String {
    let s = |k: &str| {
        payload
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    match kind {
        "registered" => format!("编号 {}", s("petition_no")),
        "decided" => {
            let a = Acceptance::parse(&s("acceptance"))
                .map(|a| a.label_zh())
                .unwrap_or("");
            let due = s("dispose_due");
            if due.is_empty() {
                format!("{a}：{}", s("reason_text"))
            } else {
                format!("{a}：{}；应于 {due} 前确定办理方式", s("reason_text"))
            }
        }
        "document_issued" => s("doc_no"),
        "appointment_made" => format!("约谈日期 {}", s("appointment_on")),
        "recusal_declared" => s("reason"),
        "disposed" | "disposition_proposed" => {
            let units: Vec<String> = payload
                .get("units")
                .and_then(|u| u.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.get("name").and_then(|n| n.as_str()).map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            format!(
                "{}{}",
                xinfang_app::handling::disposition_label(&s("disposition")),
                if units.is_empty() {
                    String::new()
                } else {
                    format!("：{}", units.join("、"))
                }
            )
        }
        "approval_decided" => format!(
            "{}{}",
            if s("state") == "approved" {
                "同意"
            } else {
                "不同意"
            },
            if s("comment").is_empty() {
                String::new()
            } else {
                format!("：{}", s("comment"))
            }
        ),
        "unit_signed_for" => format!("告知期限 {}，异议期限 {}", s("notify_due"), s("object_due")),
        "unit_accepted" => format!("{}；办理期限 {}", s("petitioner_told_how"), s("due_on")),
        "unit_objected" => s("reason"),
        "extended" => format!("延期至 {}：{}", s("due_on"), s("reason")),
        "report_reviewed" | "sent_back" => s("outcome"),
        "closed" => s("closing_report_route_label"),
        "appeal_requested" => format!("{}，应于 {} 前作出意见", s("organ"), s("due_on")),
        "leader_instruction_recorded" => s("leader"),
        "supervision_raised" | "supervision_opened" => s("trigger_label"),
        "supervised" => format!(
            "{}：{}；应于 {} 前书面答复",
            s("method_label"),
            s("note"),
            s("answer_due")
        ),
        "supervision_answered" => s("answer"),
        "deadline_extended" | "deadline_shortened" | "deadline_resumed" => {
            format!("期限至 {}", s("due_on"))
        }
        "deadline_recomputed" => format!("期限由 {} 改为 {}", s("due_before"), s("due_on")),
        k if k.starts_with("document_") => {
            let title = xinfang_domain::document::DocumentKind::parse(&s("kind"))
                .map(|k| k.title_zh())
                .unwrap_or("");
            let mut out = title.to_string();
            if !s("doc_no").is_empty() {
                out = format!("{out} {}", s("doc_no"));
            }
            if !s("comment").is_empty() {
                out = format!("{out}；意见：{}", s("comment"));
            }
            out
        }
        _ => String::new(),
    }
}

pub(crate) async fn petition_page(
    state: &AppState,
    u: &CurrentUser,
    id: &str,
    errors: Vec<(Option<String>, String)>,
    flash: &str,
) -> Response {
    let result = async {
        let p = xinfang_app::access::open_petition(state, u, id, "view").await?;
        let access = p.access();
        let identity = p.identity();
        let interviews = xinfang_app::intake::interviews(state, &p).await?;
        let documents = xinfang_app::drafting::documents::readable_documents(state, u, &p).await?;
        let events = xinfang_app::access::history(state, &p).await?;
        let units = xinfang_app::admin::units(state).await?;
        let users: HashMap<String, String> = xinfang_app::admin::names(state).await?;
        let access_log = xinfang_app::access::access_log(state, u, &p).await?;
        let earlier = xinfang_app::access::earlier_petition(state, u, &p).await?;
        let repeat_of = earlier
            .as_ref()
            .map(|x| x.petition_no.clone())
            .unwrap_or_default();
        // The same matter after 复核 or a lapsed window: propose 不再受理 at intake (lifecycle §3).
        let repeat_final = match &earlier {
            Some(x) => xinfang_app::handling::is_final(state, x).await?,
            None => false,
        };
        let preselect = if repeat_final {
            Acceptance::NoLongerAccepted
        } else {
            Acceptance::Accepted
        };
        let (deadlines, supervision_items) = deadline_views(state, u, &p, &units).await?;
        let messages = xinfang_app::outbox::messages_of(state, u, &p.id).await?;
        let ratings = xinfang_app::public::ratings_of(state, u, &p.id).await?;
        let rating_offer = xinfang_app::public::phone_rating_offer(state, u, &p.id).await?;
        // The form is offered exactly when the lifecycle would accept a decision from this user.
        let decidable = xinfang_domain::lifecycle::execute(
            &xinfang_domain::lifecycle::PetitionState {
                channel: p.channel,
                stage: p.stage,
                acceptance: p.acceptance,
                collective_without_representatives: false,
                ..xinfang_domain::lifecycle::PetitionState::new(p.channel)
            },
            &xinfang_domain::lifecycle::Command::Decide {
                acceptance: Acceptance::NotAccepted,
            },
            u.role(),
        )
        .is_ok();
        let archive = xinfang_app::archives::status(state, u, &p.id).await?;
        let may_publish = xinfang_app::publication::may_offer(state, u, &p.id).await?;
        Ok::<_, AppError>(PetitionPage {
            archive,
            may_publish,
            today: xinfang_app::clock::local_date(state.clock.now()).to_string(),
            messages,
            ratings,
            rating_offer,
            layout: layout(state, Some(u), flash),
            stage_label: p.stage.label_zh(),
            channel_label: p.channel.label_zh(),
            acceptance_label: p.acceptance.map(|a| a.label_zh()).unwrap_or("尚未决定"),
            visited_at: show(&p.visited_at),
            registered_at: show(&p.registered_at),
            query_code: if identity {
                p.query_code.clone()
            } else {
                String::new()
            },
            region_name: region::lookup(&p.issue_region)
                .map(|r| format!("{} {}", r.code, r.full_name))
                .unwrap_or_else(|| p.issue_region.clone()),
            township_name: match &p.township {
                Some(t) => xinfang_app::township::name(state, t).await,
                None => String::new(),
            },
            source_text: p.source.as_ref().map(source_text).unwrap_or_default(),
            repeat_of,
            classification: [
                p.purpose
                    .as_deref()
                    .and_then(|c| catalog::label(catalog::PURPOSES, c)),
                p.category
                    .as_deref()
                    .and_then(|c| catalog::label(catalog::CATEGORIES, c)),
                p.petition_class
                    .as_deref()
                    .and_then(|c| catalog::label(catalog::PETITION_CLASSES, c)),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" / "),
            identity,
            petitioners: p
                .petitioners
                .iter()
                .map(|x| PetitionerView {
                    name: x.name.clone(),
                    id_type: catalog::label(catalog::ID_TYPES, &x.id_type).unwrap_or(""),
                    id_number: x.id_number.clone().unwrap_or_default(),
                    sex: match x.sex.as_deref() {
                        Some("male") => "男",
                        Some("female") => "女",
                        _ => "",
                    },
                    age: x.age.map(|a| a.to_string()).unwrap_or_default(),
                    ethnicity: x
                        .ethnicity
                        .as_deref()
                        .and_then(ethnicity::name)
                        .unwrap_or(""),
                    phone: x.phone.clone(),
                    occupation: x.occupation.clone(),
                    address: x.address.clone(),
                    representative: x.is_representative,
                })
                .collect(),
            interviews: interviews
                .into_iter()
                .map(|i| InterviewView {
                    recorded_at: show(&i.recorded_at),
                    recorded_by: users.get(&i.recorded_by).cloned().unwrap_or_default(),
                    facts_and_requests: i.facts_and_requests,
                    earlier_petitions: i.earlier_petitions,
                    skip_or_repeat_reason: i.skip_or_repeat_reason,
                    abnormal_behaviour: i.abnormal_behaviour,
                    coordination: i.coordination,
                    appointment_on: i.appointment_on,
                    appointment_note: i.appointment_note,
                })
                .collect(),
            can_interview: visibility::may_interview(u.role(), p.channel, p.stage).is_ok(),
            can_decide: decidable,
            repeat_final,
            acceptances: Acceptance::ALL
                .iter()
                .map(|a| (a.as_str(), a.label_zh(), *a == preselect))
                .collect(),
            reasons: xinfang_app::admin::decision_reasons(state)
                .await?
                .into_iter()
                .filter(|r| r.active)
                .map(|r| (r.acceptance, r.code, r.reason))
                .collect(),
            units: units
                .iter()
                .filter(|x| x.active)
                .map(|x| {
                    (
                        x.id.clone(),
                        format!(
                            "{}（{}）",
                            x.name,
                            xinfang_store::people::UNIT_KINDS
                                .iter()
                                .find(|k| k.0 == x.kind)
                                .map(|k| k.1)
                                .unwrap_or("")
                        ),
                    )
                })
                .collect(),
            documents: documents
                .iter()
                .map(|d| DocumentView {
                    id: d.id.clone(),
                    state: drafting_label(&d.state),
                    pdf_href: if drafting_label(&d.state).is_empty() {
                        format!("/documents/{}.pdf", d.id)
                    } else {
                        format!("/drafting/{}/file/pdf", d.id)
                    },
                    title: xinfang_domain::document::DocumentKind::parse(&d.kind)
                        .map(|k| k.title_zh().to_string())
                        .unwrap_or_else(|| d.kind.clone()),
                    doc_no: d.doc_no.clone().unwrap_or_default(),
                    issued_at: d.issued_at.as_deref().map(show).unwrap_or_default(),
                    template_version: d.template_version.clone(),
                    warnings: d
                        .data
                        .get("font_warnings")
                        .and_then(|w| w.as_array())
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect(),
            events: events
                .iter()
                .map(|e| EventView {
                    at: show(&e.at),
                    actor: e.actor_name.clone().unwrap_or_default(),
                    role: Role::parse(&e.actor_role)
                        .map(|r| r.label_zh())
                        .unwrap_or(""),
                    label: event_label(&e.kind),
                    detail: event_detail(&e.kind, &e.payload),
                })
                .collect(),
            access_log: access_log
                .into_iter()
                .map(|(at, who, what)| (show(&at), who, what))
                .collect(),
            h: handling::panel(state, u, &p, access).await?,
            deadlines,
            supervision_items,
            can_open_supervision: xinfang_domain::supervision::may_supervise(
                u.role(),
                p.channel,
                xinfang_domain::supervision::ItemState::Open,
            ) && !u.role().is_leader(),
            manual_triggers: xinfang_domain::supervision::TriggerKind::ALL
                .iter()
                .filter(|t| !t.automatic())
                .map(|t| (t.as_str(), t.label_zh()))
                .collect(),
            errors,
            p,
        })
    }
    .await;
    match result {
        Ok(page) => {
            let status = if page.errors.is_empty() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            (status, page).into_response()
        }
        Err(e) => error_page(state, Some(u), e),
    }
}

/// The petition's deadlines with their badges and its supervision items; unit staff see only
/// their own unit's.
async fn deadline_views(
    state: &AppState,
    u: &CurrentUser,
    p: &xinfang_store::petitions::PetitionRecord,
    units: &[xinfang_store::people::Unit],
) -> Result<(Vec<DeadlineView>, Vec<supervision::ItemRow>), AppError> {
    let b = xinfang_app::deadlines::badge_context(state).await?;
    let rules = xinfang_app::deadlines::rules(state).await?;
    let deadlines = xinfang_app::deadlines::of_petition(state, u, p)
        .await?
        .into_iter()
        .map(|d| DeadlineView {
            rule_name: rules
                .iter()
                .find(|r| r.code == d.rule_code)
                .map(|r| r.name.clone())
                .unwrap_or_else(|| d.rule_code.clone()),
            unit_name: d
                .unit_id
                .as_ref()
                .and_then(|id| units.iter().find(|x| &x.id == id))
                .map(|x| x.name.clone())
                .unwrap_or_default(),
            started_on: d.started_on.to_string(),
            due_on: if d.running() && xinfang_app::deadlines::is_provisional(&b.calendar, &d) {
                format!(
                    "{}（暂定：{} 年节假日安排未录入）",
                    d.due_on,
                    d.due_on.format("%Y")
                )
            } else {
                d.due_on.to_string()
            },
            state: match d.state.as_str() {
                "running" => "计算中",
                "met" => "已完成",
                _ => "已取消",
            },
            note: [
                d.shortened_by
                    .as_ref()
                    .map(|s| format!("领导批示缩短：{s}")),
                (d.extended_days > 0).then(|| format!("已延期 {} 日", d.extended_days)),
                d.paused_since.map(|s| format!("{s} 起中止计算")),
                (d.paused_days > 0).then(|| format!("听证中止 {} 日", d.paused_days)),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("；"),
            badge: d.running().then(|| b.badge(&d)),
        })
        .collect();
    let items = xinfang_app::supervision::items_of_petition(state, u, p)
        .await?
        .into_iter()
        .map(|i| supervision::item_row(&i))
        .collect();
    Ok((deadlines, items))
}

async fn petition(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    petition_page(&state, &u, &id, Vec::new(), &flash_of(&q)).await
}

/// A rating the petitioner gave by phone, recorded from the petition's page.
async fn phone_rating_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<Pairs>,
) -> Response {
    let f: HashMap<String, String> = f.into_iter().collect();
    let input = xinfang_domain::public::RatingInput {
        bureau: f.get("bureau").cloned().unwrap_or_default(),
        unit: f.get("unit").cloned().unwrap_or_default(),
        comment: f.get("comment").cloned().unwrap_or_default(),
    };
    match xinfang_app::public::record_phone_rating(&state, &u, &id, &input).await {
        Ok(_) => Redirect::to(&format!("/petitions/{id}?done=rating")).into_response(),
        Err(AppError::Invalid(errors)) => {
            let errors = errors.into_iter().map(|e| (e.field, e.message)).collect();
            petition_page(&state, &u, &id, errors, "").await
        }
        Err(e) => error_page(&state, Some(&u), e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InterviewForm {
    facts_and_requests: String,
    earlier_petitions: String,
    skip_or_repeat_reason: String,
    abnormal_behaviour: String,
    coordination: String,
    unfinished: Option<String>,
    appointment_on: String,
    appointment_note: String,
}

async fn interview_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<InterviewForm>,
) -> Response {
    let input = InterviewInput {
        facts_and_requests: f.facts_and_requests,
        earlier_petitions: f.earlier_petitions,
        skip_or_repeat_reason: f.skip_or_repeat_reason,
        abnormal_behaviour: f.abnormal_behaviour,
        coordination: f.coordination,
        finished: Some(f.unfinished.is_none()),
        appointment_on: f.appointment_on,
        appointment_note: f.appointment_note,
    };
    match xinfang_app::intake::record_interview(&state, &u, &id, &input).await {
        Ok(()) => Redirect::to(&format!("/petitions/{id}?done=interview")).into_response(),
        Err(e @ AppError::Invalid(_)) => petition_page(&state, &u, &id, e.messages(), "").await,
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn decision_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<DecisionInput>,
) -> Response {
    match xinfang_app::intake::decide(&state, &u, &id, &f).await {
        Ok(_) => Redirect::to(&format!("/petitions/{id}?done=decided")).into_response(),
        Err(e @ AppError::Invalid(_)) => petition_page(&state, &u, &id, e.messages(), "").await,
        Err(e) => error_page(&state, Some(&u), e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RecusalForm {
    reason: String,
}

async fn recusal_submit(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<RecusalForm>,
) -> Response {
    let input = xinfang_app::access::RecusalInput {
        petition_id: Some(id),
        reason: f.reason,
        ..Default::default()
    };
    match xinfang_app::access::declare_recusal(&state, &u, &input).await {
        Ok(_) => Redirect::to("/petitions").into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn document_pdf(
    State(state): S,
    PageUser(u): PageUser,
    Path(file): Path<String>,
) -> Response {
    let id = file.trim_end_matches(".pdf");
    match crate::http::api::pdf_response(&state, &u, id).await {
        Ok(r) => r,
        Err(e) => error_page(&state, Some(&u), e),
    }
}

// ---------------------------------------------------------------------------------------------
// Same-day completeness (V1.3)

#[derive(Template, WebTemplate)]
#[template(path = "intake/today.html")]
struct TodayPage {
    layout: Layout,
    day: String,
    workday_end: String,
    rows: Vec<(String, String, String, String, String)>,
    complete: usize,
    total: usize,
}

async fn today(
    State(state): S,
    PageUser(u): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !u.role().is_bureau_staff() {
        return error_page(&state, Some(&u), AppError::forbidden());
    }
    let day = match q.get("day").filter(|d| !d.is_empty()) {
        Some(d) => match xinfang_domain::registration::parse_date("day", d) {
            Ok(d) => d,
            Err(e) => return error_page(&state, Some(&u), e.into()),
        },
        None => local_date(state.clock.now()),
    };
    let list = match xinfang_app::intake::registrations_on(&state, &u, day).await {
        Ok(l) => l,
        Err(e) => return error_page(&state, Some(&u), e),
    };
    let rows: Vec<_> = list
        .iter()
        .map(|(p, presence)| {
            let names = if p.confidential && !u.role().is_leader() {
                "（保密）".into()
            } else {
                p.petitioners
                    .iter()
                    .map(|x| x.name.as_str())
                    .collect::<Vec<_>>()
                    .join("、")
            };
            (
                p.id.clone(),
                p.petition_no.clone(),
                names,
                show(&p.registered_at),
                missing_seed_fields(presence).join("、"),
            )
        })
        .collect();
    let complete = rows.iter().filter(|r| r.4.is_empty()).count();
    TodayPage {
        layout: layout(&state, Some(&u), ""),
        day: day.to_string(),
        workday_end: state.bureau.workday_end.clone(),
        total: rows.len(),
        complete,
        rows,
    }
    .into_response()
}

// ---------------------------------------------------------------------------------------------
// Administration

struct UserRow {
    id: String,
    username: String,
    display_name: String,
    role: &'static str,
    role_label: &'static str,
    unit: String,
    unit_id: String,
    active: bool,
    /// 启用, 停用, or the grant waiting for the security administrator.
    status: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/users.html")]
struct UsersPage {
    layout: Layout,
    errors: Vec<(Option<String>, String)>,
    users: Vec<UserRow>,
    roles: Vec<(&'static str, &'static str)>,
    units: Vec<(String, String)>,
}

async fn users_page_for(
    state: &AppState,
    u: &CurrentUser,
    errors: Vec<(Option<String>, String)>,
    flash: &str,
) -> Response {
    if u.role() != Role::Admin {
        return error_page(state, Some(u), AppError::forbidden());
    }
    let (users, units) = match (
        xinfang_app::admin::users(state).await,
        xinfang_app::admin::units(state).await,
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return error_page(state, Some(u), e),
    };
    let unit_name: HashMap<&str, &str> = units
        .iter()
        .map(|x| (x.id.as_str(), x.name.as_str()))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = UsersPage {
        layout: layout(state, Some(u), flash),
        users: users
            .iter()
            .map(|x| UserRow {
                id: x.id.clone(),
                username: x.username.clone(),
                display_name: x.display_name.clone(),
                role: x.role.as_str(),
                role_label: x.role.label_zh(),
                unit: x
                    .unit_id
                    .as_deref()
                    .and_then(|id| unit_name.get(id))
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
                unit_id: x.unit_id.clone().unwrap_or_default(),
                active: x.active,
                status: if !x.active {
                    "停用".into()
                } else if !x.role_confirmed {
                    "待安全保密管理员确认".into()
                } else if let Some(p) = x.pending_role {
                    format!("待确认改为{}", p.label_zh())
                } else if x.must_set_password {
                    "待本人设置密码".into()
                } else {
                    "启用".into()
                },
            })
            .collect(),
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), r.label_zh()))
            .collect(),
        units: units
            .iter()
            .map(|x| (x.id.clone(), x.name.clone()))
            .collect(),
        errors,
    };
    (status, page).into_response()
}

async fn users_page(
    State(state): S,
    PageUser(u): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    users_page_for(&state, &u, Vec::new(), &flash_of(&q)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UserForm {
    username: String,
    display_name: String,
    role: String,
    unit_id: String,
    password: String,
    active: Option<String>,
}

impl UserForm {
    fn input(self) -> xinfang_app::admin::UserInput {
        xinfang_app::admin::UserInput {
            username: self.username,
            display_name: self.display_name,
            role: self.role,
            unit_id: Some(self.unit_id).filter(|s| !s.is_empty()),
            password: self.password,
            active: self.active.map(|a| a == "true"),
        }
    }
}

async fn user_create(State(state): S, PageUser(u): PageUser, Form(f): Form<UserForm>) -> Response {
    match xinfang_app::admin::create_user(&state, &u, &f.input()).await {
        Ok(_) => Redirect::to("/admin/users?done=saved").into_response(),
        Err(e @ AppError::Invalid(_)) => users_page_for(&state, &u, e.messages(), "").await,
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn user_update(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<UserForm>,
) -> Response {
    match xinfang_app::admin::update_user(&state, &u, &id, &f.input()).await {
        Ok(_) => Redirect::to("/admin/users?done=saved").into_response(),
        Err(e @ AppError::Invalid(_)) => users_page_for(&state, &u, e.messages(), "").await,
        Err(e) => error_page(&state, Some(&u), e),
    }
}

struct UnitRow {
    id: String,
    code: String,
    name: String,
    kind: String,
    kind_label: &'static str,
    region: String,
    region_code: String,
    active: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/units.html")]
struct UnitsPage {
    layout: Layout,
    errors: Vec<(Option<String>, String)>,
    units: Vec<UnitRow>,
    kinds: &'static [(&'static str, &'static str)],
}

async fn units_page_for(
    state: &AppState,
    u: &CurrentUser,
    errors: Vec<(Option<String>, String)>,
    flash: &str,
) -> Response {
    if u.role() != Role::Admin {
        return error_page(state, Some(u), AppError::forbidden());
    }
    let units = match xinfang_app::admin::units(state).await {
        Ok(x) => x,
        Err(e) => return error_page(state, Some(u), e),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = UnitsPage {
        layout: layout(state, Some(u), flash),
        units: units
            .iter()
            .map(|x| UnitRow {
                id: x.id.clone(),
                code: x.code.clone(),
                name: x.name.clone(),
                kind: x.kind.clone(),
                kind_label: xinfang_store::people::UNIT_KINDS
                    .iter()
                    .find(|k| k.0 == x.kind)
                    .map(|k| k.1)
                    .unwrap_or(""),
                region: x
                    .region_code
                    .as_deref()
                    .and_then(region::lookup)
                    .map(|r| r.full_name.clone())
                    .unwrap_or_default(),
                region_code: x.region_code.clone().unwrap_or_default(),
                active: x.active,
            })
            .collect(),
        kinds: xinfang_store::people::UNIT_KINDS,
        errors,
    };
    (status, page).into_response()
}

async fn units_page(
    State(state): S,
    PageUser(u): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    units_page_for(&state, &u, Vec::new(), &flash_of(&q)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UnitForm {
    code: String,
    name: String,
    kind: String,
    region_code: String,
    active: Option<String>,
}

impl UnitForm {
    fn input(self) -> xinfang_app::admin::UnitInput {
        xinfang_app::admin::UnitInput {
            code: self.code,
            name: self.name,
            kind: self.kind,
            region_code: Some(self.region_code).filter(|s| !s.is_empty()),
            active: self.active.map(|a| a == "true"),
        }
    }
}

async fn unit_create(State(state): S, PageUser(u): PageUser, Form(f): Form<UnitForm>) -> Response {
    match xinfang_app::admin::create_unit(&state, &u, &f.input()).await {
        Ok(_) => Redirect::to("/admin/units?done=saved").into_response(),
        Err(e @ AppError::Invalid(_)) => units_page_for(&state, &u, e.messages(), "").await,
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn unit_update(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<UnitForm>,
) -> Response {
    match xinfang_app::admin::update_unit(&state, &u, &id, &f.input()).await {
        Ok(_) => Redirect::to("/admin/units?done=saved").into_response(),
        Err(e @ AppError::Invalid(_)) => units_page_for(&state, &u, e.messages(), "").await,
        Err(e) => error_page(&state, Some(&u), e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/reasons.html")]
struct ReasonsPage {
    layout: Layout,
    errors: Vec<(Option<String>, String)>,
    reasons: Vec<(xinfang_store::reasons::DecisionReason, &'static str)>,
    acceptances: Vec<(&'static str, &'static str)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/dictionary.html")]
struct DictionaryPage {
    layout: Layout,
    dictionary: xinfang_app::search::Dictionary,
    errors: Vec<(Option<String>, String)>,
}

async fn dictionary_page_for(
    state: &AppState,
    u: &CurrentUser,
    errors: Vec<(Option<String>, String)>,
    flash: &str,
) -> Response {
    let dictionary = match xinfang_app::search::dictionary(state, u).await {
        Ok(d) => d,
        Err(e) => return error_page(state, Some(u), e),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = DictionaryPage {
        layout: layout(state, Some(u), flash),
        dictionary,
        errors,
    };
    (status, page).into_response()
}

async fn dictionary_page(
    State(state): S,
    PageUser(u): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    dictionary_page_for(&state, &u, Vec::new(), &flash_of(&q)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WordForm {
    word: String,
}

async fn dictionary_add(
    State(state): S,
    PageUser(u): PageUser,
    Form(f): Form<WordForm>,
) -> Response {
    match xinfang_app::search::add_word(&state, &u, &f.word).await {
        Ok(()) => Redirect::to("/admin/dictionary?done=saved").into_response(),
        Err(e @ AppError::Invalid(_)) => dictionary_page_for(&state, &u, e.messages(), "").await,
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn dictionary_remove(
    State(state): S,
    PageUser(u): PageUser,
    Form(f): Form<WordForm>,
) -> Response {
    match xinfang_app::search::remove_word(&state, &u, &f.word).await {
        Ok(()) => Redirect::to("/admin/dictionary?done=saved").into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn reasons_page_for(
    state: &AppState,
    u: &CurrentUser,
    errors: Vec<(Option<String>, String)>,
    flash: &str,
) -> Response {
    if u.role() != Role::Admin {
        return error_page(state, Some(u), AppError::forbidden());
    }
    let reasons = match xinfang_app::admin::decision_reasons(state).await {
        Ok(r) => r,
        Err(e) => return error_page(state, Some(u), e),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ReasonsPage {
        layout: layout(state, Some(u), flash),
        reasons: reasons
            .into_iter()
            .map(|r| {
                let label = Acceptance::parse(&r.acceptance)
                    .map(|a| a.label_zh())
                    .unwrap_or("");
                (r, label)
            })
            .collect(),
        acceptances: Acceptance::ALL
            .iter()
            .map(|a| (a.as_str(), a.label_zh()))
            .collect(),
        errors,
    };
    (status, page).into_response()
}

async fn reasons_page(
    State(state): S,
    PageUser(u): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    reasons_page_for(&state, &u, Vec::new(), &flash_of(&q)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReasonForm {
    acceptance: String,
    code: String,
    reason: String,
    legal_text: String,
    position: String,
    active: Option<String>,
}

impl ReasonForm {
    fn input(self) -> xinfang_app::admin::ReasonInput {
        xinfang_app::admin::ReasonInput {
            acceptance: self.acceptance,
            code: self.code,
            reason: self.reason,
            legal_text: self.legal_text,
            position: self.position.trim().parse().ok(),
            active: self.active.map(|a| a == "true"),
        }
    }
}

async fn reason_create(
    State(state): S,
    PageUser(u): PageUser,
    Form(f): Form<ReasonForm>,
) -> Response {
    match xinfang_app::admin::create_reason(&state, &u, &f.input()).await {
        Ok(_) => Redirect::to("/admin/reasons?done=saved").into_response(),
        Err(e @ AppError::Invalid(_)) => reasons_page_for(&state, &u, e.messages(), "").await,
        Err(e) => error_page(&state, Some(&u), e),
    }
}

async fn reason_update(
    State(state): S,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<ReasonForm>,
) -> Response {
    match xinfang_app::admin::update_reason(&state, &u, &id, &f.input()).await {
        Ok(_) => Redirect::to("/admin/reasons?done=saved").into_response(),
        Err(e @ AppError::Invalid(_)) => reasons_page_for(&state, &u, e.messages(), "").await,
        Err(e) => error_page(&state, Some(&u), e),
    }
}

// ---------------------------------------------------------------------------------------------
// Administration: the official calendar

/// A year's notice as shown on the page: breaks as ranges, one per line.
struct NoticeView {
    year: i32,
    holidays: String,
    makeup_workdays: String,
    summary: String,
}

/// What an administrator typed that was refused, shown again for correction.
#[derive(Default)]
struct NoticeDraft {
    year: String,
    holidays: String,
    makeup_workdays: String,
}

#[derive(Default)]
struct DeadlineTrial {
    start: String,
    days: String,
    mode: String,
    due: String,
    errors: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "calendar/calendar.html")]
struct CalendarPage {
    layout: Layout,
    errors: Vec<(Option<String>, String)>,
    notices: Vec<NoticeView>,
    new_notice: NoticeDraft,
    missing_years: Vec<i32>,
    trial: DeadlineTrial,
    modes: Vec<(&'static str, &'static str)>,
}

/// Dates in order, consecutive days joined into `from 至 to`, one entry per line.
fn date_ranges(dates: &[chrono::NaiveDate]) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut i = 0;
    while i < dates.len() {
        let mut j = i;
        while j + 1 < dates.len() && dates[j].succ_opt() == Some(dates[j + 1]) {
            j += 1;
        }
        lines.push(if i == j {
            dates[i].to_string()
        } else {
            format!("{} 至 {}", dates[i], dates[j])
        });
        i = j + 1;
    }
    lines.join("\n")
}

/// Longest range accepted on the page (the 2020 Spring Festival break was 10 days).
const MAX_RANGE_DAYS: i64 = 31;

/// Dates typed on the calendar page: one per line or separated by commas, a break as a range
/// `2027-02-06 至 2027-02-14` (or `~`). What is not a date passes through for the use case to
/// name; a range too long or backwards is refused here.
fn typed_dates(label: &str, text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for segment in text.split(['\n', '\r', ',', '，', '、', ';', '；']) {
        let segment = segment.trim();
        if segment.is_empty() {
            continue;
        }
        let Some((from, to)) = segment.split_once(['至', '~', '～']) else {
            out.extend(segment.split_whitespace().map(str::to_string));
            continue;
        };
        let parse = |s: &str| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
        let (Some(from), Some(to)) = (parse(from), parse(to)) else {
            out.push(segment.to_string());
            continue;
        };
        if to < from || (to - from).num_days() >= MAX_RANGE_DAYS {
            return Err(format!(
                "{label}：日期范围「{segment}」无效，结束日期不能早于开始日期，且一段不超过 {MAX_RANGE_DAYS} 天"
            ));
        }
        out.extend(
            from.iter_days()
                .take_while(|d| *d <= to)
                .map(|d| d.to_string()),
        );
    }
    Ok(out)
}

async fn calendar_page_for(
    state: &AppState,
    u: &CurrentUser,
    errors: Vec<(Option<String>, String)>,
    flash: &str,
    draft: NoticeDraft,
    trial: DeadlineTrial,
) -> Response {
    if u.role() != Role::Admin {
        return error_page(state, Some(u), AppError::forbidden());
    }
    let notices = match xinfang_app::calendar::notices(state).await {
        Ok(n) => n,
        Err(e) => return error_page(state, Some(u), e),
    };
    let today = local_date(state.clock.now());
    let this_year = chrono::Datelike::year(&today);
    // Each notice appears in November for the next year.
    let mut missing_years = vec![this_year];
    if chrono::Datelike::month(&today) >= 11 {
        missing_years.push(this_year + 1);
    }
    missing_years.retain(|y| !notices.iter().any(|n| n.year == *y));
    let draft_year = draft.year.trim().parse::<i32>().ok();
    let mut new_notice = Some(draft);
    let mut views = Vec::new();
    for n in notices.iter().rev() {
        let mut view = NoticeView {
            year: n.year,
            holidays: date_ranges(&n.holidays),
            makeup_workdays: n
                .makeup_workdays
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
            summary: format!(
                "放假 {} 天，调休上班 {} 天",
                n.holidays.len(),
                n.makeup_workdays.len()
            ),
        };
        if draft_year == Some(n.year)
            && let Some(d) = new_notice.take()
        {
            view.holidays = d.holidays;
            view.makeup_workdays = d.makeup_workdays;
        }
        views.push(view);
    }
    let status = if errors.is_empty() && trial.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = CalendarPage {
        layout: layout(state, Some(u), flash),
        errors,
        notices: views,
        new_notice: new_notice.unwrap_or_default(),
        missing_years,
        trial,
        modes: vec![
            ("calendar", deadline::CountingMode::Calendar.label_zh()),
            ("working", deadline::CountingMode::Working.label_zh()),
        ],
    };
    (status, page).into_response()
}

async fn calendar_page(
    State(state): S,
    PageUser(u): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut trial = DeadlineTrial {
        start: q.get("start").cloned().unwrap_or_default(),
        days: q.get("days").cloned().unwrap_or_default(),
        mode: q.get("mode").cloned().unwrap_or_default(),
        ..Default::default()
    };
    if !trial.start.is_empty() && u.role() == Role::Admin {
        let input = xinfang_app::calendar::DeadlineInput {
            start: trial.start.clone(),
            // Not a whole number: asked for again like a missing one.
            days: trial.days.trim().parse().ok(),
            mode: trial.mode.clone(),
            rule: None,
        };
        match xinfang_app::calendar::compute_deadline(&state, &input).await {
            Ok(due) => trial.due = due.to_string(),
            Err(e @ AppError::Invalid(_)) => {
                trial.errors = e.messages().into_iter().map(|m| m.1).collect()
            }
            Err(e) => return error_page(&state, Some(&u), e),
        }
    }
    calendar_page_for(
        &state,
        &u,
        Vec::new(),
        &flash_of(&q),
        NoticeDraft::default(),
        trial,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NoticeForm {
    year: String,
    holidays: String,
    makeup_workdays: String,
}

async fn save_notice_form(state: &AppState, u: &CurrentUser, f: NoticeForm) -> Response {
    let input = typed_dates("放假日期", &f.holidays).and_then(|holidays| {
        Ok(xinfang_app::calendar::CalendarNoticeInput {
            holidays,
            makeup_workdays: typed_dates("调休上班日", &f.makeup_workdays)?,
        })
    });
    let result = match input {
        Ok(input) => xinfang_app::deadlines::enter_calendar_notice(state, u, &f.year, &input)
            .await
            .map(|(n, _)| n),
        Err(message) => Err(AppError::Invalid(vec![
            xinfang_domain::FieldError::general("invalid_range", message),
        ])),
    };
    match result {
        Ok(n) => Redirect::to(&format!("/admin/calendar?done=saved#y{}", n.year)).into_response(),
        Err(e @ AppError::Invalid(_)) => {
            let year = f.year.trim().to_string();
            let errors = e
                .messages()
                .into_iter()
                .map(|(field, m)| (field, format!("{year} 年：{m}")))
                .collect();
            let draft = NoticeDraft {
                year: f.year,
                holidays: f.holidays,
                makeup_workdays: f.makeup_workdays,
            };
            calendar_page_for(state, u, errors, "", draft, DeadlineTrial::default()).await
        }
        Err(e) => error_page(state, Some(u), e),
    }
}

async fn calendar_create(
    State(state): S,
    PageUser(u): PageUser,
    Form(f): Form<NoticeForm>,
) -> Response {
    save_notice_form(&state, &u, f).await
}

async fn calendar_update(
    State(state): S,
    PageUser(u): PageUser,
    Path(year): Path<String>,
    Form(mut f): Form<NoticeForm>,
) -> Response {
    f.year = year;
    save_notice_form(&state, &u, f).await
}

#[derive(Template, WebTemplate)]
#[template(path = "mailroom/online.html")]
struct OnlinePage {
    layout: Layout,
    items: Vec<xinfang_app::public::OnlineQueueItem>,
    to_notify: Vec<xinfang_app::mailroom::QueueItem>,
}

/// The online intake queue: online petitions to register (their 15-day clock from submission,
/// their possible repeats), and those registered whose writer is still to be told.
async fn online_page(State(state): S, PageUser(u): PageUser) -> Response {
    let result = async {
        let items = xinfang_app::public::online_queue(&state, &u).await?;
        let to_notify =
            xinfang_app::mailroom::queue(&state, &u, xinfang_app::mailroom::Queue::OnlineToNotify)
                .await?;
        Ok::<_, AppError>((items, to_notify))
    }
    .await;
    match result {
        Ok((items, to_notify)) => OnlinePage {
            layout: layout(&state, Some(&u), ""),
            items,
            to_notify,
        }
        .into_response(),
        Err(e) => error_page(&state, Some(&u), e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/message_templates.html")]
struct TemplatesPage {
    layout: Layout,
    templates: Vec<(String, &'static str, String, String, String)>,
    errors: Vec<(Option<String>, String)>,
}

async fn templates_page_for(
    state: &AppState,
    u: &CurrentUser,
    errors: Vec<(Option<String>, String)>,
    flash: &str,
) -> Response {
    if let Err(e) = u.require(&[Role::Admin]) {
        return error_page(state, Some(u), e);
    }
    match xinfang_app::outbox::templates(state).await {
        Ok(t) => TemplatesPage {
            layout: layout(state, Some(u), flash),
            templates: t
                .into_iter()
                .map(|(k, t)| {
                    (
                        k.as_str().to_string(),
                        k.label_zh(),
                        t.subject,
                        t.body,
                        k.placeholders()
                            .iter()
                            .map(|p| format!("{{{p}}}"))
                            .collect::<Vec<_>>()
                            .join(" "),
                    )
                })
                .collect(),
            errors,
        }
        .into_response(),
        Err(e) => error_page(state, Some(u), e),
    }
}

async fn templates_page(
    State(state): S,
    PageUser(u): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    templates_page_for(&state, &u, Vec::new(), &flash_of(&q)).await
}

async fn template_save(State(state): S, PageUser(u): PageUser, Form(f): Form<Pairs>) -> Response {
    let f: HashMap<String, String> = f.into_iter().collect();
    let input = xinfang_app::outbox::TemplateInput {
        subject: f.get("subject").cloned().unwrap_or_default(),
        body: f.get("body").cloned().unwrap_or_default(),
    };
    let kind = f.get("kind").cloned().unwrap_or_default();
    match xinfang_app::outbox::save_template(&state, &u, &kind, &input).await {
        Ok(_) => Redirect::to("/admin/message-templates?done=saved").into_response(),
        Err(AppError::Invalid(errors)) => {
            let errors = errors.into_iter().map(|e| (e.field, e.message)).collect();
            templates_page_for(&state, &u, errors, "").await
        }
        Err(e) => error_page(&state, Some(&u), e),
    }
}

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login_submit))
        .merge(accounts::router())
        .route("/logout", post(logout))
        .route("/tasks/{id}/done", post(task_done))
        .route("/petitions", get(petitions).post(register_submit))
        .route("/petitions/search", post(petitions_search))
        .route("/petitions/xlsx", post(petitions_xlsx))
        .route("/petitions/new", get(register_page))
        .route("/petitions/{id}", get(petition))
        .route("/petitions/{id}/interview", post(interview_submit))
        .route("/petitions/{id}/decision", post(decision_submit))
        .route("/petitions/{id}/recusal", post(recusal_submit))
        .route("/petitions/{id}/ratings", post(phone_rating_submit))
        .route("/online", get(online_page))
        .route(
            "/admin/message-templates",
            get(templates_page).post(template_save),
        )
        .route("/documents/{file}", get(document_pdf))
        .route("/fragments/similar", post(similar_fragment))
        .route("/registrations/today", get(today))
        .route("/admin/users", get(users_page).post(user_create))
        .route("/admin/users/{id}", post(user_update))
        .route("/admin/units", get(units_page).post(unit_create))
        .route("/admin/units/{id}", post(unit_update))
        .route("/admin/reasons", get(reasons_page).post(reason_create))
        .route(
            "/admin/dictionary",
            get(dictionary_page).post(dictionary_add),
        )
        .route("/admin/dictionary/removal", post(dictionary_remove))
        .route("/admin/reasons/{id}", post(reason_update))
        .route("/admin/calendar", get(calendar_page).post(calendar_create))
        .route("/admin/calendar/{year}", post(calendar_update))
        .merge(handling::router())
        .merge(mailroom::router())
        .merge(supervision::router())
        .merge(statistics::router())
        .merge(drafting::router())
        .merge(archives::router())
        .merge(exchange::router())
        .merge(public::router())
}
