//! Security (rules §11, §14): roles on every route, units, confidentiality, accusations,
//! recusal, access logging, sessions, CSRF, throttling, masking.

use serde_json::json;

use crate::backend_tests;
use crate::harness::{PASSWORD, visit_body};

fn cookie_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

backend_tests! {
    async fn forbidden_role_cannot_register_and_nothing_is_written(app) {
        for who in ["case_officer", "zhujian_handler", "admin", "letter_clerk"] {
            let t = app.token(who).await;
            let (status, v) = app.post(&t, "/api/v1/petitions", &visit_body()).await;
            assert_eq!(status, 403, "{who}: {v}");
            assert_eq!(v["code"], "forbidden");
        }
        assert_eq!(app.count("petitions").await, 0);
    }

    async fn forbidden_role_cannot_decide(app) {
        let t = app.token("receptionist").await;
        let id = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
        let office = app.token("office").await;
        let (status, v) = app.post(&office, &format!("/api/v1/petitions/{id}/decision"), &json!({"acceptance": "accepted"})).await;
        assert_eq!(status, 403, "{v}");
        let (_, p) = app.get(&t, &format!("/api/v1/petitions/{id}")).await;
        assert_eq!(p["state"], "registered");
    }

    async fn unauthenticated_requests_are_refused(app) {
        let r = app.client.get(app.url("/api/v1/petitions")).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["code"], "unauthenticated");
        let r = app.client.get(app.url("/petitions")).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert!(r.headers()["location"].to_str().unwrap().starts_with("/login"));
    }

    async fn unit_sees_only_its_own_petitions(app) {
        let t = app.token("receptionist").await;
        let zhujian = app.unit_id("zhujian").await;
        let mine = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
        app.post(&t, &format!("/api/v1/petitions/{mine}/decision"), &json!({"acceptance": "referred_to_department", "target_unit_id": zhujian})).await;
        let other = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
        let h = app.token("renshe_handler").await;
        let (_, list) = app.get(&h, "/api/v1/petitions").await;
        assert!(list["items"].as_array().unwrap().is_empty());
        let (status, _) = app.get(&h, &format!("/api/v1/petitions/{mine}")).await;
        assert_eq!(status, 403);
        let (status, _) = app.get(&h, &format!("/api/v1/petitions/{other}")).await;
        assert_eq!(status, 403);
        let z = app.token("zhujian_head").await;
        let (status, _) = app.get(&z, &format!("/api/v1/petitions/{mine}")).await;
        assert_eq!(status, 200);
    }

    async fn accused_unit_never_sees_the_accuser(app) {
        let t = app.token("receptionist").await;
        let zhujian = app.unit_id("zhujian").await;
        let id = app.register_visit(&t, json!({"accused_unit_id": zhujian, "petition_class": "accusation", "purpose": "04"})).await["id"].as_str().unwrap().to_string();
        app.post(&t, &format!("/api/v1/petitions/{id}/decision"), &json!({"acceptance": "referred_to_department", "target_unit_id": zhujian})).await;
        let h = app.token("zhujian_handler").await;
        let (status, v) = app.get(&h, &format!("/api/v1/petitions/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(v["identity_withheld"], true);
        assert!(v["petitioners"].as_array().unwrap().is_empty());
        assert!(!v.to_string().contains("张三"), "accuser leaked: {v}");
        let (_, list) = app.get(&h, "/api/v1/petitions").await;
        assert!(!list.to_string().contains("张三"));
    }

    async fn confidential_petition_is_visible_only_to_assigned_staff_and_leaders(app) {
        let t = app.token("receptionist").await;
        let id = app.register_visit(&t, json!({"confidential": true})).await["id"].as_str().unwrap().to_string();
        let co = app.token("case_officer").await;
        let (status, _) = app.get(&co, &format!("/api/v1/petitions/{id}")).await;
        assert_eq!(status, 403);
        // Listed, but without personal details.
        let (_, list) = app.get(&co, "/api/v1/petitions").await;
        let row = &list["items"][0];
        assert_eq!(row["id"], id.as_str());
        assert!(row["petitioners"].as_array().unwrap().is_empty());
        assert!(!list.to_string().contains("张三"));
        let d = app.token("director").await;
        let (status, _) = app.get(&d, &format!("/api/v1/petitions/{id}")).await;
        assert_eq!(status, 200);
        let (status, _) = app.get(&t, &format!("/api/v1/petitions/{id}")).await;
        assert_eq!(status, 200);
    }

    async fn recused_staff_can_neither_see_nor_act(app) {
        let t = app.token("receptionist").await;
        let id = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
        let (status, v) = app.post(&t, "/api/v1/recusals", &json!({"petition_id": id, "reason": "信访人系本人亲属"})).await;
        assert_eq!(status, 201, "{v}");
        let (status, _) = app.get(&t, &format!("/api/v1/petitions/{id}")).await;
        assert_eq!(status, 403);
        let (status, _) = app.post(&t, &format!("/api/v1/petitions/{id}/decision"), &json!({"acceptance": "accepted"})).await;
        assert_eq!(status, 403);
        let (_, list) = app.get(&t, "/api/v1/petitions").await;
        assert!(list["items"].as_array().unwrap().is_empty());
        // By petitioner: a later petition of the same person is hidden too.
        let co = app.token("case_officer").await;
        let (status, _) = app.post(&co, "/api/v1/recusals", &json!({"petitioner_id_number": "11010519491231002X", "reason": "邻居"})).await;
        assert_eq!(status, 201);
        let (status, _) = app.get(&co, &format!("/api/v1/petitions/{id}")).await;
        assert_eq!(status, 403);
    }

    async fn every_opening_is_logged(app) {
        let t = app.token("receptionist").await;
        let id = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
        let co = app.token("case_officer").await;
        app.get(&co, &format!("/api/v1/petitions/{id}")).await;
        app.get(&co, &format!("/api/v1/petitions/{id}")).await;
        let log = app.state.store.access_log(&id).await.unwrap();
        assert_eq!(log.iter().filter(|(_, who, _)| who == "张志强").count(), 2, "{log:?}");
    }

    async fn lists_mask_id_numbers_and_phones(app) {
        let t = app.token("receptionist").await;
        app.register_visit(&t, json!({})).await;
        let (_, list) = app.get(&t, "/api/v1/petitions").await;
        let p = &list["items"][0]["petitioners"][0];
        assert_eq!(p["id_number"], "110105********002X");
        assert_eq!(p["phone"], "139****5678");
        let (_, one) = app.get(&t, &format!("/api/v1/petitions/{}", list["items"][0]["id"].as_str().unwrap())).await;
        assert_eq!(one["petitioners"][0]["id_number"], "11010519491231002X");
    }

    async fn passwords_are_argon2_and_sessions_are_httponly_samesite(app) {
        let u = app.state.store.user_by_username("receptionist").await.unwrap().unwrap();
        assert!(u.password_hash.starts_with("$argon2id$"), "{}", u.password_hash);
        let r = app.client.post(app.url("/api/v1/login")).json(&json!({"username": "receptionist", "password": PASSWORD})).send().await.unwrap();
        let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Strict"), "{cookie}");
        let (status, v) = app.post("", "/api/v1/login", &json!({"username": "receptionist", "password": "wrong-password"})).await;
        assert_eq!(status, 422);
        assert_eq!(v["message"], "用户名或密码错误");
    }

    async fn wrong_passwords_slow_that_account_from_that_address_only(app) {
        // Three free attempts, then a growing wait: 1 s, 2 s, 4 s …
        for _ in 0..3 {
            let (status, _) = app.post("", "/api/v1/login", &json!({"username": "office", "password": "nope-nope"})).await;
            assert_eq!(status, 422);
        }
        let (status, v) = app.post("", "/api/v1/login", &json!({"username": "office", "password": PASSWORD})).await;
        assert_eq!(status, 429, "{v}");
        assert!(v["message"].as_str().unwrap().contains("1 秒"), "{v}");
        app.clock.advance(chrono::Duration::seconds(1));
        let (status, _) = app.post("", "/api/v1/login", &json!({"username": "office", "password": "nope-nope"})).await;
        assert_eq!(status, 422);
        let (status, v) = app.post("", "/api/v1/login", &json!({"username": "office", "password": PASSWORD})).await;
        assert!(status == 429 && v["message"].as_str().unwrap().contains("2 秒"), "{v}");
        // Another account from the same address, and the same account from another address,
        // are not slowed: nobody can shut the office out from elsewhere.
        app.token("case_officer").await;
        let other = crate::harness::client_from("127.0.0.2");
        let r = other.post(app.url("/api/v1/login")).json(&json!({"username": "office", "password": PASSWORD})).send().await.unwrap();
        assert_eq!(r.status(), 200);
        // Once the wait is over, the right password works and clears the count.
        app.clock.advance(chrono::Duration::seconds(2));
        app.token("office").await;
        let (status, _) = app.post("", "/api/v1/login", &json!({"username": "office", "password": "nope-nope"})).await;
        assert_eq!(status, 422, "the count starts again");
    }

    async fn cookie_session_posts_need_the_csrf_token(app) {
        let c = cookie_client();
        let r = c.post(app.url("/login")).form(&[("username", "receptionist"), ("password", PASSWORD), ("next", "/")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let html = c.get(app.url("/petitions/new")).send().await.unwrap().text().await.unwrap();
        let token = html.split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let mut form = vec![
            ("p0_name", "王五"), ("p0_id_type", "none"), ("p0_sex", "male"), ("p0_age", "50"), ("p0_phone", "13711112222"),
            ("petitioner_rows", "1"), ("issue_region", "652302"), ("township_code", "652302100"), ("summary", "反映噪声扰民"), ("channel", "visit"),
        ];
        let r = c.post(app.url("/petitions")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(app.count("petitions").await, 0);
        // Cross-site, even with the token: refused.
        form.push(("_csrf", &token));
        let r = c.post(app.url("/petitions")).header("Origin", "http://evil.example").form(&form).send().await.unwrap();
        assert_eq!(r.status(), 403);
        let r = c.post(app.url("/petitions")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
        assert_eq!(app.count("petitions").await, 1);
    }

    async fn malformed_json_gets_a_chinese_error(app) {
        let t = app.token("receptionist").await;
        let r = app.client.post(app.url("/api/v1/petitions")).bearer_auth(&t).header("content-type", "application/json").body("{not json").send().await.unwrap();
        assert_eq!(r.status(), 422);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["code"], "invalid_json");
        assert!(v["message"].as_str().unwrap().contains("JSON"));
        let (status, v) = app.post(&t, "/api/v1/petitions", &json!({"visitor_count": "many"})).await;
        assert_eq!(status, 422);
        assert_eq!(v["code"], "invalid_json");
        assert_eq!(app.count("petitions").await, 0);
    }

    async fn oversized_body_is_refused(app) {
        let t = app.token("receptionist").await;
        let mut body = visit_body();
        body["summary"] = json!("很".repeat(600_000));
        // The server may answer 413 and close the connection before the client has sent the
        // whole body; the client then sees the connection end instead of the response.
        match app.client.post(app.url("/api/v1/petitions")).bearer_auth(&t).json(&body).send().await {
            Ok(r) => {
                let status = r.status();
                assert!(status == 413 || status == 422, "{status}");
                // Every error is the JSON error body with its Chinese message, 413 too.
                let v: serde_json::Value = r.json().await.expect("a JSON error body");
                assert!(v["code"] == "too_large" || status == 422, "{v}");
                assert!(!v["message"].as_str().unwrap_or("").is_empty(), "{v}");
            }
            Err(e) => assert!(!e.is_status() && !e.is_decode(), "{e}"),
        }
        assert_eq!(app.count("petitions").await, 0);
    }

    async fn impossible_dates_are_refused_by_field_and_change_nothing(app) {
        let t = app.token("receptionist").await;
        for when in ["-262143-01-01T00:00", "0001-01-01T00:00", "1899-12-31T23:59"] {
            let mut body = visit_body();
            body["visited_at"] = json!(when);
            let (status, v) = app.post(&t, "/api/v1/petitions", &body).await;
            assert_eq!(status, 422, "{when}: {v}");
            assert_eq!(v["field"], "visited_at", "{when}: {v}");
        }
        let c = app.token("letter_clerk").await;
        let (status, v) = app.post(&c, "/api/v1/letters", &json!({"received_at": "-262143-01-01T00:00", "delivery_mode": "post", "sender": "李四"})).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["field"], "received_at", "{v}");
        assert_eq!(app.count("petitions").await, 0);
    }

    async fn login_never_redirects_off_site(app) {
        for next in ["/\t/evil.example/", "/\n/evil.example/", "//evil.example/", "/\\evil.example", "https://evil.example/"] {
            let r = cookie_client()
                .post(app.url("/login"))
                .form(&[("username", "receptionist"), ("password", PASSWORD), ("next", next)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303, "{next:?}");
            assert_eq!(r.headers()["location"], "/", "{next:?}");
        }
    }
}

backend_tests! {
    async fn an_upload_form_carries_its_csrf_token_in_the_body_not_the_url(app) {
        let t = app.token("letter_clerk").await;
        let (s, v) = app.post(&t, "/api/v1/letters", &json!({"delivery_mode": "post", "received_at": "2026-11-27T08:30", "sender": "张三"})).await;
        assert_eq!(s, 201, "{v}");
        let id = v["petition"]["id"].as_str().unwrap().to_string();
        let (s, _) = app.post(&t, &format!("/api/v1/letters/{id}/opening"), &json!({"disinfected_by": "王师傅", "distributed_to": "李秀英", "stamps_kept": true, "postmark_kept": true, "postcode_kept": true, "address_kept": true})).await;
        assert_eq!(s, 200);
        let c = cookie_client();
        let r = c.post(app.url("/login")).form(&[("username", "letter_clerk"), ("password", PASSWORD), ("next", "/")]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let html = c.get(app.url(&format!("/letters/{id}"))).send().await.unwrap().text().await.unwrap();
        assert!(!html.contains("scans?_csrf="), "no token in the form's URL");
        let token = html.split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let form = |with_token: bool| {
            let mut body = Vec::new();
            if with_token {
                body.extend_from_slice(format!("--B0undary\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n").as_bytes());
            }
            body.extend_from_slice(b"--B0undary\r\nContent-Disposition: form-data; name=\"part\"\r\n\r\nenvelope\r\n--B0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"e.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n%%EOF\n\r\n--B0undary--\r\n");
            body
        };
        // The token in the URL only: refused, nothing stored.
        let r = c.post(app.url(&format!("/letters/{id}/scans?_csrf={token}"))).header("content-type", "multipart/form-data; boundary=B0undary").body(form(false)).send().await.unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(app.count("letter_scans").await, 0);
        let r = c.post(app.url(&format!("/letters/{id}/scans"))).header("content-type", "multipart/form-data; boundary=B0undary").body(form(true)).send().await.unwrap();
        assert!(r.status().is_redirection() || r.status().is_success(), "{}", r.status());
        assert_eq!(app.count("letter_scans").await, 1);
    }
}
