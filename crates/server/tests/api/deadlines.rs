//! Deadline rules as data, stored running deadlines, extensions, shorter deadlines, pauses and
//! the warning ladder (rules §2), with the injected clock.

use chrono::TimeZone;
use serde_json::{Value, json};
use xinfang_app::clock::cst;

use crate::backend_tests;
use crate::harness::TestApp;

pub fn at(y: i32, m: u32, d: u32) -> chrono::DateTime<chrono::Utc> {
    cst()
        .with_ymd_and_hms(y, m, d, 10, 0, 0)
        .single()
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// Registers and accepts a visit; returns its id.
pub async fn accepted_visit(app: &TestApp) -> String {
    let t = app.token("receptionist").await;
    let id = app.register_visit(&t, json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, v) = app
        .post(
            &t,
            &format!("/api/v1/petitions/{id}/decision"),
            &json!({"acceptance": "accepted"}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    id
}

/// Registers a visit and transfers it to a department at the window (转送单); returns its id.
pub async fn referred_visit(app: &TestApp, unit: &str) -> String {
    let t = app.token("receptionist").await;
    let id = app.register_visit(&t, json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, v) = app
        .post(
            &t,
            &format!("/api/v1/petitions/{id}/decision"),
            &json!({"acceptance": "referred_to_department", "target_unit_id": app.unit_id(unit).await}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["state"], "transferred");
    id
}

/// An assigned visit accepted by 城关镇, with its running handling deadline.
async fn handling_deadline(app: &TestApp) -> (String, Value) {
    let id = accepted_visit(app).await;
    let record = crate::handling::assigned(app, &id).await;
    let h = app.token("chengguan_handler").await;
    app.post(
        &h,
        &format!("/api/v1/handling-records/{record}/receive"),
        &json!({"action": "sign_for"}),
    )
    .await;
    let (s, v) = app
        .post(
            &h,
            &format!("/api/v1/handling-records/{record}/receive"),
            &json!({
        "action": "accept", "petitioner_told_how": "电话告知", "petitioner_told_on": "2026-11-27"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let head = app.token("chengguan_head").await;
    let d = deadlines(app, &head, &id).await;
    let hc = d
        .iter()
        .find(|x| x["rule_code"] == "handle_and_close" && x["state"] == "running")
        .unwrap_or_else(|| panic!("{d:?}"))
        .clone();
    (id, hc)
}

pub async fn deadlines(app: &TestApp, token: &str, id: &str) -> Vec<Value> {
    let (status, v) = app
        .get(token, &format!("/api/v1/petitions/{id}/deadlines"))
        .await;
    assert_eq!(status, 200, "{v}");
    v.as_array().unwrap().clone()
}

async fn queue(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let (status, v) = app
        .get(token, &format!("/api/v1/deadlines/queue?{query}"))
        .await;
    assert_eq!(status, 200, "{v}");
    v.as_array().unwrap().clone()
}

async fn events(app: &TestApp, id: &str) -> Vec<String> {
    app.state
        .store
        .events(id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

backend_tests! {
    async fn deadline_accepted_visit_starts_the_stored_dispose_deadline_with_its_badge(app) {
        let id = accepted_visit(&app).await;
        let o = app.token("office").await;
        let list = deadlines(&app, &o, &id).await;
        assert_eq!(list.len(), 1, "{list:?}");
        let d = &list[0];
        assert_eq!(d["rule_code"], "dispose_visit");
        assert_eq!(d["rule_version"], 1);
        assert_eq!(d["role"], "office");
        assert_eq!(d["state"], "running");
        // Registered 2026-11-27 + 15 = 12-12, a Saturday: Monday 12-14.
        assert_eq!(d["due_on"], "2026-12-14");
        assert_eq!(d["badge"]["level"], "normal");
        assert_eq!(d["badge"]["days_left"], 17);
        // Not yet due soon (5 days by default); nothing overdue.
        assert!(queue(&app, &o, "kind=due_soon").await.is_empty());
        assert!(queue(&app, &o, "kind=overdue").await.is_empty());
        // 12-10: 13 of 17 days used (76 %): alert, and due soon for the office.
        app.clock.set(at(2026, 12, 10));
        let o = app.token("office").await;
        let soon = queue(&app, &o, "kind=due_soon&role=office").await;
        assert_eq!(soon.len(), 1);
        assert_eq!(soon[0]["petition_id"], id.as_str());
        assert_eq!(soon[0]["badge"]["level"], "alert");
        assert_eq!(soon[0]["badge"]["days_left"], 4);
        assert!(queue(&app, &o, "kind=due_soon&role=unit").await.is_empty());
        // 12-15: overdue, in red.
        app.clock.set(at(2026, 12, 15));
        let o = app.token("office").await;
        let late = queue(&app, &o, "kind=overdue").await;
        assert_eq!(late.len(), 1);
        assert_eq!(late[0]["badge"]["level"], "overdue");
        assert_eq!(late[0]["badge"]["css"], "deadline-overdue");
        assert_eq!(late[0]["badge"]["days_left"], -1);
        // The list page shows the badge.
        let page = cookie_page(&app, "office", "/petitions").await;
        assert!(page.contains("deadline-overdue"), "no badge on the list");
        assert!(page.contains("逾期 1 天"));
        let page = cookie_page(&app, "office", &format!("/petitions/{id}")).await;
        assert!(page.contains("确定办理方式"));
        assert!(page.contains("deadline-overdue"));
        // Bad queue names are refused.
        let (status, v) = app.get(&o, "/api/v1/deadlines/queue?kind=later").await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "kind");
    }

    async fn deadline_compute_takes_a_rule_instead_of_days_and_mode(app) {
        let t = app.token("receptionist").await;
        let (status, v) = app.post(&t, "/api/v1/deadlines/compute", &json!({"start": "2026-11-27", "rule": "handle_and_close"})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["due_date"], "2027-01-26");
        // 5 working days from Friday 2026-09-30 across National Day: 10-13.
        let (status, v) = app.post(&t, "/api/v1/deadlines/compute", &json!({"start": "2026-09-30", "rule": "unit_objection"})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["due_date"], "2026-10-13");
        let (status, v) = app.post(&t, "/api/v1/deadlines/compute", &json!({"start": "2026-11-27", "rule": "handle_and_close", "days": 3})).await;
        assert_eq!(status, 422);
        assert_eq!(v["code"], "rule_or_days");
        let (status, v) = app.post(&t, "/api/v1/deadlines/compute", &json!({"start": "2026-11-27", "rule": "no_such_rule"})).await;
        assert_eq!(status, 422);
        assert_eq!(v["code"], "unknown_rule");
        assert!(v["message"].as_str().unwrap().contains("未知的期限规则"));
        let (_, list) = app.get(&t, "/api/v1/deadline-rules").await;
        let codes: Vec<&str> = list.as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
        for c in ["register_same_day", "dispose_visit", "notify_letter_writer", "unit_notify_petitioner", "unit_objection", "handle_and_close", "handling_report", "extension", "request_reexamination", "reexamination_decision", "request_recheck", "recheck_decision", "supervision_answer", "monthly_backup", "yearly_dossiers"] {
            assert!(codes.contains(&c), "missing rule {c}");
        }
    }

    async fn deadline_rule_edit_is_a_new_version_and_running_deadlines_keep_theirs(app) {
        let first = accepted_visit(&app).await;
        let a = app.token("admin").await;
        let (status, v) = app.put(&a, "/api/v1/deadline-rules/dispose_visit", &json!({"days": 10})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["version"], 2);
        assert_eq!(v["days"], 10);
        let (_, versions) = app.get(&a, "/api/v1/deadline-rules/dispose_visit/versions").await;
        assert_eq!(versions.as_array().unwrap().len(), 2);
        // The running deadline keeps version 1 and its date.
        let o = app.token("office").await;
        let d = &deadlines(&app, &o, &first).await[0];
        assert_eq!((d["rule_version"].as_i64(), d["due_on"].as_str()), (Some(1), Some("2026-12-14")));
        // A new one follows version 2: 11-27 + 10 = 12-07 (Monday).
        let second = accepted_visit(&app).await;
        let d = &deadlines(&app, &o, &second).await[0];
        assert_eq!((d["rule_version"].as_i64(), d["due_on"].as_str()), (Some(2), Some("2026-12-07")));
        let (payload,): (String,) = xinfang_store::sqlx::query_as("SELECT payload FROM audit_log WHERE kind = 'deadline_rule_saved'")
            .fetch_one(app.state.store.pool()).await.unwrap();
        assert!(payload.contains("\"previous\""));
        // Refused, with nothing written: a non-administrator, an extension of 31 days, a trigger on
        // a rule that does not supervise.
        let (status, _) = app.put(&o, "/api/v1/deadline-rules/dispose_visit", &json!({"days": 12})).await;
        assert_eq!(status, 403);
        let (status, v) = app.put(&a, "/api/v1/deadline-rules/extension", &json!({"days": 31})).await;
        assert_eq!(status, 422);
        assert_eq!(v["code"], "extension_too_long");
        assert!(v["message"].as_str().unwrap().contains("延期最长 30 日"));
        let (status, v) = app.put(&a, "/api/v1/deadline-rules/dispose_visit", &json!({"on_expiry": "supervise"})).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "trigger");
        let (status, v) = app.put(&a, "/api/v1/deadline-rules/dispose_visit", &json!({"mode": "lunar"})).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "mode");
        let (_, versions) = app.get(&a, "/api/v1/deadline-rules/dispose_visit/versions").await;
        assert_eq!(versions.as_array().unwrap().len(), 2);
        let (status, _) = app.put(&a, "/api/v1/deadline-rules/nothing", &json!({"days": 1})).await;
        assert_eq!(status, 404);
        // The admin page lists the rules.
        let page = cookie_page(&app, "admin", "/admin/deadline-rules").await;
        assert!(page.contains("第 2 版"));
    }

    async fn deadline_only_the_handling_period_is_extended_at_most_30_days_once_before_expiry(app) {
        // The statutory 15-day notice is never extended (L5.2).
        let referred = referred_visit(&app, "renshe").await;
        let renshe_head = app.token("renshe_head").await;
        let d = deadlines(&app, &renshe_head, &referred).await;
        assert_eq!(d[0]["rule_code"], "unit_notify_petitioner");
        let before = events(&app, &referred).await.len();
        let (status, v) = app.post(&renshe_head, &format!("/api/v1/deadlines/{}/extension", d[0]["id"].as_str().unwrap()), &json!({"days": 10, "reason": "需现场核实"})).await;
        assert_eq!((status, v["code"].as_str()), (422, Some("not_extendable")), "{v}");
        assert_eq!(events(&app, &referred).await.len(), before, "nothing written on refusal");
        // The handling period of an assigned petition, once the unit has accepted it.
        let (id, hc) = handling_deadline(&app).await;
        assert_eq!(hc["due_on"], "2027-01-26");
        let path = format!("/api/v1/deadlines/{}/extension", hc["id"].as_str().unwrap());
        let before = events(&app, &id).await.len();
        // The handler asks, only the head approves.
        let handler = app.token("chengguan_handler").await;
        let (status, _) = app.post(&handler, &path, &json!({"days": 10, "reason": "需现场核实"})).await;
        assert_eq!(status, 403);
        // Another unit's head cannot even see it.
        let other = app.token("zhujian_head").await;
        let (status, _) = app.post(&other, &path, &json!({"days": 10, "reason": "x"})).await;
        assert_eq!(status, 403);
        let head = app.token("chengguan_head").await;
        let (status, v) = app.post(&head, &path, &json!({"days": 31, "reason": "需现场核实"})).await;
        assert_eq!(status, 422);
        assert_eq!(v["code"], "extension_too_long");
        assert!(v["message"].as_str().unwrap().contains("不得超过 30 日"), "{v}");
        let (status, v) = app.post(&head, &path, &json!({"days": 10})).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "reason");
        assert_eq!(events(&app, &id).await.len(), before, "nothing written on refusal");
        // The head's own extension tells the petitioner why, as an approved request does.
        let (status, v) = app.post(&head, &path, &json!({"days": 10, "reason": "需现场核实"})).await;
        assert_eq!((status, v["field"].as_str()), (422, Some("petitioner_told")), "{v}");
        assert_eq!(events(&app, &id).await.len(), before, "nothing written on refusal");
        // 2027-01-26 + 10 calendar days.
        let (status, v) = app.post(&head, &path, &json!({"days": 10, "reason": "需现场核实", "petitioner_told": "2026-11-27 电话告知信访人延期理由"})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["due_on"], "2027-02-05");
        assert_eq!(v["extended_days"], 10);
        let stored = app.state.store.events(&id).await.unwrap();
        let extended = stored.iter().find(|e| e.kind == "extended").expect("extended event");
        assert_eq!(extended.payload["petitioner_told"], "2026-11-27 电话告知信访人延期理由");
        assert_eq!(extended.payload["due_on"], "2027-02-05");
        // The record moved with the deadline, and the 延期告知书 is drafted for the new date.
        let records = app.state.store.handling_records(&id).await.unwrap();
        assert_eq!(records[0].due_on.as_deref(), Some("2027-02-05"));
        assert_eq!(records[0].state, "extended");
        let docs = app.state.store.documents_of(&id).await.unwrap();
        assert!(docs.iter().any(|d| d.kind == "extension_notice"), "{:?}", docs.iter().map(|d| &d.kind).collect::<Vec<_>>());
        let (status, v) = app.post(&head, &path, &json!({"days": 5, "reason": "再延", "petitioner_told": "电话告知"})).await;
        assert_eq!(status, 422);
        assert_eq!(v["code"], "already_extended");
        assert!(v["message"].as_str().unwrap().contains("只能延期一次"));
        // After expiry: refused.
        let (_, late) = handling_deadline(&app).await;
        app.clock.set(at(2027, 1, 27));
        let head = app.token("chengguan_head").await;
        let (status, v) = app.post(&head, &format!("/api/v1/deadlines/{}/extension", late["id"].as_str().unwrap()), &json!({"days": 5, "reason": "x", "petitioner_told": "电话告知"})).await;
        assert_eq!(status, 422);
        assert_eq!(v["code"], "already_expired");
    }

    async fn deadline_leader_instruction_sets_a_shorter_deadline(app) {
        let id = accepted_visit(&app).await;
        let o = app.token("office").await;
        let did = deadlines(&app, &o, &id).await[0]["id"].as_str().unwrap().to_string();
        let path = format!("/api/v1/deadlines/{did}/shorten");
        let (status, v) = app.post(&o, &path, &json!({"days": 20, "instruction": "区长批示：20日内办结"})).await;
        assert_eq!(status, 422);
        assert_eq!(v["code"], "not_shorter");
        let (status, v) = app.post(&o, &path, &json!({"days": 5})).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "instruction");
        let r = app.token("receptionist").await;
        let (status, _) = app.post(&r, &path, &json!({"days": 5, "instruction": "x"})).await;
        assert_eq!(status, 403);
        // 11-27 + 5 = 12-02 (Wednesday).
        let (status, v) = app.post(&o, &path, &json!({"days": 5, "instruction": "区长批示：5日内拿出处理方案"})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["due_on"], "2026-12-02");
        assert_eq!(v["period_days"], 5);
        assert_eq!(v["shortened_by"], "区长批示：5日内拿出处理方案");
        assert!(events(&app, &id).await.contains(&"deadline_shortened".to_string()));
    }

    async fn deadline_recheck_pauses_for_hearing_time_and_the_narrow_api_starts_and_meets(app) {
        let id = accepted_visit(&app).await;
        // Other code starts a deadline inside its own transaction (the lead engineer's steps).
        let mut tx = app.state.store.begin().await.unwrap();
        let d = xinfang_app::deadlines::start_deadline(&app.state, &mut tx, &xinfang_app::deadlines::StartDeadline {
            petition_id: &id, handling_record_id: None, unit_id: None, rule_code: "recheck_decision",
            started_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(), role: None, cap: None,
        }).await.unwrap();
        let refused = xinfang_app::deadlines::start_deadline(&app.state, &mut tx, &xinfang_app::deadlines::StartDeadline {
            petition_id: &id, handling_record_id: None, unit_id: None, rule_code: "monthly_backup",
            started_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(), role: None, cap: None,
        }).await;
        assert!(refused.is_err());
        tx.commit().await.unwrap();
        // 11-27 + 30 = 12-27, a Sunday: 12-28.
        assert_eq!(d.due_on.to_string(), "2026-12-28");
        assert_eq!(d.role, "case_officer");
        let c = app.token("case_officer").await;
        let dispose = deadlines(&app, &c, &id).await.iter().find(|x| x["rule_code"] == "dispose_visit").unwrap()["id"].as_str().unwrap().to_string();
        let (status, v) = app.post(&c, &format!("/api/v1/deadlines/{dispose}/pause"), &json!({})).await;
        assert_eq!(status, 422);
        assert_eq!(v["code"], "not_pausable");
        let (status, v) = app.post(&c, &format!("/api/v1/deadlines/{}/resume", d.id), &json!({})).await;
        assert_eq!(status, 422);
        assert_eq!(v["code"], "not_paused");
        let (status, v) = app.post(&c, &format!("/api/v1/deadlines/{}/pause", d.id), &json!({"reason": "举行听证"})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["paused_since"], "2026-11-27");
        // A week of hearing: 12-04 + 30 = 2027-01-03, a Sunday: 01-04.
        app.clock.set(at(2026, 12, 4));
        let c = app.token("case_officer").await;
        let (status, v) = app.post(&c, &format!("/api/v1/deadlines/{}/resume", d.id), &json!({"reason": "听证结束"})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["paused_days"], 7);
        assert_eq!(v["due_on"], "2027-01-04");
        let kinds = events(&app, &id).await;
        assert!(kinds.contains(&"deadline_paused".to_string()) && kinds.contains(&"deadline_resumed".to_string()));
        // Meeting stops it: out of every queue.
        let mut tx = app.state.store.begin().await.unwrap();
        let met = xinfang_app::deadlines::meet_deadlines(&app.state, &mut tx, &id, None, Some("recheck_decision"), xinfang_app::clock::Clock::now(app.clock.as_ref())).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(met.len(), 1);
        let list = deadlines(&app, &c, &id).await;
        let r = list.iter().find(|x| x["rule_code"] == "recheck_decision").unwrap();
        assert_eq!(r["state"], "met");
        assert!(r["badge"].is_null());
    }

    async fn deadline_warning_thresholds_are_configurable(app) {
        let id = accepted_visit(&app).await;
        // 12-02: 5 of 17 days (29 %): normal with the defaults.
        app.clock.set(at(2026, 12, 2));
        let o2 = app.token("office").await;
        assert_eq!(deadlines(&app, &o2, &id).await[0]["badge"]["level"], "normal");
        let a = app.token("admin").await;
        let (status, v) = app.put(&a, "/api/v1/deadline-settings", &json!({"warning_pct": 80, "alert_pct": 70, "severe_pct": 90})).await;
        assert_eq!(status, 422);
        assert_eq!(v["code"], "thresholds_order");
        let (status, v) = app.put(&a, "/api/v1/deadline-settings", &json!({"warning_pct": 20, "alert_pct": 25, "severe_pct": 60, "escalate_after": 2, "due_soon_days": 3})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["escalate_after"], 2);
        assert_eq!(deadlines(&app, &o2, &id).await[0]["badge"]["level"], "alert");
        let (_, s) = app.get(&o2, "/api/v1/deadline-settings").await;
        assert_eq!(s["warning_pct"], 20);
        assert_eq!(app.count("audit_log WHERE kind = 'deadline_settings_saved'").await, 1);
        let (status, _) = app.put(&o2, "/api/v1/deadline-settings", &json!({"warning_pct": 10})).await;
        assert_eq!(status, 403);
    }

    async fn deadline_every_rule_starts_with_its_own_period_and_mode(app) {
        let id = accepted_visit(&app).await;
        let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        // From Friday 2026-11-27.
        let expected = [
            ("register_same_day", "2026-11-27", "office"),
            ("dispose_visit", "2026-12-14", "office"),
            ("notify_letter_writer", "2026-12-14", "letter_clerk"),
            ("unit_notify_petitioner", "2026-12-14", "unit"),
            ("unit_objection", "2026-12-04", "unit"),
            ("handle_and_close", "2027-01-26", "unit"),
            ("handling_report", "2027-01-26", "unit"),
            ("request_reexamination", "2026-12-28", "petitioner"),
            ("reexamination_decision", "2026-12-28", "case_officer"),
            ("request_recheck", "2026-12-28", "petitioner"),
            ("recheck_decision", "2026-12-28", "case_officer"),
            ("supervision_answer", "2026-12-28", "unit"),
        ];
        let t = app.token("office").await;
        for (rule, due, role) in expected {
            let mut tx = app.state.store.begin().await.unwrap();
            let d = xinfang_app::deadlines::start_deadline(&app.state, &mut tx, &xinfang_app::deadlines::StartDeadline {
                petition_id: &id, handling_record_id: None, unit_id: None, rule_code: rule, started_on: start, role: None, cap: None,
            }).await.unwrap();
            tx.commit().await.unwrap();
            assert_eq!((d.due_on.to_string().as_str(), d.role.as_str()), (due, role), "{rule}");
            // computeDeadline with the rule agrees: the single source of truth.
            let (status, v) = app.post(&t, "/api/v1/deadlines/compute", &json!({"start": "2026-11-27", "rule": rule})).await;
            assert_eq!(status, 200, "{v}");
            assert_eq!(v["due_date"], due, "{rule}");
        }
        for rule in ["extension", "monthly_backup", "yearly_dossiers", "nothing"] {
            let mut tx = app.state.store.begin().await.unwrap();
            let r = xinfang_app::deadlines::start_deadline(&app.state, &mut tx, &xinfang_app::deadlines::StartDeadline {
                petition_id: &id, handling_record_id: None, unit_id: None, rule_code: rule, started_on: start, role: None, cap: None,
            }).await;
            assert!(r.is_err(), "{rule} is not a petition's deadline");
        }
    }
}

/// Signs in with a cookie session and returns a page's HTML.
pub async fn cookie_page(app: &TestApp, username: &str, path: &str) -> String {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .post(app.url("/api/v1/login"))
        .json(&json!({"username": username, "password": crate::harness::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}
