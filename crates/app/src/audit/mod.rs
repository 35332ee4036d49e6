//! The audit administrator (安全审计员): who opened, printed or exported what, and who signed in,
//! filtered by person, petition and date, as a page, JSON or CSV; and the verification of the
//! event chains. Reads metadata only — never a petition's content — and changes nothing.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use xinfang_domain::role::Role;
use xinfang_store::accounts::{AuditEntry, AuditFilter};

use crate::auth::CurrentUser;
use crate::clock::from_local;
use crate::context::AppState;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema, utoipa::IntoParams)]
#[serde(default)]
pub struct AuditQuery {
    /// A username.
    pub user: Option<String>,
    pub petition_no: Option<String>,
    /// `YYYY-MM-DD`, China Standard Time, inclusive.
    pub from: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub to: Option<String>,
}

fn date(field: &str, s: Option<&str>) -> AppResult<Option<NaiveDate>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => xinfang_domain::words::parse_date(field, s)
            .map(Some)
            .map_err(|e| AppError::Invalid(vec![e])),
    }
}

fn start_of(d: NaiveDate) -> String {
    xinfang_store::ts(from_local(d.and_hms_opt(0, 0, 0).unwrap_or_default()))
}

/// Who did what, newest first, at most 5,000 lines.
#[tracing::instrument(name = "audit::entries", skip_all)]
pub async fn entries(
    state: &AppState,
    auditor: &CurrentUser,
    q: &AuditQuery,
) -> AppResult<Vec<AuditEntry>> {
    auditor.require(&[Role::AuditAdmin])?;
    let from = date("from", q.from.as_deref())?;
    let to = date("to", q.to.as_deref())?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(AppError::field(
            "to",
            "before_from",
            "结束日期不能早于开始日期",
        ));
    }
    let user_id = match q.user.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(name) => Some(
            state
                .store
                .user_by_username(name)
                .await?
                .ok_or_else(|| {
                    AppError::field("user", "unknown_user", format!("没有用户“{name}”"))
                })?
                .id,
        ),
    };
    let filter = AuditFilter {
        user_id,
        petition_no: q
            .petition_no
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        from: from.map(start_of),
        to: to.and_then(|t| t.succ_opt()).map(start_of),
        limit: 5_000,
    };
    Ok(state.store.audit_entries(&state.bureau.id, &filter).await?)
}

/// What an action is called on the page and in the CSV.
pub fn action_label(action: &str) -> &str {
    match action {
        "view" | "api_view" => "查看信访件",
        "view_letter" => "查看来信",
        "download_document" => "打印/下载文书",
        "view_scan" => "查看扫描件",
        "view_report_file" => "查看报告附件",
        "signed_in" => "登录",
        "signed_in_with_code" => "以一次性登录码登录",
        "password_changed" => "修改密码",
        "user_created" => "新建账号",
        "user_updated" => "修改账号",
        "grant_confirmed" => "确认授权",
        "grant_rejected" => "驳回授权",
        "sign_in_code_issued" => "签发一次性登录码",
        "acting_approver_named" => "指定代理审批人",
        "handover" => "工作交接",
        "recusal_declared" => "声明回避",
        other => other,
    }
}

fn csv_field(s: &str) -> String {
    // A leading =, +, - or @ would run as a formula in a spreadsheet.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The entries as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese).
pub fn csv(rows: &[AuditEntry]) -> String {
    let mut out = String::from("\u{feff}时间,用户名,姓名,角色,信访件编号,操作,来源地址\r\n");
    for r in rows {
        let role = r
            .user_role
            .as_deref()
            .and_then(Role::parse)
            .map(Role::label_zh)
            .unwrap_or("");
        let fields = [
            r.at.as_str(),
            r.username.as_deref().unwrap_or(""),
            r.user_name.as_deref().unwrap_or(""),
            role,
            r.petition_no.as_deref().unwrap_or(""),
            action_label(&r.action),
            r.client.as_deref().unwrap_or(""),
        ];
        out.push_str(
            &fields
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    out
}

/// The verification of every event chain and checkpoint.
#[tracing::instrument(name = "audit::verify_chains", skip_all)]
pub async fn verify_chains(
    state: &AppState,
    auditor: &CurrentUser,
) -> AppResult<xinfang_store::audit::VerifyReport> {
    auditor.require(&[Role::AuditAdmin])?;
    Ok(state.store.verify(&state.bureau.id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_field("王五"), "王五");
    }
}
