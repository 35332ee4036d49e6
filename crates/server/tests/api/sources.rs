//! Where a petition came from and the township of the matter, recorded at every intake; the
//! higher organ's deadline as a running deadline that caps the unit's (issue: procedure
//! fidelity).

use serde_json::json;

use crate::backend_tests;
use crate::deadlines::deadlines;
use crate::harness::visit_body;

backend_tests! {
    async fn every_intake_records_its_source_and_township(app) {
        let t = app.token("receptionist").await;
        // The window: own accord by default, the township by one of the bureau's units.
        let chengguan = app.unit_id("chengguan").await;
        let v = app.register_visit(&t, json!({"township": chengguan})).await;
        assert_eq!(v["source"]["kind"], "own_accord");
        assert_eq!(v["source"]["label"], "信访人自行来信来访");
        assert_eq!(v["township"], chengguan.as_str());
        assert_eq!(v["events"][0]["payload"]["registration"]["township"]["unit_id"], chengguan.as_str());
        // A visit instructed by a local leader, the township by its statistical code.
        let v = app.register_visit(&t, json!({"township": "652302101",
            "source": {"kind": "instructed_by_local_leader", "leader_name": "王某", "leader_post": "市长"}})).await;
        assert_eq!(v["source"]["kind"], "instructed_by_local_leader");
        assert_eq!(v["source"]["leader"], "王某（市长）");
        assert_eq!(v["township"], "652302101");
        // Online petitions come from online unless told otherwise.
        let v = app.register_visit(&t, json!({"channel": "online"})).await;
        assert_eq!(v["source"]["kind"], "online");
        // The mailroom: a forwarded letter's source is its receipt's covering document.
        let clerk = app.token("letter_clerk").await;
        let id = crate::mailroom::opened_letter(&app, &clerk).await;
        let (s, v) = app.post(&clerk, &format!("/api/v1/letters/{id}/registration"), &crate::mailroom::letter_body(json!({
            "township": "652302102",
            "letter": {"forwarded_by_organ": "昌吉州信访局", "forwarded_doc_no": "昌信转〔2026〕5号", "forwarded_on": "2026-11-20"}}))).await;
        assert_eq!(s, 200, "{v}");
        let p = &v["petition"];
        assert_eq!(p["source"]["kind"], "forwarded_by_higher_organ", "{p}");
        assert_eq!(p["source"]["organ"], "昌吉州信访局");
        assert_eq!(p["source"]["doc_no"], "昌信转〔2026〕5号");
        assert_eq!(p["township"], "652302102");
    }

    async fn a_wrong_source_or_township_is_refused_by_field_and_writes_nothing(app) {
        let t = app.token("receptionist").await;
        let cases = [
            (json!({"township": ""}), "township", "required"),
            (json!({"township": "652302000"}), "township", "township_code"),
            (json!({"township": "65230210"}), "township", "township_code"),
            (json!({"township": "999999101"}), "township", "township_county"),
            (json!({"township": "no-such-unit"}), "township", "unknown_unit"),
            (json!({"source": {"kind": "assigned_by_higher_organ", "organ": "市信访局", "issued_on": "2026-11-20"}}), "source.deadline", "required"),
            (json!({"source": {"kind": "forwarded_by_higher_organ", "organ": "市信访局", "issued_on": "2026-11-30"}}), "source.issued_on", "future_date"),
            (json!({"source": {"kind": "assigned_by_higher_organ", "organ": "市信访局", "issued_on": "2026-11-20", "deadline": "2026-11-19"}}), "source.deadline", "before_start"),
            (json!({"source": {"kind": "hotline_12345"}}), "source.order_no", "required"),
            (json!({"source": {"kind": "from_the_moon"}}), "source.kind", "unknown_source"),
        ];
        for (overrides, field, code) in cases {
            let mut body = visit_body();
            crate::harness::merge(&mut body, overrides.clone());
            let (s, v) = app.post(&t, "/api/v1/petitions", &body).await;
            assert_eq!((s, v["field"].as_str(), v["code"].as_str()), (422, Some(field), Some(code)), "{overrides}: {v}");
            assert!(!v["message"].as_str().unwrap_or_default().is_empty());
        }
        // A department is not a township.
        let zhujian = app.unit_id("zhujian").await;
        let mut body = visit_body();
        body["township"] = json!(zhujian);
        let (s, v) = app.post(&t, "/api/v1/petitions", &body).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("not_a_township")), "{v}");
        assert!(v["message"].as_str().unwrap().contains("市住房和城乡建设局"), "{v}");
        assert_eq!(app.count("petitions").await, 0);
        assert_eq!(app.count("petition_events").await, 0);
    }

    async fn a_higher_organs_deadline_runs_and_caps_the_units_deadlines(app) {
        // Assigned by the city bureau on 11-20, wanted back by 12-20; registered 11-27.
        let t = app.token("receptionist").await;
        let v = app.register_visit(&t, json!({"source": {"kind": "assigned_by_higher_organ",
            "organ": "昌吉州信访局", "doc_no": "昌信交〔2026〕9号", "issued_on": "2026-11-20", "deadline": "2026-12-20"}})).await;
        let id = v["id"].as_str().unwrap().to_string();
        assert_eq!(v["source"]["deadline"], "2026-12-20");
        let office = app.token("office").await;
        let d = deadlines(&app, &office, &id).await;
        let organ = d.iter().find(|x| x["rule_code"] == "higher_organ_deadline").unwrap_or_else(|| panic!("{d:?}"));
        assert_eq!(organ["due_on"], "2026-12-20");
        assert_eq!(organ["state"], "running");
        // Accepted and assigned with the default 60 days: the unit's report and its handling
        // period stop at the higher organ's date, not 60 days out.
        let (s, v) = app.post(&t, &format!("/api/v1/petitions/{id}/decision"), &json!({"acceptance": "accepted"})).await;
        assert_eq!(s, 200, "{v}");
        let record = crate::handling::assigned(&app, &id).await;
        let h = app.token("chengguan_handler").await;
        app.post(&h, &format!("/api/v1/handling-records/{record}/receive"), &json!({"action": "sign_for"})).await;
        let (s, v) = app.post(&h, &format!("/api/v1/handling-records/{record}/receive"), &json!({
            "action": "accept", "petitioner_told_how": "电话告知", "petitioner_told_on": "2026-11-27"})).await;
        assert_eq!(s, 200, "{v}");
        let head = app.token("chengguan_head").await;
        let d = deadlines(&app, &head, &id).await;
        for rule in ["handling_report", "handle_and_close"] {
            let x = d.iter().find(|x| x["rule_code"] == rule && x["state"] == "running").unwrap_or_else(|| panic!("{rule}: {d:?}"));
            assert_eq!(x["due_on"], "2026-12-20", "{rule}: {x}");
        }
        // The unit cannot extend past what the higher organ wants.
        let hc = d.iter().find(|x| x["rule_code"] == "handle_and_close").unwrap();
        let before = app.state.store.events(&id).await.unwrap().len();
        let (s, v) = app.post(&head, &format!("/api/v1/deadlines/{}/extension", hc["id"].as_str().unwrap()),
            &json!({"days": 10, "reason": "需现场核实", "petitioner_told": "电话告知"})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("capped_by_higher_organ")), "{v}");
        assert!(v["message"].as_str().unwrap().contains("2026-12-20"), "{v}");
        assert_eq!(app.state.store.events(&id).await.unwrap().len(), before);
        // Two days before it, it stands in the office's due-soon queue beside the rest.
        app.clock.set(crate::deadlines::at(2026, 12, 18));
        let office = app.token("office").await;
        let (s, q) = app.get(&office, "/api/v1/deadlines/queue?kind=due_soon&role=office").await;
        assert_eq!(s, 200, "{q}");
        assert!(q.as_array().unwrap().iter().any(|r| r["rule_code"] == "higher_organ_deadline" && r["petition_id"] == id.as_str() && r["due_on"] == "2026-12-20"), "{q}");
    }
}
