//! Separated administrator powers (三员分立) and sign-in: what the administrator found it could
//! do, and must not (issue 14's findings), on both backends.

use serde_json::json;

use crate::backend_tests;
use crate::harness::PASSWORD;

backend_tests! {
    async fn no_administrator_is_an_approver(app) {
        let a = app.token("admin").await;
        for role in ["admin", "security_admin", "audit_admin"] {
            let (s, v) = app.put(&a, "/api/v1/approval-gates/closure", &json!({"roles": [role]})).await;
            assert_eq!(s, 422, "{role}: {v}");
            assert_eq!(v["code"], "administrator_approver");
        }
        let (_, gates) = app.get(&a, "/api/v1/approval-gates").await;
        let closure = gates.as_array().unwrap().iter().find(|g| g["gate"] == "closure").unwrap().clone();
        assert!(!closure.to_string().contains("\"admin\""), "{closure}");
    }

    async fn the_administrator_grants_itself_nothing_and_knows_no_password(app) {
        let a = app.token("admin").await;
        let (_, me) = app.get(&a, "/api/v1/me").await;
        let my_id = me["id"].as_str().unwrap().to_string();
        let (s, v) = app.put(&a, &format!("/api/v1/users/{my_id}"), &json!({"display_name": "系统管理员", "role": "director"})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("self_grant")), "{v}");
        let (_, me) = app.get(&a, "/api/v1/me").await;
        assert_eq!(me["role"], "admin");
        // A director with a password the administrator chose: refused.
        let (s, v) = app.post(&a, "/api/v1/users", &json!({"username": "dir2", "display_name": "新局长", "role": "director", "password": "12345678"})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("administrator_sets_no_password")), "{v}");
        // Without: the account exists but cannot sign in, whatever password is tried.
        let (s, user) = app.post(&a, "/api/v1/users", &json!({"username": "dir2", "display_name": "新局长", "role": "director"})).await;
        assert_eq!(s, 201, "{user}");
        assert_eq!(user["role_confirmed"], false);
        let id = user["id"].as_str().unwrap().to_string();
        let (s, _) = app.post("", "/api/v1/login", &json!({"username": "dir2", "password": "12345678"})).await;
        assert_eq!(s, 422);
        // Only the security administrator confirms, and the administrator cannot.
        let (s, _) = app.post(&a, &format!("/api/v1/grants/{id}/confirm"), &json!({})).await;
        assert_eq!(s, 403);
        let sec = app.token("security_admin").await;
        let (_, pending) = app.get(&sec, "/api/v1/grants").await;
        assert!(pending.as_array().unwrap().iter().any(|g| g["username"] == "dir2" && g["new_account"] == true), "{pending}");
        let (s, out) = app.post(&sec, &format!("/api/v1/grants/{id}/confirm"), &json!({})).await;
        assert_eq!(s, 200, "{out}");
        let code = out["sign_in_code"].as_str().unwrap().to_string();
        // The code sets the owner's own password, under the policy; a refused password keeps it.
        let (s, v) = app.post("", "/api/v1/sign-in-code", &json!({"code": code, "new_password": "12345678"})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("weak_password")), "{v}");
        let (s, v) = app.post("", "/api/v1/sign-in-code", &json!({"code": code, "new_password": "dir2-Secret-2026"})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("weak_password")), "contains the username: {v}");
        let (s, v) = app.post("", "/api/v1/sign-in-code", &json!({"code": code, "new_password": "Fukang#Leader26"})).await;
        assert_eq!(s, 200, "{v}");
        let (s, v) = app.post("", "/api/v1/sign-in-code", &json!({"code": code, "new_password": "Fukang#Leader27"})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("invalid_code")), "used once: {v}");
        let (s, _) = app.post("", "/api/v1/login", &json!({"username": "dir2", "password": "Fukang#Leader26"})).await;
        assert_eq!(s, 200);
        // The audit trail names who asked and who confirmed.
        let audit = app.token("audit_admin").await;
        let (_, entries) = app.get(&audit, "/api/v1/audit/entries").await;
        let actions: Vec<&str> = entries.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        for a in ["user_created", "grant_confirmed", "signed_in_with_code", "signed_in"] {
            assert!(actions.contains(&a), "{a} in {actions:?}");
        }
    }

    async fn a_role_change_waits_for_the_security_administrator(app) {
        let a = app.token("admin").await;
        let (_, users) = app.get(&a, "/api/v1/users").await;
        let officer = users.as_array().unwrap().iter().find(|u| u["username"] == "case_officer").unwrap().clone();
        let id = officer["id"].as_str().unwrap();
        let t = app.token("case_officer").await;
        let (s, v) = app.put(&a, &format!("/api/v1/users/{id}"), &json!({"display_name": "张志强", "role": "director"})).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!((v["role"].as_str(), v["pending_role"].as_str()), (Some("case_officer"), Some("director")));
        let (_, me) = app.get(&t, "/api/v1/me").await;
        assert_eq!(me["role"], "case_officer", "not yet");
        // The security administrator cannot confirm a grant of its own account.
        let sec = app.token("security_admin").await;
        let (_, me_sec) = app.get(&sec, "/api/v1/me").await;
        let (s, _) = app.put(&a, &format!("/api/v1/users/{}", me_sec["id"].as_str().unwrap()), &json!({"display_name": "安全保密管理员", "role": "director"})).await;
        assert_eq!(s, 200);
        let (s, _) = app.post(&sec, &format!("/api/v1/grants/{}/confirm", me_sec["id"].as_str().unwrap()), &json!({})).await;
        assert_eq!(s, 403);
        let (s, out) = app.post(&sec, &format!("/api/v1/grants/{id}/confirm"), &json!({})).await;
        assert_eq!(s, 200, "{out}");
        assert!(out["sign_in_code"].is_null(), "the account keeps its own password");
        // A forgotten password: a new code, and the old password no longer opens the account.
        let (s, out) = app.post(&sec, &format!("/api/v1/users/{id}/sign-in-code"), &json!({})).await;
        assert_eq!(s, 200, "{out}");
        let (s, _) = app.post("", "/api/v1/login", &json!({"username": "case_officer", "password": PASSWORD})).await;
        assert_eq!(s, 422, "the old password is gone");
        let (s, v) = app.post("", "/api/v1/sign-in-code", &json!({"code": out["sign_in_code"], "new_password": PASSWORD})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("weak_password")), "{v}");
        let (s, v) = app.post("", "/api/v1/sign-in-code", &json!({"code": out["sign_in_code"], "new_password": "Officer#Zhang2026"})).await;
        assert_eq!(s, 200, "{v}");
        let (s, _) = app.get(&t, "/api/v1/me").await;
        assert_eq!(s, 401, "a changed role starts from a fresh session");
        let (_, v) = app.post("", "/api/v1/login", &json!({"username": "case_officer", "password": "Officer#Zhang2026"})).await;
        let (_, me) = app.get(v["token"].as_str().unwrap(), "/api/v1/me").await;
        assert_eq!(me["role"], "director");
    }

    async fn a_proposer_never_approves_its_own_proposal(app) {
        let a = app.token("admin").await;
        let (s, v) = app.put(&a, "/api/v1/approval-gates/assignment", &json!({"roles": ["office"]})).await;
        assert_eq!(s, 204, "{v}");
        let id = crate::handling::accepted_visit(&app).await;
        let office = app.token("office").await;
        let unit = app.unit_id("chengguan").await;
        let (s, v) = app.post(&office, &format!("/api/v1/petitions/{id}/disposition"), &json!({
            "disposition": "assignment", "units": [{"unit_id": unit, "lead": true}],
            "requirements": "查清事实，书面答复。"
        })).await;
        assert_eq!(s, 200, "{v}");
        let approval = v["approval_id"].as_str().unwrap().to_string();
        let (_, mine) = app.get(&office, "/api/v1/approvals").await;
        assert!(!mine.to_string().contains(&approval), "not in the proposer's own list: {mine}");
        let (s, v) = app.post(&office, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true})).await;
        assert_eq!(s, 403, "{v}");
        // The only other approver being nobody, the director decides.
        let director = app.token("director").await;
        let (s, v) = app.post(&director, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true})).await;
        assert_eq!(s, 200, "{v}");
    }

    async fn an_acting_approver_decides_in_the_leaders_place_and_says_so(app) {
        let dd = app.token("deputy_director").await;
        let (s, v) = app.post(&dd, "/api/v1/acting-approvers", &json!({"acting": "office", "starts_on": "2026-11-30", "ends_on": "2026-11-26", "reason": "出差"})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("ends_on")), "{v}");
        let (s, v) = app.post(&dd, "/api/v1/acting-approvers", &json!({"acting": "admin", "starts_on": "2026-11-27", "ends_on": "2026-12-04", "reason": "出差"})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("acting")), "{v}");
        let (s, v) = app.post(&dd, "/api/v1/acting-approvers", &json!({"acting": "inspector", "starts_on": "2026-11-27", "ends_on": "2026-12-04", "reason": "出差"})).await;
        assert_eq!(s, 201, "{v}");
        let id = crate::handling::accepted_visit(&app).await;
        let office = app.token("office").await;
        let unit = app.unit_id("chengguan").await;
        let (_, v) = app.post(&office, &format!("/api/v1/petitions/{id}/disposition"), &json!({
            "disposition": "assignment", "units": [{"unit_id": unit, "lead": true}], "requirements": "查清事实。"
        })).await;
        let approval = v["approval_id"].as_str().unwrap().to_string();
        let inspector = app.token("inspector").await;
        let (_, mine) = app.get(&inspector, "/api/v1/approvals").await;
        assert!(mine.to_string().contains(&approval), "{mine}");
        let (s, v) = app.post(&inspector, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true, "comment": "同意"})).await;
        assert_eq!(s, 200, "{v}");
        let (_, p) = app.get(&app.token("director").await, &format!("/api/v1/petitions/{id}")).await;
        let decided = p["events"].as_array().unwrap().iter().find(|e| e["kind"] == "approval_decided").unwrap().clone();
        assert_eq!(decided["payload"]["comment"], "（代分管领导陈国栋审批）同意", "{decided}");
        assert!(decided["payload"]["acting_for"].is_string(), "{decided}");
        // After the period, no longer.
        app.clock.advance(chrono::Duration::days(8));
        let office = app.token("office").await;
        let inspector = app.token("inspector").await;
        let id = crate::handling::accepted_visit(&app).await;
        let (_, v) = app.post(&office, &format!("/api/v1/petitions/{id}/disposition"), &json!({
            "disposition": "assignment", "units": [{"unit_id": unit, "lead": true}], "requirements": "查清事实。"
        })).await;
        let approval = v["approval_id"].as_str().unwrap().to_string();
        let (s, _) = app.post(&inspector, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true})).await;
        assert_eq!(s, 403);
    }

    async fn parallel_wrong_passwords_are_evaluated_one_at_a_time(app) {
        let handles: Vec<_> = (0..20).map(|_| {
            let c = app.client.clone();
            let url = app.url("/api/v1/login");
            tokio::spawn(async move {
                c.post(url).json(&json!({"username": "director", "password": "wrong-wrong"})).send().await.unwrap().status().as_u16()
            })
        }).collect();
        let mut statuses = Vec::new();
        for h in handles {
            statuses.push(h.await.unwrap());
        }
        let evaluated = statuses.iter().filter(|s| **s == 422).count();
        assert!(evaluated <= 3, "at most the free attempts are evaluated: {statuses:?}");
        assert_eq!(evaluated + statuses.iter().filter(|s| **s == 429).count(), 20, "{statuses:?}");
        assert!(app.count("login_attempts").await <= 3);
        // The director signs in from the office's other address at once.
        let other = crate::harness::client_from("127.0.0.3");
        let r = other.post(app.url("/api/v1/login")).json(&json!({"username": "director", "password": PASSWORD})).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }

    async fn sessions_end_when_idle_and_a_password_change_ends_the_others(app) {
        let t1 = app.token("receptionist").await;
        let t2 = app.token("receptionist").await;
        app.clock.advance(chrono::Duration::minutes(29));
        let (s, _) = app.get(&t1, "/api/v1/me").await;
        assert_eq!(s, 200, "used within 30 minutes");
        app.clock.advance(chrono::Duration::minutes(29));
        let (s, _) = app.get(&t1, "/api/v1/me").await;
        assert_eq!(s, 200, "each use restarts the idle time");
        let (s, _) = app.get(&t2, "/api/v1/me").await;
        assert_eq!(s, 401, "58 minutes idle");
        // Absolute lifetime: 12 hours however busy.
        for _ in 0..25 {
            app.clock.advance(chrono::Duration::minutes(29));
            app.get(&t1, "/api/v1/me").await;
        }
        let (s, _) = app.get(&t1, "/api/v1/me").await;
        assert_eq!(s, 401, "past 12 hours");
        // A password change: policy, history, and the other sessions end.
        let a = app.token("receptionist").await;
        let b = app.token("receptionist").await;
        let (s, v) = app.post(&a, "/api/v1/password", &json!({"current_password": "wrong", "new_password": "Window#Desk2026"})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("current_password")), "{v}");
        let (s, v) = app.post(&a, "/api/v1/password", &json!({"current_password": PASSWORD, "new_password": "short"})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("weak_password")), "{v}");
        let (s, v) = app.post(&a, "/api/v1/password", &json!({"current_password": PASSWORD, "new_password": "Window#Desk2026"})).await;
        assert_eq!(s, 204, "{v}");
        assert_eq!(app.get(&a, "/api/v1/me").await.0, 200, "the session it was changed in stays");
        assert_eq!(app.get(&b, "/api/v1/me").await.0, 401, "the others end");
        for (old, new) in [("Window#Desk2026", "Window#Desk2027"), ("Window#Desk2027", "Window#Desk2026")] {
            let (s, v) = app.post(&a, "/api/v1/password", &json!({"current_password": old, "new_password": new})).await;
            if new == "Window#Desk2026" {
                assert_eq!((s, v["code"].as_str()), (422, Some("reused_password")), "{v}");
            } else {
                assert_eq!(s, 204, "{v}");
            }
        }
    }
}

backend_tests! {
    async fn a_handover_moves_open_petitions_with_their_access_in_one_recorded_step(app) {
        let r = app.token("receptionist").await;
        let confidential = app.register_visit(&r, json!({"confidential": true, "summary": "反映家庭隐私纠纷交接甲乙。"})).await;
        let pid = confidential["id"].as_str().unwrap().to_string();
        let a = app.token("admin").await;
        let (_, users) = app.get(&a, "/api/v1/users").await;
        let id_of = |name: &str| users.as_array().unwrap().iter().find(|u| u["username"] == name).unwrap()["id"].as_str().unwrap().to_string();
        let leaver = id_of("receptionist");
        let co = app.token("case_officer").await;
        assert_eq!(app.get(&co, &format!("/api/v1/petitions/{pid}")).await.0, 403, "not yet the case officer's");
        // Only a leader arranges it.
        let (s, _) = app.get(&co, &format!("/api/v1/users/{leaver}/open-items")).await;
        assert_eq!(s, 403);
        let d = app.token("director").await;
        let (s, items) = app.get(&d, &format!("/api/v1/users/{leaver}/open-items")).await;
        assert_eq!(s, 200, "{items}");
        assert!(items["petitions"].as_array().unwrap().iter().any(|p| p["id"] == pid.as_str()), "{items}");
        let (s, v) = app.post(&d, &format!("/api/v1/users/{leaver}/handover"), &json!({"successor": "admin", "note": "调离"})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("successor")), "{v}");
        let (s, v) = app.post(&d, &format!("/api/v1/users/{leaver}/handover"), &json!({"successor": "case_officer", "note": ""})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("note")), "{v}");
        let (s, v) = app.post(&d, &format!("/api/v1/users/{leaver}/handover"), &json!({"successor": "case_officer", "note": "轮岗至办信岗位"})).await;
        assert_eq!(s, 200, "{v}");
        assert!(v["petitions"].as_u64().unwrap() >= 1, "{v}");
        // The confidential petition went with its carrier.
        let (s, p) = app.get(&co, &format!("/api/v1/petitions/{pid}")).await;
        assert_eq!(s, 200, "{p}");
        assert!(p["events"].as_array().unwrap().iter().any(|e| e["kind"] == "handed_over"), "{p}");
        assert_eq!(app.get(&r, &format!("/api/v1/petitions/{pid}")).await.0, 403, "no longer the receptionist's");
        let (_, items) = app.get(&d, &format!("/api/v1/users/{leaver}/open-items")).await;
        assert!(items["petitions"].as_array().unwrap().is_empty(), "{items}");
        let audit = app.token("audit_admin").await;
        let (_, entries) = app.get(&audit, "/api/v1/audit/entries?user=director").await;
        assert!(entries.as_array().unwrap().iter().any(|e| e["action"] == "handover"), "{entries}");
    }
}

backend_tests! {
    async fn a_leader_delegates_and_hands_over_from_the_page(app) {
        let d = app.token("director").await;
        let a = app.token("admin").await;
        let (_, users) = app.get(&a, "/api/v1/users").await;
        let clerk = users.as_array().unwrap().iter().find(|u| u["username"] == "letter_clerk").unwrap()["id"].as_str().unwrap().to_string();
        let office = app.token("office").await;
        let r = app.client.get(app.url("/delegation")).bearer_auth(&office).send().await.unwrap();
        assert_eq!(r.status(), 403, "leaders only");
        let r = app.client.post(app.url("/delegation/acting")).bearer_auth(&d)
            .form(&[("acting", "deputy_director"), ("starts_on", "2026-11-27"), ("ends_on", "2026-12-01"), ("reason", "出差")])
            .send().await.unwrap();
        assert_eq!(r.status(), 303);
        let page = app.client.get(app.url(&format!("/delegation?user={clerk}"))).bearer_auth(&d).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("的未办结事项"), "{page}");
        let r = app.client.post(app.url(&format!("/delegation/handover/{clerk}"))).bearer_auth(&d)
            .form(&[("successor", "case_officer"), ("note", "")]).send().await.unwrap();
        assert_eq!(r.status(), 422, "the reason is required");
        let r = app.client.post(app.url(&format!("/delegation/handover/{clerk}"))).bearer_auth(&d)
            .form(&[("successor", "case_officer"), ("note", "退休")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let audit = app.token("audit_admin").await;
        let (_, entries) = app.get(&audit, "/api/v1/audit/entries?user=director").await;
        let actions: Vec<&str> = entries.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert!(actions.contains(&"acting_approver_named") && actions.contains(&"handover"), "{actions:?}");
    }
}
