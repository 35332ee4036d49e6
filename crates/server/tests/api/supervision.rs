//! Supervision (督办, rules §5): automatic triggers raised by the daily scan and at
//! registration, items opened by hand, every action logged, the 督办函, escalation to the
//! leaders and the formal project for the inspector; the scan runs once across instances.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::backend_tests;
use crate::deadlines::{at, deadlines, referred_visit};
use crate::harness::TestApp;

async fn inbox(app: &TestApp, user: &str) -> Vec<Value> {
    let t = app.token(user).await;
    let (status, v) = app.get(&t, "/api/v1/supervision").await;
    assert_eq!(status, 200, "{v}");
    v.as_array().unwrap().clone()
}

async fn item_count(app: &TestApp) -> i64 {
    app.count("supervision_items").await
}

fn pdf_text(bytes: &[u8]) -> String {
    pdf_extract::extract_text_from_mem(bytes)
        .expect("pdf text")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// A second instance of the application on the same database (as a second server process
/// would be), with the same clock.
async fn second_instance(app: &TestApp) -> Arc<xinfang_app::context::AppState> {
    let store = xinfang_app::context::open_store(&app.state.config)
        .await
        .expect("store");
    Arc::new(
        xinfang_app::context::AppState::new(
            app.state.config.clone(),
            store,
            app.clock.clone(),
            app.state.bureau.clone(),
        )
        .await
        .expect("state"),
    )
}

backend_tests! {
    async fn supervision_scan_raises_not_told_once_and_the_unit_sees_it(app) {
        let id = referred_visit(&app, "renshe").await;
        // Due 12-14; on the due day nothing is raised.
        app.clock.set(at(2026, 12, 14));
        let r = xinfang::jobs::run_daily(&app.state, "one").await.unwrap().expect("ran");
        assert_eq!(r.raised, 0);
        assert_eq!(item_count(&app).await, 0);
        // The day after: the unit has not told the petitioner within 15 days.
        app.clock.set(at(2026, 12, 15));
        let r = xinfang::jobs::run_daily(&app.state, "one").await.unwrap().expect("ran");
        assert_eq!((r.examined, r.raised), (1, 1));
        // Same day, another instance: already run.
        assert!(xinfang::jobs::run_daily(&app.state, "two").await.unwrap().is_none());
        // Next day: runs again, raises nothing new (idempotent).
        app.clock.set(at(2026, 12, 16));
        let r = xinfang::jobs::run_daily(&app.state, "two").await.unwrap().expect("ran");
        assert_eq!(r.raised, 0);
        assert_eq!(item_count(&app).await, 1);
        let items = inbox(&app, "renshe_handler").await;
        assert_eq!(items.len(), 1, "{items:?}");
        assert_eq!(items[0]["trigger"], "not_told");
        assert_eq!(items[0]["automatic"], true);
        assert_eq!(items[0]["petition_id"], id.as_str());
        assert!(inbox(&app, "zhujian_handler").await.is_empty());
        assert_eq!(inbox(&app, "office").await.len(), 1);
        assert!(inbox(&app, "letter_clerk").await.is_empty());
        let kinds: Vec<String> = app.state.store.events(&id).await.unwrap().into_iter().map(|e| e.kind).collect();
        assert!(kinds.contains(&"supervision_raised".to_string()));
        // Another unit's user cannot open it.
        let z = app.token("zhujian_handler").await;
        let (status, _) = app.get(&z, &format!("/api/v1/supervision/{}", items[0]["id"].as_str().unwrap())).await;
        assert_eq!(status, 404);
        // The digest and the counts per unit show it.
        let o = app.token("office").await;
        let (status, d) = app.get(&o, "/api/v1/deadlines/digest").await;
        assert_eq!(status, 200, "{d}");
        assert_eq!(d["overdue"], 1);
        assert_eq!(d["supervision_open"], 1);
        assert_eq!(d["scan"]["day"], "2026-12-16");
        let (_, counts) = app.get(&o, "/api/v1/deadlines/unit-counts").await;
        let renshe = counts.as_array().unwrap().iter().find(|c| c["unit_name"].as_str().unwrap().contains("人力资源")).expect("renshe").clone();
        // Overdue: the notice, and the unit's report on November's transferred matters (due
        // 12-10, started by the scan of 12-14), a deadline of the unit like any other.
        assert_eq!((renshe["overdue"].as_i64(), renshe["supervision_open"].as_i64()), (Some(2), Some(1)));
        let (status, _) = app.get(&z, "/api/v1/deadlines/digest").await;
        assert_eq!(status, 403);
    }

    async fn supervision_two_instances_raise_each_trigger_once(app) {
        let other = second_instance(&app).await;
        for _ in 0..3 {
            referred_visit(&app, "renshe").await;
        }
        referred_visit(&app, "zhujian").await;
        app.clock.set(at(2026, 12, 20));
        let (a, b) = tokio::join!(
            xinfang::jobs::run_daily(&app.state, "instance-a"),
            xinfang::jobs::run_daily(&other, "instance-b"),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(a.is_some() ^ b.is_some(), "exactly one instance runs the day's scan: {a:?} {b:?}");
        assert_eq!(a.or(b).unwrap().raised, 4);
        assert_eq!(item_count(&app).await, 4);
        assert_eq!(app.count("job_runs").await, 1);
        // Even two scans at once (a crashed lease taken over while the first still runs) raise
        // each trigger once.
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 21).unwrap();
        let (x, y) = tokio::join!(
            xinfang_app::supervision::scan(&app.state, day),
            xinfang_app::supervision::scan(&other, day),
        );
        assert_eq!(x.unwrap().raised + y.unwrap().raised, 0);
        assert_eq!(item_count(&app).await, 4);
        // A run left unfinished by a crashed instance is taken over once its lease expired.
        xinfang_store::sqlx::query("INSERT INTO job_runs (job, bureau_id, period, instance, started_at, attempts) VALUES ('deadline_scan', $1, '2026-12-21', 'crashed', $2, 1)")
            .bind(&app.state.bureau.id)
            .bind(xinfang_store::ts(at(2026, 12, 21) - chrono::Duration::hours(2)))
            .execute(app.state.store.pool()).await.unwrap();
        app.clock.set(at(2026, 12, 21));
        let fresh = xinfang::jobs::run_daily(&other, "instance-b").await.unwrap();
        assert!(fresh.is_some(), "the expired lease is taken over");
        let (attempts, finished): (i64, Option<String>) = xinfang_store::sqlx::query_as("SELECT attempts, finished_at FROM job_runs WHERE period = '2026-12-21'")
            .fetch_one(app.state.store.pool()).await.unwrap();
        assert_eq!(attempts, 2);
        assert!(finished.is_some());
        // A fresh unfinished lease is left alone.
        xinfang_store::sqlx::query("INSERT INTO job_runs (job, bureau_id, period, instance, started_at, attempts) VALUES ('deadline_scan', $1, '2026-12-22', 'busy', $2, 1)")
            .bind(&app.state.bureau.id)
            .bind(xinfang_store::ts(at(2026, 12, 22) - chrono::Duration::minutes(5)))
            .execute(app.state.store.pool()).await.unwrap();
        app.clock.set(at(2026, 12, 22));
        assert!(xinfang::jobs::run_daily(&app.state, "instance-a").await.unwrap().is_none());
        other.store.close().await;
    }

    async fn supervision_by_hand_each_action_logged_escalation_and_project(app) {
        let id = referred_visit(&app, "renshe").await;
        let o = app.token("office").await;
        let path = format!("/api/v1/petitions/{id}/supervision");
        // Refused: the letter clerk on a visit; an automatic trigger; no reason.
        let lc = app.token("letter_clerk").await;
        let (status, _) = app.post(&lc, &path, &json!({"trigger": "perfunctory", "note": "x"})).await;
        assert_eq!(status, 403);
        let (status, v) = app.post(&o, &path, &json!({"trigger": "overdue", "note": "x"})).await;
        assert_eq!(status, 422);
        assert_eq!(v["code"], "trigger_is_automatic");
        let (status, v) = app.post(&o, &path, &json!({"trigger": "perfunctory", "note": " "})).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "note");
        assert_eq!(item_count(&app).await, 0);
        let (status, item) = app.post(&o, &path, &json!({"trigger": "perfunctory", "note": "信访人反映承办单位推诿"})).await;
        assert_eq!(status, 201, "{item}");
        assert_eq!(item["state"], "open");
        assert_eq!(item["automatic"], false);
        let iid = item["id"].as_str().unwrap().to_string();
        let act = format!("/api/v1/supervision/{iid}/actions");
        let (status, v) = app.post(&o, &act, &json!({"method": "fax", "note": "x"})).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "method");
        let h = app.token("renshe_handler").await;
        let (status, _) = app.post(&h, &act, &json!({"method": "phone", "note": "x"})).await;
        assert_eq!(status, 403);
        // First phone supervision: the answer is due in 30 days (12-27 is a Sunday: 12-28).
        let (status, v) = app.post(&o, &act, &json!({"method": "phone", "note": "电话督促人社局王科长，答复本周内联系信访人"})).await;
        assert_eq!(status, 201, "{v}");
        assert_eq!(v["state"], "open");
        assert_eq!(v["answer_due"], "2026-12-28");
        assert!(v["document_id"].is_null());
        let ds = deadlines(&app, &o, &id).await;
        assert!(ds.iter().any(|d| d["rule_code"] == "supervision_answer" && d["state"] == "running" && d["due_on"] == "2026-12-28"));
        // The unit answers in writing.
        let (status, v) = app.post(&h, &format!("/api/v1/supervision/{iid}/answer"), &json!({"note": "已于12月1日电话告知信访人受理"})).await;
        assert_eq!(status, 200, "{v}");
        assert!(v["answered_at"].is_string());
        let ds = deadlines(&app, &o, &id).await;
        assert!(ds.iter().any(|d| d["rule_code"] == "supervision_answer" && d["state"] == "met"));
        let (status, _) = app.post(&o, &format!("/api/v1/supervision/{iid}/answer"), &json!({"note": "x"})).await;
        assert_eq!(status, 403);
        // Second and third supervision without result: the third goes to the leaders.
        let (_, v) = app.post(&o, &act, &json!({"method": "summon", "note": "约谈人社局分管负责人"})).await;
        assert_eq!(v["state"], "open");
        let (status, v) = app.post(&o, &act, &json!({"method": "on_site", "note": "到人社局实地督查"})).await;
        assert_eq!(status, 201, "{v}");
        assert_eq!(v["state"], "escalated");
        assert_eq!(v["action_count"], 3);
        let leaders = inbox(&app, "deputy_director").await;
        assert!(leaders.iter().any(|i| i["id"] == iid.as_str() && i["state"] == "escalated"));
        assert!(inbox(&app, "inspector").await.is_empty());
        let tasks = app.state.store.open_tasks(&app.state.bureau.id, &[xinfang_domain::role::Role::Director], None).await.unwrap();
        assert!(tasks.iter().any(|t| t.kind == "supervision_escalated"));
        // Only a leader approves the formal project.
        let proj = format!("/api/v1/supervision/{iid}/project");
        let (status, _) = app.post(&o, &proj, &json!({"note": "x"})).await;
        assert_eq!(status, 403);
        let dd = app.token("deputy_director").await;
        let (status, v) = app.post(&dd, &proj, &json!({"note": "同意立项督办，请督查室跟进"})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["state"], "project");
        let (status, _) = app.post(&dd, &proj, &json!({"note": "again"})).await;
        assert_eq!(status, 409);
        assert_eq!(inbox(&app, "inspector").await.len(), 1);
        // Now the inspector supervises, not the office.
        let (status, _) = app.post(&o, &act, &json!({"method": "phone", "note": "x"})).await;
        assert_eq!(status, 403);
        let i = app.token("inspector").await;
        let (status, v) = app.post(&i, &act, &json!({"method": "on_site", "note": "督查室实地督查"})).await;
        assert_eq!(status, 201, "{v}");
        let (status, v) = app.post(&i, &format!("/api/v1/supervision/{iid}/resolve"), &json!({"note": "已落实"})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["state"], "resolved");
        // Every action is logged, with who, when, how and what was said.
        let (_, full) = app.get(&o, &format!("/api/v1/supervision/{iid}")).await;
        let kinds: Vec<&str> = full["actions"].as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["supervise", "answer", "supervise", "supervise", "escalate", "project", "supervise", "resolve"]);
        let first = &full["actions"][0];
        assert_eq!(first["method"], "phone");
        assert_eq!(first["actor_role"], "office");
        assert!(first["at"].is_string());
        let kinds: Vec<String> = app.state.store.events(&id).await.unwrap().into_iter().map(|e| e.kind).collect();
        for k in ["supervision_opened", "supervised", "supervision_answered", "supervision_escalated", "supervision_project_approved", "supervision_resolved"] {
            assert!(kinds.contains(&k.to_string()), "event {k}");
        }
        assert!(inbox(&app, "renshe_handler").await.is_empty());
    }

    async fn supervision_of_an_unlawful_opinion_starts_only_once_the_deputy_director_approves(app) {
        let id = referred_visit(&app, "renshe").await;
        let o = app.token("office").await;
        let (status, item) = app.post(&o, &format!("/api/v1/petitions/{id}/supervision"), &json!({
            "trigger": "unlawful_opinion", "note": "人社局处理意见以信访人未签劳动合同为由不予支付工资，明显违反劳动合同法"})).await;
        assert_eq!(status, 201, "{item}");
        assert_eq!(item["state"], "proposed");
        let iid = item["id"].as_str().unwrap().to_string();
        // Nobody chases the unit yet, not even a leader; the unit does not see it.
        let act = format!("/api/v1/supervision/{iid}/actions");
        let (status, v) = app.post(&o, &act, &json!({"method": "phone", "note": "电话督促"})).await;
        assert_eq!(status, 409, "{v}");
        assert!(v["message"].as_str().unwrap().contains("副局长批准"), "{v}");
        let d = app.token("director").await;
        let (status, _) = app.post(&d, &act, &json!({"method": "phone", "note": "电话督促"})).await;
        assert_eq!(status, 409);
        assert!(inbox(&app, "renshe_handler").await.is_empty(), "the unit's inbox");
        let h = app.token("renshe_handler").await;
        let (status, _) = app.get(&h, &format!("/api/v1/supervision/{iid}")).await;
        assert_eq!(status, 404);
        assert!(inbox(&app, "deputy_director").await.iter().any(|i| i["id"] == iid.as_str()), "waiting on the deputy director");
        // Only the deputy director (or the director) approves, with a note.
        let approval = format!("/api/v1/supervision/{iid}/approval");
        let (status, _) = app.post(&o, &approval, &json!({"note": "同意"})).await;
        assert_eq!(status, 403);
        let dd = app.token("deputy_director").await;
        let (status, v) = app.post(&dd, &approval, &json!({"note": ""})).await;
        assert_eq!((status, v["field"].as_str()), (422, Some("note")));
        let (status, v) = app.post(&dd, &approval, &json!({"note": "同意督办，请办公室发函"})).await;
        assert_eq!((status, v["state"].as_str()), (200, Some("open")), "{v}");
        let events = app.state.store.events(&id).await.unwrap();
        assert!(events.iter().any(|e| e.kind == "supervision_approved"));
        // Now it is chased like any other, and the unit sees it.
        let (status, v) = app.post(&o, &act, &json!({"method": "phone", "note": "电话督促人社局重新作出处理意见"})).await;
        assert_eq!(status, 201, "{v}");
        assert!(inbox(&app, "renshe_handler").await.iter().any(|i| i["id"] == iid.as_str()));
        let (status, _) = app.post(&dd, &approval, &json!({"note": "再批"})).await;
        assert_eq!(status, 409, "approved once");
    }

    async fn supervision_letter_is_drafted_signed_off_by_the_deputy_director_and_issued(app) {
        let id = referred_visit(&app, "renshe").await;
        app.clock.set(at(2026, 12, 15));
        xinfang::jobs::run_daily(&app.state, "one").await.unwrap();
        let items = inbox(&app, "office").await;
        let iid = items[0]["id"].as_str().unwrap();
        let o = app.token("office").await;
        let (status, v) = app.post(&o, &format!("/api/v1/supervision/{iid}/actions"), &json!({"method": "letter", "note": "发函督促人社局限期告知信访人"})).await;
        assert_eq!(status, 201, "{v}");
        assert!(v["doc_no"].is_null(), "numbered only when signed off: {v}");
        let doc_id = v["document_id"].as_str().unwrap().to_string();
        let (status, d) = app.get(&o, &format!("/api/v1/documents/{doc_id}")).await;
        assert_eq!(status, 200);
        assert_eq!(d["state"], "draft");
        assert_eq!(d["kind"], "supervision_letter");
        let body = d["fields"]["body"].as_str().unwrap();
        assert!(body.contains("收到转送、交办15日内未告知信访人"), "{body}");
        assert!(body.contains("发函督促人社局限期告知信访人") && body.contains("2027年1月14日前"), "{body}");
        assert!(!body.contains("张三"), "the unit supervised never reads the petitioner's name: {body}");
        // The unit does not see the draft; only the deputy director in charge signs it off.
        let h = app.token("renshe_handler").await;
        let (status, _) = app.get_bytes(&h, &format!("/api/v1/documents/{doc_id}/pdf")).await;
        assert_eq!(status, 403);
        let (_, docs) = app.get(&h, &format!("/api/v1/petitions/{id}/documents")).await;
        assert!(!docs.as_array().unwrap().iter().any(|x| x["id"] == doc_id.as_str()), "{docs}");
        let (status, _) = app.post(&o, &format!("/api/v1/documents/{doc_id}/submit"), &json!({})).await;
        assert_eq!(status, 200);
        let director = app.token("director").await;
        let (status, _) = app.post(&director, &format!("/api/v1/documents/{doc_id}/sign-off"), &json!({})).await;
        assert_eq!(status, 403, "a 函 is signed off by the deputy director in charge");
        let issued = app.sign_off_and_issue_submitted("office", "deputy_director", &doc_id).await;
        let doc_no = issued["doc_no"].as_str().unwrap();
        assert!(doc_no.ends_with("督〔2026〕1号"), "{doc_no}");
        // Issued: the unit supervised may read the letter sent to it.
        let (status, pdf) = app.get_bytes(&h, &format!("/api/v1/documents/{doc_id}/pdf")).await;
        assert_eq!(status, 200);
        let text = pdf_text(&pdf);
        assert!(text.contains("督促办理"), "{text}");
        assert!(text.contains("人力资源"), "{text}");
        assert!(text.contains("2027年1月14日"), "{text}");
        assert!(text.contains(doc_no), "{text}");
        assert!(!text.contains("张三"), "{text}");
        let (_, docs) = app.get(&h, &format!("/api/v1/petitions/{id}/documents")).await;
        assert!(docs.as_array().unwrap().iter().any(|d| d["kind"] == "supervision_letter" && d["title"] == "督办函"));
        // The action log points at it.
        let (_, item) = app.get(&o, &format!("/api/v1/supervision/{iid}")).await;
        assert!(item.to_string().contains(&doc_id), "{item}");
    }

    async fn supervision_repeat_visit_on_a_transferred_matter_is_raised_at_registration(app) {
        let id = referred_visit(&app, "renshe").await;
        let t = app.token("receptionist").await;
        let again = app.register_visit(&t, json!({"repeat_of": id, "repeat_reason": "转人社局后无人联系"})).await;
        let items = inbox(&app, "renshe_handler").await;
        assert_eq!(items.len(), 1, "{items:?}");
        assert_eq!(items[0]["trigger"], "repeat_petition");
        assert_eq!(items[0]["petition_id"], id.as_str());
        assert!(items[0]["note"].as_str().unwrap().contains(again["petition_no"].as_str().unwrap()));
        // A repeat of a matter not transferred raises nothing.
        let plain = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
        app.register_visit(&t, json!({"repeat_of": plain, "repeat_reason": "再次反映"})).await;
        assert_eq!(item_count(&app).await, 1);
        // The petition page shows the item; the unit sees it on its queue page.
        let page = crate::deadlines::cookie_page(&app, "renshe_handler", "/queues").await;
        assert!(page.contains("已转送、交办事项信访人再次来信来访"), "{page}");
        let page = crate::deadlines::cookie_page(&app, "office", &format!("/petitions/{id}")).await;
        assert!(page.contains("已转送、交办事项信访人再次来信来访"));
        let (_, doc) = app.get("", "/api/openapi.json").await;
        let text = doc.to_string();
        for op in ["listDeadlineQueue", "extendDeadline", "recordSupervisionAction", "saveDeadlineRule", "computeDeadline", "getDeadlineDigest"] {
            assert!(text.contains(&format!("\"operationId\":\"{op}\"")), "missing {op}");
        }
    }

    async fn supervision_every_supervising_rule_raises_its_trigger_unless_extended_in_time(app) {
        // Three referred petitions; for each, the later steps other code will take: the unit
        // accepted (60-day handling deadline) and an assignment's handling report (60 days).
        let mut records = Vec::new();
        let handler = app.token("renshe_handler").await;
        for _ in 0..3 {
            let id = referred_visit(&app, "renshe").await;
            let mut tx = app.state.store.begin().await.unwrap();
            let (hr, unit) = app.state.store.lead_handling_record(&mut tx, &id).await.unwrap().unwrap();
            tx.commit().await.unwrap();
            // The unit signs for it and accepts, telling the petitioner: its 60-day handling
            // deadline starts and the notice obligation is met.
            let (s, v) = app.post(&handler, &format!("/api/v1/handling-records/{hr}/receive"), &json!({"action": "sign_for"})).await;
            assert_eq!(s, 200, "{v}");
            let (s, v) = app.post(&handler, &format!("/api/v1/handling-records/{hr}/receive"), &json!({
                "action": "accept", "petitioner_told_how": "电话告知", "petitioner_told_on": "2026-11-27"})).await;
            assert_eq!(s, 200, "{v}");
            let mut tx = app.state.store.begin().await.unwrap();
            let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
            xinfang_app::deadlines::start_deadline(&app.state, &mut tx, &xinfang_app::deadlines::StartDeadline {
                petition_id: &id, handling_record_id: Some(&hr), unit_id: Some(&unit), rule_code: "handling_report", started_on: start, role: None, cap: None,
            }).await.unwrap();
            tx.commit().await.unwrap();
            records.push(id);
        }
        // The first unit's head extends its handling deadline by 30 days before it expires.
        let head = app.token("renshe_head").await;
        let ds = deadlines(&app, &head, &records[0]).await;
        let close = ds.iter().find(|d| d["rule_code"] == "handle_and_close").unwrap();
        assert_eq!(close["due_on"], "2027-01-26");
        let (status, v) = app.post(&head, &format!("/api/v1/deadlines/{}/extension", close["id"].as_str().unwrap()), &json!({"days": 30, "reason": "涉及多个部门，需会商", "petitioner_told": "11月28日电话告知信访人"})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["due_on"], "2027-02-25");
        // The third petition's handling report arrives in time.
        let mut tx = app.state.store.begin().await.unwrap();
        xinfang_app::deadlines::meet_deadlines(&app.state, &mut tx, &records[2], None, Some("handling_report"), xinfang_app::clock::Clock::now(app.clock.as_ref())).await.unwrap();
        tx.commit().await.unwrap();
        // 2027-01-27: handling deadlines passed without an approved extension → overdue; reports
        // not received → report_missing (the first record's report is due when its extended
        // handling period ends). Nothing about telling the petitioner (met).
        app.clock.set(at(2027, 1, 27));
        let r = xinfang::jobs::run_daily(&app.state, "one").await.unwrap().expect("ran");
        assert_eq!(r.raised, 3, "{r:?}");
        let items = inbox(&app, "renshe_handler").await;
        let mut got: Vec<(String, String)> = items.iter().map(|i| (i["petition_id"].as_str().unwrap().to_string(), i["trigger"].as_str().unwrap().to_string())).collect();
        got.sort();
        let mut want = vec![
            (records[1].clone(), "overdue".to_string()),
            (records[1].clone(), "report_missing".to_string()),
            (records[2].clone(), "overdue".to_string()),
        ];
        want.sort();
        assert_eq!(got, want);
        // The extended deadline and the report that followed it pass later: raised then, once.
        app.clock.set(at(2027, 2, 26));
        let r = xinfang::jobs::run_daily(&app.state, "one").await.unwrap().expect("ran");
        assert_eq!(r.raised, 2, "{r:?}");
        assert_eq!(item_count(&app).await, 5);
    }
}
