//! Special situations at the reception (V10.1, V10.2): each of the ten kinds takes its own
//! measures; the six behaviours go to the police only after an attempt or for an emergency.

use serde_json::json;

use crate::backend_tests;

backend_tests! {
    async fn every_special_situation_takes_its_own_measures(app) {
        let id = crate::handling::accepted_visit(&app).await;
        let r = app.token("receptionist").await;
        let path = format!("/api/v1/petitions/{id}/incidents");
        let at = "2026-11-27 09:50";
        // (kind, a fitting course of measures, a measure that does not fit it)
        let kinds = [
            ("illegal_gathering", json!(["dissuaded", "police"]), "call_120"),
            ("dangerous_items", json!(["educated", "police"]), "health_authority"),
            ("assault_or_threat", json!(["criticised", "police"]), "civil_affairs"),
            ("lingering", json!(["dissuaded", "educated"]), "sent_to_hospital"),
            ("inciting", json!(["criticised"]), "call_110"),
            ("other_disturbance", json!(["dissuaded", "police"]), "locality_petition_office"),
            ("sudden_illness", json!(["call_120", "sent_to_hospital"]), "police"),
            ("infectious_disease", json!(["health_authority"]), "call_120"),
            ("homeless_or_mentally_ill", json!(["locality_petition_office", "civil_affairs"]), "dissuaded"),
            ("self_harm", json!(["call_110", "call_120", "sent_to_hospital"]), "educated"),
        ];
        let mut recorded = 0;
        for (kind, measures, wrong) in &kinds {
            let (s, v) = app.post(&r, &path, &json!({"kind": kind, "measures": measures, "occurred_at": at})).await;
            assert_eq!(s, 201, "{kind}: {v}");
            recorded += 1;
            let (s, v) = app.post(&r, &path, &json!({"kind": kind, "measures": [wrong], "occurred_at": at})).await;
            assert_eq!((s, v["field"].as_str(), v["code"].as_str()), (422, Some("measures"), Some("measure_not_for_kind")), "{kind} / {wrong}: {v}");
            assert!(v["message"].as_str().unwrap().contains("不适用于"), "{v}");
        }
        // A behaviour goes to the police only after dissuading, criticising or educating …
        let (s, v) = app.post(&r, &path, &json!({"kind": "assault_or_threat", "measures": ["police"], "occurred_at": at})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("police_without_attempt")), "{v}");
        // … or at once for an emergency, which is recorded.
        let (s, v) = app.post(&r, &path, &json!({"kind": "dangerous_items", "measures": ["police"], "emergency": "weapons", "occurred_at": at, "note": "持刀进入接待大厅"})).await;
        assert_eq!(s, 201, "{v}");
        recorded += 1;
        // An emergency is named only with a hand-over.
        let (s, v) = app.post(&r, &path, &json!({"kind": "lingering", "measures": ["dissuaded"], "emergency": "violence", "occurred_at": at})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("emergency_without_police")), "{v}");
        // "Other" says what was done.
        let (s, v) = app.post(&r, &path, &json!({"kind": "sudden_illness", "measures": ["other"], "occurred_at": at})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("note")), "{v}");
        let stored = app.state.store.incidents_of(&id).await.unwrap();
        assert_eq!(stored.len(), recorded, "refusals write nothing");
        let immediate = stored.iter().find(|i| i.emergency == "weapons").expect("the emergency hand-over");
        assert_eq!(immediate.measures, "police");
        let first = stored.iter().find(|i| i.kind == "illegal_gathering").unwrap();
        assert_eq!(first.measures, "dissuaded,police", "the attempt before the hand-over");
        let events = app.state.store.events(&id).await.unwrap();
        let e = events.iter().rev().find(|e| e.kind == "incident_recorded").unwrap();
        assert_eq!(e.payload["immediate_police_handover"], true, "{}", e.payload);
        // Only the reception desk records them.
        let h = app.token("chengguan_handler").await;
        let (s, _) = app.post(&h, &path, &json!({"kind": "lingering", "measures": ["dissuaded"], "occurred_at": at})).await;
        assert!(s == 403 || s == 404, "{s}");
    }
}
