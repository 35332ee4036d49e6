//! Administration: users and handling units; the OpenAPI document.

use serde_json::json;

use crate::backend_tests;
use crate::harness::PASSWORD;

backend_tests! {
    async fn admin_manages_units_and_their_users(app) {
        let a = app.token("admin").await;
        let (status, unit) = app.post(&a, "/api/v1/units", &json!({"code": "tianchi", "name": "天池街道办事处", "kind": "street", "region_code": "652302"})).await;
        assert_eq!(status, 201, "{unit}");
        let (status, v) = app.post(&a, "/api/v1/units", &json!({"code": "tianchi", "name": "重复", "kind": "street"})).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "code");
        let (status, v) = app.post(&a, "/api/v1/units", &json!({"code": "x1", "name": "某单位", "kind": "street", "region_code": "000000"})).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "region_code");
        let (user_id, t, password) = app.onboard(json!({"username": "tianchi_handler", "display_name": "天池经办", "role": "unit_handler", "unit_id": unit["id"]})).await;
        let (status, v) = app.post(&a, "/api/v1/users", &json!({"username": "nounit", "display_name": "无单位", "role": "unit_handler"})).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "unit_id");
        // Deactivating a user ends their sessions and their logins.
        let (status, _) = app.get(&t, "/api/v1/me").await;
        assert_eq!(status, 200);
        let (status, _) = app.put(&a, &format!("/api/v1/users/{user_id}"), &json!({"display_name": "天池经办", "role": "unit_handler", "unit_id": unit["id"], "active": false})).await;
        assert_eq!(status, 200);
        let (status, _) = app.get(&t, "/api/v1/me").await;
        assert_eq!(status, 401);
        let (status, _) = app.post("", "/api/v1/login", &json!({"username": "tianchi_handler", "password": password})).await;
        assert_eq!(status, 422);
    }

    async fn only_admin_manages_users(app) {
        let t = app.token("director").await;
        let (status, _) = app.post(&t, "/api/v1/users", &json!({"username": "x", "display_name": "x", "role": "receptionist", "password": PASSWORD})).await;
        assert_eq!(status, 403);
        let (status, _) = app.get(&t, "/api/v1/users").await;
        assert_eq!(status, 403);
        let (status, _) = app.post(&t, "/api/v1/units", &json!({"code": "y", "name": "y", "kind": "street"})).await;
        assert_eq!(status, 403);
    }

    async fn every_documented_operation_is_routed_and_every_route_documented(app) {
        let (_, doc) = app.get("", "/api/openapi.json").await;
        let paths = doc["paths"].as_object().expect("paths");
        let text = doc.to_string();
        // These four were routed without documentation before the router and the document
        // were built from one list.
        for op in ["listApprovalGates", "updateApprovalGate", "proposeDestruction", "recordCoordinationMeeting"] {
            assert!(text.contains(&format!("\"operationId\":\"{op}\"")), "missing {op}");
        }
        let t = app.token("director").await;
        let mut checked = 0;
        for (path, item) in paths {
            let concrete = path.replace("{id}", "00000000").replace("{format}", "pdf").replace("{code}", "x")
                .replace("{gate}", "closure").replace("{year}", "2026").replace("{appeal_id}", "0").replace("{obligation_id}", "0");
            for method in ["get", "post", "put"] {
                if item.get(method).is_none() {
                    continue;
                }
                let req = match method {
                    "get" => app.client.get(app.url(&concrete)),
                    "post" => app.client.post(app.url(&concrete)).json(&json!({})),
                    _ => app.client.put(app.url(&concrete)).json(&json!({})),
                };
                let r = req.bearer_auth(&t).send().await.unwrap();
                let status = r.status().as_u16();
                let body = r.text().await.unwrap_or_default();
                assert!(status != 405 && !body.contains("没有这个接口"), "{method} {path} is documented but not routed: {status} {body}");
                checked += 1;
            }
        }
        assert!(checked >= 90, "only {checked} operations documented");
        // And the other way round: an undocumented path is not routed.
        let (status, v) = app.get(&t, "/api/v1/no-such-thing").await;
        assert_eq!(status, 404);
        assert_eq!(v["message"], "没有这个接口");
    }

    async fn openapi_document_lists_the_contract(app) {
        let (status, doc) = app.get("", "/api/openapi.json").await;
        assert_eq!(status, 200);
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
        let text = doc.to_string();
        for op in ["login", "registerPetition", "getPetition", "listPetitions", "recordInterview", "decideAcceptance", "listPetitionDocuments", "downloadDocument"] {
            assert!(text.contains(&format!("\"operationId\":\"{op}\"")), "missing {op}");
        }
    }
}

backend_tests! {
    async fn decision_reasons_are_configurable_per_bureau(app) {
        let a = app.token("admin").await;
        let (status, v) = app.post(&a, "/api/v1/decision-reasons", &json!({"acceptance": "not_accepted", "code": "arbitration", "reason": "属劳动争议仲裁范围", "legal_text": ""})).await;
        assert_eq!(status, 422, "a slip needs its legal text: {v}");
        assert_eq!(v["field"], "legal_text");
        let (status, created) = app.post(&a, "/api/v1/decision-reasons", &json!({"acceptance": "not_accepted", "code": "arbitration", "reason": "属劳动争议仲裁范围", "legal_text": "请依照《劳动争议调解仲裁法》向劳动人事争议仲裁委员会申请仲裁。"})).await;
        assert_eq!(status, 201, "{created}");
        let t = app.token("receptionist").await;
        let id = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
        let (status, v) = app.post(&t, &format!("/api/v1/petitions/{id}/decision"), &json!({"acceptance": "not_accepted", "reason": "arbitration"})).await;
        assert_eq!(status, 200, "{v}");
        let (_, pdf) = app.get_bytes(&t, &format!("/api/v1/documents/{}/pdf", v["document_id"].as_str().unwrap())).await;
        let text: String = pdf_extract::extract_text_from_mem(&pdf).unwrap().chars().filter(|c| !c.is_whitespace()).collect();
        assert!(text.contains("劳动人事争议仲裁委员会"), "{text}");
        // A deactivated reason is no longer offered or accepted.
        let (status, _) = app.put(&a, &format!("/api/v1/decision-reasons/{}", created["id"].as_str().unwrap()), &json!({"reason": "属劳动争议仲裁范围", "legal_text": "请申请仲裁。", "active": false})).await;
        assert_eq!(status, 200);
        let id2 = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
        let (status, v) = app.post(&t, &format!("/api/v1/petitions/{id2}/decision"), &json!({"acceptance": "not_accepted", "reason": "arbitration"})).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["field"], "reason");
        // Only an administrator edits the list.
        let (status, _) = app.post(&t, "/api/v1/decision-reasons", &json!({"acceptance": "accepted", "code": "x", "reason": "x"})).await;
        assert_eq!(status, 403);
    }
}
