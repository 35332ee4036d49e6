//! The official calendar as editable data, and `computeDeadline` (rules §2, §12).

use chrono::TimeZone;
use serde_json::{Value, json};
use xinfang_app::clock::cst;

use crate::backend_tests;
use crate::harness::PASSWORD;

async fn due(
    app: &crate::harness::TestApp,
    token: &str,
    start: &str,
    days: i64,
    mode: &str,
) -> String {
    let (status, v) = app
        .post(
            token,
            "/api/v1/deadlines/compute",
            &json!({"start": start, "days": days, "mode": mode}),
        )
        .await;
    assert_eq!(status, 200, "{start} + {days} {mode}: {v}");
    v["due_date"].as_str().expect("due_date").to_string()
}

fn cookie_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn years(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|n| n["year"].as_i64().unwrap())
        .collect()
}

backend_tests! {
    async fn compute_deadline_counts_calendar_and_working_days(app) {
        let t = app.token("receptionist").await;
        // 2026-02-16 is inside the Spring Festival break (02-15 to 02-23): the next working day.
        assert_eq!(due(&app, &t, "2026-02-01", 15, "calendar").await, "2026-02-24");
        // National Day break 10-01 to 10-07; Saturday 10-10 is a make-up working day.
        assert_eq!(due(&app, &t, "2026-09-30", 5, "working").await, "2026-10-13");
        // A plain Saturday rolls to Monday; calendar mode is the default.
        let (status, v) = app.post(&t, "/api/v1/deadlines/compute", &json!({"start": "2026-11-27", "days": 15})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["due_date"], "2026-12-14");
        // Zero days: the start day itself, or the next working day.
        assert_eq!(due(&app, &t, "2026-10-01", 0, "calendar").await, "2026-10-08");
        assert_eq!(due(&app, &t, "2026-10-01", 0, "working").await, "2026-10-08");
        // Every role may compute; the shipped years are listed for everyone.
        let u = app.token("office").await;
        let (status, list) = app.get(&u, "/api/v1/calendar").await;
        assert_eq!(status, 200, "{list}");
        assert_eq!(years(&list), vec![2020, 2021, 2022, 2023, 2024, 2025, 2026]);
        let y2026 = &list[6];
        assert_eq!(y2026["makeup_workdays"], json!(["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]));
        assert!(y2026["holidays"].as_array().unwrap().contains(&json!("2026-02-23")));
        // Not signed in: refused.
        let (status, _) = app.post("", "/api/v1/deadlines/compute", &json!({"start": "2026-02-01", "days": 15, "mode": "calendar"})).await;
        assert_eq!(status, 401);
        let (_, doc) = app.get("", "/api/openapi.json").await;
        let text = doc.to_string();
        for op in ["computeDeadline", "listCalendarNotices", "saveCalendarNotice"] {
            assert!(text.contains(&format!("\"operationId\":\"{op}\"")), "missing {op}");
        }
    }

    async fn admin_adds_next_year_notice_and_deadlines_follow_it(app) {
        let a = app.token("admin").await;
        let t = app.token("receptionist").await;
        // Without a 2027 notice, only weekends are off.
        assert_eq!(due(&app, &t, "2027-01-24", 15, "calendar").await, "2027-02-08");
        assert_eq!(due(&app, &t, "2027-02-19", 1, "working").await, "2027-02-22");
        let notice = json!({
            "holidays": ["2027-02-09", "2027-02-08", "2027-01-01", "2027-01-01"],
            "makeup_workdays": ["2027-02-20"],
        });
        // Only an administrator enters a notice.
        let (status, v) = app.put(&t, "/api/v1/calendar/2027", &notice).await;
        assert_eq!(status, 403, "{v}");
        assert_eq!(app.count("calendar_notices").await, 7);
        let audits = app.count("audit_log").await;
        let (status, v) = app.put(&a, "/api/v1/calendar/2027", &notice).await;
        assert_eq!(status, 200, "{v}");
        // Stored in order, without repeats.
        assert_eq!(v, json!({"year": 2027, "holidays": ["2027-01-01", "2027-02-08", "2027-02-09"], "makeup_workdays": ["2027-02-20"], "recomputed_deadlines": 0}));
        assert_eq!(app.count("audit_log").await, audits + 1);
        let (kind, payload): (String, String) = xinfang_store::sqlx::query_as("SELECT kind, payload FROM audit_log ORDER BY at DESC, id DESC LIMIT 1")
            .fetch_one(app.state.store.pool()).await.unwrap();
        assert_eq!(kind, "calendar_notice_saved");
        let payload: Value = serde_json::from_str(&payload).unwrap();
        assert_eq!(payload["year"], 2027);
        assert!(payload["previous"].is_null());
        // Deadlines follow it at once: the Monday is now a holiday, the Saturday a working day.
        assert_eq!(due(&app, &t, "2027-01-24", 15, "calendar").await, "2027-02-10");
        assert_eq!(due(&app, &t, "2027-02-19", 1, "working").await, "2027-02-20");
        let (_, list) = app.get(&t, "/api/v1/calendar").await;
        assert_eq!(years(&list).last(), Some(&2027));
        // So does the deadline stored when a visit is accepted.
        app.clock.set(cst().with_ymd_and_hms(2027, 1, 24, 10, 0, 0).single().unwrap().with_timezone(&chrono::Utc));
        let t = app.token("receptionist").await;
        let a = app.token("admin").await;
        let id = app.register_visit(&t, json!({"visited_at": "2027-01-24T09:30"})).await["id"].as_str().unwrap().to_string();
        let (status, v) = app.post(&t, &format!("/api/v1/petitions/{id}/decision"), &json!({"acceptance": "accepted"})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["dispose_due"], "2027-02-10");
        // A correction replaces the year and records what it replaced.
        let (status, v) = app.put(&a, "/api/v1/calendar/2027", &json!({"holidays": ["2027-01-01"], "makeup_workdays": []})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(due(&app, &t, "2027-01-24", 15, "calendar").await, "2027-02-08");
        // The running deadline moves with the correction, and says so on its petition.
        assert_eq!(v["recomputed_deadlines"], 1, "{v}");
        let d = crate::deadlines::deadlines(&app, &t, &id).await;
        assert_eq!(d[0]["due_on"], "2027-02-08", "{d:?}");
        let events = app.state.store.events(&id).await.unwrap();
        let e = events.iter().find(|e| e.kind == "deadline_recomputed").expect("recomputed event");
        assert_eq!((e.payload["due_before"].as_str(), e.payload["due_on"].as_str()), (Some("2027-02-10"), Some("2027-02-08")));
        let (payload,): (String,) = xinfang_store::sqlx::query_as("SELECT payload FROM audit_log WHERE kind = 'calendar_notice_saved' ORDER BY at DESC, id DESC LIMIT 1")
            .fetch_one(app.state.store.pool()).await.unwrap();
        let payload: Value = serde_json::from_str(&payload).unwrap();
        assert_eq!(payload["previous"]["holidays"], json!(["2027-01-01", "2027-02-08", "2027-02-09"]));
        assert_eq!(app.count("calendar_notices").await, 8);
    }

    async fn invalid_calendar_notice_is_refused_and_nothing_changes(app) {
        let a = app.token("admin").await;
        let (_, before) = app.get(&a, "/api/v1/calendar").await;
        let audits = app.count("audit_log").await;
        // 2027-01-06 is a Wednesday: a make-up working day must be a Saturday or Sunday.
        let (status, v) = app.put(&a, "/api/v1/calendar/2027", &json!({"holidays": ["2027-01-01"], "makeup_workdays": ["2027-01-06"]})).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["field"], "makeup_workdays[0]");
        assert!(v["message"].as_str().unwrap().contains("星期三"), "{v}");
        // Not a date.
        let (status, v) = app.put(&a, "/api/v1/calendar/2027", &json!({"holidays": ["2027-01-01", "2027-02-30"]})).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["field"], "holidays[1]");
        assert!(v["message"].as_str().unwrap().contains("放假日期"), "{v}");
        // Outside the year (more than a few days).
        let (status, v) = app.put(&a, "/api/v1/calendar/2027", &json!({"holidays": ["2027-01-01", "2028-02-01"]})).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["field"], "holidays[1]");
        // Both a holiday and a make-up day.
        let (status, v) = app.put(&a, "/api/v1/calendar/2027", &json!({"holidays": ["2027-01-02"], "makeup_workdays": ["2027-01-02"]})).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["field"], "makeup_workdays[0]");
        // No holidays at all, or no year.
        let (status, v) = app.put(&a, "/api/v1/calendar/2027", &json!({"holidays": []})).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["field"], "holidays");
        let (status, v) = app.put(&a, "/api/v1/calendar/27", &json!({"holidays": ["2027-01-01"]})).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["field"], "year");
        // A bad correction of a shipped year leaves it as it was.
        let (status, v) = app.put(&a, "/api/v1/calendar/2026", &json!({"holidays": ["2026-01-01"], "makeup_workdays": ["2026-01-05"]})).await;
        assert_eq!(status, 422, "{v}");
        let (_, after) = app.get(&a, "/api/v1/calendar").await;
        assert_eq!(after, before);
        assert_eq!(app.count("audit_log").await, audits);
    }

    async fn compute_deadline_rejects_bad_input(app) {
        let t = app.token("case_officer").await;
        let (status, v) = app.post(&t, "/api/v1/deadlines/compute", &json!({"start": "2026-02-30", "days": 15, "mode": "calendar"})).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["field"], "start");
        assert!(v["message"].as_str().unwrap().contains("起算日期"), "{v}");
        let (status, v) = app.post(&t, "/api/v1/deadlines/compute", &json!({"start": "2026-02-01", "days": 15, "mode": "lunar"})).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["field"], "mode");
        assert!(v["message"].as_str().unwrap().contains("lunar"), "{v}");
        for days in [json!(3651), json!(-1), Value::Null] {
            let (status, v) = app.post(&t, "/api/v1/deadlines/compute", &json!({"start": "2026-02-01", "days": days, "mode": "working"})).await;
            assert_eq!(status, 422, "{days}: {v}");
            assert_eq!(v["field"], "days");
        }
        let (status, v) = app.post(&t, "/api/v1/deadlines/compute", &json!({"start": "2026-02-01", "days": "fifteen"})).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["code"], "invalid_json");
        // Every problem is listed at once.
        let (status, v) = app.post(&t, "/api/v1/deadlines/compute", &json!({"start": "", "days": 4000, "mode": "lunar"})).await;
        assert_eq!(status, 422, "{v}");
        let fields: Vec<&str> = v["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, vec!["start", "days", "mode"]);
        // The longest period still computes.
        assert_eq!(due(&app, &t, "2026-01-01", 3650, "working").await.len(), 10);
    }

    async fn admin_enters_a_notice_on_the_calendar_page(app) {
        let c = cookie_client();
        let r = c.post(app.url("/login")).form(&[("username", "admin"), ("password", PASSWORD), ("next", "/")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let html = c.get(app.url("/admin/calendar")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("尚未录入 2027 年"), "{html}");
        assert!(html.contains("2026-02-15 至 2026-02-23"), "{html}");
        let csrf = html.split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        // A weekday make-up day: the page comes back with the message and what was typed.
        let r = c.post(app.url("/admin/calendar")).form(&[("_csrf", csrf.as_str()), ("year", "2027"), ("holidays", "2027-01-01\n2027-02-06 至 2027-02-12"), ("makeup_workdays", "2027-02-17")]).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("星期三"), "{html}");
        assert!(html.contains("2027-02-06 至 2027-02-12"), "{html}");
        assert_eq!(app.count("calendar_notices").await, 7);
        // Ranges, commas and lines are all accepted.
        let r = c.post(app.url("/admin/calendar")).form(&[("_csrf", csrf.as_str()), ("year", "2027"), ("holidays", "2027-01-01，2027-02-06 至 2027-02-12\n2027-04-05"), ("makeup_workdays", "2027-02-20")]).send().await.unwrap();
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
        let a = app.token("admin").await;
        let (_, list) = app.get(&a, "/api/v1/calendar").await;
        let y2027 = list.as_array().unwrap().iter().find(|n| n["year"] == 2027).unwrap();
        assert_eq!(y2027["holidays"].as_array().unwrap().len(), 9);
        assert_eq!(y2027["makeup_workdays"], json!(["2027-02-20"]));
        // The trial computation on the page uses the new notice.
        let html = c.get(app.url("/admin/calendar?start=2027-01-27&days=10&mode=calendar")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("<strong>2027-02-15</strong>"), "{html}");
        // Other roles do not see the page.
        let c2 = cookie_client();
        c2.post(app.url("/login")).form(&[("username", "office"), ("password", PASSWORD), ("next", "/")]).send().await.unwrap();
        let r = c2.get(app.url("/admin/calendar")).send().await.unwrap();
        assert_eq!(r.status(), 403);
    }

    async fn a_deadline_into_a_year_without_its_notice_is_provisional_until_the_notice_is_entered(app) {
        // Accepted on 2026-12-20: 15 days later is 2027-01-04, a year without a notice yet.
        app.clock.set(cst().with_ymd_and_hms(2026, 12, 20, 10, 0, 0).single().unwrap().with_timezone(&chrono::Utc));
        let t = app.token("receptionist").await;
        let id = app.register_visit(&t, json!({"visited_at": "2026-12-20T09:30"})).await["id"].as_str().unwrap().to_string();
        let (status, v) = app.post(&t, &format!("/api/v1/petitions/{id}/decision"), &json!({"acceptance": "accepted"})).await;
        assert_eq!((status, v["dispose_due"].as_str()), (200, Some("2027-01-04")), "{v}");
        let office = app.token("office").await;
        let d = crate::deadlines::deadlines(&app, &office, &id).await;
        assert_eq!((d[0]["provisional"].as_bool(), d[0]["badge"]["provisional"].as_bool()), (Some(true), Some(true)), "{d:?}");
        // Marked on the petition's page and in the queue.
        let html = crate::deadlines::cookie_page(&app, "office", &format!("/petitions/{id}")).await;
        assert!(html.contains("2027-01-04（暂定：2027 年节假日安排未录入）"), "the page marks it");
        app.clock.set(cst().with_ymd_and_hms(2027, 1, 2, 10, 0, 0).single().unwrap().with_timezone(&chrono::Utc));
        let office = app.token("office").await;
        let (_, q) = app.get(&office, "/api/v1/deadlines/queue?kind=due_soon&role=office").await;
        let item = q.as_array().unwrap().iter().find(|r| r["petition_id"] == id.as_str()).unwrap_or_else(|| panic!("{q}"));
        assert_eq!(item["badge"]["provisional"], true, "{item}");
        let html = crate::deadlines::cookie_page(&app, "office", "/queues").await;
        assert!(html.contains("（暂定）"), "the queue page marks it");
        // The notice comes: 2027-01-01 to 01-04 off. The deadline firms up on the next working day.
        let a = app.token("admin").await;
        let (status, v) = app.put(&a, "/api/v1/calendar/2027", &json!({"holidays": ["2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04"], "makeup_workdays": []})).await;
        assert_eq!((status, v["recomputed_deadlines"].as_u64()), (200, Some(1)), "{v}");
        let d = crate::deadlines::deadlines(&app, &office, &id).await;
        assert_eq!((d[0]["due_on"].as_str(), d[0]["provisional"].as_bool()), (Some("2027-01-05"), Some(false)), "{d:?}");
        let events = app.state.store.events(&id).await.unwrap();
        let e = events.iter().find(|e| e.kind == "deadline_recomputed").expect("one event per moved deadline");
        assert_eq!(e.payload["year"], 2027);
        assert_eq!(e.payload["due_on"], "2027-01-05");
        // A deadline that does not run through 2027 is left alone.
        let (_, v) = app.put(&a, "/api/v1/calendar/2027", &json!({"holidays": ["2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04"], "makeup_workdays": []})).await;
        assert_eq!(v["recomputed_deadlines"], 0, "nothing moves twice");
    }
}
