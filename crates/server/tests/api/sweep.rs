//! The sweep that catches the next leak: every GET route of the router — the API's from its
//! OpenAPI document (built from the same list as the router), the pages' from the pages' own
//! route list in the source — for every role, on fixture petitions whose markers (names, ID
//! number, phones, addresses, confidential words) some roles may not see. A new GET route that
//! shows a marker to a role that may not see it fails here.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::backend_tests;
use crate::harness::TestApp;

const ROLES: [&str; 15] = [
    "receptionist",
    "letter_clerk",
    "case_officer",
    "office",
    "deputy_director",
    "director",
    "inspector",
    "archivist",
    "admin",
    "security_admin",
    "audit_admin",
    "zhujian_handler",
    "zhujian_head",
    "renshe_handler",
    "renshe_head",
];

struct Fixture {
    id: String,
    /// Ids of the fixture's own records (its scan, its documents), tried in every `{id}` route.
    parts: Vec<String>,
    /// Strings no response to these roles may contain.
    markers: Vec<&'static str>,
    hidden_from: Vec<&'static str>,
}

fn person(name: &str, phone: &str, address: &str, id_number: Option<&str>) -> Value {
    let mut p = json!({
        "name": name,
        "ethnicity": "01",
        "address": address,
        "phone": phone,
        "occupation": "农民",
        "is_representative": false
    });
    match id_number {
        Some(n) => {
            p["id_type"] = json!("resident_id");
            p["id_number"] = json!(n);
        }
        None => {
            p["id_type"] = json!("none");
            p["sex"] = json!("male");
            p["age"] = json!(50);
        }
    }
    p
}

async fn fixtures(app: &TestApp) -> Vec<Fixture> {
    let t = app.token("receptionist").await;
    let zhujian = app.unit_id("zhujian").await;
    let renshe = app.unit_id("renshe").await;
    let refer = |id: String, unit: String| {
        let t = t.clone();
        async move {
            let (s, v) = app
                .post(
                    &t,
                    &format!("/api/v1/petitions/{id}/decision"),
                    &json!({"acceptance": "referred_to_department", "target_unit_id": unit}),
                )
                .await;
            assert_eq!(s, 200, "{v}");
        }
    };
    // An accusation against 住建局, handled by 住建局 itself.
    let accusation = app
        .register_visit(&t, json!({
            "petitioners": [person("檀望舒", "13900000001", "城关镇檀家巷1号", Some("11010519491231002X"))],
            "accused_unit_id": zhujian, "petition_class": "accusation", "purpose": "04",
            "summary": "检举住建局工作人员索要好处费。"
        }))
        .await["id"].as_str().unwrap().to_string();
    let (s, v) = app
        .post(
            &t,
            &format!("/api/v1/petitions/{accusation}/interviews"),
            &json!({"facts_and_requests": "檀望舒称其电话13900000001常被骚扰。"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    refer(accusation.clone(), zhujian.clone()).await;
    // Confidential, registered by the receptionist: only the assigned staff and the leaders.
    let confidential = app
        .register_visit(
            &t,
            json!({
                "petitioners": [person("闵若溪", "13900000002", "城关镇闵家巷2号", None)],
                "confidential": true,
                "summary": "反映家庭纠纷涉及隐私密语甲乙。"
            }),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // One the case officer is recused from.
    let recused = app
        .register_visit(
            &t,
            json!({
                "petitioners": [person("霍青岚", "13900000003", "城关镇霍家巷3号", None)],
                "summary": "反映邻里宅基地界址争议回避甲乙。"
            }),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let co = app.token("case_officer").await;
    let (s, _) = app
        .post(
            &co,
            "/api/v1/recusals",
            &json!({"petition_id": recused, "reason": "信访人系本人亲属"}),
        )
        .await;
    assert_eq!(s, 201);
    // Another unit's: 人社局 handles it; 住建局 may not see it at all.
    let other = app
        .register_visit(
            &t,
            json!({
                "petitioners": [person("祁远山", "13900000004", "城关镇祁家巷4号", None)],
                "summary": "反映工伤认定久拖不决他局甲乙。"
            }),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    refer(other.clone(), renshe).await;
    let (letter, letter_parts) = accusing_letter(app, &zhujian).await;
    vec![
        Fixture {
            id: letter,
            parts: letter_parts,
            markers: vec!["岑望川", "13900000005", "岑家巷", "EMS岑甲乙", "电话告知岑"],
            hidden_from: vec![
                "zhujian_handler",
                "zhujian_head",
                "renshe_handler",
                "renshe_head",
                "admin",
                "security_admin",
                "audit_admin",
            ],
        },
        Fixture {
            id: accusation,
            parts: Vec::new(),
            markers: vec!["檀望舒", "11010519491231002X", "13900000001", "檀家巷"],
            hidden_from: vec![
                "zhujian_handler",
                "zhujian_head",
                "renshe_handler",
                "renshe_head",
                "admin",
                "security_admin",
                "audit_admin",
            ],
        },
        Fixture {
            id: confidential,
            parts: Vec::new(),
            markers: vec!["闵若溪", "13900000002", "闵家巷", "隐私密语甲乙"],
            hidden_from: vec![
                "letter_clerk",
                "case_officer",
                "office",
                "inspector",
                "archivist",
                "admin",
                "zhujian_handler",
                "zhujian_head",
                "renshe_handler",
                "renshe_head",
            ],
        },
        Fixture {
            id: recused,
            parts: Vec::new(),
            markers: vec!["霍青岚", "13900000003", "霍家巷", "回避甲乙"],
            hidden_from: vec![
                "case_officer",
                "admin",
                "zhujian_handler",
                "zhujian_head",
                "renshe_handler",
                "renshe_head",
            ],
        },
        Fixture {
            id: other,
            parts: Vec::new(),
            markers: vec!["祁远山", "13900000004", "祁家巷", "他局甲乙"],
            hidden_from: vec![
                "zhujian_handler",
                "zhujian_head",
                "admin",
                "security_admin",
                "audit_admin",
            ],
        },
    ]
}

/// A letter accusing 住建局, taken through the mailroom and transferred to 住建局 itself: the
/// envelope names its writer, its scan carries the writer's name, phone and address, and the
/// writer was told by phone. Returns the petition and its scan's id.
pub(crate) async fn accusing_letter(app: &TestApp, zhujian: &str) -> (String, Vec<String>) {
    let clerk = app.token("letter_clerk").await;
    let (s, v) = app
        .post(&clerk, "/api/v1/letters", &json!({
            "delivery_mode": "express", "tracking_no": "EMS岑甲乙", "received_at": "2026-11-26T09:00",
            "sender": "岑望川", "sender_address": "城关镇岑家巷5号"
        }))
        .await;
    assert_eq!(s, 201, "receive: {v}");
    let id = v["petition"]["id"].as_str().unwrap().to_string();
    let (s, v) = app
        .post(&clerk, &format!("/api/v1/letters/{id}/opening"), &json!({
            "disinfected_by": "王师傅", "distributed_to": "李秀英",
            "stamps_kept": true, "postmark_kept": true, "postcode_kept": true, "address_kept": true,
            "opening_notes": "信封背面另写岑望川手机号"
        }))
        .await;
    assert_eq!(s, 200, "opening: {v}");
    let scan = "%PDF-1.4\n% 寄信人 岑望川 13900000005 城关镇岑家巷5号\n%%EOF\n";
    let r = app
        .client
        .post(app.url(&format!(
            "/api/v1/letters/{id}/scans?part=envelope&file_name=envelope.pdf"
        )))
        .bearer_auth(&clerk)
        .header("content-type", "application/octet-stream")
        .body(scan.as_bytes().to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let scan_id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, v) = app
        .post(
            &clerk,
            &format!("/api/v1/letters/{id}/registration"),
            &json!({
                "petitioners": [person("岑望川", "13900000005", "城关镇岑家巷5号", None)],
                "issue_region": "652302", "township": "652302100",
                "summary": "检举住建局工作人员在拆迁评估中弄虚作假。",
                "requests": "要求查处。",
                "purpose": "04", "petition_class": "accusation", "accused_unit_id": zhujian,
                "letter": {}
            }),
        )
        .await;
    assert_eq!(s, 200, "registration: {v}");
    let (s, v) = app
        .post(
            &clerk,
            &format!("/api/v1/letters/{id}/handling-form"),
            &json!({"proposal": "建议受理并转住建局办理。"}),
        )
        .await;
    assert_eq!(s, 200, "handling form: {v}");
    let dd = app.token("deputy_director").await;
    let (s, v) = app
        .post(
            &dd,
            &format!("/api/v1/letters/{id}/instruction"),
            &json!({"acceptance": "accepted", "instruction": "同意受理。"}),
        )
        .await;
    assert_eq!(s, 200, "instruction: {v}");
    let (s, v) = app
        .post(&clerk, &format!("/api/v1/letters/{id}/notice"), &json!({
            "method": "phone", "called_at": "2026-11-27T09:40", "content": "电话告知岑望川来信已受理，将转有关部门办理。"
        }))
        .await;
    assert_eq!(s, 200, "notice: {v}");
    let (s, v) = app
        .post(
            &clerk,
            &format!("/api/v1/petitions/{id}/disposition"),
            &json!({
                "disposition": "transfer", "units": [{"unit_id": zhujian, "lead": true}]
            }),
        )
        .await;
    assert_eq!(s, 200, "disposition: {v}");
    if let Some(approval) = v["approval_id"].as_str() {
        let (s, v) = app
            .post(
                &dd,
                &format!("/api/v1/approvals/{approval}"),
                &json!({"accept": true}),
            )
            .await;
        assert_eq!(s, 200, "approval: {v}");
    }
    // The accused unit handles it: it may open the letter, without its writer.
    let h = app.token("zhujian_handler").await;
    let (s, v) = app.get(&h, &format!("/api/v1/letters/{id}")).await;
    assert_eq!(s, 200, "the unit opens the letter: {v}");
    assert_eq!(v["petition"]["identity_withheld"], true, "{v}");
    (id, vec![scan_id])
}

/// The pages' GET routes, read from the pages' own route list.
fn page_routes() -> BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http/pages");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let parts: Vec<&str> = text.split(".route(").skip(1).collect();
        for part in parts {
            let Some(path) = part
                .trim_start()
                .strip_prefix('"')
                .and_then(|p| p.split('"').next())
            else {
                continue;
            };
            let call = part.split(".route(").next().unwrap_or("");
            let call = call.split("\n        .").next().unwrap_or(call);
            if call.contains("get(") {
                out.insert(path.to_string());
            }
        }
    }
    assert!(out.len() >= 20, "page routes found: {out:?}");
    out
}

async fn api_routes(app: &TestApp) -> BTreeSet<String> {
    let (_, doc) = app.get("", "/api/openapi.json").await;
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, item)| item.get("get").is_some())
        .map(|(p, _)| p.clone())
        .collect()
}

fn concrete(path: &str, id: &str) -> String {
    path.replace("{id}", id)
        .replace("{file}", &format!("{id}.pdf"))
        .replace("{format}", "pdf")
        .replace("{code}", "handle_and_close")
}

backend_tests! {
    async fn no_get_route_shows_a_role_what_it_may_not_see(app) {
        let fixtures = fixtures(&app).await;
        let mut routes: Vec<String> = api_routes(&app).await.into_iter().collect();
        routes.extend(page_routes());
        let mut checked = 0;
        for role in ROLES {
            let token = app.token(role).await;
            let hidden: Vec<&Fixture> = fixtures.iter().filter(|f| f.hidden_from.contains(&role)).collect();
            if hidden.is_empty() {
                continue;
            }
            // Each URL with the marker it carries itself (a search box shows what was typed).
            let mut urls: BTreeSet<(String, &str)> = BTreeSet::new();
            for r in &routes {
                if r.contains('{') {
                    for f in &fixtures {
                        urls.insert((concrete(r, &f.id), ""));
                        for part in &f.parts {
                            urls.insert((concrete(r, part), ""));
                        }
                    }
                } else {
                    urls.insert((r.clone(), ""));
                }
            }
            // The rows behind the month's statistics, which count everything the bureau holds.
            for figure in ["petitions", "letters", "visit_batches", "accepted", "repeat"] {
                urls.insert((format!("/api/v1/statistics/petitions?figure={figure}"), ""));
                urls.insert((format!("/statistics/petitions?figure={figure}"), ""));
            }
            // Searches and intake lookups by each marker the role may not see.
            for f in &hidden {
                for m in &f.markers {
                    let q: String = url_escape(m);
                    urls.insert((format!("/api/v1/petitions?q={q}"), m));
                    urls.insert((format!("/petitions?q={q}"), m));
                }
            }
            for (url, typed) in &urls {
                let r = app.client.get(app.url(url)).bearer_auth(&token).send().await.unwrap();
                let status = r.status().as_u16();
                let body = r.bytes().await.unwrap();
                let text = String::from_utf8_lossy(&body);
                assert!(status < 500, "{role} GET {url}: {status} {text}");
                for f in &hidden {
                    for m in f.markers.iter().filter(|m| *m != typed) {
                        assert!(!text.contains(m), "{role} GET {url} shows {m:?} ({status}): {}", text.chars().take(400).collect::<String>());
                    }
                }
                checked += 1;
            }
            // The searches and intake lookups that post (what is typed stays out of URLs), by
            // each marker the role may not see: JSON to the API, forms to the pages.
            let mut posts: Vec<Post> = Vec::new();
            let idn = "11010519491231002X".to_string();
            posts.push(("/api/v1/petitions/similar", Some(json!({"id_number": idn})), Vec::new(), idn.clone()));
            posts.push(("/fragments/similar", None, vec![("p0_id_number", idn.clone())], idn.clone()));
            for f in &hidden {
                for m in &f.markers {
                    let m = m.to_string();
                    posts.push(("/api/v1/search", Some(json!({"q": m})), Vec::new(), m.clone()));
                    posts.push(("/api/v1/petitions/similar", Some(json!({"name": m, "id_number": m, "phone": m, "address": m, "matter": m})), Vec::new(), m.clone()));
                    posts.push(("/petitions/search", None, vec![("q", m.clone())], m.clone()));
                    posts.push(("/fragments/similar", None, vec![("p0_name", m.clone()), ("p0_address", m.clone()), ("summary", m.clone())], m.clone()));
                }
            }
            for (url, body, form, typed) in &posts {
                let req = app.client.post(app.url(url)).bearer_auth(&token);
                let req = match body {
                    Some(b) => req.json(b),
                    None => req.form(form),
                };
                let r = req.send().await.unwrap();
                let status = r.status().as_u16();
                let text = r.text().await.unwrap();
                assert!(status < 500, "{role} POST {url} {typed}: {status} {text}");
                for f in &hidden {
                    for m in f.markers.iter().filter(|m| **m != typed.as_str()) {
                        assert!(!text.contains(m), "{role} POST {url} ({typed}) shows {m:?} ({status}): {}", text.chars().take(400).collect::<String>());
                    }
                }
                checked += 1;
            }
        }
        // The public site's callers have no session: every route without one (the public pages
        // answer, the rest refuse), and the public queries with each fixture's real query code
        // — with a wrong last four and, for the accusation, its right one — never show a
        // marker: a petitioner sees the stage, dates and documents, never names or the matter.
        let mut urls: BTreeSet<String> = BTreeSet::new();
        for r in &routes {
            if r.contains('{') {
                for f in &fixtures {
                    urls.insert(concrete(r, &f.id));
                }
            } else {
                urls.insert(r.clone());
            }
        }
        for url in &urls {
            let r = app.client.get(app.url(url)).send().await.unwrap();
            let status = r.status().as_u16();
            let text = r.text().await.unwrap();
            assert!(status < 500, "anonymous GET {url}: {status} {text}");
            for f in &fixtures {
                for m in &f.markers {
                    assert!(!text.contains(m), "anonymous GET {url} shows {m:?}");
                }
            }
            checked += 1;
        }
        for (i, f) in fixtures.iter().enumerate() {
            let code = app.state.store.petition(&app.state.bureau.id, &f.id).await.unwrap().query_code;
            let last4s: &[&str] = if i == 1 { &["0000", "002X"] } else { &["0000"] };
            for last4 in last4s {
                // Each from its own address, so that the limits do not end the sweep.
                let client = crate::harness::client_from(&format!("127.0.2.{}", i * 2 + usize::from(*last4 != "0000") + 1));
                let api = client.post(app.url("/api/v1/public/status")).json(&json!({"query_code": code, "last4": last4})).send().await.unwrap();
                let api_status = api.status().as_u16();
                let api_text = api.text().await.unwrap();
                let page = client.post(app.url("/public/query")).form(&[("query_code", code.as_str()), ("last4", last4)]).send().await.unwrap();
                let page_status = page.status().as_u16();
                let page_text = page.text().await.unwrap();
                assert_eq!((api_status, page_status), if *last4 == "0000" { (404, 404) } else { (200, 200) }, "{api_text}");
                for text in [&api_text, &page_text] {
                    for g in &fixtures {
                        for m in &g.markers {
                            assert!(!text.contains(m), "public query of {} shows {m:?}", f.id);
                        }
                    }
                }
                checked += 2;
            }
        }
        println!("sweep: {checked} requests over {} routes × {} roles", routes.len(), ROLES.len());
        assert!(checked > 500, "only {checked} requests");
        // The markers are real: those who may see the letter's writer do see them.
        let letter = &fixtures[0];
        let clerk = app.token("letter_clerk").await;
        let (_, bytes) = app.get_bytes(&clerk, &format!("/api/v1/scans/{}", letter.parts[0])).await;
        assert!(String::from_utf8_lossy(&bytes).contains("13900000005"), "the scan carries the phone");
        let (_, v) = app.get(&clerk, &format!("/api/v1/letters/{}", letter.id)).await;
        let text = v.to_string();
        for m in &letter.markers {
            assert!(text.contains(m), "the clerk sees {m}: {text}");
        }
    }
}

/// A posted search: the path, a JSON body or form fields, and what it carries itself.
type Post = (
    &'static str,
    Option<Value>,
    Vec<(&'static str, String)>,
    String,
);

pub(crate) fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
