//! The transfer statistics table and the units' periodic reports on transferred matters (V5.1,
//! L4.3), and the day's figures in the 每日信访信息 (V3.2): fixtures built through the real use
//! cases, the figures worked out by hand.

use std::io::Read;

use chrono::{NaiveDate, TimeZone};
use serde_json::{Value, json};
use xinfang_app::clock::cst;

use crate::backend_tests;
use crate::harness::TestApp;
use crate::visibility::acting;

/// 10:00 China Standard Time on a day of 2026.
fn at(month: u32, day: u32) -> chrono::DateTime<chrono::Utc> {
    cst()
        .with_ymd_and_hms(2026, month, day, 10, 0, 0)
        .single()
        .unwrap()
        .with_timezone(&chrono::Utc)
}

fn day(month: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, d).unwrap()
}

fn visit(month: u32, d: u32, extra: Value) -> Value {
    let mut v = json!({"visited_at": format!("2026-{month:02}-{d:02}T09:30")});
    crate::harness::merge(&mut v, extra);
    v
}

/// A visit registered on the clock's day, decided at the window as `decision`.
async fn registered(app: &TestApp, month: u32, d: u32, decision: Value) -> String {
    let t = app.token("receptionist").await;
    let id = app.register_visit(&t, visit(month, d, json!({}))).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, v) = app
        .post(&t, &format!("/api/v1/petitions/{id}/decision"), &decision)
        .await;
    assert_eq!(s, 200, "decision: {v}");
    id
}

/// An accepted visit transferred (转送, or 交办 with `way` = assignment) to `unit` on the clock's
/// day: proposed by the office, approved by the deputy director.
async fn sent(app: &TestApp, month: u32, d: u32, way: &str, unit: &str) -> String {
    app.clock.set(at(month, d));
    let id = registered(app, month, d, json!({"acceptance": "accepted"})).await;
    let office = app.token("office").await;
    let unit = app.unit_id(unit).await;
    let (s, v) = app
        .post(
            &office,
            &format!("/api/v1/petitions/{id}/disposition"),
            &json!({"disposition": way, "units": [{"unit_id": unit, "lead": true}],
                    "requirements": "请依法办理并书面答复信访人。"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let dd = app.token("deputy_director").await;
    let (s, v) = app
        .post(
            &dd,
            &format!("/api/v1/approvals/{}", v["approval_id"].as_str().unwrap()),
            &json!({"accept": true}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    id
}

fn line<'a>(t: &'a Value, name: &str) -> &'a Value {
    t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no line for {name}: {t}"))
}

fn figures(l: &Value) -> Vec<i64> {
    [
        "times",
        "items",
        "reported_to_leaders",
        "assigned",
        "sent_to_departments",
        "handled_on_time",
        "reports_due",
        "reports_filed",
        "reports_late",
    ]
    .iter()
    .map(|k| l[*k].as_i64().unwrap_or_else(|| panic!("{k} in {l}")))
    .collect()
}

fn report_of<'a>(t: &'a Value, unit: &str) -> &'a Value {
    t["reports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unit_name"] == unit)
        .unwrap_or_else(|| panic!("no report of {unit}: {t}"))
}

const RENSHE: &str = "市人力资源和社会保障局";
const ZHUJIAN: &str = "市住房和城乡建设局";
const OCTOBER: &str = "/api/v1/statistics/transfers?period=month&year=2026&index=10";

backend_tests! {
    async fn the_transfer_table_counts_times_and_items_and_the_units_report_on_schedule(app) {
        // October 2026, by hand:
        //   10-05  A and B transferred to 人社局 by 转送函: one dispatch (次), two items (件);
        //   10-12  C referred at the window to 住建局 by 转送单: 住建局 1 次 1 件;
        //   10-20  D transferred to 人社局: its second dispatch, third item;
        //   10-20  E assigned (交办) to 城关镇: not a transfer, in no line.
        // November: 11-03 F transferred to 住建局.
        sent(&app, 10, 5, "transfer", "renshe").await;
        sent(&app, 10, 5, "transfer", "renshe").await;
        app.clock.set(at(10, 12));
        let zhujian = app.unit_id("zhujian").await;
        registered(&app, 10, 12, json!({"acceptance": "referred_to_department", "target_unit_id": zhujian})).await;
        sent(&app, 10, 20, "transfer", "renshe").await;
        sent(&app, 10, 20, "assignment", "chengguan").await;
        sent(&app, 11, 3, "transfer", "zhujian").await;

        // 11-03: the scan starts October's reports, due ten days after the month (11-10), for
        // the two units that received transfers — with November's backup and 2026's dossiers.
        let scan = xinfang_app::supervision::scan(&app.state, day(11, 3)).await.unwrap();
        assert_eq!(scan.routines_started, 4, "{scan:?}");
        let again = xinfang_app::supervision::scan(&app.state, day(11, 3)).await.unwrap();
        assert_eq!(again.routines_started, 0, "once per unit and period");

        let office = app.token("office").await;
        let (s, t) = app.get(&office, OCTOBER).await;
        assert_eq!(s, 200, "{t}");
        assert_eq!(t["scope"], "bureau");
        assert_eq!(t["schedule"], "每月报送，报告期结束后 10 日内");
        let names: Vec<&str> = t["rows"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert_eq!(names, vec![RENSHE, ZHUJIAN], "most items first, no 交办 unit");
        assert_eq!(figures(line(&t, RENSHE)), vec![2, 3, 0, 0, 0, 0, 1, 0, 0]);
        assert_eq!(figures(line(&t, ZHUJIAN)), vec![1, 1, 0, 0, 0, 0, 1, 0, 0]);
        assert_eq!(figures(&t["total"]), vec![3, 4, 0, 0, 0, 0, 2, 0, 0]);
        let renshe_report = report_of(&t, RENSHE).clone();
        assert_eq!(
            (renshe_report["period_from"].as_str(), renshe_report["period_to"].as_str(), renshe_report["due_on"].as_str()),
            (Some("2026-10-01"), Some("2026-10-31"), Some("2026-11-10"))
        );
        assert_eq!((renshe_report["items"].as_i64(), renshe_report["state"].as_str()), (Some(3), Some("running")));
        let (_, nov) = app.get(&office, "/api/v1/statistics/transfers?period=month&year=2026&index=11").await;
        assert_eq!(figures(line(&nov, ZHUJIAN))[..2], [1, 1]);
        assert_eq!(nov["rows"].as_array().unwrap().len(), 1);

        // 11-09: 人社局 files. Wrong figures are refused naming the field, nothing written.
        app.clock.set(at(11, 9));
        let office = app.token("office").await;
        let renshe_id = renshe_report["deadline_id"].as_str().unwrap().to_string();
        let path = format!("/api/v1/transfer-reports/{renshe_id}");
        let h = app.token("renshe_handler").await;
        let good = json!({"reported_to_leaders": 1, "assigned": 1, "sent_to_departments": 0, "handled_on_time": 3, "note": "均已书面答复信访人。"});
        let (s, v) = app.post(&h, &path, &json!({"reported_to_leaders": 1, "assigned": 4, "handled_on_time": 3})).await;
        assert_eq!((s, v["field"].as_str(), v["code"].as_str()), (422, Some("assigned"), Some("more_than_transferred")), "{v}");
        assert!(v["message"].as_str().unwrap().contains("交办件数"), "{v}");
        assert_eq!(app.count("transfer_reports").await, 0);
        let (s, _) = app.post(&app.token("zhujian_handler").await, &path, &good).await;
        assert_eq!(s, 404, "another unit's report is not there for it");
        let (s, _) = app.post(&office, &path, &good).await;
        assert_eq!(s, 403, "the bureau does not file a unit's report");
        let (s, v) = app.post(&h, &path, &good).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!((v["state"].as_str(), v["filed_on"].as_str(), v["filed_late"].as_bool()), (Some("met"), Some("2026-11-09"), Some(false)), "{v}");
        let (s, _) = app.post(&h, &path, &good).await;
        assert_eq!(s, 409, "filed once");

        // 11-11: 住建局's report, due 11-10, is late: a task for the letter clerk, who chases it.
        app.clock.set(at(11, 11));
        let office = app.token("office").await;
        let scan = xinfang_app::supervision::scan(&app.state, day(11, 11)).await.unwrap();
        assert_eq!(scan.routine_tasks, 1, "{scan:?}");
        let clerk = acting(&app, "letter_clerk").await;
        let tasks = xinfang_app::tasks::open_tasks(&app.state, &clerk).await.unwrap();
        let late: Vec<_> = tasks.iter().filter(|t| t.kind == "routine_overdue").collect();
        assert_eq!(late.len(), 1, "{tasks:?}");
        assert!(late[0].title.contains(ZHUJIAN) && late[0].title.contains("逾期未报"), "{}", late[0].title);
        let (_, t) = app.get(&office, OCTOBER).await;
        let zhujian_report = report_of(&t, ZHUJIAN).clone();
        assert_eq!(zhujian_report["overdue"], true);
        let zhujian_id = zhujian_report["deadline_id"].as_str().unwrap().to_string();
        let remind = format!("/api/v1/transfer-reports/{zhujian_id}/reminders");
        let (s, v) = app.post(&app.token("letter_clerk").await, &remind, &json!({"method": "fax"})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("method")), "{v}");
        let (s, _) = app.post(&app.token("zhujian_handler").await, &remind, &json!({"method": "phone"})).await;
        assert_eq!(s, 403, "a unit does not chase itself");
        let (s, v) = app.post(&app.token("letter_clerk").await, &remind, &json!({"method": "phone", "note": "电话催报，答复明日报送"})).await;
        assert_eq!((s, v["reminders"].as_i64()), (201, Some(1)), "{v}");
        assert_eq!(figures(line(&t, RENSHE)), vec![2, 3, 1, 1, 0, 3, 1, 1, 0]);
        assert_eq!(figures(line(&t, ZHUJIAN)), vec![1, 1, 0, 0, 0, 0, 1, 0, 1]);

        // A unit sees its own line and its own reports only.
        let (s, mine) = app.get(&app.token("zhujian_handler").await, OCTOBER).await;
        assert_eq!(s, 200, "{mine}");
        assert_eq!(mine["scope"], "unit");
        let names: Vec<&str> = mine["rows"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert_eq!(names, vec![ZHUJIAN]);
        assert!(mine["reports"].as_array().unwrap().iter().all(|r| r["unit_name"] == ZHUJIAN), "{mine}");
        let (s, _) = app.get(&app.token("receptionist").await, OCTOBER).await;
        assert_eq!(s, 403);

        // 11-12: 住建局 files late; its task is done with it.
        app.clock.set(at(11, 12));
        let office = app.token("office").await;
        let (s, v) = app.post(&app.token("zhujian_handler").await, &format!("/api/v1/transfer-reports/{zhujian_id}"),
            &json!({"reported_to_leaders": 0, "assigned": 0, "sent_to_departments": 1, "handled_on_time": 0})).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["filed_late"], true);
        let tasks = xinfang_app::tasks::open_tasks(&app.state, &clerk).await.unwrap();
        assert!(tasks.iter().all(|t| t.kind != "routine_overdue"), "{tasks:?}");
        let (_, t) = app.get(&office, OCTOBER).await;
        assert_eq!(figures(line(&t, ZHUJIAN)), vec![1, 1, 0, 0, 1, 0, 1, 1, 1]);
        assert_eq!(figures(&t["total"]), vec![3, 4, 1, 1, 1, 3, 2, 2, 1]);
        let (_, year) = app.get(&office, "/api/v1/statistics/transfers?period=year&year=2026").await;
        assert_eq!(figures(&year["total"]), vec![4, 5, 1, 1, 1, 3, 2, 2, 1], "October and November");

        // The Excel export carries the table, with its chart.
        let (s, bytes) = app.get_bytes(&office, "/api/v1/statistics/export?period=month&year=2026&index=10").await;
        assert_eq!(s, 200);
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.clone())).expect("an xlsx file");
        use calamine::Reader;
        let sheet = book.worksheet_range("转送情况").expect("the transfer sheet");
        let cells = |name: &str| -> Vec<String> {
            sheet.rows().find(|r| r.first().map(|c| c.to_string()).as_deref() == Some(name))
                .unwrap_or_else(|| panic!("no row {name}")).iter().map(|c| c.to_string()).collect()
        };
        assert_eq!(cells(RENSHE)[1..], ["2", "3", "1", "1", "0", "3", "1", "1", "0"]);
        assert_eq!(cells("合计")[1..], ["3", "4", "1", "1", "1", "3", "2", "2", "1"]);
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let charts: Vec<String> = (0..zip.len()).filter_map(|i| {
            let mut f = zip.by_index(i).ok()?;
            let mut s = String::new();
            (f.name().starts_with("xl/charts/chart")).then(|| { f.read_to_string(&mut s).ok(); s })
        }).collect();
        assert!(charts.iter().any(|c| c.contains("转送情况")), "a chart over the transfer sheet");

        // The 信访情况通报 of October states the transfers and the reports.
        let (s, d) = app.post(&office, "/api/v1/documents", &json!({"kind": "circular", "period": {"period": "month", "year": "2026", "index": "10"}})).await;
        assert_eq!(s, 201, "{d}");
        let body = d["fields"]["body"].as_str().unwrap();
        assert!(body.contains(&format!("本期向有关单位转送信访事项3次4件，其中{RENSHE}2次3件，{ZHUJIAN}1次1件。")), "{body}");
        assert!(body.contains("应报送转送事项办理情况报告2份，已报送2份，逾期1份。"), "{body}");

        // The page shows the table.
        let page = crate::deadlines::cookie_page(&app, "office", "/statistics?period=month&year=2026&index=10").await;
        assert!(page.contains("转送信件办理情况统计表") && page.contains("id=\"transfer-table\"") && page.contains(RENSHE), "{page}");
    }

    async fn the_daily_bulletin_carries_the_days_figures(app) {
        // 11-26: one visit (not today's). 11-27: a visit of one person, a collective visit of 6.
        app.clock.set(at(11, 26));
        registered(&app, 11, 26, json!({"acceptance": "accepted"})).await;
        app.clock.set(at(11, 27));
        let one = registered(&app, 11, 27, json!({"acceptance": "accepted"})).await;
        let t = app.token("receptionist").await;
        app.register_visit(&t, visit(11, 27, json!({"visitor_count": 6}))).await;
        let office = app.token("office").await;
        let (s, d) = app.post(&office, "/api/v1/documents", &json!({"kind": "daily_bulletin", "petition_ids": [one]})).await;
        assert_eq!(s, 201, "{d}");
        let body = d["fields"]["body"].as_str().unwrap();
        assert!(body.contains("2026年11月27日，我局共登记信访事项2件7人次。其中来信0件，来访2批7人次，网上和电话信访0件；集体访1批6人次；重复信访0件。"), "{body}");
        assert!(body.contains("反映较多的问题：劳动社保2件"), "{body}");
        assert!(body.contains("二、主要事项\n（一）张三"), "the selection is the key matters: {body}");
        // Another day named: its own figures.
        let (s, d) = app.post(&office, "/api/v1/documents", &json!({"kind": "daily_bulletin", "petition_ids": [one],
            "period": {"from": "2026-11-26", "to": "2026-11-26"}})).await;
        assert_eq!(s, 201, "{d}");
        assert!(d["fields"]["body"].as_str().unwrap().contains("2026年11月26日，我局共登记信访事项1件1人次。"), "{d}");
    }
}
