//! From acceptance to closed (issue 4): dispositions and their approval gates, the unit's
//! steps, review, closing conditions, deregistration, appeals, instructions, obligations,
//! query replies and incidents.

use serde_json::{Value, json};

use xinfang_app::clock::Clock;

use crate::backend_tests;
use crate::harness::TestApp;

/// A visit accepted at the window: in `disposing`.
pub(crate) async fn accepted_visit(app: &TestApp) -> String {
    accepted_visit_with(app, json!({})).await
}

/// A visit registered with `overrides` and accepted at the window.
pub(crate) async fn accepted_visit_with(app: &TestApp, overrides: Value) -> String {
    let t = app.token("receptionist").await;
    let id = app.register_visit(&t, overrides).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, v) = app
        .post(
            &t,
            &format!("/api/v1/petitions/{id}/decision"),
            &json!({"acceptance": "accepted"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "disposing");
    id
}

async fn stage(app: &TestApp, id: &str) -> String {
    app.state
        .store
        .petition(&app.state.bureau.id, id)
        .await
        .unwrap()
        .stage
        .as_str()
        .to_string()
}

/// 交办 to 城关镇 (lead) proposed by the office and approved by the deputy director; returns the
/// lead record's id.
pub(crate) async fn assigned(app: &TestApp, id: &str) -> String {
    let office = app.token("office").await;
    let unit = app.unit_id("chengguan").await;
    let (s, v) = app
        .post(
            &office,
            &format!("/api/v1/petitions/{id}/disposition"),
            &json!({
                "disposition": "assignment", "units": [{"unit_id": unit, "lead": true}],
                "requirements": "查清欠薪事实，督促支付，书面答复信访人。"
            }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let approval = v["approval_id"].as_str().expect("gated").to_string();
    let dd = app.token("deputy_director").await;
    let (s, v) = app
        .post(
            &dd,
            &format!("/api/v1/approvals/{approval}"),
            &json!({"accept": true}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let records = app.state.store.handling_records(id).await.unwrap();
    records[0].id.clone()
}

fn report_body(record_id: &str) -> Value {
    json!({
        "record_id": record_id,
        "findings": "经核实，某建筑公司确欠张三工资三万元。",
        "decision": "support",
        "reply": "已督促该公司于11月30日前支付全部工资。",
        "reply_served_on": "2026-11-27",
        "petitioner_signed": true,
        "settlement_note": "信访人表示满意，承诺息诉罢访。",
        "signed_off_by": "李镇长"
    })
}

pub(crate) use crate::harness::findings;

/// The unit signs for and accepts its record, then reports.
pub(crate) async fn unit_handles(app: &TestApp, id: &str, record: &str) -> String {
    let h = app.token("chengguan_handler").await;
    let (s, v) = app
        .post(
            &h,
            &format!("/api/v1/handling-records/{record}/receive"),
            &json!({"action": "sign_for"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app.post(&h, &format!("/api/v1/handling-records/{record}/receive"), &json!({
        "action": "accept", "petitioner_told_how": "电话告知", "petitioner_told_on": "2026-11-27"
    })).await;
    assert_eq!((s, v["state"].as_str()), (200, Some("accepted")), "{v}");
    let (s, v) = app
        .post(
            &h,
            &format!("/api/v1/petitions/{id}/reports"),
            &report_body(record),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_str().unwrap().to_string()
}

backend_tests! {
    async fn assignment_waits_for_the_deputy_director(app) {
        let id = accepted_visit(&app).await;
        let office = app.token("office").await;
        let unit = app.unit_id("chengguan").await;
        let (s, v) = app.post(&office, &format!("/api/v1/petitions/{id}/disposition"), &json!({
            "disposition": "assignment", "units": [{"unit_id": unit, "lead": true}]
        })).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(stage(&app, &id).await, "disposing", "nothing moves before approval");
        assert_eq!(app.count("handling_records").await, 0);
        let approval = v["approval_id"].as_str().unwrap();
        // The office cannot approve its own proposal; the deputy director sees it in the inbox.
        let (s, _) = app.post(&office, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true})).await;
        assert_eq!(s, 403);
        let dd = app.token("deputy_director").await;
        let (s, list) = app.get(&dd, "/api/v1/approvals").await;
        assert_eq!(s, 200);
        assert_eq!(list[0]["gate"], "assignment");
        // A rejection needs a comment.
        let (s, v) = app.post(&dd, &format!("/api/v1/approvals/{approval}"), &json!({"accept": false})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("comment")));
        let (s, _) = app.post(&dd, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true})).await;
        assert_eq!(s, 200);
        assert_eq!(stage(&app, &id).await, "assigned");
        let records = app.state.store.handling_records(&id).await.unwrap();
        assert_eq!((records.len(), records[0].state.as_str(), records[0].lead), (1, "sent", 1));
        // Decided once only.
        let (s, _) = app.post(&dd, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true})).await;
        assert_eq!(s, 422);
    }

    async fn a_rejected_assignment_changes_nothing_but_the_request(app) {
        let id = accepted_visit(&app).await;
        let office = app.token("office").await;
        let unit = app.unit_id("chengguan").await;
        let (_, v) = app.post(&office, &format!("/api/v1/petitions/{id}/disposition"), &json!({
            "disposition": "transfer", "units": [{"unit_id": unit, "lead": true}]
        })).await;
        let approval = v["approval_id"].as_str().unwrap();
        let dd = app.token("deputy_director").await;
        let (s, v) = app.post(&dd, &format!("/api/v1/approvals/{approval}"), &json!({"accept": false, "comment": "应由人社局办理"})).await;
        assert_eq!((s, v["state"].as_str()), (200, Some("rejected")));
        assert_eq!(stage(&app, &id).await, "disposing");
        assert_eq!(app.count("handling_records").await, 0);
    }

    async fn dispositions_check_their_details(app) {
        let id = accepted_visit(&app).await;
        let office = app.token("office").await;
        let path = format!("/api/v1/petitions/{id}/disposition");
        let (s, v) = app.post(&office, &path, &json!({"disposition": "assignment"})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("units")));
        let a = app.unit_id("chengguan").await;
        let b = app.unit_id("renshe").await;
        let (s, v) = app.post(&office, &path, &json!({"disposition": "assignment",
            "units": [{"unit_id": a, "lead": true}, {"unit_id": b, "lead": true}]})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("one_lead")));
        let (s, v) = app.post(&office, &path, &json!({"disposition": "report_up", "carrier": "随便"})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("carrier")));
        let (s, v) = app.post(&office, &path, &json!({"disposition": "coordination", "plan": ""})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("plan")));
        let (s, v) = app.post(&office, &path, &json!({"disposition": "set_aside"})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("set_aside_letters_only")));
        let (s, v) = app.post(&office, &path, &json!({"disposition": "assignment", "urgent": true,
            "units": [{"unit_id": a, "lead": true}]})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("urgent_method")));
        assert_eq!(app.count("approvals").await, 0);
        // A visit goes up on a carrier only, never as an original letter (V3.1).
        let (s, v) = app.post(&office, &path, &json!({"disposition": "report_up", "report_mode": "original", "carrier": "信访信息专报"})).await;
        assert_eq!(s, 422, "{v}");
        let (s, v) = app.post(&office, &path, &json!({"disposition": "report_up", "carrier": "来信原件"})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("carrier")), "{v}");
        assert!(app.state.store.documents_of(&id).await.unwrap().is_empty());
        // 上报 takes effect at once, and the 专报 carrier is drafted as a document of its own.
        let (s, v) = app.post(&office, &path, &json!({"disposition": "report_up", "carrier": "信访信息专报"})).await;
        assert_eq!((s, v["state"].as_str(), v["stage"].as_str()), (200, None, Some("reported_up")), "{v}");
        let docs = app.state.store.documents_of(&id).await.unwrap();
        assert_eq!(docs.iter().map(|d| (d.kind.as_str(), d.state.as_str())).collect::<Vec<_>>(), vec![("special_bulletin", "draft")]);
        // The receptionist may not dispose.
        let r = app.token("receptionist").await;
        let id2 = accepted_visit(&app).await;
        let (s, _) = app.post(&r, &format!("/api/v1/petitions/{id2}/disposition"), &json!({"disposition": "report_up", "carrier": "信访信息专报"})).await;
        assert_eq!(s, 403);
    }

    async fn a_direct_reply_needs_its_outline_approved_by_a_leader(app) {
        let id = accepted_visit(&app).await;
        let co = app.token("case_officer").await;
        let path = format!("/api/v1/petitions/{id}/disposition");
        let (s, v) = app.post(&co, &path, &json!({"disposition": "direct_reply"})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("requirements")), "the outline is required");
        let (s, v) = app.post(&co, &path, &json!({"disposition": "direct_reply",
            "requirements": "一、欠薪事实；二、法律依据；三、救济途径。"})).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(stage(&app, &id).await, "disposing");
        let director = app.token("director").await;
        let (_, list) = app.get(&director, "/api/v1/approvals").await;
        assert_eq!(list[0]["gate"], "direct_reply");
        app.post(&director, &format!("/api/v1/approvals/{}", v["approval_id"].as_str().unwrap()), &json!({"accept": true})).await;
        assert_eq!(stage(&app, &id).await, "direct_reply");
        // The bureau records its written reply as its own result, reviewed, then closes.
        let (s, v) = app.post(&co, &format!("/api/v1/petitions/{id}/reports"), &report_body("")).await;
        assert_eq!(s, 201, "{v}");
        app.post(&co, &format!("/api/v1/reports/{}/review", v["id"].as_str().unwrap()), &json!({"findings": findings(&[])})).await;
        let (s, v) = app.post(&co, &format!("/api/v1/petitions/{id}/closure"), &json!({})).await;
        assert_eq!((s, v["stage"].as_str()), (200, Some("awaiting_closure")), "{v}");
    }

    async fn a_transfer_is_approved_and_its_unit_reports_back(app) {
        let id = accepted_visit(&app).await;
        let office = app.token("office").await;
        let unit = app.unit_id("renshe").await;
        let (_, v) = app.post(&office, &format!("/api/v1/petitions/{id}/disposition"), &json!({
            "disposition": "transfer", "units": [{"unit_id": unit, "lead": true}]})).await;
        let dd = app.token("deputy_director").await;
        let (_, list) = app.get(&dd, "/api/v1/approvals").await;
        assert_eq!(list[0]["gate"], "transfer");
        app.post(&dd, &format!("/api/v1/approvals/{}", v["approval_id"].as_str().unwrap()), &json!({"accept": true})).await;
        assert_eq!(stage(&app, &id).await, "transferred");
        let record = app.state.store.handling_records(&id).await.unwrap()[0].clone();
        assert_eq!(record.kind, "transfer");
        // The 转送函 waits as the office's draft; a transfer owes no handling report deadline.
        let letters = drafted(&app, &id, "transfer_letter").await;
        assert_eq!(letters.len(), 1);
        let v = draft_body(&app, &office, &letters[0].0).await;
        assert!(v["fields"]["body"].as_str().unwrap().contains("15日内"), "{v}");
        assert!(stored(&app, &id, "handling_report").await.is_empty());
        assert_eq!(stored(&app, &id, "unit_notify_petitioner").await[0].0, "running");
        let h = app.token("renshe_handler").await;
        let (s, inbox) = app.get(&h, "/api/v1/inbox").await;
        assert_eq!((s, inbox[0]["kind"].as_str()), (200, Some("transfer")));
        app.post(&h, &format!("/api/v1/handling-records/{}/receive", record.id), &json!({"action": "sign_for"})).await;
        app.post(&h, &format!("/api/v1/handling-records/{}/receive", record.id), &json!({
            "action": "accept", "petitioner_told_how": "书面告知", "petitioner_told_on": "2026-11-27"})).await;
        let (s, v) = app.post(&h, &format!("/api/v1/petitions/{id}/reports"), &report_body(&record.id)).await;
        assert_eq!(s, 201, "{v}");
        // A transferred petition stays transferred: its report is read and filed, then it closes.
        assert_eq!(stage(&app, &id).await, "transferred");
        let co = app.token("case_officer").await;
        let (s, _) = app.post(&co, &format!("/api/v1/reports/{}/review", v["id"].as_str().unwrap()), &json!({"findings": findings(&[])})).await;
        assert_eq!(s, 200);
        let (s, v) = app.post(&co, &format!("/api/v1/petitions/{id}/closure"), &json!({})).await;
        assert_eq!((s, v["stage"].as_str()), (200, Some("awaiting_closure")), "{v}");
    }

    async fn urgent_assignment_owes_the_follow_up_letter(app) {
        let id = accepted_visit(&app).await;
        let office = app.token("office").await;
        let unit = app.unit_id("chengguan").await;
        let (_, v) = app.post(&office, &format!("/api/v1/petitions/{id}/disposition"), &json!({
            "disposition": "assignment", "urgent": true, "urgent_method": "phone",
            "units": [{"unit_id": unit, "lead": true}]})).await;
        let dd = app.token("deputy_director").await;
        app.post(&dd, &format!("/api/v1/approvals/{}", v["approval_id"].as_str().unwrap()), &json!({"accept": true})).await;
        let obligations = app.state.store.obligations_of(&id).await.unwrap();
        assert_eq!(obligations.len(), 1);
        assert_eq!(obligations[0].kind, "follow_up_letter");
        assert!(obligations[0].fulfilled_at.is_none());
        // Issuing the drafted 交办函 settles it.
        let letter = drafted(&app, &id, "assignment_letter").await[0].0.clone();
        let (s, v) = app.post(&office, &format!("/api/v1/documents/{letter}/submit"), &json!({})).await;
        assert_eq!(s, 200, "{v}");
        let (s, v) = app.post(&dd, &format!("/api/v1/documents/{letter}/sign-off"), &json!({})).await;
        assert_eq!(s, 200, "{v}");
        assert!(app.state.store.obligations_of(&id).await.unwrap()[0].fulfilled_at.is_none(), "signed off is not yet sent");
        let (s, v) = app.post(&office, &format!("/api/v1/documents/{letter}/issue"), &json!({})).await;
        assert_eq!((s, v["state"].as_str()), (200, Some("issued")), "{v}");
        let ob = &app.state.store.obligations_of(&id).await.unwrap()[0];
        assert!(ob.fulfilled_at.is_some());
        assert!(ob.note.starts_with("已发出交办函") && ob.note.contains("〔2026〕"), "{}", ob.note);
    }

    async fn units_act_only_on_their_own_records(app) {
        let id = accepted_visit(&app).await;
        let record = assigned(&app, &id).await;
        let other = app.token("ganhezi_handler").await;
        let (s, _) = app.post(&other, &format!("/api/v1/handling-records/{record}/receive"), &json!({"action": "sign_for"})).await;
        assert_eq!(s, 403);
        let (s, inbox) = app.get(&other, "/api/v1/inbox").await;
        assert_eq!((s, inbox.as_array().unwrap().len()), (200, 0));
        let own = app.token("chengguan_handler").await;
        let (s, inbox) = app.get(&own, "/api/v1/inbox").await;
        assert_eq!((s, inbox[0]["record_id"].as_str()), (200, Some(record.as_str())));
        let (s, v) = app.post(&own, &format!("/api/v1/handling-records/{record}/receive"), &json!({"action": "sign_for"})).await;
        assert_eq!((s, v["state"].as_str()), (200, Some("received")));
        let r = app.state.store.handling_record(&app.state.bureau.id, &record).await.unwrap();
        // Received Friday 2026-11-27: notify within 15 days (12-12 is a Saturday → Monday 12-14),
        // object within 5 working days (12-04).
        assert_eq!(r.notify_due.as_deref(), Some("2026-12-14"));
        assert_eq!(r.object_due.as_deref(), Some("2026-12-04"));
        // Accepting needs how the petitioner was told.
        let (s, v) = app.post(&own, &format!("/api/v1/handling-records/{record}/receive"), &json!({"action": "accept"})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("petitioner_told_how")));
    }

    async fn an_upheld_objection_returns_the_petition_to_disposing(app) {
        let id = accepted_visit(&app).await;
        let record = assigned(&app, &id).await;
        let h = app.token("chengguan_handler").await;
        app.post(&h, &format!("/api/v1/handling-records/{record}/receive"), &json!({"action": "sign_for"})).await;
        let (s, v) = app.post(&h, &format!("/api/v1/handling-records/{record}/objection"), &json!({"reason": ""})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("reason")));
        // Five working days after receipt: Friday 12-04 is the last day.
        app.clock.set(app.clock.now() + chrono::Duration::days(8));
        // Sessions expire while the clock runs: log in again.
        let late = app.token("chengguan_handler").await;
        let (s, v) = app.post(&late, &format!("/api/v1/handling-records/{record}/objection"), &json!({"reason": "属人社局职责"})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("past_deadline")));
        app.clock.set(app.clock.now() - chrono::Duration::days(8));
        let (s, v) = app.post(&h, &format!("/api/v1/handling-records/{record}/objection"), &json!({"reason": "属人社局职责"})).await;
        assert_eq!((s, v["state"].as_str()), (200, Some("objected")));
        let dd = app.token("deputy_director").await;
        let (s, v) = app.post(&dd, &format!("/api/v1/handling-records/{record}/objection-ruling"), &json!({"upheld": true})).await;
        assert_eq!((s, v["state"].as_str()), (200, Some("disposing")), "{v}");
        assert_eq!(stage(&app, &id).await, "disposing");
    }

    async fn extension_is_approved_by_the_unit_head_once(app) {
        let id = accepted_visit(&app).await;
        let record = assigned(&app, &id).await;
        let h = app.token("chengguan_handler").await;
        app.post(&h, &format!("/api/v1/handling-records/{record}/receive"), &json!({"action": "sign_for"})).await;
        app.post(&h, &format!("/api/v1/handling-records/{record}/receive"), &json!({
            "action": "accept", "petitioner_told_how": "电话告知", "petitioner_told_on": "2026-11-27"})).await;
        let r = app.state.store.handling_record(&app.state.bureau.id, &record).await.unwrap();
        // Accepted 2026-11-27: 60 days → 2027-01-26.
        assert_eq!(r.due_on.as_deref(), Some("2027-01-26"));
        let path = format!("/api/v1/handling-records/{record}/extension");
        let (s, v) = app.post(&h, &path, &json!({"days": 31, "reason": "需鉴定", "petitioner_told": "电话"})).await;
        assert_eq!((s, v["message"].as_str()), (422, Some("延期不得超过 30 日")));
        let (s, v) = app.post(&h, &path, &json!({"days": 30, "reason": "需司法鉴定", "petitioner_told": "11月27日电话告知"})).await;
        assert_eq!(s, 201, "{v}");
        let approval = v["id"].as_str().unwrap().to_string();
        // Another unit's head, and the bureau's leaders, cannot approve it.
        for who in ["ganhezi_head", "deputy_director"] {
            let t = app.token(who).await;
            let (s, _) = app.post(&t, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true})).await;
            assert_eq!(s, 403, "{who}");
        }
        let head = app.token("chengguan_head").await;
        let (_, list) = app.get(&head, "/api/v1/approvals").await;
        assert_eq!(list[0]["gate"], "extension");
        let (s, _) = app.post(&head, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true})).await;
        assert_eq!(s, 200);
        let r = app.state.store.handling_record(&app.state.bureau.id, &record).await.unwrap();
        assert_eq!((r.state.as_str(), r.extended_days), ("extended", 30));
        assert_eq!(r.due_on.as_deref(), Some("2027-02-25"));
        let (s, v) = app.post(&h, &path, &json!({"days": 5, "reason": "再延", "petitioner_told": "电话"})).await;
        assert_eq!(s, 409, "a second extension: {v}");
    }

    async fn review_fails_a_check_and_sends_the_report_back(app) {
        let id = accepted_visit(&app).await;
        let record = assigned(&app, &id).await;
        let report = unit_handles(&app, &id, &record).await;
        assert_eq!(stage(&app, &id).await, "reviewing");
        let co = app.token("case_officer").await;
        let path = format!("/api/v1/reports/{report}/review");
        // Nine findings are not a review.
        let mut nine = findings(&[]);
        nine.as_array_mut().unwrap().pop();
        let (s, v) = app.post(&co, &path, &json!({"findings": nine})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("findings.answered_in_writing")));
        let (s, v) = app.post(&co, &path, &json!({"findings": findings(&["evidence_solid"]), "outcome": "redo"})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("opinion")));
        let (s, v) = app.post(&co, &path, &json!({"findings": findings(&["evidence_solid"]), "outcome": "redo",
            "opinion": "欠薪金额缺少证据，请补充工资表并重办。", "new_period_days": 15})).await;
        assert_eq!((s, v["state"].as_str()), (200, Some("redo")), "{v}");
        // Nothing moves before the deputy director approves, and the report is not reviewed twice.
        assert_eq!(stage(&app, &id).await, "reviewing");
        let (s, _) = app.post(&co, &path, &json!({"findings": findings(&[])})).await;
        assert_eq!(s, 409);
        let dd = app.token("deputy_director").await;
        let (_, list) = app.get(&dd, "/api/v1/approvals").await;
        let approval = list.as_array().unwrap().iter().find(|a| a["gate"] == "redo").unwrap()["id"].as_str().unwrap().to_string();
        let (s, _) = app.post(&dd, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true})).await;
        assert_eq!(s, 200);
        assert_eq!(stage(&app, &id).await, "assigned");
        let r = app.state.store.handling_record(&app.state.bureau.id, &record).await.unwrap();
        assert_eq!((r.state.as_str(), r.due_on.as_deref()), ("redo", Some("2026-12-14")));
        // The unit reports again, the review passes.
        let h = app.token("chengguan_handler").await;
        let (s, v) = app.post(&h, &format!("/api/v1/petitions/{id}/reports"), &report_body(&record)).await;
        assert_eq!(s, 201, "{v}");
        let report2 = v["id"].as_str().unwrap();
        assert_eq!(stage(&app, &id).await, "reviewing");
        // The first report was replaced: it is not reviewed again.
        let (s, v) = app.post(&co, &path, &json!({"findings": findings(&[])})).await;
        assert_eq!(s, 409, "{v}");
        let (s, v) = app.post(&co, &format!("/api/v1/reports/{report2}/review"), &json!({"findings": findings(&[])})).await;
        assert_eq!((s, v["state"].as_str()), (200, Some("pass")));
        let r = app.state.store.handling_record(&app.state.bureau.id, &record).await.unwrap();
        assert_eq!(r.state, "done");
    }

    async fn closing_lists_what_is_missing_then_closes_and_deregisters(app) {
        let id = accepted_visit(&app).await;
        let record = assigned(&app, &id).await;
        let h = app.token("chengguan_handler").await;
        app.post(&h, &format!("/api/v1/handling-records/{record}/receive"), &json!({"action": "sign_for"})).await;
        app.post(&h, &format!("/api/v1/handling-records/{record}/receive"), &json!({
            "action": "accept", "petitioner_told_how": "电话告知", "petitioner_told_on": "2026-11-27"})).await;
        // A report without the petitioner's signature or a settlement note.
        let mut body = report_body(&record);
        body["petitioner_signed"] = json!(false);
        body["settlement_note"] = json!("");
        let (s, v) = app.post(&h, &format!("/api/v1/petitions/{id}/reports"), &body).await;
        assert_eq!(s, 201, "{v}");
        let report = v["id"].as_str().unwrap().to_string();
        // Unreviewed, the report is no basis for closing: all the conditions are listed.
        let co = app.token("case_officer").await;
        let closure = format!("/api/v1/petitions/{id}/closure");
        let (s, v) = app.post(&co, &closure, &json!({})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("closure_conditions")), "{v}");
        let msg = v["message"].as_str().unwrap();
        assert!(msg.contains("审阅通过") && msg.contains("信访人签字确认或拒签说明") && msg.contains("息诉罢访"), "{msg}");
        // The review finds the formalities incomplete and asks the unit to supply them (补报),
        // which the deputy director approves.
        let (s, v) = app.post(&co, &format!("/api/v1/reports/{report}/review"), &json!({
            "findings": findings(&["formalities_complete"]), "outcome": "supplement",
            "opinion": "缺少信访人签字确认及息诉罢访情况说明，请补报。", "new_period_days": 10})).await;
        assert_eq!((s, v["state"].as_str()), (200, Some("supplement")), "{v}");
        let dd = app.token("deputy_director").await;
        let (_, list) = app.get(&dd, "/api/v1/approvals").await;
        let approval = list.as_array().unwrap().iter().find(|a| a["gate"] == "supplement").expect("the supplement waits for a leader")["id"].as_str().unwrap().to_string();
        let (s, _) = app.post(&dd, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true})).await;
        assert_eq!(s, 200);
        // The unit supplies a complete report; it passes review.
        let (s, v) = app.post(&h, &format!("/api/v1/petitions/{id}/reports"), &report_body(&record)).await;
        assert_eq!(s, 201, "{v}");
        let report2 = v["id"].as_str().unwrap().to_string();
        let (s, v) = app.post(&co, &format!("/api/v1/reports/{report2}/review"), &json!({"findings": findings(&[])})).await;
        assert_eq!((s, v["state"].as_str()), (200, Some("pass")), "{v}");
        // An open obligation still blocks: a leader's instruction to report back.
        let office = app.token("office").await;
        let (s, v) = app.post(&office, &format!("/api/v1/petitions/{id}/leader-instructions"), &json!({
            "leader": "王副市长", "given_on": "2026-11-27", "text": "请尽快解决欠薪问题。",
            "required_action": "督促支付并报告", "supervisor": "局办公室刘某"})).await;
        assert_eq!(s, 201, "{v}");
        let (s, v) = app.post(&co, &closure, &json!({})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("closure_conditions")), "{v}");
        let msg = v["message"].as_str().unwrap();
        assert!(msg.contains("待办事项") && !msg.contains("信访人签字"), "only the obligation is missing now: {msg}");
        assert_eq!(stage(&app, &id).await, "reviewing");
        for o in app.state.store.obligations_of(&id).await.unwrap() {
            let (s, _) = app.post(&office, &format!("/api/v1/petitions/{id}/obligations/{}", o.id), &json!({"note": "已书面报告王副市长"})).await;
            assert_eq!(s, 204);
        }
        // Now closing goes to the deputy director, is approved, and the petition is deregistered.
        let (s, v) = app.post(&co, &closure, &json!({})).await;
        assert_eq!((s, v["stage"].as_str()), (200, Some("awaiting_closure")), "{v}");
        let approval = v["approval_id"].as_str().unwrap().to_string();
        let (s, _) = app.post(&dd, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true})).await;
        assert_eq!(s, 200);
        assert_eq!(stage(&app, &id).await, "closed");
        let (s, v) = app.post(&co, &closure, &json!({"action": "deregister"})).await;
        assert_eq!((s, v["stage"].as_str()), (200, Some("deregistered")), "{v}");
        assert_eq!(stage(&app, &id).await, "deregistered");
    }

    async fn the_whole_journey_closes_routes_and_deregisters(app) {
        let id = accepted_visit(&app).await;
        let record = assigned(&app, &id).await;
        let report = unit_handles(&app, &id, &record).await;
        let co = app.token("case_officer").await;
        app.post(&co, &format!("/api/v1/reports/{report}/review"), &json!({"findings": findings(&[])})).await;
        let (s, v) = app.post(&co, &format!("/api/v1/petitions/{id}/closure"), &json!({"action": "propose"})).await;
        assert_eq!((s, v["stage"].as_str()), (200, Some("awaiting_closure")), "{v}");
        let approval = v["approval_id"].as_str().unwrap().to_string();
        // The case officer cannot close it; the deputy director's approval does.
        let (s, _) = app.post(&co, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true})).await;
        assert_eq!(s, 403);
        let dd = app.token("deputy_director").await;
        let (s, _) = app.post(&dd, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true})).await;
        assert_eq!(s, 200);
        assert_eq!(stage(&app, &id).await, "closed");
        let events = app.state.store.events(&id).await.unwrap();
        let closed = events.iter().find(|e| e.kind == "closed").unwrap();
        assert_eq!(closed.payload["closing_report_route"], "archive");
        let (s, v) = app.post(&co, &format!("/api/v1/petitions/{id}/closure"), &json!({"action": "deregister"})).await;
        assert_eq!((s, v["stage"].as_str()), (200, Some("deregistered")));
        // Every step is in the chain, in order.
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        for k in ["disposition_proposed", "approval_decided", "disposed", "unit_signed_for", "unit_accepted", "report_submitted", "review_begun", "report_reviewed", "closure_proposed", "closed"] {
            assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
        }
    }

    async fn a_visit_the_bureau_reported_up_files_its_closing_report(app) {
        let id = accepted_visit(&app).await;
        let office = app.token("office").await;
        let (s, _) = app.post(&office, &format!("/api/v1/petitions/{id}/disposition"), &json!({"disposition": "report_up", "carrier": "信访信息专报"})).await;
        assert_eq!(s, 200);
        let (s, _) = app.post(&office, &format!("/api/v1/petitions/{id}/leader-instructions"), &json!({
            "leader": "王副市长", "given_on": "2026-11-27", "text": "请局里直接答复。", "required_action": "答复并报告",
            "due_on": "2026-12-10", "supervisor": "刘某"})).await;
        assert_eq!(s, 201);
        // The bureau's own result, reviewed.
        let co = app.token("case_officer").await;
        let (s, v) = app.post(&co, &format!("/api/v1/petitions/{id}/reports"), &report_body("")).await;
        assert_eq!(s, 201, "{v}");
        let report = v["id"].as_str().unwrap();
        app.post(&co, &format!("/api/v1/reports/{report}/review"), &json!({"findings": findings(&[])})).await;
        let (s, v) = app.post(&co, &format!("/api/v1/petitions/{id}/closure"), &json!({})).await;
        assert_eq!(s, 422, "the report to the leader is still owed: {v}");
        let ob = &app.state.store.obligations_of(&id).await.unwrap()[0];
        assert_eq!(ob.due_on.as_deref(), Some("2026-12-10"));
        app.post(&office, &format!("/api/v1/petitions/{id}/obligations/{}", ob.id), &json!({"note": "12月1日书面报告"})).await;
        let (s, v) = app.post(&co, &format!("/api/v1/petitions/{id}/closure"), &json!({})).await;
        assert_eq!(s, 200, "{v}");
        let dd = app.token("deputy_director").await;
        app.post(&dd, &format!("/api/v1/approvals/{}", v["approval_id"].as_str().unwrap()), &json!({"accept": true})).await;
        let events = app.state.store.events(&id).await.unwrap();
        let closed = &events.iter().find(|e| e.kind == "closed").unwrap().payload;
        // The bureau reported its own matter up and a leader instructed on the report: the matter
        // is still the bureau's own, so the closing report is filed (the leader was reported to
        // through the obligation above), not sent up (V8.3, L7.3).
        assert_eq!(closed["closing_report_route"], "archive", "{closed}");
    }

    async fn appeals_run_to_finality_and_refuse_late_requests(app) {
        let id = accepted_visit(&app).await;
        let record = assigned(&app, &id).await;
        let report = unit_handles(&app, &id, &record).await;
        let co = app.token("case_officer").await;
        app.post(&co, &format!("/api/v1/reports/{report}/review"), &json!({"findings": findings(&[])})).await;
        let (_, v) = app.post(&co, &format!("/api/v1/petitions/{id}/closure"), &json!({})).await;
        let dd = app.token("deputy_director").await;
        app.post(&dd, &format!("/api/v1/approvals/{}", v["approval_id"].as_str().unwrap()), &json!({"accept": true})).await;
        app.post(&co, &format!("/api/v1/petitions/{id}/closure"), &json!({"action": "deregister"})).await;
        let path = format!("/api/v1/petitions/{id}/appeals");
        // 复核 before 复查 is refused.
        let (s, v) = app.post(&co, &path, &json!({"level": "recheck", "requested_on": "2026-11-27", "organ": "昌吉州信访局"})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("reexamination_first")));
        // The written opinion was served 2026-11-27: the 复查 window closes 2026-12-28
        // (12-27 is a Sunday). A request on 12-29 is late.
        app.clock.set(app.clock.now() + chrono::Duration::days(40));
        let co = app.token("case_officer").await;
        let (s, v) = app.post(&co, &path, &json!({"level": "reexamination", "requested_on": "2026-12-29", "organ": "阜康市人民政府"})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("window_closed")));
        assert!(v["message"].as_str().unwrap().contains("2026年12月28日"), "{v}");
        let (s, v) = app.post(&co, &path, &json!({"level": "reexamination", "requested_on": "2026-12-28", "organ": "阜康市人民政府", "handled_here": true, "reason": "不服处理意见"})).await;
        assert_eq!(s, 201, "{v}");
        let appeal = v["id"].as_str().unwrap().to_string();
        let a = &app.state.store.appeals_of(&id).await.unwrap()[0];
        assert_eq!(a.due_on, "2027-01-27");
        let (s, v) = app.post(&co, &format!("{path}/{appeal}/opinion"), &json!({"opinion": "维持原处理意见。", "opinion_on": "2027-01-05", "opinion_served_on": "2027-01-06", "hearing_days": 3})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("hearing_days")), "hearing days are for 复核 only");
        let (s, v) = app.post(&co, &format!("{path}/{appeal}/opinion"), &json!({"opinion": "维持原处理意见。", "opinion_on": "2027-01-05", "opinion_served_on": "2027-01-06"})).await;
        assert_eq!(s, 200, "{v}");
        let (s, v) = app.post(&co, &path, &json!({"level": "recheck", "requested_on": "2027-01-06", "organ": "昌吉州信访局", "handled_here": false})).await;
        assert_eq!(s, 201, "{v}");
        let recheck = v["id"].as_str().unwrap().to_string();
        let (s, v) = app.post(&co, &format!("{path}/{recheck}/opinion"), &json!({"opinion": "复核维持。", "opinion_on": "2027-01-06", "opinion_served_on": "2027-01-06", "hearing_days": 10})).await;
        assert_eq!(s, 200, "{v}");
        let rows = app.state.store.appeals_of(&id).await.unwrap();
        // 2027-01-06 + 30 + 10 hearing days = 2027-02-15 (Monday).
        assert_eq!(rows[1].due_on, "2027-02-15");
        let p = app.state.store.petition(&app.state.bureau.id, &id).await.unwrap();
        assert!(xinfang_app::handling::is_final(&app.state, &p).await.unwrap());
        // A new visit on the same matter by the same person is proposed as 不再受理.
        let r = app.token("receptionist").await;
        let (s, v) = app.post(&r, "/api/v1/petitions/similar", &json!({"id_number": "11010519491231002X"})).await;
        assert_eq!(s, 200, "{v}");
        let hit = v.as_array().unwrap().iter().find(|x| x["petition"]["id"] == id.as_str()).expect("found");
        assert_eq!(hit["final"], true, "{hit}");
    }

    async fn query_replies_and_incidents_are_recorded(app) {
        let id = accepted_visit(&app).await;
        let r = app.token("receptionist").await;
        let (s, v) = app.post(&r, &format!("/api/v1/petitions/{id}/query-replies"), &json!({"method": "oral", "asked_on": "2026-11-27", "question": "办到哪一步了？", "answer": "已交办城关镇，60日内答复。"})).await;
        assert_eq!(s, 201, "{v}");
        let (s, v) = app.post(&r, &format!("/api/v1/petitions/{id}/query-replies"), &json!({"method": "written", "asked_on": "2026-11-27", "answer": "书面告知办理进展。"})).await;
        assert_eq!(s, 201, "{v}");
        let dd = app.token("deputy_director").await;
        let (_, list) = app.get(&dd, "/api/v1/approvals").await;
        let a = list.as_array().unwrap().iter().find(|a| a["gate"] == "written_query_reply").expect("written reply waits for a leader");
        app.post(&dd, &format!("/api/v1/approvals/{}", a["id"].as_str().unwrap()), &json!({"accept": true})).await;
        let replies = app.state.store.query_replies_of(&id).await.unwrap();
        assert_eq!((replies[0].state.as_str(), replies[1].state.as_str()), ("answered", "approved"));
        let (s, v) = app.post(&r, &format!("/api/v1/petitions/{id}/incidents"), &json!({"kind": "self_harm", "measures": ["call_110", "call_120"], "occurred_at": "2026-11-27 09:50", "note": "已送医"})).await;
        assert_eq!(s, 201, "{v}");
        let (s, v) = app.post(&r, &format!("/api/v1/petitions/{id}/incidents"), &json!({"kind": "riot", "measures": ["police"], "occurred_at": "2026-11-27 09:50"})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("kind")));
        let (s, v) = app.post(&r, &format!("/api/v1/petitions/{id}/incidents"), &json!({"kind": "lingering", "measures": ["dissuaded"], "occurred_at": "2026-11-28 09:50"})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("occurred_at")));
        assert_eq!(app.state.store.incidents_of(&id).await.unwrap().len(), 1);
    }
}

/// A letter taken through the mailroom to `disposing`: signed for, opened, registered, its
/// 来信办理单 sent, and accepted on the deputy director's instruction.
pub(crate) async fn accepted_letter(app: &TestApp, registration: Value) -> String {
    accepted_letter_received(app, "2026-11-26T09:00", registration).await
}

pub(crate) async fn accepted_letter_received(
    app: &TestApp,
    received_at: &str,
    registration: Value,
) -> String {
    let clerk = app.token("letter_clerk").await;
    let (s, v) = app
        .post(&clerk, "/api/v1/letters", &json!({"delivery_mode": "post", "received_at": received_at, "sender": "张三", "sender_address": "阜康市城关镇东风村3组12号"}))
        .await;
    assert_eq!(s, 201, "receive: {v}");
    let id = v["petition"]["id"].as_str().unwrap().to_string();
    let (s, v) = app
        .post(&clerk, &format!("/api/v1/letters/{id}/opening"), &json!({
            "disinfected_by": "王师傅", "distributed_to": "李秀英",
            "stamps_kept": true, "postmark_kept": true, "postcode_kept": true, "address_kept": true
        }))
        .await;
    assert_eq!(s, 200, "opening: {v}");
    let mut body = json!({
        "petitioners": [{"name": "张三", "id_type": "none", "address": "阜康市城关镇东风村3组12号", "phone": "13912345678"}],
        "issue_region": "652302", "township": "652302100",
        "summary": "反映某建筑公司拖欠其工资三万元至今未付。",
        "requests": "要求尽快支付拖欠的工资。",
        "purpose": "01", "category": "060101", "petition_class": "claim",
        "letter": {}
    });
    crate::harness::merge(&mut body, registration);
    let (s, v) = app
        .post(&clerk, &format!("/api/v1/letters/{id}/registration"), &body)
        .await;
    assert_eq!(s, 200, "registration: {v}");
    let (s, v) = app
        .post(
            &clerk,
            &format!("/api/v1/letters/{id}/handling-form"),
            &json!({"proposal": "建议受理。"}),
        )
        .await;
    assert_eq!(s, 200, "handling form: {v}");
    let dd = app.token("deputy_director").await;
    let (s, v) = app
        .post(
            &dd,
            &format!("/api/v1/letters/{id}/instruction"),
            &json!({"acceptance": "accepted", "instruction": "同意受理，请按程序办理。"}),
        )
        .await;
    assert_eq!(
        (s, v["state"].as_str()),
        (200, Some("disposing")),
        "instruction: {v}"
    );
    id
}

backend_tests! {
    async fn set_aside_letters_are_destroyed_only_with_approval_and_registered(app) {
        let clerk = app.token("letter_clerk").await;
        let id = accepted_letter(&app, json!({})).await;
        let (s, v) = app.post(&clerk, &format!("/api/v1/petitions/{id}/disposition"), &json!({"disposition": "set_aside"})).await;
        assert_eq!((s, v["stage"].as_str()), (200, Some("set_aside")), "{v}");
        let path = format!("/api/v1/petitions/{id}/destruction");
        let (s, v) = app.post(&clerk, &path, &json!({"description": ""})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("description")));
        let (s, v) = app.post(&clerk, &path, &json!({"description": "来信原件2页及信封"})).await;
        assert_eq!(s, 201, "{v}");
        let approval = v["id"].as_str().unwrap().to_string();
        assert_eq!(stage(&app, &id).await, "set_aside", "kept until a leader approves");
        assert_eq!(app.count("destruction_register").await, 0);
        let director = app.token("director").await;
        let (s, _) = app.post(&director, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true})).await;
        assert_eq!(s, 200);
        assert_eq!(stage(&app, &id).await, "destroyed");
        let reg = app.state.store.destruction_register(&app.state.bureau.id).await.unwrap();
        assert_eq!(reg.len(), 1);
        assert_eq!(reg[0].description, "来信原件2页及信封");
        assert_eq!(reg[0].approval_id, approval);
    }

    async fn a_letter_is_reviewed_and_closed_by_the_letter_clerk_from_receipt_to_closing(app) {
        // Received, opened, registered and accepted through the mailroom (L2–L3).
        let id = accepted_letter(&app, json!({})).await;
        let clerk = app.token("letter_clerk").await;
        let unit = app.unit_id("chengguan").await;
        // The clerk proposes the 交办; the deputy director approves (L4.2).
        let (s, v) = app.post(&clerk, &format!("/api/v1/petitions/{id}/disposition"), &json!({
            "disposition": "assignment", "units": [{"unit_id": unit, "lead": true}],
            "requirements": "查清欠薪事实，督促支付，书面答复来信人。"})).await;
        assert_eq!(s, 200, "{v}");
        let dd = app.token("deputy_director").await;
        let (s, v) = app.post(&dd, &format!("/api/v1/approvals/{}", v["approval_id"].as_str().unwrap()), &json!({"accept": true})).await;
        assert_eq!(s, 200, "{v}");
        let record = app.state.store.handling_records(&id).await.unwrap()[0].id.clone();
        let report = unit_handles(&app, &id, &record).await;
        // A letter's report is the letter clerk's to review, not the case officer's (L7.1) …
        let path = format!("/api/v1/reports/{report}/review");
        let co = app.token("case_officer").await;
        let (s, _) = app.post(&co, &path, &json!({"findings": findings(&[])})).await;
        assert_eq!(s, 403, "the case officer reviews visits only");
        // … with the same ten checks: nine are not a review.
        let mut nine = findings(&[]);
        nine.as_array_mut().unwrap().pop();
        let (s, v) = app.post(&clerk, &path, &json!({"findings": nine})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("findings.answered_in_writing")), "{v}");
        let (s, v) = app.post(&clerk, &path, &json!({"findings": findings(&[])})).await;
        assert_eq!((s, v["state"].as_str()), (200, Some("pass")), "{v}");
        let reviewed = app.state.store.events(&id).await.unwrap();
        let e = reviewed.iter().find(|e| e.kind == "report_reviewed").expect("reviewed");
        assert_eq!(e.actor_role, "letter_clerk");
        let review = &app.state.store.reviews_of(&id).await.unwrap()[0];
        let checks: Value = serde_json::from_str(&review.findings).unwrap();
        assert_eq!(checks.as_array().map(Vec::len), Some(10), "{checks}");
        assert_eq!(review.outcome, "pass");
        // The clerk proposes closing, the deputy director approves, the clerk deregisters.
        let closure = format!("/api/v1/petitions/{id}/closure");
        let (s, _) = app.post(&co, &closure, &json!({})).await;
        assert_eq!(s, 403);
        let (s, v) = app.post(&clerk, &closure, &json!({})).await;
        assert_eq!((s, v["stage"].as_str()), (200, Some("awaiting_closure")), "{v}");
        let (s, _) = app.post(&dd, &format!("/api/v1/approvals/{}", v["approval_id"].as_str().unwrap()), &json!({"accept": true})).await;
        assert_eq!(s, 200);
        assert_eq!(stage(&app, &id).await, "closed");
        let (s, v) = app.post(&clerk, &closure, &json!({"action": "deregister"})).await;
        assert_eq!((s, v["stage"].as_str()), (200, Some("deregistered")), "{v}");
    }

    async fn the_set_aside_register_is_kept_by_township_and_date_received(app) {
        let clerk = app.token("letter_clerk").await;
        let chengguan = app.unit_id("chengguan").await;
        let fuxin = app.unit_id("fuxin").await;
        // Received out of order, in two townships.
        let letters = [
            ("2026-11-25T10:00", &fuxin, "阜新街道居民反映路灯损坏"),
            ("2026-11-20T10:00", &chengguan, "城关镇村民反映邻里纠纷"),
            ("2026-11-24T10:00", &chengguan, "城关镇村民反映占道经营"),
            ("2026-11-18T10:00", &fuxin, "阜新街道居民反映噪声扰民"),
        ];
        for (received, township, summary) in letters {
            let id = accepted_letter_received(&app, received, json!({"township": township, "summary": summary})).await;
            let (s, v) = app.post(&clerk, &format!("/api/v1/petitions/{id}/disposition"), &json!({"disposition": "set_aside"})).await;
            assert_eq!(s, 200, "{v}");
        }
        let html = crate::deadlines::cookie_page(&app, "letter_clerk", "/set-aside").await;
        let table = &html[html.find("id=\"set-aside\"").expect("register table")..];
        let order: Vec<usize> = ["阜新街道居民反映噪声扰民", "阜新街道居民反映路灯损坏", "城关镇村民反映邻里纠纷", "城关镇村民反映占道经营"]
            .iter()
            .map(|s| table.find(s).unwrap_or_else(|| panic!("{s} in the register")))
            .collect();
        // Each township's letters together, each by the day received.
        assert!(order[2] < order[3] && order[3] < order[0] && order[0] < order[1], "{order:?}");
        assert!(table.contains("2026-11-18") && table.contains("2026-11-20"), "the day received is shown");
        assert!(table.contains("阜新街道办事处") && table.contains("城关镇人民政府"));
        // The register passes the gate: a letter the deputy director is recused from is not on
        // the deputy director's register.
        let recused = accepted_letter_received(&app, "2026-11-19T10:00", json!({"township": chengguan, "summary": "城关镇村民反映宅基地纠纷"})).await;
        let (s, v) = app.post(&clerk, &format!("/api/v1/petitions/{recused}/disposition"), &json!({"disposition": "set_aside"})).await;
        assert_eq!(s, 200, "{v}");
        let dd = app.token("deputy_director").await;
        let (s, _) = app.post(&dd, "/api/v1/recusals", &json!({"petition_id": recused, "reason": "信访人系本人亲属"})).await;
        assert!(s < 300, "{s}");
        let theirs = crate::deadlines::cookie_page(&app, "deputy_director", "/set-aside").await;
        assert!(theirs.contains("城关镇村民反映邻里纠纷"), "the others are listed");
        assert!(!theirs.contains("城关镇村民反映宅基地纠纷"), "not the one they are recused from");
        let clerks = crate::deadlines::cookie_page(&app, "letter_clerk", "/set-aside").await;
        assert!(clerks.contains("城关镇村民反映宅基地纠纷"));
    }

    async fn a_letter_is_reported_up_as_a_summary_and_the_leaders_instruction_reported_on(app) {
        let clerk = app.token("letter_clerk").await;
        let id = accepted_letter(&app, json!({})).await;
        let path = format!("/api/v1/petitions/{id}/disposition");
        // A carrier the procedure does not know is refused, nothing changes.
        let (s, v) = app.post(&clerk, &path, &json!({"disposition": "report_up", "report_mode": "digest", "carrier": "口头汇报"})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("carrier")));
        assert_eq!(stage(&app, &id).await, "disposing");
        // The office may not dispose of a letter: the clerk does (L4.0).
        let office = app.token("office").await;
        let (s, _) = app.post(&office, &path, &json!({"disposition": "report_up", "report_mode": "digest", "carrier": "每日信访信息"})).await;
        assert_eq!(s, 403);
        // A letter goes up in a mode and on a carrier (V3.1, L4.1): neither alone will do.
        let (s, v) = app.post(&clerk, &path, &json!({"disposition": "report_up", "carrier": "每日信访信息"})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("report_mode")), "{v}");
        let (s, v) = app.post(&clerk, &path, &json!({"disposition": "report_up", "report_mode": "digest"})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("carrier")), "{v}");
        assert_eq!(stage(&app, &id).await, "disposing");
        let (s, v) = app.post(&clerk, &path, &json!({"disposition": "report_up", "report_mode": "digest", "carrier": "每日信访信息", "note": "已电话核实来信人身份及所反映情况"})).await;
        assert_eq!((s, v["stage"].as_str()), (200, Some("reported_up")), "{v}");
        let d = &app.state.store.dispositions(&id).await.unwrap()[0];
        assert_eq!((d.report_mode.as_str(), d.carrier.as_str(), d.note.as_str()), ("digest", "每日信访信息", "已电话核实来信人身份及所反映情况"));
        // 每日信访信息 is compiled from the whole day: nothing is drafted for this letter alone.
        assert!(app.state.store.documents_of(&id).await.unwrap().iter().all(|d| d.kind != "daily_bulletin" && d.kind != "special_bulletin"));
        // The important-problem request report is the clerk's to draft (a leader signs it off).
        let (s, v) = app.post(&clerk, &format!("/api/v1/petitions/{id}/documents"), &json!({"kind": "request_report"})).await;
        assert_eq!((s, v["state"].as_str()), (201, Some("draft")), "{v}");
        // The leader's instruction on it is recorded, supervised by a named person, and the
        // written report back stays owed until it is made.
        let (s, v) = app.post(&clerk, &format!("/api/v1/petitions/{id}/leader-instructions"), &json!({
            "leader": "李区长", "given_on": "2026-11-27", "text": "请信访局督促相关部门依法处理。",
            "required_action": "处理结果书面报告", "due_on": "2026-12-20", "supervisor": "办信人员王某"})).await;
        assert_eq!(s, 201, "{v}");
        let instructions = app.state.store.instructions_of(&id).await.unwrap();
        assert_eq!((instructions[0].leader.as_str(), instructions[0].supervisor.as_str()), ("李区长", "办信人员王某"));
        let obs = app.state.store.obligations_of(&id).await.unwrap();
        let kinds: Vec<&str> = obs.iter().map(|o| o.kind.as_str()).collect();
        // Reported to the leaders, the named writer with an address is owed a reply (二(八)1);
        // the instruction adds the report back, and does not owe the reply twice.
        assert_eq!(kinds, vec!["reply_to_writer", "report_to_leader"]);
        assert!(obs.iter().all(|o| o.fulfilled_at.is_none()));
        let report = &obs[1];
        let (s, _) = app.post(&clerk, &format!("/api/v1/petitions/{id}/obligations/{}", report.id), &json!({"note": ""})).await;
        assert_eq!(s, 422);
        let (s, _) = app.post(&clerk, &format!("/api/v1/petitions/{id}/obligations/{}", report.id), &json!({"note": "12月15日书面报告李区长"})).await;
        assert_eq!(s, 204);
        // A reply by phone, recorded, settles what the writer was owed.
        let (s, v) = app.post(&clerk, &format!("/api/v1/petitions/{id}/query-replies"), &json!({"method": "oral", "asked_on": "2026-11-27", "answer": "电话告知来信人：已报区领导，正在督促办理。"})).await;
        assert_eq!(s, 201, "{v}");
        let obs = app.state.store.obligations_of(&id).await.unwrap();
        assert!(obs.iter().all(|o| o.fulfilled_at.is_some()), "{obs:?}");
        assert!(obs[0].note.starts_with("已口头答复"));
    }

    async fn an_anonymous_letter_reported_up_owes_no_reply(app) {
        let clerk = app.token("letter_clerk").await;
        let id = accepted_letter(&app, json!({"anonymous": true, "petitioners": []})).await;
        let (s, v) = app.post(&clerk, &format!("/api/v1/petitions/{id}/disposition"), &json!({"disposition": "report_up", "carrier": "来信原件"})).await;
        assert_eq!(s, 200, "{v}");
        assert!(app.state.store.obligations_of(&id).await.unwrap().is_empty());
    }

    async fn an_administrator_changes_who_approves_a_gate(app) {
        let admin = app.token("admin").await;
        let (s, v) = app.get(&admin, "/api/v1/approval-gates").await;
        assert_eq!(s, 200);
        let closure = v.as_array().unwrap().iter().find(|g| g["gate"] == "closure").unwrap().clone();
        assert_eq!(closure["roles"], json!(["deputy_director"]));
        let (s, v) = app.put(&admin, "/api/v1/approval-gates/extension", &json!({"roles": ["director"]})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("roles")), "a bureau leader cannot approve a unit's extension");
        let (s, _) = app.put(&admin, "/api/v1/approval-gates/closure", &json!({"roles": ["director"]})).await;
        assert_eq!(s, 204);
        let office = app.token("office").await;
        let (s, _) = app.put(&office, "/api/v1/approval-gates/closure", &json!({"roles": ["office"]})).await;
        assert_eq!(s, 403);
        // Now only the director closes.
        let id = accepted_visit(&app).await;
        let record = assigned(&app, &id).await;
        let report = unit_handles(&app, &id, &record).await;
        let co = app.token("case_officer").await;
        app.post(&co, &format!("/api/v1/reports/{report}/review"), &json!({"findings": findings(&[])})).await;
        let (_, v) = app.post(&co, &format!("/api/v1/petitions/{id}/closure"), &json!({})).await;
        let approval = v["approval_id"].as_str().unwrap().to_string();
        let dd = app.token("deputy_director").await;
        let (s, _) = app.post(&dd, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true})).await;
        assert_eq!(s, 403);
        let director = app.token("director").await;
        let (s, _) = app.post(&director, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true})).await;
        assert_eq!(s, 200);
        assert_eq!(stage(&app, &id).await, "closed");
    }

    async fn coordination_records_its_plan_and_meetings(app) {
        let id = accepted_visit(&app).await;
        let office = app.token("office").await;
        let (s, v) = app.post(&office, &format!("/api/v1/petitions/{id}/disposition"), &json!({
            "disposition": "coordination", "plan": "召集人社局、城关镇和施工企业三方协调。", "coordination_level": "bureau_leader"})).await;
        assert_eq!((s, v["stage"].as_str()), (200, Some("disposing")), "the plan waits for a leader: {v}");
        let director = app.token("director").await;
        let (s, _) = app.post(&director, &format!("/api/v1/approvals/{}", v["approval_id"].as_str().unwrap()), &json!({"accept": true})).await;
        assert_eq!(s, 200);
        assert_eq!(stage(&app, &id).await, "coordinating");
        let path = format!("/api/v1/petitions/{id}/coordination-meetings");
        let (s, v) = app.post(&office, &path, &json!({"held_on": "2026-11-27", "participants": "", "outcome": "x"})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("participants")));
        let (s, v) = app.post(&office, &path, &json!({"held_on": "2026-11-27", "place": "局三楼会议室",
            "participants": "人社局、城关镇、施工企业、信访人代表", "outcome": "企业同意12月5日前支付。"})).await;
        assert_eq!(s, 201, "{v}");
        let m = app.state.store.meetings_of(&id).await.unwrap();
        assert_eq!(m[0].outcome, "企业同意12月5日前支付。");
        let d = &app.state.store.dispositions(&id).await.unwrap()[0];
        assert_eq!((d.disposition.as_str(), d.coordination_level.as_str()), ("coordination", "bureau_leader"));
    }
}

// ---------------------------------------------------------------------------------------------
// What the steps leave behind: stored deadlines, drafted documents, report attachments

/// (rule, state, due) of each stored deadline of the petition, for one rule or all.
async fn stored(app: &TestApp, id: &str, rule: &str) -> Vec<(String, String)> {
    app.state
        .store
        .deadlines_of(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.rule_code == rule)
        .map(|d| (d.state, d.due_on.to_string()))
        .collect()
}

/// The drafts of `kind` the petition's steps created: (document id, drafter's role).
async fn drafted(app: &TestApp, id: &str, kind: &str) -> Vec<(String, String)> {
    app.state
        .store
        .events(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "document_drafted" && e.payload["kind"] == kind)
        .map(|e| {
            (
                e.payload["document_id"].as_str().unwrap().to_string(),
                e.actor_role,
            )
        })
        .collect()
}

async fn draft_body(app: &TestApp, token: &str, doc: &str) -> Value {
    let (s, v) = app.get(token, &format!("/api/v1/documents/{doc}")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["state"], "draft");
    v
}

const REPORT_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

async fn upload_to_report(app: &TestApp, t: &str, report: &str, bytes: &[u8]) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(&format!(
            "/api/v1/reports/{report}/attachments?file_name=%E7%AD%94%E5%A4%8D%E4%B9%A6.pdf"
        )))
        .bearer_auth(t)
        .header("content-type", "application/octet-stream")
        .body(bytes.to_vec())
        .send()
        .await
        .expect("upload");
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

backend_tests! {
    async fn handling_steps_start_meet_and_cancel_their_stored_deadlines(app) {
        let id = accepted_visit(&app).await;
        assert_eq!(stored(&app, &id, "dispose_visit").await[0].0, "running");
        let record = assigned(&app, &id).await;
        // 交办 took effect 2026-11-27: disposing is done; the unit owes telling the petitioner
        // (15 days; 12-12 is a Saturday → 12-14), its objection window (5 working days) and the
        // handling report (60 days).
        assert_eq!(stored(&app, &id, "dispose_visit").await[0].0, "met");
        assert_eq!(stored(&app, &id, "unit_notify_petitioner").await, vec![("running".to_string(), "2026-12-14".to_string())]);
        assert_eq!(stored(&app, &id, "unit_objection").await, vec![("running".to_string(), "2026-12-04".to_string())]);
        assert_eq!(stored(&app, &id, "handling_report").await, vec![("running".to_string(), "2027-01-26".to_string())]);
        let d = app.state.store.deadlines_of(&id).await.unwrap();
        assert!(d.iter().filter(|d| d.rule_code != "dispose_visit").all(|d| d.handling_record_id.as_deref() == Some(record.as_str())));
        // The unit accepts: told (met), may no longer object (cancelled), 60 days to handle.
        let h = app.token("chengguan_handler").await;
        app.post(&h, &format!("/api/v1/handling-records/{record}/receive"), &json!({"action": "sign_for"})).await;
        let (s, v) = app.post(&h, &format!("/api/v1/handling-records/{record}/receive"), &json!({
            "action": "accept", "petitioner_told_how": "电话告知", "petitioner_told_on": "2026-11-27"})).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(stored(&app, &id, "unit_notify_petitioner").await[0].0, "met");
        assert_eq!(stored(&app, &id, "unit_objection").await[0].0, "cancelled");
        assert_eq!(stored(&app, &id, "handle_and_close").await, vec![("running".to_string(), "2027-01-26".to_string())]);
        // The unit sees its running deadlines on the petition.
        let (s, v) = app.get(&h, &format!("/api/v1/petitions/{id}/deadlines")).await;
        assert_eq!(s, 200, "{v}");
        assert!(v.as_array().unwrap().iter().any(|d| d["rule_code"] == "handle_and_close" && d["state"] == "running"));
        // The report meets both.
        let (s, v) = app.post(&h, &format!("/api/v1/petitions/{id}/reports"), &report_body(&record)).await;
        assert_eq!(s, 201, "{v}");
        let report = v["id"].as_str().unwrap().to_string();
        assert_eq!(stored(&app, &id, "handle_and_close").await[0].0, "met");
        assert_eq!(stored(&app, &id, "handling_report").await[0].0, "met");
        // Sent back to redo in 15 days: a new report deadline, supervised like the first.
        let co = app.token("case_officer").await;
        app.post(&co, &format!("/api/v1/reports/{report}/review"), &json!({"findings": findings(&["evidence_solid"]), "outcome": "redo",
            "opinion": "欠薪金额缺少证据，请补充工资表并重办。", "new_period_days": 15})).await;
        let dd = app.token("deputy_director").await;
        let (_, list) = app.get(&dd, "/api/v1/approvals").await;
        let approval = list.as_array().unwrap().iter().find(|a| a["gate"] == "redo").unwrap()["id"].as_str().unwrap().to_string();
        app.post(&dd, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true})).await;
        let reports = stored(&app, &id, "handling_report").await;
        assert!(reports.contains(&("running".to_string(), "2026-12-14".to_string())), "{reports:?}");
        let redo = app.state.store.deadlines_of(&id).await.unwrap().into_iter().find(|d| d.rule_code == "handling_report" && d.running()).unwrap();
        assert_eq!(redo.period_days, 15);
        // Reported again, passed, closed: nothing is left running.
        let (_, v) = app.post(&h, &format!("/api/v1/petitions/{id}/reports"), &report_body(&record)).await;
        let report2 = v["id"].as_str().unwrap().to_string();
        app.post(&co, &format!("/api/v1/reports/{report2}/review"), &json!({"findings": findings(&[])})).await;
        let (_, v) = app.post(&co, &format!("/api/v1/petitions/{id}/closure"), &json!({})).await;
        let (s, _) = app.post(&dd, &format!("/api/v1/approvals/{}", v["approval_id"].as_str().unwrap()), &json!({"accept": true})).await;
        assert_eq!(s, 200);
        assert!(app.state.store.deadlines_of(&id).await.unwrap().iter().all(|d| !d.running()));
    }

    async fn an_assigned_unit_that_does_not_report_is_supervised_by_the_daily_scan(app) {
        let id = accepted_visit(&app).await;
        let office = app.token("office").await;
        let unit = app.unit_id("chengguan").await;
        let (_, v) = app.post(&office, &format!("/api/v1/petitions/{id}/disposition"), &json!({
            "disposition": "assignment", "units": [{"unit_id": unit, "lead": true}], "period_days": 30,
            "requirements": "查清欠薪事实，书面答复信访人。"})).await;
        let dd = app.token("deputy_director").await;
        app.post(&dd, &format!("/api/v1/approvals/{}", v["approval_id"].as_str().unwrap()), &json!({"accept": true})).await;
        // 30 days from 2026-11-27 is 12-27, a Sunday: due Monday 12-28.
        assert_eq!(stored(&app, &id, "handling_report").await, vec![("running".to_string(), "2026-12-28".to_string())]);
        let record = app.state.store.handling_records(&id).await.unwrap()[0].id.clone();
        let h = app.token("chengguan_handler").await;
        app.post(&h, &format!("/api/v1/handling-records/{record}/receive"), &json!({"action": "sign_for"})).await;
        app.post(&h, &format!("/api/v1/handling-records/{record}/receive"), &json!({
            "action": "accept", "petitioner_told_how": "电话告知", "petitioner_told_on": "2026-11-27"})).await;
        // On the due day nothing is raised; the day after, the missing report is.
        app.clock.set(crate::deadlines::at(2026, 12, 28));
        let r = xinfang::jobs::run_daily(&app.state, "one").await.unwrap().expect("ran");
        assert_eq!(r.raised, 0, "{r:?}");
        app.clock.set(crate::deadlines::at(2026, 12, 29));
        let r = xinfang::jobs::run_daily(&app.state, "one").await.unwrap().expect("ran");
        // Both the report and the 30-day handling period (from the acceptance) are late.
        assert_eq!(r.raised, 2, "{r:?}");
        let h = app.token("chengguan_handler").await;
        let (s, items) = app.get(&h, "/api/v1/supervision").await;
        assert_eq!(s, 200, "{items}");
        let mut got: Vec<(String, String)> = items.as_array().unwrap().iter()
            .map(|i| (i["trigger"].as_str().unwrap().to_string(), i["petition_id"].as_str().unwrap().to_string())).collect();
        got.sort();
        assert_eq!(got, vec![("overdue".to_string(), id.clone()), ("report_missing".to_string(), id.clone())]);
        let g = app.token("ganhezi_handler").await;
        let (_, other) = app.get(&g, "/api/v1/supervision").await;
        assert!(other.as_array().unwrap().is_empty());
    }

    async fn approved_steps_leave_their_documents_as_drafts(app) {
        let id = accepted_visit(&app).await;
        let record = assigned(&app, &id).await;
        // 交办函: drafted in the proposing office's name, to the unit, with the report date.
        let letters = drafted(&app, &id, "assignment_letter").await;
        assert_eq!(letters.len(), 1, "{letters:?}");
        assert_eq!(letters[0].1, "office");
        let office = app.token("office").await;
        let v = draft_body(&app, &office, &letters[0].0).await;
        assert!(v["fields"]["recipient"].as_str().unwrap().contains("城关镇"), "{v}");
        assert!(v["fields"]["body"].as_str().unwrap().contains("2027年1月26日"), "{v}");
        // The office sends it for sign-off; the deputy director signs it off.
        let (s, v) = app.post(&office, &format!("/api/v1/documents/{}/submit", letters[0].0), &json!({})).await;
        assert_eq!(s, 200, "{v}");
        let dd = app.token("deputy_director").await;
        let (s, v) = app.post(&dd, &format!("/api/v1/documents/{}/sign-off", letters[0].0), &json!({})).await;
        assert_eq!((s, v["state"].as_str()), (200, Some("signed_off")), "{v}");
        // 延期告知书 after the unit head's approval: the reason and the new date.
        let h = app.token("chengguan_handler").await;
        app.post(&h, &format!("/api/v1/handling-records/{record}/receive"), &json!({"action": "sign_for"})).await;
        app.post(&h, &format!("/api/v1/handling-records/{record}/receive"), &json!({
            "action": "accept", "petitioner_told_how": "电话告知", "petitioner_told_on": "2026-11-27"})).await;
        let (_, v) = app.post(&h, &format!("/api/v1/handling-records/{record}/extension"), &json!({"days": 30, "reason": "需司法鉴定", "petitioner_told": "11月27日电话告知"})).await;
        let head = app.token("chengguan_head").await;
        let (s, _) = app.post(&head, &format!("/api/v1/approvals/{}", v["id"].as_str().unwrap()), &json!({"accept": true})).await;
        assert_eq!(s, 200);
        // The stored handling deadline moved with it.
        assert_eq!(stored(&app, &id, "handle_and_close").await, vec![("running".to_string(), "2027-02-25".to_string())]);
        let notices = drafted(&app, &id, "extension_notice").await;
        assert_eq!(notices.len(), 1);
        let v = draft_body(&app, &office, &notices[0].0).await;
        let body = v["fields"]["body"].as_str().unwrap();
        assert!(body.contains("需司法鉴定") && body.contains("2027年2月25日") && body.contains("30日"), "{body}");
        // 书面告知单 for a written answer to a query.
        let r = app.token("receptionist").await;
        let (s, _) = app.post(&r, &format!("/api/v1/petitions/{id}/query-replies"), &json!({"method": "written", "asked_on": "2026-11-27", "answer": "该事项已交城关镇办理，正在调查核实。"})).await;
        assert_eq!(s, 201);
        let query = drafted(&app, &id, "query_reply_notice").await;
        assert_eq!(query.len(), 1);
        assert_eq!(query[0].1, "case_officer", "the receptionist does not draft it; a case officer does");
        let v = draft_body(&app, &office, &query[0].0).await;
        assert!(v["fields"]["body"].as_str().unwrap().contains("正在调查核实"));
        // 结案报告 once the closing is approved: the unit's result and where the report goes.
        let (_, v) = app.post(&h, &format!("/api/v1/petitions/{id}/reports"), &report_body(&record)).await;
        let report = v["id"].as_str().unwrap().to_string();
        let co = app.token("case_officer").await;
        app.post(&co, &format!("/api/v1/reports/{report}/review"), &json!({"findings": findings(&[])})).await;
        let (_, v) = app.post(&co, &format!("/api/v1/petitions/{id}/closure"), &json!({})).await;
        assert!(drafted(&app, &id, "closing_report").await.is_empty(), "not before the approval");
        app.post(&dd, &format!("/api/v1/approvals/{}", v["approval_id"].as_str().unwrap()), &json!({"accept": true})).await;
        let closing = drafted(&app, &id, "closing_report").await;
        assert_eq!(closing, vec![(closing[0].0.clone(), "case_officer".to_string())]);
        let v = draft_body(&app, &co, &closing[0].0).await;
        let body = v["fields"]["body"].as_str().unwrap();
        assert!(body.contains("城关镇") && body.contains("已督促该公司") && body.contains("本机关立卷归档"), "{body}");
    }

    async fn the_bureaus_own_result_drafts_its_handling_opinion(app) {
        let id = accepted_visit(&app).await;
        let office = app.token("office").await;
        let (s, _) = app.post(&office, &format!("/api/v1/petitions/{id}/disposition"), &json!({"disposition": "report_up", "carrier": "信访信息专报"})).await;
        assert_eq!(s, 200);
        assert_eq!(stored(&app, &id, "dispose_visit").await[0].0, "met");
        let co = app.token("case_officer").await;
        let (s, v) = app.post(&co, &format!("/api/v1/petitions/{id}/reports"), &report_body("")).await;
        assert_eq!(s, 201, "{v}");
        let opinions = drafted(&app, &id, "handling_opinion").await;
        assert_eq!(opinions.len(), 1);
        let v = draft_body(&app, &co, &opinions[0].0).await;
        let body = v["fields"]["body"].as_str().unwrap();
        assert!(body.contains("确欠张三工资三万元") && body.contains("支持") && body.contains("复查"), "{body}");
    }

    async fn appeals_handled_here_run_on_a_stored_deadline(app) {
        let id = accepted_visit(&app).await;
        let record = assigned(&app, &id).await;
        let report = unit_handles(&app, &id, &record).await;
        let co = app.token("case_officer").await;
        app.post(&co, &format!("/api/v1/reports/{report}/review"), &json!({"findings": findings(&[])})).await;
        let (_, v) = app.post(&co, &format!("/api/v1/petitions/{id}/closure"), &json!({})).await;
        let dd = app.token("deputy_director").await;
        app.post(&dd, &format!("/api/v1/approvals/{}", v["approval_id"].as_str().unwrap()), &json!({"accept": true})).await;
        let path = format!("/api/v1/petitions/{id}/appeals");
        let (s, v) = app.post(&co, &path, &json!({"level": "reexamination", "requested_on": "2026-11-27", "organ": "本局", "handled_here": true})).await;
        assert_eq!(s, 201, "{v}");
        // 30 days from 11-27 → 12-27 (Sunday) → 12-28, on the office's queue.
        assert_eq!(stored(&app, &id, "reexamination_decision").await, vec![("running".to_string(), "2026-12-28".to_string())]);
        let (s, v) = app.post(&co, &format!("{path}/{}/opinion", v["id"].as_str().unwrap()), &json!({"opinion": "维持原处理意见。", "opinion_on": "2026-11-27", "opinion_served_on": "2026-11-27"})).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(stored(&app, &id, "reexamination_decision").await[0].0, "met");
        // Handled elsewhere: nothing of ours runs.
        let (s, _) = app.post(&co, &path, &json!({"level": "recheck", "requested_on": "2026-11-27", "organ": "昌吉州信访局", "handled_here": false})).await;
        assert_eq!(s, 201);
        assert!(stored(&app, &id, "recheck_decision").await.is_empty());
    }

    async fn a_unit_head_extending_the_deadline_directly_moves_the_record_too(app) {
        let id = accepted_visit(&app).await;
        let record = assigned(&app, &id).await;
        let h = app.token("chengguan_handler").await;
        app.post(&h, &format!("/api/v1/handling-records/{record}/receive"), &json!({"action": "sign_for"})).await;
        app.post(&h, &format!("/api/v1/handling-records/{record}/receive"), &json!({
            "action": "accept", "petitioner_told_how": "电话告知", "petitioner_told_on": "2026-11-27"})).await;
        let d = app.state.store.deadlines_of(&id).await.unwrap().into_iter().find(|d| d.rule_code == "handle_and_close").unwrap();
        let head = app.token("chengguan_head").await;
        let (s, v) = app.post(&head, &format!("/api/v1/deadlines/{}/extension", d.id), &json!({"days": 20, "reason": "需会商", "petitioner_told": "11月27日电话告知信访人需会商"})).await;
        assert_eq!((s, v["due_on"].as_str()), (200, Some("2027-02-15")), "{v}");
        let r = app.state.store.handling_record(&app.state.bureau.id, &record).await.unwrap();
        assert_eq!((r.state.as_str(), r.extended_days, r.due_on.as_deref()), ("extended", 20, Some("2027-02-15")));
        // Once is all: the unit's request for another extension is refused.
        let (s, v) = app.post(&h, &format!("/api/v1/handling-records/{record}/extension"), &json!({"days": 5, "reason": "再延", "petitioner_told": "电话"})).await;
        assert_eq!(s, 409, "{v}");
    }

    async fn a_referred_department_reports_its_acceptance_back(app) {
        // Referred at the window with a 转送单: the department's record and its 15-day notice.
        let id = crate::deadlines::referred_visit(&app, "renshe").await;
        assert_eq!(stored(&app, &id, "unit_notify_petitioner").await[0].0, "running");
        let h = app.token("renshe_handler").await;
        let (s, inbox) = app.get(&h, "/api/v1/inbox").await;
        assert_eq!(s, 200, "{inbox}");
        let item = inbox.as_array().unwrap().iter().find(|i| i["petition_id"] == id.as_str()).expect("in the department's inbox").clone();
        let record = item["record_id"].as_str().unwrap().to_string();
        let path = format!("/api/v1/handling-records/{record}/receive");
        let (s, v) = app.post(&h, &path, &json!({"action": "sign_for"})).await;
        assert_eq!(s, 200, "{v}");
        // Accepting needs how the petitioner was told, and not in the future.
        let (s, v) = app.post(&h, &path, &json!({"action": "accept", "petitioner_told_how": "书面告知", "petitioner_told_on": "2026-11-28"})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("petitioner_told_on")));
        let (s, v) = app.post(&h, &path, &json!({"action": "accept", "petitioner_told_how": "书面告知（受理告知书）", "petitioner_told_on": "2026-11-27"})).await;
        assert_eq!((s, v["state"].as_str()), (200, Some("accepted")), "{v}");
        // The bureau sees the acceptance; the notice obligation is met and the 60 days run.
        let events = app.state.store.events(&id).await.unwrap();
        let accepted = events.iter().find(|e| e.kind == "unit_accepted").expect("acceptance reported");
        assert_eq!(accepted.payload["petitioner_told_how"], "书面告知（受理告知书）");
        assert_eq!(stored(&app, &id, "unit_notify_petitioner").await[0].0, "met");
        assert_eq!(stored(&app, &id, "handle_and_close").await, vec![("running".to_string(), "2027-01-26".to_string())]);
    }

    async fn handling_reports_take_checked_attachments(app) {
        let id = accepted_visit(&app).await;
        let record = assigned(&app, &id).await;
        let report = unit_handles(&app, &id, &record).await;
        let h = app.token("chengguan_handler").await;
        let (s, v) = upload_to_report(&app, &h, &report, REPORT_PDF).await;
        assert_eq!(s, 201, "{v}");
        assert_eq!((v["file_name"].as_str(), v["content_type"].as_str()), (Some("答复书.pdf"), Some("application/pdf")));
        let url = v["download_url"].as_str().unwrap().to_string();
        // Refused, nothing written: a text file, another unit, the bureau's staff.
        let before = app.count("handling_report_attachments").await;
        let (s, v) = upload_to_report(&app, &h, &report, b"just some text").await;
        assert_eq!((s, v["field"].as_str()), (422, Some("file")), "{v}");
        let g = app.token("ganhezi_handler").await;
        let (s, _) = upload_to_report(&app, &g, &report, REPORT_PDF).await;
        assert!(s == 403 || s == 404, "{s}");
        let co = app.token("case_officer").await;
        let (s, _) = upload_to_report(&app, &co, &report, REPORT_PDF).await;
        assert_eq!(s, 403);
        assert_eq!(app.count("handling_report_attachments").await, before);
        // The reviewer reads it: the same bytes; another unit cannot.
        let (s, bytes) = app.get_bytes(&co, &url).await;
        assert_eq!((s, bytes.as_slice()), (200, REPORT_PDF));
        let (s, _) = app.get_bytes(&g, &url).await;
        assert!(s == 403 || s == 404, "{s}");
        let kinds: Vec<String> = app.state.store.events(&id).await.unwrap().into_iter().map(|e| e.kind).collect();
        assert!(kinds.contains(&"report_file_attached".to_string()));
        // Once reviewed, the report's attachments are fixed.
        app.post(&co, &format!("/api/v1/reports/{report}/review"), &json!({"findings": findings(&[])})).await;
        let (s, v) = upload_to_report(&app, &h, &report, REPORT_PDF).await;
        assert_eq!(s, 409, "{v}");
    }
}

backend_tests! {
    async fn a_letter_disposed_of_by_circular_waits_for_the_circular_and_then_rests_as_handled(app) {
        let clerk = app.token("letter_clerk").await;
        // Not for visits.
        let visit = accepted_visit(&app).await;
        let office = app.token("office").await;
        let (s, v) = app.post(&office, &format!("/api/v1/petitions/{visit}/disposition"), &json!({"disposition": "circular"})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("not_for_visits")), "{v}");
        let id = accepted_letter(&app, json!({})).await;
        let (s, v) = app.post(&clerk, &format!("/api/v1/petitions/{id}/disposition"), &json!({"disposition": "circular", "note": "列入本月信访情况通报"})).await;
        assert_eq!(s, 200, "{v}");
        let approval = v["approval_id"].as_str().expect("通报 is approved like the other ways").to_string();
        assert_eq!(stage(&app, &id).await, "disposing");
        let dd = app.token("deputy_director").await;
        let (s, v) = app.post(&dd, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true})).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(stage(&app, &id).await, "awaiting_circular");
        // The next 信访情况通报 issued closes it into the 普通 dossier.
        let (s, d) = app.post(&office, "/api/v1/documents", &json!({"kind": "circular", "petition_ids": [id]})).await;
        assert_eq!(s, 201, "{d}");
        let doc = d["id"].as_str().unwrap().to_string();
        app.sign_off_and_issue("office", "director", &doc).await;
        assert_eq!(stage(&app, &id).await, "closed");
        let (_, p) = app.get(&clerk, &format!("/api/v1/petitions/{id}")).await;
        let issued = p["events"].as_array().unwrap().iter().find(|e| e["kind"] == "circular_issued").cloned().expect("event");
        assert_eq!(issued["payload"]["dossier"], "ordinary", "{issued}");
    }
}

/// A letter the bureau handles itself after reporting it up, closed by the letter clerk; returns
/// the closing event's payload, with the petition's id as `petition_id`.
pub(crate) async fn close_reported_letter(app: &TestApp, registration: Value) -> Value {
    let id = accepted_letter(app, registration).await;
    let clerk = app.token("letter_clerk").await;
    let (s, v) = app.post(&clerk, &format!("/api/v1/petitions/{id}/disposition"), &json!({"disposition": "report_up", "report_mode": "original", "carrier": "信访信息专报"})).await;
    assert_eq!(s, 200, "{v}");
    // What the writer is owed once leaders have it, answered.
    let (s, v) = app.post(&clerk, &format!("/api/v1/petitions/{id}/query-replies"), &json!({"method": "oral", "asked_on": "2026-11-27", "answer": "电话告知来信人：已报领导，正在办理。"})).await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = app
        .post(
            &clerk,
            &format!("/api/v1/petitions/{id}/reports"),
            &report_body(""),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let report = v["id"].as_str().unwrap().to_string();
    let (s, v) = app
        .post(
            &clerk,
            &format!("/api/v1/reports/{report}/review"),
            &json!({"findings": findings(&[])}),
        )
        .await;
    assert!(s < 300, "{v}");
    let (s, v) = app
        .post(
            &clerk,
            &format!("/api/v1/petitions/{id}/closure"),
            &json!({}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    if let Some(a) = v["approval_id"].as_str() {
        let dd = app.token("deputy_director").await;
        let (s, v) = app
            .post(
                &dd,
                &format!("/api/v1/approvals/{a}"),
                &json!({"accept": true}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let events = app.state.store.events(&id).await.unwrap();
    let mut closed = events
        .iter()
        .find(|e| e.kind == "closed")
        .expect("closed")
        .payload
        .clone();
    closed["petition_id"] = json!(id);
    closed
}

backend_tests! {
    async fn the_closing_report_follows_where_the_letter_came_from(app) {
        let forwarded = close_reported_letter(&app, json!({"letter": {
            "forwarded_by_organ": "昌吉州信访局", "forwarded_doc_no": "昌信转〔2026〕5号",
            "forwarded_on": "2026-11-20", "forwarded_deadline": "2026-12-20"}})).await;
        assert_eq!(forwarded["closing_report_route"], "higher_organ", "{forwarded}");
        assert!(forwarded.to_string().contains("昌吉州信访局"), "{forwarded}");
        let instructed = close_reported_letter(&app, json!({"letter": {
            "leader_name": "王市长", "leader_instructed_on": "2026-11-26", "leader_instruction": "请市信访局督促办理。"}})).await;
        assert_eq!(instructed["closing_report_route"], "local_leader", "{instructed}");
        assert!(instructed.to_string().contains("王市长"), "{instructed}");
        let own = close_reported_letter(&app, json!({})).await;
        assert_eq!(own["closing_report_route"], "archive", "reported up by the bureau itself: {own}");
    }
}
