//! The mailroom (L1–L3, seed 二 二(一)–(四), 五(一)): receipt, opening, scans, enclosures,
//! registration, 来信办理单, instruction, and the 15-day notice.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::harness::{TestApp, merge};

fn pdf_text(bytes: &[u8]) -> String {
    pdf_extract::extract_text_from_mem(bytes)
        .expect("pdf text")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
pub(crate) const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F'];

async fn receive(app: &TestApp, t: &str, body: Value) -> String {
    let (status, v) = app.post(t, "/api/v1/letters", &body).await;
    assert_eq!(status, 201, "receive: {v}");
    v["petition"]["id"].as_str().unwrap().to_string()
}

fn opening() -> Value {
    json!({
        "disinfected_by": "王师傅", "distributed_to": "李秀英",
        "stamps_kept": true, "postmark_kept": true, "postcode_kept": true, "address_kept": true
    })
}

/// A letter signed for by post and opened.
pub(crate) async fn opened_letter(app: &TestApp, t: &str) -> String {
    let id = receive(
        app,
        t,
        json!({"delivery_mode": "post", "received_at": "2026-11-27T08:30", "sender": "张三", "sender_address": "阜康市城关镇东风村3组12号", "postmark_date": "2026-11-25"}),
    )
    .await;
    let (status, v) = app
        .post(t, &format!("/api/v1/letters/{id}/opening"), &opening())
        .await;
    assert_eq!(status, 200, "opening: {v}");
    id
}

fn writer(name: &str, phone: &str) -> Value {
    json!({"name": name, "id_type": "none", "address": "阜康市城关镇东风村3组12号", "phone": phone})
}

pub(crate) fn letter_body(overrides: Value) -> Value {
    let mut body = json!({
        "petitioners": [writer("张三", "13912345678")],
        "issue_region": "652302", "township": "652302100",
        "summary": "反映某建筑公司拖欠工资三万元至今未付。",
        "requests": "要求尽快支付。",
        "purpose": "01",
        "category": "060101",
        "petition_class": "claim",
        "letter": {}
    });
    merge(&mut body, overrides);
    body
}

async fn registered_letter(app: &TestApp, t: &str, overrides: Value) -> String {
    let id = opened_letter(app, t).await;
    let (status, v) = app
        .post(
            t,
            &format!("/api/v1/letters/{id}/registration"),
            &letter_body(overrides),
        )
        .await;
    assert_eq!(status, 200, "register: {v}");
    id
}

pub(crate) async fn upload(
    app: &TestApp,
    t: &str,
    id: &str,
    query: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(&format!("/api/v1/letters/{id}/scans?{query}")))
        .bearer_auth(t)
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .expect("upload");
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn blob_count(app: &TestApp) -> usize {
    let root = app.state.config.data_dir.join("blobs");
    let Ok(dirs) = std::fs::read_dir(&root) else {
        return 0;
    };
    dirs.flatten()
        .map(|d| std::fs::read_dir(d.path()).map(|f| f.count()).unwrap_or(0))
        .sum()
}

async fn event_kinds(app: &TestApp, id: &str) -> Vec<String> {
    app.state
        .store
        .events(id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

backend_tests! {
    async fn mailroom_receipt_flags_telegrams_and_express_first(app) {
        let t = app.token("letter_clerk").await;
        let post = receive(&app, &t, json!({"delivery_mode": "post", "received_at": "2026-11-27T08:00", "sender": "张三"})).await;
        let (status, v) = app.post(&t, "/api/v1/letters", &json!({"delivery_mode": "express", "tracking_no": "SF1234567890", "sender": "李四", "urgency": "urgent"})).await;
        assert_eq!(status, 201, "{v}");
        let express = v["petition"]["id"].as_str().unwrap().to_string();
        assert_eq!(v["petition"]["channel"], "letter");
        assert_eq!(v["petition"]["state"], "received");
        assert_eq!(v["petition"]["petition_no"], "L2026-000002");
        assert_eq!(v["letter"]["delivery_mode"], "express");
        assert_eq!(v["letter"]["open_immediately"], true);
        // 2026-11-27 + 15 days = Saturday 12-12, moved to Monday 12-14 (rules §2).
        assert_eq!(v["letter"]["notice_due"], "2026-12-14");
        assert_eq!(v["petition"]["events"][0]["kind"], "letter_received");
        let (_, q) = app.get(&t, "/api/v1/letters?queue=to_process").await;
        let ids: Vec<&str> = q["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [express.as_str(), post.as_str()], "the express item is on top: {q}");
        assert_eq!(q["items"][0]["open_immediately"], true);
        // Lists mask the sender.
        assert_eq!(q["items"][0]["sender"], "李*");
        // Once opened it no longer jumps the queue.
        let (status, _) = app.post(&t, &format!("/api/v1/letters/{express}/opening"), &opening()).await;
        assert_eq!(status, 200);
        let (_, q) = app.get(&t, "/api/v1/letters?queue=to_process").await;
        assert_eq!(q["items"][0]["id"], post.as_str());
    }

    async fn mailroom_receipt_in_the_future_is_refused(app) {
        let t = app.token("letter_clerk").await;
        let (status, v) = app.post(&t, "/api/v1/letters", &json!({"delivery_mode": "post", "received_at": "2026-11-28T09:00"})).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["field"], "received_at");
        assert_eq!(v["code"], "future_datetime");
        assert!(v["message"].as_str().unwrap().contains("签收时间"));
        assert_eq!(app.count("letters").await, 0);
        assert_eq!(app.count("petitions").await, 0);
        // Only the letter clerk signs for letters.
        let r = app.token("receptionist").await;
        let (status, _) = app.post(&r, "/api/v1/letters", &json!({"delivery_mode": "post"})).await;
        assert_eq!(status, 403);
        assert_eq!(app.count("petitions").await, 0);
    }

    async fn mailroom_opening_record_and_return_unopened(app) {
        let t = app.token("letter_clerk").await;
        let id = receive(&app, &t, json!({"delivery_mode": "post"})).await;
        // Something not kept intact needs a note.
        let mut o = opening();
        o["stamps_kept"] = json!(false);
        let (status, v) = app.post(&t, &format!("/api/v1/letters/{id}/opening"), &o).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["field"], "notes");
        o["notes"] = json!("邮票缺失");
        let (status, v) = app.post(&t, &format!("/api/v1/letters/{id}/opening"), &o).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["letter"]["disinfected_by"], "王师傅");
        assert_eq!(v["letter"]["stamps_kept"], false);
        assert_eq!(v["letter"]["opening_notes"], "邮票缺失");
        // An opened letter is never "returned unopened".
        let (status, _) = app.post(&t, &format!("/api/v1/letters/{id}/return"), &json!({"reason": "不属本机关"})).await;
        assert_eq!(status, 409);
        let other = receive(&app, &t, json!({"delivery_mode": "post"})).await;
        let (status, v) = app.post(&t, &format!("/api/v1/letters/{other}/return"), &json!({"reason": " "})).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "reason");
        let (status, v) = app.post(&t, &format!("/api/v1/letters/{other}/return"), &json!({"reason": "收信人为市法院，不属本机关受理范围"})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["petition"]["state"], "returned_unopened");
        assert_eq!(event_kinds(&app, &other).await, ["letter_received", "returned_unopened"]);
        let (_, q) = app.get(&t, "/api/v1/letters?queue=to_notify").await;
        assert!(q["items"].as_array().unwrap().iter().all(|i| i["id"] != other.as_str()));
    }

    async fn mailroom_scans_are_checked_by_content_and_size(app) {
        let t = app.token("letter_clerk").await;
        let id = receive(&app, &t, json!({"delivery_mode": "post"})).await;
        // Not before opening.
        let (status, _) = upload(&app, &t, &id, "part=main_document", PDF.to_vec()).await;
        assert_eq!(status, 409);
        let (status, _) = app.post(&t, &format!("/api/v1/letters/{id}/opening"), &opening()).await;
        assert_eq!(status, 200);
        let (status, env) = upload(&app, &t, &id, "part=envelope&file_name=envelope.jpg", JPEG.to_vec()).await;
        assert_eq!(status, 201, "{env}");
        let (status, main) = upload(&app, &t, &id, "part=main_document&file_name=page1.pdf", PDF.to_vec()).await;
        assert_eq!(status, 201, "{main}");
        assert_eq!(main["content_type"], "application/pdf");
        // A multipart form, as the page sends it.
        let body = [
            b"--B0undary\r\nContent-Disposition: form-data; name=\"part\"\r\n\r\nattachment\r\n--B0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"att.png\"\r\nContent-Type: image/png\r\n\r\n".to_vec(),
            PNG.to_vec(),
            b"\r\n--B0undary--\r\n".to_vec(),
        ].concat();
        let r = app.client.post(app.url(&format!("/api/v1/letters/{id}/scans"))).bearer_auth(&t)
            .header("content-type", "multipart/form-data; boundary=B0undary").body(body).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let blobs = blob_count(&app);
        let scans = app.count("letter_scans").await;
        let events = event_kinds(&app, &id).await.len();
        // 30 MB, over the 20 MB default.
        let mut big = b"%PDF-1.4\n".to_vec();
        big.resize(30 * 1024 * 1024, b'0');
        let (status, v) = upload(&app, &t, &id, "part=attachment&file_name=big.pdf", big).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["field"], "file");
        assert_eq!(v["code"], "file_too_large");
        assert!(v["message"].as_str().unwrap().contains("20 MB"), "{v}");
        // An executable renamed .pdf.
        let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00".to_vec();
        exe.extend_from_slice(&[0u8; 512]);
        let (status, v) = upload(&app, &t, &id, "part=attachment&file_name=scan.pdf", exe).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["code"], "unsupported_file_type");
        assert!(v["message"].as_str().unwrap().contains("PDF"));
        assert_eq!(blob_count(&app), blobs, "nothing written to storage");
        assert_eq!(app.count("letter_scans").await, scans);
        assert_eq!(event_kinds(&app, &id).await.len(), events);
        // Binding order: main document, attachments, envelope.
        let (_, v) = app.get(&t, &format!("/api/v1/letters/{id}")).await;
        let parts: Vec<&str> = v["scans"].as_array().unwrap().iter().map(|s| s["part"].as_str().unwrap()).collect();
        assert_eq!(parts, ["main_document", "attachment", "envelope"]);
        assert_eq!(v["scans"][1]["file_name"], "att.png");
        // Stored once by content hash; read back only by those who may read the petition.
        let url = v["scans"][0]["download_url"].as_str().unwrap().to_string();
        let (status, bytes) = app.get_bytes(&t, &url).await;
        assert_eq!(status, 200);
        assert_eq!(bytes, PDF);
        let (status, _) = upload(&app, &t, &id, "part=attachment", PDF.to_vec()).await;
        assert_eq!(status, 201);
        assert_eq!(blob_count(&app), blobs, "same content, same blob");
        let h = app.token("chengguan_handler").await;
        let (status, _) = app.get_bytes(&h, &url).await;
        assert_eq!(status, 403);
    }

    async fn mailroom_enclosures_are_handed_on_only_with_a_signature(app) {
        let t = app.token("letter_clerk").await;
        let id = opened_letter(&app, &t).await;
        let (status, v) = app.post(&t, &format!("/api/v1/letters/{id}/enclosures"), &json!({"kind": "money", "description": "人民币现金"})).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "amount");
        let (status, e) = app.post(&t, &format!("/api/v1/letters/{id}/enclosures"), &json!({"kind": "money", "description": "人民币现金", "amount": "200.50"})).await;
        assert_eq!(status, 201, "{e}");
        assert_eq!(e["amount_fen"], 20050);
        assert_eq!(e["state"], "in_custody");
        let eid = e["id"].as_str().unwrap();
        let events = event_kinds(&app, &id).await.len();
        let (status, v) = app.post(&t, &format!("/api/v1/enclosures/{eid}/hand-over"), &json!({"handed_to": "局办公室 刘海燕"})).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["field"], "signature");
        assert!(v["message"].as_str().unwrap().contains("签字"));
        assert_eq!(event_kinds(&app, &id).await.len(), events);
        let (_, l) = app.get(&t, &format!("/api/v1/letters/{id}")).await;
        assert_eq!(l["enclosures"][0]["state"], "in_custody");
        let (status, v) = app.post(&t, &format!("/api/v1/enclosures/{eid}/hand-over"), &json!({"handed_to": "局办公室 刘海燕", "signature": "刘海燕"})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["state"], "handed_over");
        assert_eq!(v["handed_signature"], "刘海燕");
        let (status, _) = app.post(&t, &format!("/api/v1/enclosures/{eid}/hand-over"), &json!({"handed_to": "某人", "signature": "某人"})).await;
        assert_eq!(status, 409);
        let kinds = event_kinds(&app, &id).await;
        assert!(kinds.ends_with(&["enclosure_registered".to_string(), "enclosure_handed_over".to_string()]), "{kinds:?}");
    }

    async fn mailroom_joint_letter_needs_signatories(app) {
        let t = app.token("letter_clerk").await;
        let id = opened_letter(&app, &t).await;
        let (status, v) = app.post(&t, &format!("/api/v1/letters/{id}/registration"), &letter_body(json!({"petitioners": [], "letter": {"joint": true}}))).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["code"], "joint_without_signatory");
        assert_eq!(v["field"], "petitioners");
        assert!(v["message"].as_str().unwrap().contains("联名信"));
        assert_eq!(app.count("petitioners").await, 0);
        let (_, l) = app.get(&t, &format!("/api/v1/letters/{id}")).await;
        assert_eq!(l["petition"]["state"], "received");
        assert_eq!(l["letter"]["joint"], false);
        let (status, v) = app.post(&t, &format!("/api/v1/letters/{id}/registration"), &letter_body(json!({
            "petitioners": [writer("张三", "13912345678"), writer("李四", "13912345679")],
            "letter": {"joint": true, "signatory_count": 23, "contact_name": "李四"}
        }))).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["petition"]["state"], "registered");
        assert_eq!(v["letter"]["joint"], true);
        assert_eq!(v["letter"]["signatory_count"], 23);
        assert_eq!(v["letter"]["contact_name"], "李四");
        assert_eq!(v["petition"]["petitioners"].as_array().unwrap().len(), 2);
        // The visit time defaults to the receipt time.
        assert_eq!(v["petition"]["visited_at"], v["letter"]["received_at"]);
        let kinds = event_kinds(&app, &id).await;
        assert_eq!(kinds.last().unwrap(), "letter_registered");
    }

    async fn mailroom_forwarded_and_leader_instructed_letters(app) {
        let t = app.token("letter_clerk").await;
        let id = opened_letter(&app, &t).await;
        let (status, v) = app.post(&t, &format!("/api/v1/letters/{id}/registration"), &letter_body(json!({"letter": {"forwarded_doc_no": "昌信转〔2026〕5号"}}))).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "forwarded_by_organ");
        let (status, v) = app.post(&t, &format!("/api/v1/letters/{id}/registration"), &letter_body(json!({"letter": {
            "forwarded_by_organ": "昌吉州信访局", "forwarded_doc_no": "昌信转〔2026〕5号",
            "forwarded_on": "2026-11-20", "forwarded_deadline": "2026-12-20",
            "leader_name": "王市长", "leader_instructed_on": "2026-11-26", "leader_instruction": "请市信访局督促办理。"
        }}))).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["letter"]["forwarded_by_organ"], "昌吉州信访局");
        assert_eq!(v["letter"]["forwarded_deadline"], "2026-12-20");
        assert_eq!(v["letter"]["leader_name"], "王市长");
        assert_eq!(v["letter"]["leader_instruction"], "请市信访局督促办理。");
    }

    async fn mailroom_repeat_letters_are_detected(app) {
        let t = app.token("letter_clerk").await;
        let first = registered_letter(&app, &t, json!({})).await;
        let second = registered_letter(&app, &t, json!({"repeat_of": first, "repeat_reason": "前信未答复"})).await;
        let (_, v) = app.get(&t, &format!("/api/v1/letters/{second}")).await;
        assert_eq!(v["similar"][0]["id"], first.as_str());
        assert_eq!(v["petition"]["repeat_of"], first.as_str());
    }

    async fn mailroom_handling_form_instruction_and_written_notice(app) {
        let t = app.token("letter_clerk").await;
        let id = registered_letter(&app, &t, json!({})).await;
        let (status, v) = app.post(&t, &format!("/api/v1/letters/{id}/handling-form"), &json!({"proposal": " "})).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "proposal");
        let (status, v) = app.post(&t, &format!("/api/v1/letters/{id}/handling-form"), &json!({"proposal": "建议受理，转市人社局办理。"})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["petition"]["state"], "awaiting_instruction");
        let form = &v["documents"][0];
        assert_eq!(form["kind"], "letter_handling_form");
        assert!(form["doc_no"].is_null(), "an internal form has no number");
        let (status, pdf) = app.get_bytes(&t, form["download_url"].as_str().unwrap()).await;
        assert_eq!(status, 200);
        let text = pdf_text(&pdf);
        assert!(text.contains("来信办理单"), "{text}");
        assert!(text.contains("建议受理，转市人社局办理。"), "{text}");
        // On the leader's list; the clerk cannot decide.
        let d = app.token("deputy_director").await;
        let (_, q) = app.get(&d, "/api/v1/letters?queue=awaiting_instruction").await;
        assert_eq!(q["items"][0]["id"], id.as_str());
        let (status, _) = app.post(&t, &format!("/api/v1/letters/{id}/instruction"), &json!({"acceptance": "accepted", "instruction": "同意"})).await;
        assert_eq!(status, 403);
        let (status, v) = app.post(&d, &format!("/api/v1/letters/{id}/instruction"), &json!({"acceptance": "accepted", "instruction": ""})).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "instruction");
        let (status, v) = app.post(&d, &format!("/api/v1/letters/{id}/instruction"), &json!({"acceptance": "accepted", "instruction": "同意受理，请转市人社局办理。"})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["state"], "disposing");
        assert_eq!(v["notice_due"], "2026-12-14");
        // The writer is told in writing.
        let (_, q) = app.get(&t, "/api/v1/letters?queue=to_notify").await;
        assert_eq!(q["items"][0]["id"], id.as_str());
        assert_eq!(q["items"][0]["days_left"], 17);
        // In writing only with the issued 告知书: drafted, signed off by a leader, issued.
        let (status, v) = app.post(&t, &format!("/api/v1/letters/{id}/notice"), &json!({"method": "written"})).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["field"], "document_id");
        let (status, v) = app.post(&t, &format!("/api/v1/petitions/{id}/documents"), &json!({"kind": "non_acceptance_notice"})).await;
        assert_eq!(status, 422, "the decision calls for the acceptance notice: {v}");
        assert_eq!(v["code"], "wrong_notice");
        let (status, draft) = app.post(&t, &format!("/api/v1/petitions/{id}/documents"), &json!({"kind": "acceptance_notice"})).await;
        assert_eq!(status, 201, "{draft}");
        let draft_id = draft["id"].as_str().unwrap().to_string();
        assert!(draft["fields"]["body"].as_str().unwrap().contains("本机关决定予以受理"), "{draft}");
        let (status, v) = app.post(&t, &format!("/api/v1/letters/{id}/notice"), &json!({"method": "written", "document_id": draft_id})).await;
        assert_eq!(status, 422, "a draft is not yet a notice: {v}");
        assert_eq!(v["code"], "not_issued");
        // The clerk cannot sign it off; a leader can.
        let (status, _) = app.post(&t, &format!("/api/v1/documents/{draft_id}/submit"), &json!({})).await;
        assert_eq!(status, 200);
        let (status, _) = app.post(&t, &format!("/api/v1/documents/{draft_id}/sign-off"), &json!({})).await;
        assert_eq!(status, 403);
        let (status, _) = app.post(&d, &format!("/api/v1/documents/{draft_id}/sign-off"), &json!({})).await;
        assert_eq!(status, 200);
        let (status, _) = app.post(&t, &format!("/api/v1/documents/{draft_id}/issue"), &json!({})).await;
        assert_eq!(status, 200);
        let (status, v) = app.post(&t, &format!("/api/v1/letters/{id}/notice"), &json!({"method": "written", "document_id": draft_id})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["doc_no"], "阜信受告〔2026〕1号");
        assert_eq!(v["document_id"], draft_id.as_str());
        assert_eq!(v["state"], "disposing");
        let (_, l) = app.get(&t, &format!("/api/v1/letters/{id}")).await;
        let notice = l["documents"].as_array().unwrap().iter().find(|d| d["kind"] == "acceptance_notice").unwrap().clone();
        assert_eq!(notice["title"], "受理告知书");
        let (status, pdf) = app.get_bytes(&t, notice["download_url"].as_str().unwrap()).await;
        assert_eq!(status, 200);
        let text = pdf_text(&pdf);
        assert!(text.contains("受理告知书"), "{text}");
        assert!(text.contains("张三"), "{text}");
        assert!(text.contains("阜信受告〔2026〕1号"), "{text}");
        assert!(l["notice_days_left"].is_null());
        let (_, q) = app.get(&t, "/api/v1/letters?queue=to_notify").await;
        assert!(q["items"].as_array().unwrap().is_empty(), "{q}");
        let (status, _) = app.post(&t, &format!("/api/v1/letters/{id}/notice"), &json!({"method": "written", "document_id": draft_id})).await;
        assert_eq!(status, 409);
        let kinds = event_kinds(&app, &id).await;
        assert_eq!(kinds, ["letter_received", "letter_opened", "letter_registered", "submitted_for_instruction", "document_issued", "instruction_recorded", "document_drafted", "document_submitted", "document_signed_off", "document_issued", "notice_recorded"]);
    }

    async fn mailroom_not_accepted_letter_ends_with_the_phone_notice(app) {
        let t = app.token("letter_clerk").await;
        let id = registered_letter(&app, &t, json!({})).await;
        let (status, _) = app.post(&t, &format!("/api/v1/letters/{id}/notice"), &json!({"method": "phone", "content": "告知"})).await;
        assert_eq!(status, 409, "no decision yet");
        app.post(&t, &format!("/api/v1/letters/{id}/handling-form"), &json!({"proposal": "建议不予受理，告知其通过仲裁解决。"})).await;
        let d = app.token("deputy_director").await;
        let (status, v) = app.post(&d, &format!("/api/v1/letters/{id}/instruction"), &json!({"acceptance": "not_accepted", "instruction": "同意不予受理。"})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["state"], "decided");
        let (status, v) = app.post(&t, &format!("/api/v1/letters/{id}/notice"), &json!({"method": "phone", "content": ""})).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "content");
        let (status, v) = app.post(&t, &format!("/api/v1/letters/{id}/notice"), &json!({"method": "phone", "called_at": "2026-11-27T09:40", "content": "已告知不予受理及理由，建议申请劳动仲裁。"})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["state"], "closed");
        assert!(v["document_id"].is_null());
        let (_, l) = app.get(&t, &format!("/api/v1/letters/{id}")).await;
        assert_eq!(l["letter"]["notice_method"], "phone");
        assert!(l["letter"]["notice_detail"].as_str().unwrap().contains("建议申请劳动仲裁"));
        assert_eq!(event_kinds(&app, &id).await.last().unwrap(), "notice_served");
    }

    async fn mailroom_written_notices_for_non_accepting_decisions(app) {
        let t = app.token("letter_clerk").await;
        let d = app.token("deputy_director").await;
        for (acceptance, kind, title, no, phrase) in [
            ("not_accepted", "non_acceptance_notice", "不予受理告知书", "阜信不受告〔2026〕1号", "不予受理"),
            ("no_longer_accepted", "no_longer_accepted_notice", "不再受理告知书", "阜信不再告〔2026〕1号", "不再受理"),
        ] {
            let id = registered_letter(&app, &t, json!({})).await;
            let (status, _) = app.post(&t, &format!("/api/v1/letters/{id}/handling-form"), &json!({"proposal": "拟不予受理。"})).await;
            assert_eq!(status, 200);
            let (status, v) = app.post(&d, &format!("/api/v1/letters/{id}/instruction"), &json!({"acceptance": acceptance, "instruction": "同意。"})).await;
            assert_eq!(status, 200, "{v}");
            assert_eq!(v["state"], "decided");
            // A notice of another kind does not count.
            let (status, v) = app.post(&t, &format!("/api/v1/petitions/{id}/documents"), &json!({"kind": "acceptance_notice"})).await;
            assert_eq!(status, 422, "{v}");
            // Nor does another issued document, or one of another petition.
            let (_, l) = app.get(&t, &format!("/api/v1/letters/{id}")).await;
            let form = l["documents"].as_array().unwrap().iter().find(|x| x["kind"] == "letter_handling_form").unwrap()["id"].clone();
            let (status, v) = app.post(&t, &format!("/api/v1/letters/{id}/notice"), &json!({"method": "written", "document_id": form})).await;
            assert_eq!((status, v["code"].as_str()), (422, Some("wrong_notice")), "{v}");
            let (status, v) = app.post(&t, &format!("/api/v1/letters/{id}/notice"), &json!({"method": "written", "document_id": "no-such-document"})).await;
            assert_eq!((status, v["code"].as_str()), (422, Some("unknown_document")), "{v}");
            let doc = app.issue_through_sign_off("letter_clerk", "director", &id, json!({"kind": kind})).await;
            let body = doc["fields"]["body"].as_str().unwrap();
            assert!(body.contains(phrase), "{body}");
            let (status, v) = app.post(&t, &format!("/api/v1/letters/{id}/notice"), &json!({"method": "written", "document_id": doc["id"]})).await;
            assert_eq!(status, 200, "{v}");
            assert_eq!(v["doc_no"], no);
            assert_eq!(v["state"], "closed");
            let (_, l) = app.get(&t, &format!("/api/v1/letters/{id}")).await;
            let doc = l["documents"].as_array().unwrap().iter().find(|x| x["kind"] == kind).unwrap().clone();
            assert_eq!(doc["title"], title);
            let (status, pdf) = app.get_bytes(&t, doc["download_url"].as_str().unwrap()).await;
            assert_eq!(status, 200);
            let text = pdf_text(&pdf);
            assert!(text.contains(title), "{text}");
            assert!(text.contains(no), "{text}");
            assert!(text.contains(phrase), "{text}");
            assert!(text.contains("张三"), "{text}");
        }
    }

    async fn mailroom_anonymous_letter_closes_the_notice_as_cannot_notify(app) {
        let t = app.token("letter_clerk").await;
        let id = registered_letter(&app, &t, json!({"petitioners": [], "anonymous": true})).await;
        let (status, v) = app.post(&t, &format!("/api/v1/letters/{id}/notice"), &json!({"method": "written"})).await;
        assert_eq!(status, 422, "{v}");
        assert_eq!(v["code"], "no_address");
        let (status, v) = app.post(&t, &format!("/api/v1/letters/{id}/notice"), &json!({"method": "cannot_notify"})).await;
        assert_eq!(status, 422);
        assert_eq!(v["field"], "reason");
        let (status, v) = app.post(&t, &format!("/api/v1/letters/{id}/notice"), &json!({"method": "cannot_notify", "reason": "匿名信，未留姓名和地址"})).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["method"], "cannot_notify");
        // A named writer with an address must be told.
        let named = registered_letter(&app, &t, json!({})).await;
        let (status, v) = app.post(&t, &format!("/api/v1/letters/{named}/notice"), &json!({"method": "cannot_notify", "reason": "忙"})).await;
        assert_eq!(status, 422);
        assert_eq!(v["code"], "can_notify");
    }

    async fn mailroom_to_notify_list_is_ordered_by_days_left(app) {
        let t = app.token("letter_clerk").await;
        let late = receive(&app, &t, json!({"delivery_mode": "post", "received_at": "2026-11-26T09:00"})).await;
        let early = receive(&app, &t, json!({"delivery_mode": "post", "received_at": "2026-11-16T09:00"})).await;
        let today = receive(&app, &t, json!({"delivery_mode": "fax"})).await;
        let (_, q) = app.get(&t, "/api/v1/letters?queue=to_notify").await;
        let items = q["items"].as_array().unwrap();
        let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [early.as_str(), late.as_str(), today.as_str()]);
        // 11-16 + 15 = 12-01 (Tuesday): 4 days left on Friday 11-27.
        assert_eq!(items[0]["notice_due"], "2026-12-01");
        assert_eq!(items[0]["days_left"], 4);
        let r = app.token("receptionist").await;
        let (status, _) = app.get(&r, "/api/v1/letters?queue=to_notify").await;
        assert_eq!(status, 403);
    }

    async fn mailroom_api_is_documented(app) {
        let r = app.client.get(app.url("/api/openapi.json")).send().await.unwrap();
        let doc: Value = r.json().await.unwrap();
        let text = doc.to_string();
        for op in ["receiveLetter", "registerLetter", "recordInstruction", "recordNotice", "uploadLetterScan", "handOverEnclosure", "registerPetition"] {
            assert!(text.contains(&format!("\"operationId\":\"{op}\"")), "{op} missing");
        }
    }
}
