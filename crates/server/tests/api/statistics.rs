//! Statistics (issue 18): a fixture October and November built through the real use cases, the
//! figures worked out by hand; the drill-down through the gate; a unit's own figures; the
//! Excel export read back by an independent reader; bad input.

use chrono::TimeZone;
use serde_json::{Value, json};
use std::io::Read;
use xinfang_app::clock::cst;

use crate::backend_tests;
use crate::handling::{accepted_letter_received, findings};
use crate::harness::TestApp;

/// 10:00 China Standard Time on a day of 2026.
fn at(month: u32, day: u32) -> chrono::DateTime<chrono::Utc> {
    cst()
        .with_ymd_and_hms(2026, month, day, 10, 0, 0)
        .single()
        .unwrap()
        .with_timezone(&chrono::Utc)
}

fn visit(month: u32, day: u32, extra: Value) -> Value {
    let mut v = json!({"visited_at": format!("2026-{month:02}-{day:02}T09:30")});
    crate::harness::merge(&mut v, extra);
    v
}

async fn decide(app: &TestApp, token: &str, id: &str, acceptance: &str) {
    let body = if acceptance == "not_accepted" {
        json!({"acceptance": acceptance, "reason": "legal_channel"})
    } else {
        json!({"acceptance": acceptance})
    };
    let (s, v) = app
        .post(token, &format!("/api/v1/petitions/{id}/decision"), &body)
        .await;
    assert_eq!(s, 200, "decide {acceptance}: {v}");
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// The fixture: October and November 2026.
///
/// - V0 visit registered 10-25, accepted only on 11-12 (its 15-day mark, 11-09, was missed).
/// - V1 visit registered and accepted 10-20, assigned to 城关镇 on 10-21, reported on 10-30,
///   closed on 11-05 (its closing deadline lies in December: on time).
/// - V2 collective visit of 6 on 11-03, not accepted the same day.
/// - V3 visit on 11-10, a repeat of V1, accepted the same day.
/// - L1 joint letter of 23 signatories registered and accepted on 11-12.
/// - L2 anonymous letter registered on 11-20, waiting for the instruction.
/// - C confidential visit on 11-25, accepted the same day.
struct Fixture {
    v1: String,
    c: String,
}

/// Fresh sessions after the clock moved (a session ends after 30 idle minutes).
struct Keys {
    t: String,
    office: String,
    dd: String,
    h: String,
    co: String,
    clerk: String,
}

async fn tokens(app: &TestApp) -> Keys {
    Keys {
        t: app.token("receptionist").await,
        office: app.token("office").await,
        dd: app.token("deputy_director").await,
        h: app.token("chengguan_handler").await,
        co: app.token("case_officer").await,
        clerk: app.token("letter_clerk").await,
    }
}

async fn fixture(app: &TestApp) -> Fixture {
    app.clock.set(at(10, 20));
    let k = tokens(app).await;
    let v1 = id_of(&app.register_visit(&k.t, visit(10, 20, json!({}))).await);
    decide(app, &k.t, &v1, "accepted").await;
    app.clock.set(at(10, 21));
    let k = tokens(app).await;
    let unit = app.unit_id("chengguan").await;
    let (s, v) = app
        .post(
            &k.office,
            &format!("/api/v1/petitions/{v1}/disposition"),
            &json!({
                "disposition": "assignment", "units": [{"unit_id": unit, "lead": true}],
                "requirements": "查清欠薪事实，督促支付，书面答复信访人。"
            }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let approval = v["approval_id"].as_str().unwrap().to_string();
    let (s, v) = app
        .post(
            &k.dd,
            &format!("/api/v1/approvals/{approval}"),
            &json!({"accept": true}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let record = app.state.store.handling_records(&v1).await.unwrap()[0]
        .id
        .clone();
    app.clock.set(at(10, 22));
    let k = tokens(app).await;
    let receive = format!("/api/v1/handling-records/{record}/receive");
    let (s, v) = app
        .post(&k.h, &receive, &json!({"action": "sign_for"}))
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(&k.h, &receive, &json!({"action": "accept", "petitioner_told_how": "电话告知", "petitioner_told_on": "2026-10-22"}))
        .await;
    assert_eq!(s, 200, "{v}");
    app.clock.set(at(10, 25));
    let k = tokens(app).await;
    let v0 = id_of(&app.register_visit(&k.t, visit(10, 25, json!({"petitioners": [{
        "name": "王五", "id_type": "resident_id", "id_number": "110105198001010032", "ethnicity": "01",
        "address": "阜康市城关镇东风村5组1号", "phone": "13912340000", "occupation": "农民", "is_representative": false
    }]}))).await);
    app.clock.set(at(10, 30));
    let k = tokens(app).await;
    let (s, v) = app
        .post(
            &k.h,
            &format!("/api/v1/petitions/{v1}/reports"),
            &json!({
                "record_id": record,
                "findings": "经核实，某建筑公司确欠张三工资三万元。",
                "decision": "support",
                "reply": "已督促该公司于11月30日前支付全部工资。",
                "reply_served_on": "2026-10-30",
                "petitioner_signed": true,
                "settlement_note": "信访人表示满意，承诺息诉罢访。",
                "signed_off_by": "李镇长"
            }),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let report = id_of(&v);
    let (s, v) = app
        .post(
            &k.co,
            &format!("/api/v1/reports/{report}/review"),
            &json!({"findings": findings(&[])}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    app.clock.set(at(11, 3));
    let k = tokens(app).await;
    let v2 = id_of(
        &app.register_visit(&k.t, visit(11, 3, json!({"visitor_count": 6})))
            .await,
    );
    decide(app, &k.t, &v2, "not_accepted").await;
    app.clock.set(at(11, 5));
    let k = tokens(app).await;
    let (s, v) = app
        .post(
            &k.co,
            &format!("/api/v1/petitions/{v1}/closure"),
            &json!({"action": "propose"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let approval = v["approval_id"].as_str().unwrap().to_string();
    let (s, v) = app
        .post(
            &k.dd,
            &format!("/api/v1/approvals/{approval}"),
            &json!({"accept": true}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    app.clock.set(at(11, 10));
    let k = tokens(app).await;
    let v3 = id_of(
        &app.register_visit(
            &k.t,
            visit(
                11,
                10,
                json!({"repeat_of": v1, "repeat_reason": "对处理结果仍有疑问"}),
            ),
        )
        .await,
    );
    decide(app, &k.t, &v3, "accepted").await;
    app.clock.set(at(11, 12));
    let k = tokens(app).await;
    decide(app, &k.t, &v0, "accepted").await;
    accepted_letter_received(app, "2026-11-12T08:30", json!({
        "petitioners": [
            {"name": "张三", "id_type": "none", "address": "阜康市城关镇东风村3组12号", "phone": "13912345678"},
            {"name": "李四", "id_type": "none", "address": "阜康市城关镇东风村3组13号", "phone": "13912345679"}
        ],
        "letter": {"joint": true, "signatory_count": 23, "contact_name": "李四"}
    }))
    .await;
    app.clock.set(at(11, 20));
    let k = tokens(app).await;
    let (s, v) = app
        .post(&k.clerk, "/api/v1/letters", &json!({"delivery_mode": "post", "received_at": "2026-11-20T08:00", "sender": "", "sender_address": ""}))
        .await;
    assert_eq!(s, 201, "{v}");
    let l2 = v["petition"]["id"].as_str().unwrap().to_string();
    let (s, v) = app
        .post(&k.clerk, &format!("/api/v1/letters/{l2}/opening"), &json!({
            "disinfected_by": "王师傅", "distributed_to": "李秀英",
            "stamps_kept": true, "postmark_kept": true, "postcode_kept": true, "address_kept": true
        }))
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(
            &k.clerk,
            &format!("/api/v1/letters/{l2}/registration"),
            &json!({
                "petitioners": [], "anonymous": true,
                "issue_region": "652302", "township": "652302100",
                "summary": "反映某小区物业费收费过高。", "requests": "要求核查物业收费。",
                "purpose": "03", "category": "150201", "petition_class": "suggestion", "letter": {}
            }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    app.clock.set(at(11, 25));
    let k = tokens(app).await;
    let c = id_of(&app.register_visit(&k.t, visit(11, 25, json!({"confidential": true, "summary": "反映某局工作人员收受财物。", "petition_class": "accusation", "purpose": "04"}))).await);
    decide(app, &k.t, &c, "accepted").await;
    app.clock.set(at(11, 27));
    Fixture { v1, c }
}

fn row<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["rows"].as_array().unwrap())
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("no row {key}"))
}

async fn report(app: &TestApp, token: &str, query: &str) -> Value {
    let (s, v) = app.get(token, &format!("/api/v1/statistics?{query}")).await;
    assert_eq!(s, 200, "{v}");
    v
}

/// A period as the use cases take it.
fn period_input(q: &[(&str, &str)]) -> xinfang_app::statistics::PeriodInput {
    let get = |k: &str| q.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
    xinfang_app::statistics::PeriodInput {
        period: get("period"),
        year: get("year"),
        index: get("index"),
        from: get("from"),
        to: get("to"),
    }
}

backend_tests! {
    async fn statistics_kept_figures_stay_equal_to_a_recount_from_the_facts(app) {
        // The fixture's journey: visits and letters registered, decided, disposed of (交办 with
        // its approval), signed for and accepted by the unit, reported on with the reply served,
        // reviewed, closed; then a phone rating, and the unit's deadlines left to run out.
        let f = fixture(&app).await;
        let office = app.token("office").await;
        let (s, v) = app.post(&office, &format!("/api/v1/petitions/{}/ratings", f.v1), &json!({"bureau": "满意", "unit": "基本满意"})).await;
        assert_eq!(s, 201, "{v}");
        app.clock.set(at(12, 28));
        let periods: Vec<Vec<(&str, &str)>> = vec![
            vec![("period", "month"), ("year", "2026"), ("index", "10")],
            vec![("period", "month"), ("year", "2026"), ("index", "11")],
            vec![("period", "month"), ("year", "2026"), ("index", "12")],
            vec![("period", "quarter"), ("year", "2026"), ("index", "4")],
            vec![("period", "half"), ("year", "2026"), ("index", "2")],
            vec![("period", "year"), ("year", "2026")],
            vec![("period", "year"), ("year", "2027")],
            vec![("from", "2026-10-25"), ("to", "2026-11-12")],
            vec![("from", "2026-11-05"), ("to", "2026-11-05")],
        ];
        let director = crate::visibility::acting(&app, "director").await;
        let handler = crate::visibility::acting(&app, "chengguan_handler").await;
        let unit = app.unit_id("chengguan").await;
        for who in [&director, &handler] {
            for q in &periods {
                let (kept, recounted) = xinfang_app::statistics::kept_and_recounted(&app.state, who, &period_input(q)).await.unwrap();
                assert_eq!(kept, recounted, "{} {q:?}", who.user.username);
            }
        }
        let year = async |who: &xinfang_app::auth::CurrentUser| {
            let input = period_input(&[("period", "year"), ("year", "2026")]);
            xinfang_app::statistics::kept_and_recounted(&app.state, who, &input).await.unwrap().0
        };
        // Not an empty comparison: every step of the journey is in the year's kept figures.
        let y = year(&director).await;
        assert_eq!((y.get("petitions"), y.get("accepted"), y.get("not_accepted")), (7, 5, 1), "{y:?}");
        assert_eq!((y.get("disposed:assignment"), y.get(&format!("unit_received:{unit}"))), (1, 1));
        assert_eq!((y.get("closed"), y.get("rating_eligible"), y.get("rated"), y.get("satisfied")), (1, 1, 1, 1));
        assert!(y.get(&format!("unit_deadlines_due:{unit}")) >= 1, "{y:?}");
        let u = year(&handler).await;
        assert_eq!((u.get("petitions"), u.get("closed")), (1, 1), "{u:?}");
        // Rated in November: October's figures, as of October's end, have it unrated.
        let oct = period_input(&[("period", "month"), ("year", "2026"), ("index", "10")]);
        let (o, _) = xinfang_app::statistics::kept_and_recounted(&app.state, &director, &oct).await.unwrap();
        assert_eq!((o.get("rating_eligible"), o.get("rated")), (1, 0), "{o:?}");
        // A recount from scratch changes nothing.
        xinfang_app::statistics::recount_all(&app.state, &|_, _| {}).await.unwrap();
        assert_eq!(year(&director).await, y);
    }

    async fn statistics_drill_down_pages_through_its_rows_with_the_exact_total(app) {
        fixture(&app).await;
        let clerk = app.token("letter_clerk").await;
        let base = "/api/v1/statistics/petitions?period=month&year=2026&index=11&figure=visit_batches";
        let (s, all) = app.get(&clerk, base).await;
        assert_eq!(s, 200, "{all}");
        let all: Vec<String> = all["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect();
        assert_eq!(all.len(), 3);
        let (s, p1) = app.get(&clerk, &format!("{base}&limit=2")).await;
        assert_eq!(s, 200, "{p1}");
        assert_eq!((p1["total"].as_i64(), p1["limit"].as_i64(), p1["items"].as_array().unwrap().len()), (Some(3), Some(2), 2));
        let cursor = p1["next_cursor"].as_str().expect("a next page").to_string();
        let (s, p2) = app.get(&clerk, &format!("{base}&limit=2&cursor={cursor}")).await;
        assert_eq!(s, 200, "{p2}");
        assert_eq!((p2["total"].as_i64(), p2["items"].as_array().unwrap().len()), (Some(3), 1));
        assert!(p2["next_cursor"].is_null(), "{p2}");
        let paged: Vec<String> = p1["items"].as_array().unwrap().iter().chain(p2["items"].as_array().unwrap()).map(|i| i["id"].as_str().unwrap().to_string()).collect();
        assert_eq!(paged, all, "the pages are the list, in order");
        for (q, field) in [("&limit=0", "limit"), ("&limit=abc", "limit"), ("&cursor=garbage", "cursor")] {
            let (s, v) = app.get(&clerk, &format!("{base}{q}")).await;
            assert_eq!(s, 422, "{q}: {v}");
            assert_eq!(v["field"], field, "{v}");
        }
        // The page links to the next one.
        let page = app.client.get(app.url("/statistics/petitions?period=month&year=2026&index=11&figure=visit_batches&limit=2"))
            .bearer_auth(&clerk).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("drill-next") && page.contains("共 3 批次，3 件信访件，本页 2 件"), "{page}");
    }

    async fn statistics_count_a_fixture_month_as_worked_out_by_hand(app) {
        let f = fixture(&app).await;
        let office = app.token("office").await;
        let nov = report(&app, &office, "period=month&year=2026&index=11").await;
        assert_eq!(nov["period"]["from"], "2026-11-01");
        assert_eq!(nov["period"]["to"], "2026-11-30");
        assert_eq!(nov["period"]["label"], "2026年11月");
        let t = &nov["totals"];
        assert_eq!(t["petitions"], 5, "V2 V3 L1 L2 C");
        assert_eq!(t["by_channel"], json!({"letter": 2, "visit": 3, "online": 0, "phone": 0}));
        assert_eq!((t["visit_batches"].as_i64(), t["visit_persons"].as_i64()), (Some(3), Some(8)), "6 + 1 + 1");
        assert_eq!((t["collective_batches"].as_i64(), t["collective_persons"].as_i64()), (Some(1), Some(6)));
        assert_eq!((t["joint_letters"].as_i64(), t["anonymous_letters"].as_i64()), (Some(1), Some(1)));
        assert_eq!(t["repeat"], 1);
        assert_eq!((t["accepted"].as_i64(), t["not_accepted"].as_i64(), t["no_longer_accepted"].as_i64()), (Some(4), Some(1), Some(0)), "V3 V0 L1 C; V2");
        assert_eq!((t["closed"].as_i64(), t["closed_on_time"].as_i64()), (Some(1), Some(1)), "V1");
        assert_eq!(row(&nov, "letter_persons")["value"], 24, "23 signatories + 1");
        assert_eq!(row(&nov, "collective_5_10")["value"], 1);
        assert_eq!(row(&nov, "first")["value"], 4);
        // Marks in November: V1 11-04, V0 11-09 (missed), V2 11-18, V3 11-25, L1 11-27.
        assert_eq!(row(&nov, "acceptance_due")["value"], 5);
        assert_eq!(row(&nov, "accepted_in_time")["value"], 4);
        assert_eq!(nov["kpis"]["timely_acceptance_rate"], 0.8);
        assert_eq!(nov["kpis"]["repeat_rate"], 0.2);
        assert!(nov["kpis"]["on_time_closure_rate"].is_null(), "no closing deadline falls in November");
        assert!(nov["kpis"]["satisfaction_rate"].is_null());
        assert_eq!(row(&nov, "township:652302100")["value"], 5);
        assert_eq!(row(&nov, "category:060000")["label"], "劳动社保（060000）");
        assert_eq!(row(&nov, "category:060000")["value"], 4, "V2 V3 L1 C (060101)");
        assert_eq!(row(&nov, "category:150000")["value"], 1, "L2 (150201)");
        assert_eq!(row(&nov, "category_detail:150201")["value"], 1);
        assert_eq!(row(&nov, "purpose:04")["value"], 1);
        // The previous period (October) is in the same answer.
        assert_eq!(nov["previous"]["label"], "2026年10月");
        assert_eq!(row(&nov, "petitions")["previous"], 2, "V0 V1");
        assert_eq!(row(&nov, "disposed:assignment")["previous"], 1);
        assert_eq!(row(&nov, "disposed:assignment")["value"], 0);
        assert_eq!(row(&nov, "petitions")["year_before"], 0);
        // October as of its end: V1 was still open; its report does not change once V1 closed.
        let oct = report(&app, &office, "period=month&year=2026&index=10").await;
        assert_eq!((oct["totals"]["petitions"].as_i64(), oct["totals"]["closed"].as_i64()), (Some(2), Some(0)));
        assert_eq!(oct["totals"]["accepted"], 1);
        let units = oct["units"].as_array().unwrap();
        assert_eq!(units.len(), 1, "{units:?}");
        assert_eq!((units[0]["name"].as_str(), units[0]["received"].as_i64()), (Some("城关镇人民政府"), Some(1)));
        // The quarter is its months; a range is its days.
        let q = report(&app, &office, "period=quarter&year=2026&index=4").await;
        assert_eq!(q["totals"]["petitions"], 7);
        assert_eq!(q["totals"]["accepted"], 5);
        let r = report(&app, &office, "from=2026-11-10&to=2026-11-12").await;
        assert_eq!(r["totals"]["petitions"], 2, "V3 L1");
        assert_eq!(r["previous"]["from"], "2026-11-07");
        let _ = f;
    }

    async fn statistics_drill_down_lists_the_rows_behind_a_number_through_the_gate(app) {
        let f = fixture(&app).await;
        let clerk = app.token("letter_clerk").await;
        let (s, d) = app.get(&clerk, "/api/v1/statistics/petitions?period=month&year=2026&index=11&figure=visit_batches").await;
        assert_eq!(s, 200, "{d}");
        assert_eq!(d["value"], 3);
        let items = d["items"].as_array().unwrap();
        assert_eq!(items.len(), 3, "as many rows as the number");
        let c = items.iter().find(|i| i["id"] == f.c.as_str()).expect("the confidential visit is counted and listed");
        assert_eq!(c["summary"], "", "by number only for a clerk it is not assigned to");
        assert!(c["petitioners"].as_array().unwrap().is_empty());
        let body = d.to_string();
        assert!(!body.contains("收受财物"), "{body}");
        let director = app.token("director").await;
        let (_, d) = app.get(&director, "/api/v1/statistics/petitions?period=month&year=2026&index=11&figure=visit_batches").await;
        let c = d["items"].as_array().unwrap().iter().find(|i| i["id"] == f.c.as_str()).unwrap().clone();
        assert!(c["summary"].as_str().unwrap().contains("收受财物"), "the director sees it whole");
        // A grouped number.
        let unit = app.unit_id("chengguan").await;
        let (s, d) = app.get(&clerk, &format!("/api/v1/statistics/petitions?period=month&year=2026&index=10&figure=unit_received:{unit}")).await;
        assert_eq!(s, 200, "{d}");
        let ids: Vec<&str> = d["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
        assert_eq!(ids, vec![f.v1.as_str()]);
        // A 人次 figure lists its petitions; the number is their persons.
        let (_, d) = app.get(&clerk, "/api/v1/statistics/petitions?period=month&year=2026&index=11&figure=letter_persons").await;
        assert_eq!((d["value"].as_i64(), d["items"].as_array().unwrap().len()), (Some(24), 2));
        // The page shows the same rows, the confidential one by number only.
        let page = app.client.get(app.url("/statistics/petitions?period=month&year=2026&index=11&figure=visit_batches"))
            .bearer_auth(&clerk).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("仅显示编号"), "{page}");
        assert!(!page.contains("收受财物"));
    }

    async fn statistics_a_unit_sees_its_own_figures_and_others_none(app) {
        fixture(&app).await;
        let h = app.token("chengguan_handler").await;
        let oct = report(&app, &h, "period=month&year=2026&index=10").await;
        assert_eq!(oct["scope"], "unit");
        assert_eq!(oct["totals"]["petitions"], 1, "only V1 was sent to 城关镇");
        let nov = report(&app, &h, "period=month&year=2026&index=11").await;
        assert_eq!((nov["totals"]["petitions"].as_i64(), nov["totals"]["closed"].as_i64()), (Some(0), Some(1)));
        for role in ["receptionist", "admin", "audit_admin", "case_officer"] {
            let t = app.token(role).await;
            let (s, v) = app.get(&t, "/api/v1/statistics?period=month&year=2026&index=11").await;
            assert_eq!(s, 403, "{role}: {v}");
            assert!(v["message"].as_str().unwrap().contains("统计"), "{v}");
        }
    }

    async fn statistics_refuse_a_bad_period_or_figure_naming_the_field(app) {
        let office = app.token("office").await;
        for (query, field, code) in [
            ("period=month&year=2026&index=13", "index", "invalid_index"),
            ("period=week&year=2026", "period", "unknown_period"),
            ("period=quarter&year=abc&index=1", "year", "not_a_number"),
            ("from=2026-11-31&to=2026-12-01", "from", "invalid_date"),
            ("from=2026-12-02&to=2026-12-01", "to", "range_reversed"),
        ] {
            let (s, v) = app.get(&office, &format!("/api/v1/statistics?{query}")).await;
            assert_eq!((s, v["field"].as_str(), v["code"].as_str()), (422, Some(field), Some(code)), "{query}: {v}");
        }
        let (s, v) = app.get(&office, "/api/v1/statistics/petitions?period=month&year=2026&index=11&figure=nonsense").await;
        assert_eq!((s, v["field"].as_str()), (422, Some("figure")), "{v}");
        let (s, v) = app.get(&office, "/api/v1/statistics/petitions?period=month&year=2026&index=11&figure=township").await;
        assert_eq!((s, v["field"].as_str()), (422, Some("figure")), "a grouped figure needs its value: {v}");
        let (s, v) = app.get(&office, "/api/v1/statistics/export?period=month&year=2026&index=11&format=docx").await;
        assert_eq!((s, v["field"].as_str()), (422, Some("format")), "{v}");
        // Nothing named: the current month.
        let v = report(&app, &office, "").await;
        assert_eq!(v["period"]["label"], "2026年11月");
    }

    async fn statistics_export_to_excel_with_a_native_chart_marked_and_logged(app) {
        fixture(&app).await;
        let office = app.token("office").await;
        let (s, bytes) = app.get_bytes(&office, "/api/v1/statistics/export?period=month&year=2026&index=11").await;
        assert_eq!(s, 200);
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.clone())).expect("an xlsx file");
        use calamine::Reader;
        let names = book.sheet_names();
        assert!(names.contains(&"汇总".to_string()) && names.contains(&"按问题属地".to_string()) && names.contains(&"承办单位".to_string()), "{names:?}");
        let sheet = book.worksheet_range("汇总").expect("summary sheet");
        let text = |c: &calamine::Data| c.to_string();
        assert!(text(sheet.get((2, 0)).unwrap()).contains("内部资料"));
        let total = sheet.rows().find(|r| r.first().map(text).as_deref() == Some("信访总量")).expect("the total's row");
        assert_eq!((total[2].to_string(), total[3].to_string()), ("5".to_string(), "2".to_string()), "本期 5, 上期 2");
        let rate = sheet.rows().find(|r| r.first().map(text).as_deref() == Some("及时受理率")).expect("the rate's row");
        assert_eq!(rate[2], calamine::Data::Float(0.8));
        // The chart is Excel's own, not a picture.
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut chart = String::new();
        zip.by_name("xl/charts/chart1.xml").expect("a native chart").read_to_string(&mut chart).unwrap();
        assert!(chart.contains("c:barChart") && chart.contains("汇总"), "{chart}");
        // The same report as a PDF, its figures in the text.
        let (s, pdf) = app.get_bytes(&office, "/api/v1/statistics/export?period=month&year=2026&index=11&format=pdf").await;
        assert_eq!(s, 200, "{}", String::from_utf8_lossy(&pdf));
        assert!(pdf.starts_with(b"%PDF"), "a PDF");
        let text = pdf_extract::extract_text_from_mem(&pdf).expect("text of the PDF");
        let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        for part in ["信访工作统计表（2026年11月）", "内部资料", "来访批次", "及时受理率", "80.0%"] {
            assert!(flat.contains(part), "{part} not in {flat}");
        }
        // The export is in the audit log with its period.
        let audit = app.token("audit_admin").await;
        let (s, v) = app.get(&audit, "/api/v1/audit/entries").await;
        assert_eq!(s, 200, "{v}");
        assert!(v.to_string().contains("statistics_exported"), "{v}");
    }

    async fn statistics_leave_the_bureau_only_with_a_leaders_approval(app) {
        fixture(&app).await;
        let office = app.token("office").await;
        let nov = "period=month&year=2026&index=11";
        let body = json!({"period": "month", "year": "2026", "index": "11", "purpose": "报送昌吉州信访局月度统计"});
        let (s, v) = app.post(&app.token("receptionist").await, "/api/v1/statistics/releases", &body).await;
        assert_eq!(s, 403, "{v}");
        let (s, v) = app.post(&office, "/api/v1/statistics/releases", &json!({"period": "month", "year": "2026", "index": "11", "purpose": " "})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("purpose")), "{v}");
        let (s, v) = app.post(&office, "/api/v1/statistics/releases", &body).await;
        assert_eq!((s, v["state"].as_str()), (201, Some("pending")), "{v}");
        let id = v["approval_id"].as_str().unwrap().to_string();
        let (s, v) = app.post(&office, "/api/v1/statistics/releases", &body).await;
        assert_eq!(s, 409, "asked once: {v}");
        // Until approved the figures are internal.
        let r = report(&app, &office, nov).await;
        assert_eq!((r["released"].as_bool(), r["marking"].as_str()), (Some(false), Some("内部资料 注意保存")));
        let (s, _) = app.post(&office, &format!("/api/v1/statistics/releases/{id}"), &json!({"accept": true})).await;
        assert_eq!(s, 403, "never one's own request");
        let dd = app.token("deputy_director").await;
        let (s, v) = app.post(&dd, &format!("/api/v1/statistics/releases/{id}"), &json!({"accept": false})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("comment")), "a rejection says why: {v}");
        let (s, v) = app.post(&dd, &format!("/api/v1/statistics/releases/{id}"), &json!({"accept": true, "comment": "同意报送"})).await;
        assert_eq!((s, v["state"].as_str()), (200, Some("approved")), "{v}");
        let (s, v) = app.post(&dd, &format!("/api/v1/statistics/releases/{id}"), &json!({"accept": true})).await;
        assert_eq!(s, 422, "decided once: {v}");
        let r = report(&app, &office, nov).await;
        assert_eq!(r["released"], true);
        assert!(r["marking"].as_str().unwrap().contains("批准对外提供"), "{r}");
        let (_, list) = app.get(&office, &format!("/api/v1/statistics/releases?{nov}")).await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        // The approved month's workbook says so; October's is still internal.
        let (_, bytes) = app.get_bytes(&office, &format!("/api/v1/statistics/export?{nov}")).await;
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        use calamine::Reader;
        let sheet = book.worksheet_range("汇总").unwrap();
        let mark = sheet.get((2, 0)).unwrap().to_string();
        assert!(mark.contains("批准对外提供") && !mark.contains("内部资料"), "{mark}");
        let oct = report(&app, &office, "period=month&year=2026&index=10").await;
        assert_eq!(oct["released"], false);
    }

    async fn statistics_fill_the_months_circular_with_its_figures_trend_and_units(app) {
        let f = fixture(&app).await;
        let office = app.token("office").await;
        let (s, d) = app.post(&office, "/api/v1/documents", &json!({
            "kind": "circular", "petition_ids": [f.v1],
            "period": {"period": "month", "year": "2026", "index": "11"}
        })).await;
        assert_eq!(s, 201, "{d}");
        let body = d["fields"]["body"].as_str().unwrap_or_else(|| panic!("{d}")).to_string();
        assert_eq!(d["fields"]["subject"], "关于2026年11月全区信访情况的通报", "{d}");
        for part in [
            "2026年11月，我局共登记信访事项5件",
            "比上期（2026年10月）增加3件、上升150.0%",
            "去年同期（2025年11月）无登记",
            "其中来信2件，来访3批8人次",
            "集体访1批6人次；重复信访1件",
            "受理4件，办结1件，其中按期办结1件；及时受理率80.0%，按期办结率无",
            "按内容分类，劳动社保4件，城乡建设1件",
            "四、典型事项",
            "五、工作要求",
        ] {
            assert!(body.contains(part), "{part} not in {body}");
        }
        // October's circular ranks the unit that received V1.
        let (s, d) = app.post(&office, "/api/v1/documents", &json!({
            "kind": "circular", "period": {"period": "month", "year": "2026", "index": "10"}
        })).await;
        assert_eq!(s, 201, "a circular of figures needs no selection: {d}");
        let body = d["fields"]["body"].as_str().unwrap().to_string();
        assert!(body.contains("城关镇人民政府收到交办、转送1件，无逾期"), "{body}");
        assert!(!body.contains("典型事项"), "{body}");
        // Signed off by a leader and issued, rendered with every character in the fonts.
        let doc = d["id"].as_str().unwrap().to_string();
        let issued = app.sign_off_and_issue("office", "director", &doc).await;
        assert_eq!(issued["state"], "issued", "{issued}");
        // A unit cannot draft the bureau's circular.
        let h = app.token("chengguan_handler").await;
        let (s, _) = app.post(&h, "/api/v1/documents", &json!({
            "kind": "circular", "period": {"period": "month", "year": "2026", "index": "10"}
        })).await;
        assert!(s == 403 || s == 422, "{s}");
    }

    async fn statistics_registers_list_every_visit_and_letter_of_a_range_in_order(app) {
        let f = fixture(&app).await;
        let clerk = app.token("letter_clerk").await;
        let (s, r) = app.get(&clerk, "/api/v1/registers?channel=visit&from=2026-11-01&to=2026-11-30").await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(r["title"], "来访登记簿");
        let rows = r["rows"].as_array().unwrap();
        let dates: Vec<&str> = rows.iter().map(|x| &x["registered_at"].as_str().unwrap()[..10]).collect();
        assert_eq!(dates, vec!["2026-11-03", "2026-11-10", "2026-11-25"], "V2 V3 C in order");
        assert_eq!(rows.iter().map(|x| x["ordinal"].as_i64().unwrap()).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(rows[0]["persons"], 6);
        let v3 = &rows[1];
        assert_eq!(v3["petitioners"], "张三");
        let id = v3["id_numbers"].as_str().unwrap();
        assert!(id.contains('*') && !id.contains("19491231"), "masked: {id}");
        let c = &rows[2];
        assert_eq!((c["id"].as_str(), c["number_only"].as_bool()), (Some(f.c.as_str()), Some(true)));
        assert_eq!((c["summary"].as_str(), c["petitioners"].as_str()), (Some(""), Some("")));
        let (_, r) = app.get(&clerk, "/api/v1/registers?channel=letter&from=2026-11-01&to=2026-11-30").await;
        assert_eq!(r["rows"].as_array().unwrap().len(), 2, "L1 L2: {r}");
        let (s, v) = app.get(&clerk, "/api/v1/registers?channel=phone&from=2026-11-01&to=2026-11-30").await;
        assert_eq!((s, v["field"].as_str()), (422, Some("channel")), "{v}");
        let h = app.token("chengguan_handler").await;
        let (s, _) = app.get(&h, "/api/v1/registers?channel=visit").await;
        assert_eq!(s, 403);
        let (s, bytes) = app.get_bytes(&clerk, "/api/v1/registers/export?channel=visit&from=2026-10-01&to=2026-11-30").await;
        assert_eq!(s, 200);
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        use calamine::Reader;
        let sheet = book.worksheet_range("来访登记簿").unwrap();
        let numbered = sheet.rows().skip(4).filter(|r| matches!(r.first(), Some(calamine::Data::Float(_)))).count();
        assert_eq!(numbered, 5, "V1 V0 V2 V3 C");
        let page = app.client.get(app.url("/registers?channel=visit&from=2026-11-01&to=2026-11-30"))
            .bearer_auth(&clerk).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("共 3 件") && page.contains("仅显示编号") && !page.contains("收受财物"), "{page}");
    }
}
