//! The bureau's routines (procedure-fidelity issue: records that belong to no petition): the
//! monthly backup and the year-end transfer of dossiers are deadlines of the bureau, started by
//! the daily scan once per period, recorded done by whoever does them, and a task when left
//! undone past their date.

use serde_json::json;

use crate::backend_tests;
use crate::deadlines::at;
use crate::harness::PASSWORD;
use crate::visibility::acting;

backend_tests! {
    async fn routines_run_per_period_belong_to_no_petition_and_become_a_task_when_late(app) {
        let office = app.token("office").await;
        let (_, before) = app.get(&office, "/api/v1/deadlines/digest").await;
        // 2026-11-27: the scan starts November's backup and 2026's transfer, once.
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let scan = xinfang_app::supervision::scan(&app.state, today).await.unwrap();
        assert_eq!(scan.routines_started, 2, "{scan:?}");
        let again = xinfang_app::supervision::scan(&app.state, today).await.unwrap();
        assert_eq!(again.routines_started, 0, "a second run starts nothing");
        let (s, list) = app.get(&office, "/api/v1/routines").await;
        assert_eq!(s, 200, "{list}");
        let list = list.as_array().unwrap().clone();
        let backup = list.iter().find(|r| r["rule_code"] == "monthly_backup").expect("backup");
        let transfer = list.iter().find(|r| r["rule_code"] == "yearly_dossiers").expect("transfer");
        assert_eq!((backup["period_start"].as_str(), backup["due_on"].as_str()), (Some("2026-11-01"), Some("2026-11-30")));
        assert_eq!((transfer["period_start"].as_str(), transfer["due_on"].as_str()), (Some("2026-01-01"), Some("2026-12-31")));
        assert_eq!(backup["state"], "running");
        assert_eq!(backup["name"], "电子档案每月备份");
        // No petition's counts change: the digest counts petitions' deadlines only.
        let (_, after) = app.get(&office, "/api/v1/deadlines/digest").await;
        assert_eq!((before["overdue"].clone(), before["due_soon"].clone()), (after["overdue"].clone(), after["due_soon"].clone()));

        // Who sees and who records them.
        let reception = app.token("receptionist").await;
        let (s, _) = app.get(&reception, "/api/v1/routines").await;
        assert_eq!(s, 403, "the window has no routines");
        let backup_id = backup["deadline_id"].as_str().unwrap().to_string();
        let path = format!("/api/v1/routines/{backup_id}/completion");
        let unit = app.token("chengguan_head").await;
        let (s, _) = app.post(&unit, &path, &json!({"note": "已备份"})).await;
        assert!(s == 403 || s == 401, "a unit records no routine: {s}");
        let (s, body) = app.post(&office, &path, &json!({"note": "  "})).await;
        assert_eq!(s, 422, "{body}");
        assert_eq!(body["field"], "note", "{body}");
        let admin = app.token("admin").await;
        let (s, body) = app.post(&admin, &path, &json!({"note": "已备份至移动硬盘两份，一份存档案室"})).await;
        assert_eq!(s, 204, "{body}");
        let (s, _) = app.post(&admin, &path, &json!({"note": "再记一次"})).await;
        assert_eq!(s, 409, "recorded once");
        let (_, list) = app.get(&office, "/api/v1/routines").await;
        let done = list.as_array().unwrap().iter().find(|r| r["deadline_id"] == backup_id.as_str()).unwrap().clone();
        assert_eq!((done["state"].as_str(), done["met_on"].as_str()), (Some("met"), Some("2026-11-27")), "{done}");
        // Recorded in the bureau's audit trail (not a petition's history), by who did it.
        let filter = xinfang_store::accounts::AuditFilter { limit: 1000, ..Default::default() };
        let entries = app.state.store.audit_entries(&app.state.bureau.id, &filter).await.unwrap();
        let completed: Vec<_> = entries.iter().filter(|e| e.action == "routine_completed").collect();
        assert_eq!(completed.len(), 1, "{entries:?}");
        assert_eq!(completed[0].username.as_deref(), Some("admin"));
        assert_eq!(entries.iter().filter(|e| e.action == "routine_started").count(), 2);

        // 2027-01-04: the new month and year start; 2026's transfer, never recorded, is late.
        app.clock.set(at(2027, 1, 4));
        let today = chrono::NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
        let scan = xinfang_app::supervision::scan(&app.state, today).await.unwrap();
        assert_eq!((scan.routines_started, scan.routine_tasks), (2, 1), "{scan:?}");
        let office_user = acting(&app, "office").await;
        let tasks = xinfang_app::tasks::open_tasks(&app.state, &office_user).await.unwrap();
        let late: Vec<_> = tasks.iter().filter(|t| t.kind == "routine_overdue").collect();
        assert_eq!(late.len(), 1, "{tasks:?}");
        assert!(late[0].petition_id.is_none());
        assert!(late[0].title.contains("案卷年底移交局办公室") && late[0].title.contains("2026-12-31"), "{}", late[0].title);
        // A later scan makes no second task.
        let scan = xinfang_app::supervision::scan(&app.state, today).await.unwrap();
        assert_eq!(scan.routine_tasks, 0);
        // The archivist records the transfer: the task is done with it.
        let archivist = app.token("archivist").await;
        let transfer_id = transfer["deadline_id"].as_str().unwrap();
        let (s, body) = app.post(&archivist, &format!("/api/v1/routines/{transfer_id}/completion"), &json!({"note": "2026 年度案卷 37 卷已移交局办公室，移交清单双方签字"})).await;
        assert_eq!(s, 204, "{body}");
        let tasks = xinfang_app::tasks::open_tasks(&app.state, &office_user).await.unwrap();
        assert!(tasks.iter().all(|t| t.kind != "routine_overdue"), "{tasks:?}");
    }

    async fn the_office_records_a_routine_on_its_digest_page(app) {
        xinfang_app::supervision::scan(&app.state, chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()).await.unwrap();
        let c = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let r = c.post(app.url("/login")).form(&[("username", "office"), ("password", PASSWORD), ("next", "/")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let html = c.get(app.url("/digest")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("本局例行工作") && html.contains("电子档案每月备份"), "{html}");
        let action = html.split("action=\"/routines/").nth(1).unwrap().split('"').next().unwrap().to_string();
        let csrf = html.split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let r = c.post(app.url(&format!("/routines/{action}"))).form(&[("_csrf", csrf.as_str()), ("note", "已刻录光盘两份")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let html = c.get(app.url("/digest")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("已完成（2026-11-27）"), "{html}");
    }
}
