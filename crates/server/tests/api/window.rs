//! The window: interview (V2.1, V2.2), decision and slip (V1.2, V2.2), acceptance (V3.0).

use serde_json::json;

use crate::backend_tests;

fn pdf_text(bytes: &[u8]) -> String {
    pdf_extract::extract_text_from_mem(bytes)
        .expect("pdf text")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

backend_tests! {
    async fn interview_records_the_five_things(app) {
        let t = app.token("receptionist").await;
        let v = app.register_visit(&t, json!({})).await;
        let id = v["id"].as_str().unwrap();
        let (status, v) = app.post(&t, &format!("/api/v1/petitions/{id}/interviews"), &json!({
            "facts_and_requests": "2025年在某工地务工，工资未结清。",
            "earlier_petitions": "曾向城关镇反映，未解决。",
            "skip_or_repeat_reason": "认为乡镇推诿。",
            "abnormal_behaviour": "无",
            "coordination": "已电话联系城关镇劳动保障所。"
        })).await;
        assert_eq!(status, 201, "{v}");
        assert_eq!(v["events"][1]["kind"], "interviewed");
        assert_eq!(v["events"][1]["payload"]["earlier_petitions"], "曾向城关镇反映，未解决。");
        // All five items are kept, each in its own field, in the record and its event.
        let rows = app.state.store.interviews(id).await.unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(
            (r.facts_and_requests.as_str(), r.earlier_petitions.as_str(), r.skip_or_repeat_reason.as_str(), r.abnormal_behaviour.as_str(), r.coordination.as_str()),
            ("2025年在某工地务工，工资未结清。", "曾向城关镇反映，未解决。", "认为乡镇推诿。", "无", "已电话联系城关镇劳动保障所。")
        );
        let p = &v["events"][1]["payload"];
        for (field, text) in [("facts_and_requests", "2025年在某工地务工，工资未结清。"), ("skip_or_repeat_reason", "认为乡镇推诿。"), ("abnormal_behaviour", "无"), ("coordination", "已电话联系城关镇劳动保障所。")] {
            assert_eq!(p[field], text, "{field}: {p}");
        }
        // The petition's page shows them to the receptionist.
        let html = crate::deadlines::cookie_page(&app, "receptionist", &format!("/petitions/{id}")).await;
        for text in ["2025年在某工地务工，工资未结清。", "曾向城关镇反映，未解决。", "认为乡镇推诿。", "已电话联系城关镇劳动保障所。"] {
            assert!(html.contains(text), "{text} on the page");
        }
    }

    async fn unfinished_interview_becomes_an_appointment(app) {
        let t = app.token("receptionist").await;
        let id = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
        let path = format!("/api/v1/petitions/{id}/interviews");
        let (status, v) = app.post(&t, &path, &json!({"facts_and_requests": "未谈完", "finished": false})).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "appointment_on");
        let (status, v) = app.post(&t, &path, &json!({"facts_and_requests": "未谈完", "finished": false, "appointment_on": "2026-11-20"})).await;
        assert_eq!(status, 422, "past date refused: {v}");
        let (status, v) = app.post(&t, &path, &json!({"facts_and_requests": "未谈完", "finished": false, "appointment_on": "2026-12-01"})).await;
        assert_eq!(status, 201, "{v}");
        assert_eq!(v["events"][1]["kind"], "appointment_made");
        assert_eq!(v["events"][1]["payload"]["appointment_on"], "2026-12-01");
    }

    async fn interview_without_facts_is_refused(app) {
        let t = app.token("receptionist").await;
        let id = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
        let (status, v) = app.post(&t, &format!("/api/v1/petitions/{id}/interviews"), &json!({"facts_and_requests": "  "})).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "facts_and_requests");
        assert_eq!(app.count("interviews").await, 0);
    }

    async fn not_accepted_issues_the_notice_slip_and_closes(app) {
        let t = app.token("receptionist").await;
        let id = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
        let (status, v) = app.post(&t, &format!("/api/v1/petitions/{id}/decision"), &json!({"acceptance": "not_accepted", "reason": "legal_channel"})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["state"], "closed");
        assert_eq!(v["doc_no"], "阜信告〔2026〕1号");
        let (_, docs) = app.get(&t, &format!("/api/v1/petitions/{id}/documents")).await;
        assert_eq!(docs[0]["kind"], "visit_notice_slip");
        assert_eq!(docs[0]["title"], "来访事项告知单");
        let (status, pdf) = app.get_bytes(&t, docs[0]["download_url"].as_str().unwrap()).await;
        assert_eq!(status, 200);
        assert!(pdf.starts_with(b"%PDF"));
        let text = pdf_text(&pdf);
        assert!(text.contains("来访事项告知单"), "{text}");
        assert!(text.contains("张三"), "{text}");
        assert!(text.contains("阜信告〔2026〕1号"), "{text}");
        assert!(text.contains("不予受理"), "{text}");
        // The same bytes every time, and the hash recorded on the event.
        let (_, again) = app.get_bytes(&t, docs[0]["download_url"].as_str().unwrap()).await;
        assert_eq!(pdf, again);
        let (_, p) = app.get(&t, &format!("/api/v1/petitions/{id}")).await;
        let kinds: Vec<&str> = p["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["registered", "decided", "document_issued", "notice_served"]);
        assert_eq!(p["events"][2]["payload"]["pdf_sha256"], docs[0]["pdf_sha256"]);
    }

    async fn slip_numbers_run_per_kind_and_year(app) {
        let t = app.token("receptionist").await;
        let zhujian = app.unit_id("zhujian").await;
        let mut numbers = Vec::new();
        for decision in [json!({"acceptance": "no_longer_accepted"}), json!({"acceptance": "referred_to_department", "target_unit_id": zhujian}), json!({"acceptance": "not_accepted"})] {
            let id = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
            let (status, v) = app.post(&t, &format!("/api/v1/petitions/{id}/decision"), &decision).await;
            assert_eq!(status, 200, "{v}");
            numbers.push(v["doc_no"].as_str().unwrap().to_string());
        }
        assert_eq!(numbers, ["阜信告〔2026〕1号", "阜信转〔2026〕1号", "阜信告〔2026〕2号"]);
    }

    async fn department_matter_gets_a_transfer_slip_and_a_handling_record(app) {
        let t = app.token("receptionist").await;
        let zhujian = app.unit_id("zhujian").await;
        let id = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
        let (status, v) = app.post(&t, &format!("/api/v1/petitions/{id}/decision"), &json!({"acceptance": "referred_to_department", "target_unit_id": zhujian})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["state"], "transferred");
        let (_, pdf) = app.get_bytes(&t, &format!("/api/v1/documents/{}/pdf", v["document_id"].as_str().unwrap())).await;
        let text = pdf_text(&pdf);
        assert!(text.contains("来访事项转送单"), "{text}");
        assert!(text.contains("市住房和城乡建设局"), "{text}");
        assert_eq!(app.state.store.handling_units(&id).await.unwrap(), vec![zhujian]);
        // The department's handler now sees it in its list.
        let h = app.token("zhujian_handler").await;
        let (_, list) = app.get(&h, "/api/v1/petitions").await;
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
    }

    async fn locality_referral_needs_a_township_or_street(app) {
        let t = app.token("receptionist").await;
        let id = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
        let path = format!("/api/v1/petitions/{id}/decision");
        let (status, v) = app.post(&t, &path, &json!({"acceptance": "referred_to_locality"})).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "target_unit_id");
        let (status, v) = app.post(&t, &path, &json!({"acceptance": "referred_to_locality", "target_unit_id": app.unit_id("zhujian").await})).await;
        assert_eq!(status, 422);
        assert_eq!(v["code"], "wrong_unit_kind");
        let (status, v) = app.post(&t, &path, &json!({"acceptance": "referred_to_locality", "target_unit_id": app.unit_id("chengguan").await})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["state"], "closed");
        let (_, pdf) = app.get_bytes(&t, &format!("/api/v1/documents/{}/pdf", v["document_id"].as_str().unwrap())).await;
        assert!(pdf_text(&pdf).contains("城关镇人民政府"));
    }

    async fn accepted_visit_is_disposed_within_fifteen_days(app) {
        let t = app.token("receptionist").await;
        let id = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
        let (status, v) = app.post(&t, &format!("/api/v1/petitions/{id}/decision"), &json!({"acceptance": "accepted"})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["state"], "disposing");
        assert!(v["document_id"].is_null());
        // 2026-11-27 + 15 days = 2026-12-12, a Saturday: rolls to Monday 2026-12-14.
        assert_eq!(v["dispose_due"], "2026-12-14");
        // A second decision is refused: the petition has moved on.
        let (status, v) = app.post(&t, &format!("/api/v1/petitions/{id}/decision"), &json!({"acceptance": "not_accepted"})).await;
        assert_eq!(status, 409, "{v}");
    }

    async fn collective_visit_without_representatives_cannot_be_accepted(app) {
        let t = app.token("receptionist").await;
        let id = app.register_visit(&t, json!({"visitor_count": 8})).await["id"].as_str().unwrap().to_string();
        let (status, v) = app.post(&t, &format!("/api/v1/petitions/{id}/decision"), &json!({"acceptance": "accepted"})).await;
        assert_eq!(status, 422);
        assert_eq!(v["code"], "collective_without_representatives");
    }

    async fn unknown_decision_reason_is_refused(app) {
        let t = app.token("receptionist").await;
        let id = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
        let (status, v) = app.post(&t, &format!("/api/v1/petitions/{id}/decision"), &json!({"acceptance": "not_accepted", "reason": "in_remit"})).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "reason");
        assert_eq!(app.count("documents").await, 0);
    }
}
