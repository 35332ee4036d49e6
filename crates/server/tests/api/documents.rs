//! 文稿办理 (rules §13, seed 一(六), 二 二(六)): drafted from the petition, submitted, returned
//! with comments, signed off by the right leader (numbered then, gap-free even with concurrent
//! writers), issued; PDF and DOCX stored by hash; corrections supersede; history on the petition.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::harness::TestApp;

fn pdf_text(bytes: &[u8]) -> String {
    pdf_extract::extract_text_from_mem(bytes)
        .expect("pdf text")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

async fn petition(app: &TestApp) -> String {
    let t = app.token("receptionist").await;
    app.register_visit(&t, json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn draft(app: &TestApp, token: &str, pid: &str, body: Value) -> Value {
    let (status, v) = app
        .post(token, &format!("/api/v1/petitions/{pid}/documents"), &body)
        .await;
    assert_eq!(status, 201, "{v}");
    v
}

fn event_kinds(p: &Value) -> Vec<String> {
    p["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

backend_tests! {
    async fn assignment_letter_is_drafted_returned_edited_signed_off_and_issued(app) {
        let pid = petition(&app).await;
        let officer = app.token("case_officer").await;
        let deputy = app.token("deputy_director").await;
        let director = app.token("director").await;
        let unit = app.unit_id("chengguan").await;
        let d = draft(&app, &officer, &pid, json!({"kind": "assignment_letter", "unit_id": unit, "due_on": "2026-12-28"})).await;
        let id = d["id"].as_str().unwrap().to_string();
        assert_eq!(d["state"], "draft");
        assert_eq!(d["title"], "交办函");
        assert!(d["doc_no"].is_null());
        assert_eq!(d["fields"]["recipient"], "城关镇人民政府");
        let body = d["fields"]["body"].as_str().unwrap();
        assert!(body.contains("张三") && body.contains("交由你单位办理") && body.contains("2026年12月28日前"), "{body}");

        // Not yet submitted: nothing to sign.
        let (status, _) = app.post(&deputy, &format!("/api/v1/documents/{id}/sign-off"), &json!({})).await;
        assert_eq!(status, 409);
        let (status, v) = app.post(&officer, &format!("/api/v1/documents/{id}/submit"), &json!({})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["state"], "submitted");
        // 交办函 is signed off by the deputy director only (rules §13).
        let (status, v) = app.post(&director, &format!("/api/v1/documents/{id}/sign-off"), &json!({})).await;
        assert_eq!(status, 403, "{v}");
        let (status, v) = app.post(&officer, &format!("/api/v1/documents/{id}/sign-off"), &json!({})).await;
        assert_eq!(status, 403, "{v}");
        // Returning needs a comment.
        let (status, v) = app.post(&deputy, &format!("/api/v1/documents/{id}/return"), &json!({"comment": " "})).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "comment");
        let (status, v) = app.post(&deputy, &format!("/api/v1/documents/{id}/return"), &json!({"comment": "请写明办理时限和报送方式。"})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["state"], "returned");
        assert_eq!(v["steps"].as_array().unwrap().last().unwrap()["comment"], "请写明办理时限和报送方式。");

        // Edit: a stale version is refused; a missing body names the field.
        let mut fields = v["fields"].clone();
        let version = v["version"].as_i64().unwrap();
        let (status, _) = app.put(&officer, &format!("/api/v1/documents/{id}"), &json!({"version": version - 1, "fields": fields})).await;
        assert_eq!(status, 409);
        fields["body"] = json!("");
        let (status, e) = app.put(&officer, &format!("/api/v1/documents/{id}"), &json!({"version": version, "fields": fields})).await;
        assert_eq!(status, 422);
        assert_eq!(e["field"], "fields.body");
        assert!(e["message"].as_str().unwrap().contains("正文"));
        fields["body"] = json!(format!("{}\n请于2026年12月28日前以书面形式报送办理结果。", d["fields"]["body"].as_str().unwrap()));
        let (status, v) = app.put(&officer, &format!("/api/v1/documents/{id}"), &json!({"version": version, "fields": fields})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["state"], "returned");
        let (status, _) = app.post(&officer, &format!("/api/v1/documents/{id}/submit"), &json!({})).await;
        assert_eq!(status, 200);
        let (status, v) = app.post(&deputy, &format!("/api/v1/documents/{id}/sign-off"), &json!({})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["state"], "signed_off");
        assert_eq!(v["doc_no"], "阜信交〔2026〕1号");
        // Signed: immutable.
        let (status, _) = app.put(&officer, &format!("/api/v1/documents/{id}"), &json!({"version": v["version"], "fields": fields})).await;
        assert_eq!(status, 409);
        let (status, v) = app.post(&officer, &format!("/api/v1/documents/{id}/issue"), &json!({})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["state"], "issued");
        assert!(v["issued_at"].is_string());

        // The stored PDF: the same bytes every time, with its number.
        let (status, pdf) = app.get_bytes(&officer, &format!("/api/v1/documents/{id}/pdf")).await;
        assert_eq!(status, 200);
        let (_, again) = app.get_bytes(&officer, &format!("/api/v1/documents/{id}/pdf")).await;
        assert_eq!(pdf, again);
        assert_eq!(xinfang_blobs::sha256_hex(&pdf), v["pdf_sha256"].as_str().unwrap());
        let text = pdf_text(&pdf);
        for needle in ["阜信交〔2026〕1号", "关于交办张三信访事项的函", "城关镇人民政府：", "交由你单位办理", "以书面形式报送办理结果"] {
            assert!(text.contains(needle), "{needle} in {text}");
        }
        assert!(!text.contains("草稿"));
        let (status, docx) = app.get_bytes(&officer, &format!("/api/v1/documents/{id}/docx")).await;
        assert_eq!(status, 200);
        assert!(docx.starts_with(b"PK"));
        assert_eq!(xinfang_blobs::sha256_hex(&docx), v["docx_sha256"].as_str().unwrap());
        let (status, _) = app.get_bytes(&officer, &format!("/api/v1/documents/{id}/odt")).await;
        assert_eq!(status, 422);

        // The petition's history shows every step; the documents list shows it.
        let (_, p) = app.get(&officer, &format!("/api/v1/petitions/{pid}")).await;
        let kinds = event_kinds(&p);
        for k in ["document_drafted", "document_submitted", "document_returned", "document_edited", "document_signed_off", "document_issued"] {
            assert!(kinds.iter().any(|x| x == k), "{k} in {kinds:?}");
        }
        let signed = p["events"].as_array().unwrap().iter().find(|e| e["kind"] == "document_signed_off").unwrap();
        assert_eq!(signed["payload"]["doc_no"], "阜信交〔2026〕1号");
        let (_, docs) = app.get(&officer, &format!("/api/v1/petitions/{pid}/documents")).await;
        assert_eq!(docs[0]["doc_no"], "阜信交〔2026〕1号");
        assert_eq!(docs[0]["state"], "issued");
    }

    async fn draft_preview_is_marked_and_drafts_may_be_downloaded_before_sign_off(app) {
        let pid = petition(&app).await;
        let officer = app.token("case_officer").await;
        let d = draft(&app, &officer, &pid, json!({"kind": "extension_notice"})).await;
        let id = d["id"].as_str().unwrap();
        let (status, pdf) = app.get_bytes(&officer, &format!("/api/v1/documents/{id}/pdf")).await;
        assert_eq!(status, 200);
        let text = pdf_text(&pdf);
        assert!(text.contains("草稿") && text.contains("延期") && text.contains("张三"), "{text}");
        // 30 days after 2026-11-27 by default.
        assert!(text.contains("办理期限延长至2026年12月27日"), "{text}");
        assert!(d["pdf_sha256"].is_null());
    }

    async fn signed_off_numbers_are_gap_free_under_concurrent_leaders(app) {
        let officer = app.token("case_officer").await;
        let deputy = app.token("deputy_director").await;
        let director = app.token("director").await;
        let mut ids = Vec::new();
        for _ in 0..6 {
            let pid = petition(&app).await;
            let d = draft(&app, &officer, &pid, json!({"kind": "extension_notice"})).await;
            let id = d["id"].as_str().unwrap().to_string();
            let (status, _) = app.post(&officer, &format!("/api/v1/documents/{id}/submit"), &json!({})).await;
            assert_eq!(status, 200);
            ids.push(id);
        }
        // Two leaders sign off at once, three documents each, plus a duplicate attempt.
        let sign = |token: String, id: String| {
            let app = &app;
            async move { app.post(&token, &format!("/api/v1/documents/{id}/sign-off"), &json!({})).await }
        };
        let (a, b, c, d, e, f, dup) = tokio::join!(
            sign(deputy.clone(), ids[0].clone()),
            sign(director.clone(), ids[1].clone()),
            sign(deputy.clone(), ids[2].clone()),
            sign(director.clone(), ids[3].clone()),
            sign(deputy.clone(), ids[4].clone()),
            sign(director.clone(), ids[5].clone()),
            sign(director.clone(), ids[0].clone()),
        );
        let mut numbers = Vec::new();
        for (status, v) in [a, b, c, d, e, f] {
            if status == 200 {
                numbers.push(v["doc_no"].as_str().unwrap().to_string());
            } else {
                // Only the duplicate may lose the race for ids[0].
                assert_eq!(status, 409, "{v}");
            }
        }
        if dup.0 == 200 {
            numbers.push(dup.1["doc_no"].as_str().unwrap().to_string());
        } else {
            assert_eq!(dup.0, 409, "{}", dup.1);
        }
        numbers.sort_by_key(|n| n.trim_start_matches("阜信延〔2026〕").trim_end_matches('号').parse::<u32>().unwrap());
        let expected: Vec<String> = (1..=6).map(|n| format!("阜信延〔2026〕{n}号")).collect();
        assert_eq!(numbers, expected, "no gap, no repeat");
        let (_, seq): (i64, i64) = xinfang_store::sqlx::query_as("SELECT 0, value FROM sequences WHERE name = 'doc:extension_notice'")
            .fetch_one(app.state.store.pool()).await.unwrap();
        assert_eq!(seq, 6);
    }

    async fn a_character_no_font_has_blocks_issue_and_takes_no_number(app) {
        let pid = petition(&app).await;
        let officer = app.token("case_officer").await;
        let d = draft(&app, &officer, &pid, json!({"kind": "handling_opinion"})).await;
        let id = d["id"].as_str().unwrap().to_string();
        let mut fields = d["fields"].clone();
        fields["body"] = json!("经查，王\u{20000}兰反映的问题属实。");
        let (status, v) = app.put(&officer, &format!("/api/v1/documents/{id}"), &json!({"version": d["version"], "fields": fields})).await;
        assert_eq!(status, 200, "{v}");
        let w = v["font_warnings"][0].as_str().unwrap();
        assert!(w.contains("无法出具") && w.contains("U+20000") && w.contains("body"), "{w}");
        let (status, e) = app.post(&officer, &format!("/api/v1/documents/{id}/submit"), &json!({})).await;
        assert_eq!(status, 422, "{e}");
        assert_eq!(e["code"], "missing_glyph");
        fields["body"] = json!("经查，王秀兰反映的问题属实。\n如对本处理意见不服，可自收到本意见书之日起30日内向本机关的上一级机关请求复查。");
        let (status, v) = app.put(&officer, &format!("/api/v1/documents/{id}"), &json!({"version": v["version"], "fields": fields})).await;
        assert_eq!(status, 200, "{v}");
        assert!(v["font_warnings"].as_array().unwrap().is_empty());
        app.post(&officer, &format!("/api/v1/documents/{id}/submit"), &json!({})).await;
        let (status, v) = app.post(&app.token("director").await, &format!("/api/v1/documents/{id}/sign-off"), &json!({})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["doc_no"], "阜信复〔2026〕1号", "the blocked attempt took no number");
    }

    async fn bulletin_is_drafted_from_a_selection_and_numbered_as_an_issue(app) {
        let a = petition(&app).await;
        let b = petition(&app).await;
        let office = app.token("office").await;
        let (status, v) = app.post(&office, "/api/v1/documents", &json!({"kind": "daily_bulletin", "petition_ids": []})).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "petition_ids");
        let (status, d) = app.post(&office, "/api/v1/documents", &json!({"kind": "daily_bulletin", "petition_ids": [a, b]})).await;
        assert_eq!(status, 201, "{d}");
        assert!(d["petition_id"].is_null());
        assert!(d["fields"]["body"].as_str().unwrap().contains("共登记信访事项2件"));
        let id = d["id"].as_str().unwrap();
        app.post(&office, &format!("/api/v1/documents/{id}/submit"), &json!({})).await;
        let (status, v) = app.post(&app.token("director").await, &format!("/api/v1/documents/{id}/sign-off"), &json!({})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["doc_no"], "第1期");
        let (_, pdf) = app.get_bytes(&office, &format!("/api/v1/documents/{id}/pdf")).await;
        let text = pdf_text(&pdf);
        assert!(text.contains("每日信访信息") && text.contains("第1期") && text.contains("张三"), "{text}");
        // Unit staff do not see bulletins.
        let (status, _) = app.get(&app.token("zhujian_handler").await, &format!("/api/v1/documents/{id}")).await;
        assert_eq!(status, 403);
    }

    async fn internal_forms_are_signed_without_a_number(app) {
        let pid = petition(&app).await;
        let officer = app.token("case_officer").await;
        let d = draft(&app, &officer, &pid, json!({"kind": "closing_approval_form"})).await;
        let id = d["id"].as_str().unwrap();
        app.post(&officer, &format!("/api/v1/documents/{id}/submit"), &json!({})).await;
        let (status, v) = app.post(&app.token("deputy_director").await, &format!("/api/v1/documents/{id}/sign-off"), &json!({})).await;
        assert_eq!(status, 200, "{v}");
        assert!(v["doc_no"].is_null());
        assert!(v["pdf_sha256"].is_string());
        let (n,): (i64,) = xinfang_store::sqlx::query_as("SELECT COUNT(*) FROM sequences WHERE name LIKE 'doc:%'")
            .fetch_one(app.state.store.pool()).await.unwrap();
        assert_eq!(n, 0, "an unnumbered form takes no number");
    }

    async fn correction_supersedes_the_signed_document_and_both_are_kept(app) {
        let pid = petition(&app).await;
        let officer = app.token("case_officer").await;
        let deputy = app.token("deputy_director").await;
        let d = draft(&app, &officer, &pid, json!({"kind": "transfer_letter"})).await;
        let old = d["id"].as_str().unwrap().to_string();
        let (status, _) = app.post(&officer, &format!("/api/v1/documents/{old}/correct"), &json!({})).await;
        assert_eq!(status, 409, "a draft is edited, not corrected");
        app.post(&officer, &format!("/api/v1/documents/{old}/submit"), &json!({})).await;
        app.post(&deputy, &format!("/api/v1/documents/{old}/sign-off"), &json!({})).await;
        app.post(&officer, &format!("/api/v1/documents/{old}/issue"), &json!({})).await;
        let (status, n) = app.post(&officer, &format!("/api/v1/documents/{old}/correct"), &json!({})).await;
        assert_eq!(status, 201, "{n}");
        assert_eq!(n["supersedes"], old.as_str());
        assert_eq!(n["state"], "draft");
        let new = n["id"].as_str().unwrap().to_string();
        app.post(&officer, &format!("/api/v1/documents/{new}/submit"), &json!({})).await;
        let (_, v) = app.post(&deputy, &format!("/api/v1/documents/{new}/sign-off"), &json!({})).await;
        assert_eq!(v["doc_no"], "阜信送〔2026〕2号");
        app.post(&officer, &format!("/api/v1/documents/{new}/issue"), &json!({})).await;
        let (_, o) = app.get(&officer, &format!("/api/v1/documents/{old}")).await;
        assert_eq!(o["superseded_by"], new.as_str());
        assert_eq!(o["doc_no"], "阜信送〔2026〕1号");
        assert_eq!(o["state"], "issued");
        let (_, docs) = app.get(&officer, &format!("/api/v1/petitions/{pid}/documents")).await;
        assert_eq!(docs.as_array().unwrap().len(), 2);
    }

    async fn bad_drafting_input_is_refused_and_nothing_is_written(app) {
        let pid = petition(&app).await;
        let officer = app.token("case_officer").await;
        let before = app.count("documents").await;
        let path = format!("/api/v1/petitions/{pid}/documents");
        let (status, v) = app.post(&officer, &path, &json!({"kind": "memo"})).await;
        assert_eq!((status, v["field"].as_str()), (422, Some("kind")));
        let (status, v) = app.post(&officer, &path, &json!({"kind": "visit_notice_slip"})).await;
        assert_eq!((status, v["field"].as_str()), (422, Some("kind")));
        let (status, v) = app.post(&officer, &path, &json!({"kind": "assignment_letter", "due_on": "2026-11-01"})).await;
        assert_eq!((status, v["field"].as_str()), (422, Some("due_on")));
        let (status, v) = app.post(&officer, &path, &json!({"kind": "assignment_letter", "fields": {"seal": "x"}})).await;
        assert_eq!((status, v["field"].as_str()), (422, Some("fields.seal")));
        let (status, _) = app.post(&app.token("receptionist").await, &path, &json!({"kind": "assignment_letter"})).await;
        assert_eq!(status, 403);
        let (status, _) = app.post(&app.token("zhujian_handler").await, &path, &json!({"kind": "assignment_letter"})).await;
        assert_eq!(status, 403);
        assert_eq!(app.count("documents").await, before);
    }

    async fn openapi_lists_the_document_operations(app) {
        let text = app.client.get(app.url("/api/openapi.json")).send().await.unwrap().text().await.unwrap();
        for op in ["draftDocument", "submitDocument", "returnDocument", "signOffDocument", "issueDocument", "listPetitionDocuments", "downloadDocument"] {
            assert!(text.contains(&format!("\"{op}\"")), "{op}");
        }
    }

    async fn two_instances_take_document_numbers_without_gap_or_repeat(app) {
        // A second instance: its own pool (and, on SQLite, its own in-process writer lock).
        let other = xinfang_store::Store::connect(&app.state.config.database_url(), 5).await.unwrap();
        let bureau = app.state.bureau.id.clone();
        let take = |store: xinfang_store::Store, bureau: String| async move {
            let mut got = Vec::new();
            for _ in 0..15 {
                let mut tx = store.begin().await.unwrap();
                let n = xinfang_store::next_in_sequence(&mut tx, &bureau, "doc:assignment_letter", 2026).await.unwrap();
                tokio::task::yield_now().await;
                tx.commit().await.unwrap();
                got.push(n);
            }
            got
        };
        let (a, b) = tokio::join!(
            tokio::spawn(take(app.state.store.clone(), bureau.clone())),
            tokio::spawn(take(other.clone(), bureau.clone()))
        );
        let mut all: Vec<i64> = a.unwrap().into_iter().chain(b.unwrap()).collect();
        all.sort_unstable();
        assert_eq!(all, (1..=30).collect::<Vec<i64>>(), "no gap, no repeat");
        other.close().await;
    }
}
