//! The documents the handling steps leave as drafts for the bureau (rules §13, seed 一(六)):
//!
//! | step                                  | draft                              |
//! |---------------------------------------|------------------------------------|
//! | 交办 / 转送 approved                  | 交办函 / 转送函, one per unit        |
//! | extension approved                    | 延期告知书 to the petitioner         |
//! | the bureau's own result recorded      | 信访事项处理意见书 (答复意见书)       |
//! | written query reply recorded          | 书面告知单                          |
//! | closing approved                      | 结案报告, with where it goes         |
//!
//! The draft is created in the transaction of the step, in the name of the bureau officer who
//! carries the matter (the proposer of the step, else the first officer whose role drafts the
//! kind), so that it waits in their hands for editing and sign-off; the step's approver is
//! usually a leader, who signs documents off but does not draft them.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use xinfang_domain::document::DocumentKind;
use xinfang_domain::role::Role;
use xinfang_store::WriteTx as Tx;
use xinfang_store::people::User;
use xinfang_store::petitions::PetitionRecord;

use crate::context::AppState;
use crate::drafting;
use crate::error::AppResult;

/// Who drafts `kind` for the bureau: the first of `preferred` (user ids) whose role may draft
/// it; else the first active user whose role may (the letter clerk first for letters).
pub async fn drafter(
    state: &AppState,
    preferred: &[&str],
    kind: DocumentKind,
    letter: bool,
) -> AppResult<Option<User>> {
    for id in preferred.iter().filter(|id| !id.is_empty()) {
        if let Ok(u) = state.store.user(id).await
            && u.active
            && u.bureau_id == state.bureau.id
            && kind.may_draft(u.role)
        {
            return Ok(Some(u));
        }
    }
    let users = state.store.users(&state.bureau.id).await?;
    let first_with = |role: Role| {
        users
            .iter()
            .find(|u| u.active && u.role == role && kind.may_draft(role))
            .cloned()
    };
    let order: &[Role] = if letter {
        &[Role::LetterClerk, Role::CaseOfficer, Role::Office]
    } else {
        &[Role::CaseOfficer, Role::Office, Role::LetterClerk]
    };
    Ok(order.iter().find_map(|r| first_with(*r)))
}

/// Drafts `kind` for the petition inside the step's transaction; `None` when the bureau has no
/// one who may draft it (the step still happens; the office drafts by hand later).
#[allow(clippy::too_many_arguments)]
pub async fn draft(
    state: &AppState,
    tx: &mut Tx,
    p: &PetitionRecord,
    kind: DocumentKind,
    preferred: &[&str],
    unit_name: Option<String>,
    due_on: Option<NaiveDate>,
    fields: BTreeMap<String, String>,
) -> AppResult<Option<String>> {
    let Some(user) = drafter(state, preferred, kind, p.channel.follows_letter_procedure()).await?
    else {
        return Ok(None);
    };
    Ok(Some(
        drafting::draft_for_petition(
            state,
            tx,
            &user,
            p,
            kind,
            unit_name,
            due_on,
            &fields,
            drafting::Grounds::default(),
        )
        .await?,
    ))
}

/// The draft's body field. The step's own texts (findings, replies) can together exceed what
/// a body holds; the draft then ends with a mark for the officer to edit, rather than the step
/// failing on a field the user never typed.
fn body(text: String) -> BTreeMap<String, String> {
    const MAX: usize = 8000;
    const MARK: &str = "……（以下内容过长，已截断，请核对补全）";
    let text = if text.chars().count() > MAX {
        let keep = MAX - MARK.chars().count();
        let mut t: String = text.chars().take(keep).collect();
        t.push_str(MARK);
        t
    } else {
        text
    };
    BTreeMap::from([("body".to_string(), text)])
}

fn petitioner(p: &PetitionRecord) -> String {
    p.petitioners
        .first()
        .map(|x| x.name.clone())
        .filter(|n| !n.is_empty() && !p.anonymous)
        .unwrap_or_else(|| "信访人".into())
}

fn cn_date(d: NaiveDate) -> String {
    xinfang_domain::deadline::date_zh(d)
}

fn registered_zh(p: &PetitionRecord) -> String {
    p.registered_on
        .parse::<NaiveDate>()
        .map(cn_date)
        .unwrap_or_else(|_| p.registered_on.clone())
}

/// 延期告知书: the reason and the new deadline, as the unit's head approved them.
pub fn extension_notice_body(
    p: &PetitionRecord,
    days: u32,
    reason: &str,
    due: NaiveDate,
) -> BTreeMap<String, String> {
    body(format!(
        "你于{}反映的信访事项（编号{}），因{}，不能在规定期限内办结。\n\
         根据《信访工作条例》的规定，经承办单位负责人批准，办理期限延长{}日，至{}。\n\
         特此告知。",
        registered_zh(p),
        p.petition_no,
        reason.trim().trim_end_matches(['。', '；', '，']),
        days,
        cn_date(due),
    ))
}

/// 处理意见书 from the bureau's own result (直接答复, 协调, 上报后的答复).
pub fn handling_opinion_body(
    p: &PetitionRecord,
    findings: &str,
    decision_zh: &str,
    reply: &str,
) -> BTreeMap<String, String> {
    body(format!(
        "你于{}反映的信访事项（编号{}），本机关已依法受理。经调查核实，现答复如下：\n\
         一、基本情况\n{}\n\
         二、处理意见\n{}（{}）\n\
         如对本处理意见不服，可自收到本意见书之日起30日内向本机关的上一级机关请求复查。",
        registered_zh(p),
        p.petition_no,
        findings.trim(),
        reply.trim(),
        decision_zh,
    ))
}

/// 书面告知单 answering a query with the reply the officer recorded.
pub fn query_reply_body(p: &PetitionRecord, reply: &str) -> BTreeMap<String, String> {
    body(format!(
        "你查询的信访事项（编号{}，{}登记），现将查询结果告知如下：\n{}",
        p.petition_no,
        registered_zh(p),
        reply.trim()
    ))
}

/// What the 结案报告 says about the handling: each unit's reported result.
pub struct ClosingFacts {
    pub units: Vec<String>,
    /// (unit or 本机关, decision, reply) of each accepted report.
    pub results: Vec<(String, String, String)>,
    pub route: String,
}

/// 结案报告: the course of handling, the results reported and where the report goes.
pub fn closing_report_body(p: &PetitionRecord, f: &ClosingFacts) -> BTreeMap<String, String> {
    let course = if f.units.is_empty() {
        "我局依法受理后直接调查处理，并书面答复信访人。".to_string()
    } else {
        format!(
            "我局依法受理后，交由{}调查处理，承办单位已报送办理结果，并书面答复信访人。",
            f.units.join("、")
        )
    };
    let results: Vec<String> = f
        .results
        .iter()
        .map(|(who, decision, reply)| format!("{who}：{decision}。{}", reply.trim()))
        .collect();
    body(format!(
        "一、基本情况\n{}于{}反映：{}（编号{}）。\n\
         二、办理过程\n{}\n\
         三、处理结果\n{}\n\
         四、结案意见\n该信访事项事实清楚、手续完备，已书面答复信访人，经审批予以结案。\n\
         本报告去向：{}。",
        petitioner(p),
        registered_zh(p),
        p.summary.trim().trim_end_matches(['。', '；']),
        p.petition_no,
        course,
        if results.is_empty() {
            "（此处写明处理意见及信访人的意见）".to_string()
        } else {
            results.join("\n")
        },
        f.route,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overlong_body_is_cut_with_a_mark_and_fits_the_field() {
        let b = body("字".repeat(9000));
        let t = &b["body"];
        assert_eq!(t.chars().count(), 8000);
        assert!(t.ends_with("请核对补全）"));
        assert_eq!(body("短文".into())["body"], "短文");
    }
}
