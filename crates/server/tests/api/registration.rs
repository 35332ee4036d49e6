//! Registration (V1.1, V1.3): every seed field, ID validation, collective visits, repeats.

use serde_json::json;

use crate::backend_tests;
use crate::harness::{today, visit_body};

backend_tests! {
    async fn registers_a_visit_with_every_seed_field(app) {
        let t = app.token("receptionist").await;
        let v = app.register_visit(&t, json!({})).await;
        assert_eq!(v["channel"], "visit");
        assert_eq!(v["state"], "registered");
        assert!(v["petition_no"].as_str().unwrap().starts_with("V2026-"), "{}", v["petition_no"]);
        let p = &v["petitioners"][0];
        assert_eq!(p["name"], "张三");
        // The ID number fills in birth date, sex and age.
        assert_eq!(p["birth_date"], "1949-12-31");
        assert_eq!(p["sex"], "female");
        assert_eq!(p["age"], 76);
        assert_eq!(p["ethnicity"], "01");
        assert_eq!(p["occupation"], "农民");
        assert_eq!(v["issue_region"]["code"], "652302");
        assert_eq!(v["issue_region"]["name"], "阜康市");
        assert_eq!(v["summary"], "反映某建筑公司拖欠其工资三万元至今未付。");
        assert_eq!(v["proposal"], "建议转市人社局处理。");
        assert_eq!(v["purpose"], "01");
        assert_eq!(v["category"], "060101");
        assert_eq!(v["query_code"].as_str().unwrap().len(), 8);
        assert_eq!(v["events"][0]["kind"], "registered");
        assert_eq!(v["events"][0]["actor_role"], "receptionist");
        assert_eq!(v["events"][0]["at"], "2026-11-27T02:00:00Z");
    }

    async fn petition_numbers_follow_each_other_per_channel_and_year(app) {
        let t = app.token("receptionist").await;
        let a = app.register_visit(&t, json!({})).await;
        let b = app.register_visit(&t, json!({})).await;
        assert_eq!(a["petition_no"], "V2026-000001");
        assert_eq!(b["petition_no"], "V2026-000002");
    }

    async fn wrong_id_checksum_is_refused_and_nothing_is_written(app) {
        let t = app.token("receptionist").await;
        let mut body = visit_body();
        body["petitioners"][0]["id_number"] = json!("110105194912310021");
        let (status, v) = app.post(&t, "/api/v1/petitions", &body).await;
        assert_eq!(status, 422);
        assert_eq!(v["code"], "id_checksum");
        assert_eq!(v["field"], "petitioners[0].id_number");
        assert!(v["message"].as_str().unwrap().contains("校验"), "{v}");
        assert_eq!(app.count("petitions").await, 0);
        assert_eq!(app.count("petitioners").await, 0);
        assert_eq!(app.count("petition_events").await, 0);
    }

    async fn impossible_birth_date_is_refused(app) {
        let t = app.token("receptionist").await;
        let mut body = visit_body();
        // 1949-02-30 does not exist; the check character is computed for it.
        let first17 = "11010519490230002";
        let check = xinfang_domain::resident_id::check_char(first17).unwrap();
        body["petitioners"][0]["id_number"] = json!(format!("{first17}{check}"));
        let (status, v) = app.post(&t, "/api/v1/petitions", &body).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["code"], "id_birth_date");
        assert_eq!(v["field"], "petitioners[0].id_number");
        assert_eq!(app.count("petitions").await, 0);
    }

    async fn unknown_region_is_refused(app) {
        let t = app.token("receptionist").await;
        let mut body = visit_body();
        body["issue_region"] = json!("999999");
        let (status, v) = app.post(&t, "/api/v1/petitions", &body).await;
        assert_eq!(status, 422);
        assert_eq!(v["code"], "region_unknown");
        assert_eq!(v["field"], "issue_region");
        assert!(v["message"].as_str().unwrap().contains("999999"));
        assert_eq!(app.count("petitions").await, 0);
    }

    async fn abolished_address_code_in_an_id_is_accepted(app) {
        let t = app.token("receptionist").await;
        let first17 = "11010319800101001";
        let check = xinfang_domain::resident_id::check_char(first17).unwrap();
        let mut body = visit_body();
        body["petitioners"][0]["id_number"] = json!(format!("{first17}{check}"));
        let (status, v) = app.post(&t, "/api/v1/petitions", &body).await;
        assert_eq!(status, 201, "{v}");
    }

    async fn six_representatives_are_refused(app) {
        let t = app.token("receptionist").await;
        let mut body = visit_body();
        let person = body["petitioners"][0].clone();
        let mut people = Vec::new();
        for i in 0..6 {
            let mut p = person.clone();
            p["name"] = json!(format!("代表{i}"));
            p["id_type"] = json!("none");
            p["id_number"] = json!("");
            p["is_representative"] = json!(true);
            people.push(p);
        }
        body["petitioners"] = json!(people);
        body["visitor_count"] = json!(30);
        let (status, v) = app.post(&t, "/api/v1/petitions", &body).await;
        assert_eq!(status, 422);
        assert_eq!(v["code"], "too_many_representatives");
        assert_eq!(v["field"], "petitioners");
        assert_eq!(app.count("petitions").await, 0);
    }

    async fn five_or_more_visitors_make_a_collective_visit(app) {
        let t = app.token("receptionist").await;
        let mut body = visit_body();
        body["petitioners"][0]["is_representative"] = json!(true);
        body["visitor_count"] = json!(12);
        let (status, v) = app.post(&t, "/api/v1/petitions", &body).await;
        assert_eq!(status, 201, "{v}");
        assert_eq!(v["collective"], true);
        assert_eq!(v["visitor_count"], 12);
        let small = app.register_visit(&t, json!({"visitor_count": 4})).await;
        assert_eq!(small["collective"], false);
    }

    async fn passport_and_no_document_are_registrable(app) {
        let t = app.token("receptionist").await;
        let mut body = visit_body();
        body["petitioners"] = json!([
            {"name": "John Smith", "id_type": "passport", "id_number": "E12345678", "sex": "male", "age": 40, "address": "阜康市", "phone": "13800001111"},
            {"name": "李四", "id_type": "none", "sex": "male", "age": 63, "address": "阜康市", "phone": "0994-3221234"}
        ]);
        let (status, v) = app.post(&t, "/api/v1/petitions", &body).await;
        assert_eq!(status, 201, "{v}");
        assert_eq!(v["petitioners"][0]["id_type"], "passport");
        assert_eq!(v["petitioners"][1]["age"], 63);
    }

    async fn earlier_petitions_of_the_same_person_are_found_and_linked(app) {
        let t = app.token("receptionist").await;
        let first = app.register_visit(&t, json!({})).await;
        let (status, v) = app.post(&t, "/api/v1/petitions/similar", &json!({"id_number": "11010519491231002X"})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v[0]["petition"]["id"], first["id"]);
        let (_, by_phone) = app.post(&t, "/api/v1/petitions/similar", &json!({"name": "张三", "phone": "13912345678"})).await;
        assert_eq!(by_phone[0]["petition"]["id"], first["id"]);
        // A repeat visit needs its reason.
        let mut body = visit_body();
        body["repeat_of"] = first["id"].clone();
        let (status, v) = app.post(&t, "/api/v1/petitions", &body).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "repeat_reason");
        body["repeat_reason"] = json!("认为乡镇处理不公，再次来访");
        let (status, v) = app.post(&t, "/api/v1/petitions", &body).await;
        assert_eq!(status, 201, "{v}");
        assert_eq!(v["repeat_of"], first["id"]);
    }

    async fn out_of_district_visit_goes_to_the_bureau_head(app) {
        let t = app.token("receptionist").await;
        let v = app.register_visit(&t, json!({"out_of_district": true})).await;
        let tasks = app.state.store.open_tasks(&app.state.bureau.id, &[xinfang_domain::role::Role::Director], None).await.unwrap();
        assert_eq!(tasks.len(), 1);
        assert_eq!(tasks[0].petition_id.as_deref(), v["id"].as_str());
        assert_eq!(tasks[0].kind, "out_of_district");
    }

    async fn same_day_completeness_lists_what_is_missing(app) {
        let t = app.token("receptionist").await;
        let mut body = visit_body();
        body["petitioners"][0]["occupation"] = json!("");
        body["proposal"] = json!("");
        let (status, _) = app.post(&t, "/api/v1/petitions", &body).await;
        assert_eq!(status, 201);
        let list = app.state.store.registrations_on(&app.state.bureau.id, today()).await.unwrap();
        assert_eq!(list.len(), 1);
        let missing = xinfang_domain::registration::missing_seed_fields(&list[0].1);
        assert!(missing.contains(&"职业或单位"));
        assert!(missing.contains(&"拟办意见"));
        assert!(missing.contains(&"接谈记录"));
        assert!(!missing.contains(&"姓名"));
        // The page shows it too.
        let cookie_client = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let r = cookie_client.post(app.url("/login")).form(&[("username", "receptionist"), ("password", crate::harness::PASSWORD), ("next", "/registrations/today")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let html = cookie_client.get(app.url("/registrations/today")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("职业或单位"), "{html}");
        assert!(html.contains("0/1"), "{html}");
    }

    async fn an_entry_incomplete_at_the_end_of_the_day_becomes_its_receptionists_task(app) {
        let t = app.token("receptionist").await;
        let mut body = visit_body();
        body["proposal"] = json!("");
        let (status, v) = app.post(&t, "/api/v1/petitions", &body).await;
        assert_eq!(status, 201, "{v}");
        let id = v["id"].as_str().unwrap().to_string();
        // 10:00: the working day is not over; yesterday had nothing.
        assert_eq!(xinfang::jobs::run_end_of_day(&app.state, "one").await.unwrap(), Some(0));
        let receptionist = crate::visibility::acting(&app, "receptionist").await;
        assert!(xinfang_app::tasks::open_tasks(&app.state, &receptionist).await.unwrap().is_empty());
        // 17:45, after the bureau's 17:30.
        app.clock.set(crate::deadlines::at(2026, 11, 27) + chrono::Duration::minutes(465));
        assert_eq!(xinfang::jobs::run_end_of_day(&app.state, "one").await.unwrap(), Some(1));
        let tasks = xinfang_app::tasks::open_tasks(&app.state, &receptionist).await.unwrap();
        assert_eq!(tasks.len(), 1, "{tasks:?}");
        assert_eq!(tasks[0].petition_id.as_deref(), Some(id.as_str()));
        assert_eq!(tasks[0].kind, "complete_registration");
        assert!(tasks[0].title.contains("拟办意见") && tasks[0].title.contains("接谈记录"), "{}", tasks[0].title);
        assert_eq!(tasks[0].assignee_user_id.as_deref(), Some(receptionist.user.id.as_str()));
        // Meant for the one who registered it: the office does not get it, but counts it.
        let office = crate::visibility::acting(&app, "office").await;
        assert!(xinfang_app::tasks::open_tasks(&app.state, &office).await.unwrap().iter().all(|x| x.id != tasks[0].id));
        assert!(xinfang_app::tasks::complete_task(&app.state, &office, &tasks[0].id).await.is_err());
        let o = app.token("office").await;
        let (status, digest) = app.get(&o, "/api/v1/deadlines/digest").await;
        assert_eq!((status, digest["incomplete_entries"].as_u64()), (200, Some(1)), "{digest}");
        let events = app.state.store.events(&id).await.unwrap();
        assert!(events.iter().any(|e| e.kind == "completeness_task_opened" && e.payload["missing"].to_string().contains("拟办意见")));
        // Once a day, whichever instance: another run makes nothing.
        assert_eq!(xinfang::jobs::run_end_of_day(&app.state, "two").await.unwrap(), None);
        // The receptionist completes it.
        xinfang_app::tasks::complete_task(&app.state, &receptionist, &tasks[0].id).await.unwrap();
        let (_, digest) = app.get(&o, "/api/v1/deadlines/digest").await;
        assert_eq!(digest["incomplete_entries"], 0);
    }
}
