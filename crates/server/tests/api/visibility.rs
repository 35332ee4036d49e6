//! Regression tests for what the visibility gate must never let through (rules §14; 2005
//! Art. 23): an accuser's identity to the accused unit, confidential content to staff who may
//! not open it, anything to a recused officer, and search or intake lookups as an oracle.

use serde_json::{Value, json};
use xinfang_app::auth::CurrentUser;

use crate::backend_tests;
use crate::harness::TestApp;

/// The accuser's markers in `visit_body`: name, ID number, phone, address.
const MARKERS: [&str; 4] = ["张三", "11010519491231002X", "13912345678", "东风村3组12号"];

fn assert_no_marker(what: &str, v: &str) {
    for m in MARKERS {
        assert!(!v.contains(m), "{what} leaks {m}: {v}");
    }
}

/// A visit accusing 住建局, with an interview naming the accuser, referred to 住建局 itself.
async fn accusation(app: &TestApp) -> String {
    let t = app.token("receptionist").await;
    let zhujian = app.unit_id("zhujian").await;
    let id = app
        .register_visit(
            &t,
            json!({"accused_unit_id": zhujian, "petition_class": "accusation", "purpose": "04"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, v) = app
        .post(
            &t,
            &format!("/api/v1/petitions/{id}/interviews"),
            &json!({"facts_and_requests": "张三称住建局某科长索要好处费，电话13912345678。"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = app
        .post(
            &t,
            &format!("/api/v1/petitions/{id}/decision"),
            &json!({"acceptance": "referred_to_department", "target_unit_id": zhujian}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    id
}

pub(crate) async fn acting(app: &TestApp, username: &str) -> CurrentUser {
    CurrentUser {
        user: app
            .state
            .store
            .user_by_username(username)
            .await
            .unwrap()
            .unwrap(),
        csrf: String::new(),
        token_hash: String::new(),
        via_bearer: true,
    }
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

backend_tests! {
    async fn the_accused_unit_reads_the_history_without_any_payload(app) {
        let id = accusation(&app).await;
        let h = app.token("zhujian_handler").await;
        let (status, v) = app.get(&h, &format!("/api/v1/petitions/{id}")).await;
        assert_eq!(status, 200, "{v}");
        let events = v["events"].as_array().unwrap();
        assert!(events.len() >= 3, "kinds and times are kept: {v}");
        for e in events {
            assert_eq!(e["payload"], json!({}), "a payload reached the accused unit: {e}");
        }
        assert_no_marker("the petition JSON", &v.to_string());
        // The bureau's own staff still read the history in full.
        let t = app.token("receptionist").await;
        let (_, full) = app.get(&t, &format!("/api/v1/petitions/{id}")).await;
        assert!(full.to_string().contains("张三"));
    }

    async fn search_finds_names_only_among_petitions_seen_in_full(app) {
        let id = accusation(&app).await;
        let h = app.token("zhujian_handler").await;
        // The unit finds its petition by the matter …
        let (_, by_matter) = app.get(&h, "/api/v1/petitions?q=%E5%B7%A5%E8%B5%84").await;
        assert_eq!(ids(&by_matter), vec![id.clone()]);
        // … but a guessed name does not confirm who the accuser is.
        let (_, by_name) = app.get(&h, "/api/v1/petitions?q=%E5%BC%A0%E4%B8%89").await;
        assert!(ids(&by_name).is_empty(), "{by_name}");
        let t = app.token("receptionist").await;
        let (_, staff) = app.get(&t, "/api/v1/petitions?q=%E5%BC%A0%E4%B8%89").await;
        assert_eq!(ids(&staff), vec![id.clone()]);
        // A recused officer finds it neither by name nor through the intake lookup.
        let co = app.token("case_officer").await;
        let (s, _) = app.post(&co, "/api/v1/recusals", &json!({"petition_id": id, "reason": "信访人系本人邻居"})).await;
        assert_eq!(s, 201);
        let (_, recused) = app.get(&co, "/api/v1/petitions?q=%E5%BC%A0%E4%B8%89").await;
        assert!(ids(&recused).is_empty(), "{recused}");
        let (s, similar) = app.post(&co, "/api/v1/petitions/similar", &json!({"id_number": "11010519491231002X"})).await;
        assert_eq!(s, 200, "{similar}");
        assert_no_marker("the similar lookup", &similar.to_string());
        assert!(!similar.to_string().contains(&id), "{similar}");
    }

    async fn a_confidential_row_lists_its_number_dates_and_stage_only(app) {
        let t = app.token("receptionist").await;
        let id = app.register_visit(&t, json!({"confidential": true})).await["id"].as_str().unwrap().to_string();
        let co = app.token("case_officer").await;
        let (_, list) = app.get(&co, "/api/v1/petitions").await;
        let row = &list["items"][0];
        assert_eq!(row["id"], id.as_str());
        assert_eq!(row["state"], "registered");
        assert!(!row["petition_no"].as_str().unwrap().is_empty());
        for field in ["summary", "requests", "proposal"] {
            assert_eq!(row[field], "", "{field} of a confidential petition listed: {row}");
        }
        assert!(row["category"].is_null() && row["purpose"].is_null(), "{row}");
        assert_no_marker("the list", &list.to_string());
        // Its words do not find it either.
        let (_, found) = app.get(&co, "/api/v1/petitions?q=%E6%8B%96%E6%AC%A0").await;
        assert!(ids(&found).is_empty(), "{found}");
    }

    async fn a_recused_leader_neither_sees_nor_approves_the_director_does(app) {
        let t = app.token("receptionist").await;
        let id = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
        let (s, _) = app.post(&t, &format!("/api/v1/petitions/{id}/decision"), &json!({"acceptance": "accepted"})).await;
        assert_eq!(s, 200);
        let office = app.token("office").await;
        let unit = app.unit_id("chengguan").await;
        let (s, v) = app.post(&office, &format!("/api/v1/petitions/{id}/disposition"), &json!({
            "disposition": "assignment", "units": [{"unit_id": unit, "lead": true}],
            "requirements": "查清欠薪事实，书面答复信访人。"
        })).await;
        assert_eq!(s, 200, "{v}");
        let approval = v["approval_id"].as_str().unwrap().to_string();
        let dd = app.token("deputy_director").await;
        let (s, _) = app.post(&dd, "/api/v1/recusals", &json!({"petition_id": id, "reason": "承办单位负责人系本人配偶"})).await;
        assert_eq!(s, 201);
        let (_, mine) = app.get(&dd, "/api/v1/approvals").await;
        assert!(!mine.to_string().contains(&approval), "a recused leader is shown the approval: {mine}");
        let (s, v) = app.post(&dd, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true})).await;
        assert_eq!(s, 403, "{v}");
        // The approval passes to the director rather than to nobody.
        let d = app.token("director").await;
        let (_, theirs) = app.get(&d, "/api/v1/approvals").await;
        assert!(theirs.to_string().contains(&approval), "{theirs}");
        let (s, v) = app.post(&d, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true})).await;
        assert_eq!(s, 200, "{v}");
    }

    async fn a_task_is_completed_only_by_a_role_that_sees_it(app) {
        let t = app.token("receptionist").await;
        let id = app.register_visit(&t, json!({"out_of_district": true})).await["id"].as_str().unwrap().to_string();
        let director = acting(&app, "director").await;
        let tasks = xinfang_app::tasks::open_tasks(&app.state, &director).await.unwrap();
        assert_eq!(tasks.len(), 1);
        let receptionist = acting(&app, "receptionist").await;
        let refused = xinfang_app::tasks::complete_task(&app.state, &receptionist, &tasks[0].id).await;
        assert!(refused.is_err(), "the receptionist completed the director's task");
        assert_eq!(xinfang_app::tasks::open_tasks(&app.state, &director).await.unwrap().len(), 1);
        let deputy = acting(&app, "deputy_director").await;
        xinfang_app::tasks::complete_task(&app.state, &deputy, &tasks[0].id).await.unwrap();
        assert!(xinfang_app::tasks::open_tasks(&app.state, &director).await.unwrap().is_empty());
        let events = app.state.store.events(&id).await.unwrap();
        assert_eq!(events.last().unwrap().kind, "task_done");
    }
}

backend_tests! {
    async fn the_accused_unit_reads_a_letter_without_its_writer_scan_or_phone_notice(app) {
        let zhujian = app.unit_id("zhujian").await;
        let (id, parts) = crate::sweep::accusing_letter(&app, &zhujian).await;
        let h = app.token("zhujian_handler").await;
        let (s, v) = app.get(&h, &format!("/api/v1/letters/{id}")).await;
        assert_eq!(s, 200, "{v}");
        for field in ["sender", "sender_address", "tracking_no", "contact_name", "notice_detail", "opening_notes"] {
            assert_eq!(v["letter"][field], "", "{field}: {v}");
        }
        assert_eq!(v["letter"]["notice_method"], "phone", "that the writer was told stays: {v}");
        assert!(v["scans"].as_array().unwrap().is_empty(), "{v}");
        assert!(v["petition"]["petitioners"].as_array().unwrap().is_empty(), "{v}");
        assert!(v["petition"]["query_code"].is_null(), "{v}");
        let (s, _) = app.get_bytes(&h, &format!("/api/v1/scans/{}", parts[0])).await;
        assert!(s == 403 || s == 404, "the envelope scan is refused: {s}");
        let page = app.client.get(app.url(&format!("/letters/{id}"))).bearer_auth(&h).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("检举住建局工作人员") && !page.contains("岑望川") && !page.contains("电话告知岑"), "{page}");
    }
}

backend_tests! {
    async fn a_list_pages_and_counts_only_what_its_viewer_may_see(app) {
        let t = app.token("receptionist").await;
        let mut mine = Vec::new();
        for name in ["甲一", "乙二", "丙三", "丁四"] {
            let v = app.register_visit(&t, json!({"petitioners": [{"name": name, "id_type": "none", "sex": "male", "age": 40, "ethnicity": "01", "address": "城关镇", "phone": "13900000009", "occupation": "农民"}]})).await;
            mine.push(v["id"].as_str().unwrap().to_string());
        }
        let co = app.token("case_officer").await;
        let (_, all) = app.get(&co, "/api/v1/petitions?limit=500").await;
        let before = all["total"].as_u64().unwrap();
        assert_eq!(before as usize, ids(&all).len());
        // A recusal by the petitioner's name: the store's query cannot see it, the gate does.
        let (s, _) = app.post(&co, "/api/v1/recusals", &json!({"petitioner_name": "乙二", "reason": "亲属"})).await;
        assert_eq!(s, 201);
        let mut seen = Vec::new();
        let mut offset = 0;
        loop {
            let (_, page) = app.get(&co, &format!("/api/v1/petitions?limit=1&offset={offset}")).await;
            assert_eq!(page["total"].as_u64().unwrap(), before - 1, "{page}");
            let got = ids(&page);
            if got.is_empty() {
                break;
            }
            assert_eq!(got.len(), 1, "a full page of one: {page}");
            seen.extend(got);
            offset += 1;
        }
        assert_eq!(seen.len() as u64, before - 1);
        assert!(!seen.contains(&mine[1]), "the recused petition is on no page");
        for id in [&mine[0], &mine[2], &mine[3]] {
            assert!(seen.contains(id));
        }
        // A unit counts only its own.
        let h = app.token("zhujian_handler").await;
        let (_, page) = app.get(&h, "/api/v1/petitions").await;
        assert_eq!(page["total"], 0, "{page}");
    }
}
