//! Archives (issue 19): dossiers assembled for their source with what is missing, the archive
//! command, the year-end transfer, appraisal and destruction, lending, the PDF and the package,
//! the offline store (网机隔离); internet publication with redaction and its two gates.

use std::io::Read;

use serde_json::{Value, json};
use xinfang_app::clock::Clock;

use crate::backend_tests;
use crate::handling::{accepted_visit_with, assigned, findings, unit_handles};
use crate::harness::TestApp;

/// A visit registered with `overrides`, assigned to 城关镇, reported, reviewed, closed by the
/// deputy director and deregistered on 2026-11-27: returns its id.
pub(crate) async fn deregistered_visit(app: &TestApp, overrides: Value) -> String {
    let id = accepted_visit_with(app, overrides).await;
    let record = assigned(app, &id).await;
    let report = unit_handles(app, &id, &record).await;
    let co = app.token("case_officer").await;
    let (s, v) = app
        .post(
            &co,
            &format!("/api/v1/reports/{report}/review"),
            &json!({"findings": findings(&[])}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(
            &co,
            &format!("/api/v1/petitions/{id}/closure"),
            &json!({"action": "propose"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let dd = app.token("deputy_director").await;
    let (s, v) = app
        .post(
            &dd,
            &format!("/api/v1/approvals/{}", v["approval_id"].as_str().unwrap()),
            &json!({"accept": true}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(
            &co,
            &format!("/api/v1/petitions/{id}/closure"),
            &json!({"action": "deregister"}),
        )
        .await;
    assert_eq!((s, v["stage"].as_str()), (200, Some("deregistered")), "{v}");
    id
}

/// A PDF the archivist scans in.
fn scanned_pdf(app: &TestApp, title: &str) -> Vec<u8> {
    app.state
        .renderer
        .render("dossier_record", &json!({"bureau_name": "阜康市信访局", "issued_on": "2026-11-20", "title": title, "rows": [], "sections": []}))
        .unwrap()
        .pdf
}

async fn supply(
    app: &TestApp,
    t: &str,
    id: &str,
    kind: &str,
    title: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(&format!("/api/v1/archives/petitions/{id}/supplements?item_kind={kind}&title={}&dated=2026-11-20&responsible=%E5%9F%8E%E5%85%B3%E9%95%87&file_name=scan.pdf", crate::sweep::url_escape(title))))
        .bearer_auth(t)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// The missing entries the preview lists, explained one by one.
async fn explain_missing(app: &TestApp, t: &str, id: &str) {
    let (_, p) = app
        .get(t, &format!("/api/v1/archives/petitions/{id}"))
        .await;
    for m in p["missing"].as_array().unwrap() {
        let (s, v) = app
            .post(
                t,
                &format!("/api/v1/archives/petitions/{id}/absences"),
                &json!({"item_kind": m["item_kind"], "reason": "纸质原件未随案移交，已登记备查"}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
    }
}

/// Past the 复查 window (the reply was served 2026-11-27).
fn after_appeal_window(app: &TestApp) {
    app.clock.set(app.clock.now() + chrono::Duration::days(40));
}

async fn archived(app: &TestApp, id: &str) -> Value {
    let a = app.token("archivist").await;
    explain_missing(app, &a, id).await;
    let (s, v) = app
        .post(
            &a,
            &format!("/api/v1/archives/petitions/{id}/archive"),
            &json!({"checked_by": "王科长"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v
}

fn zip_entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut b = Vec::new();
            f.read_to_end(&mut b).unwrap();
            (f.name().to_string(), b)
        })
        .collect()
}

backend_tests! {
    async fn a_visit_is_archived_once_its_appeal_window_lapsed_and_its_volume_is_complete(app) {
        let id = deregistered_visit(&app, json!({})).await;
        let a = app.token("archivist").await;
        let (s, list) = app.get(&a, "/api/v1/archives/candidates").await;
        assert_eq!(s, 200);
        assert!(list.as_array().unwrap().iter().any(|c| c["petition_id"] == id.as_str()), "{list}");
        let (s, p) = app.get(&a, &format!("/api/v1/archives/petitions/{id}")).await;
        assert_eq!(s, 200, "{p}");
        // Assigned by the bureau: a 专卷 on the visit list (seed 一 5).
        assert_eq!((p["kind"].as_str(), p["list"].as_str()), (Some("dedicated"), Some("visit_dedicated")));
        assert_eq!(p["retention"], "D30");
        let kinds: Vec<&str> = p["index"].as_array().unwrap().iter().map(|l| l["item_kind"].as_str().unwrap()).collect();
        assert_eq!(kinds.first(), Some(&"registration"), "the registration form comes first: {kinds:?}");
        for k in ["handling_report", "closing_approval"] {
            assert!(kinds.contains(&k), "{k} in {kinds:?}");
        }
        // No evidence was attached: missing until supplied or explained.
        let missing: Vec<&str> = p["missing"].as_array().unwrap().iter().map(|m| m["item_kind"].as_str().unwrap()).collect();
        assert!(missing.contains(&"evidence"), "{missing:?}");
        assert!(p["blockers"].to_string().contains("复查、复核申请期限尚未届满"), "{p}");
        let (s, v) = app.post(&a, &format!("/api/v1/archives/petitions/{id}/archive"), &json!({"checked_by": "王科长"})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("appeal_window_open")), "{v}");
        after_appeal_window(&app);
        let a = app.token("archivist").await;
        let (s, v) = app.post(&a, &format!("/api/v1/archives/petitions/{id}/archive"), &json!({"checked_by": "王科长"})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("dossier_incomplete")), "{v}");
        assert!(v["message"].as_str().unwrap().contains("证明事实的证据材料"), "{v}");
        // The archivist scans in the evidence; a file that is not a scan is refused and nothing
        // is written.
        let (s, v) = supply(&app, &a, &id, "evidence", "调查笔录", b"MZ\x90\x00 not a pdf".to_vec()).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("file")), "{v}");
        let (s, v) = supply(&app, &a, &id, "nonsense", "调查笔录", scanned_pdf(&app, "调查笔录")).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("item_kind")), "{v}");
        assert_eq!(app.count("dossier_supplements").await, 0);
        let (s, v) = supply(&app, &a, &id, "evidence", "调查笔录", scanned_pdf(&app, "调查笔录")).await;
        assert_eq!(s, 201, "{v}");
        // A case officer may not supply or archive: the archivist keeps the archives.
        let co = app.token("case_officer").await;
        let (s, _) = app.post(&co, &format!("/api/v1/archives/petitions/{id}/archive"), &json!({"checked_by": "王科长"})).await;
        assert_eq!(s, 403);
        let (s, v) = app.post(&a, &format!("/api/v1/archives/petitions/{id}/absences"), &json!({"item_kind": "conclusion", "reason": "无"})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("reason")), "{v}");
        let v = archived(&app, &id).await;
        assert_eq!(v["archival_no"], "X001-ZY·XF·01·2026·D30-0001", "{v}");
        let dossier = v["dossier_id"].as_str().unwrap().to_string();
        let p = app.state.store.petition(&app.state.bureau.id, &id).await.unwrap();
        assert_eq!(p.stage.as_str(), "archived");
        let events = app.state.store.events(&id).await.unwrap();
        let ev = events.iter().find(|e| e.kind == "archived").expect("archived event");
        assert_eq!(ev.payload["archival_no"], "X001-ZY·XF·01·2026·D30-0001");
        assert!(app.state.store.verify(&app.state.bureau.id).await.unwrap().ok());
        // The dossier: its table of contents, the explained absences in the 备考表.
        let (s, d) = app.get(&a, &format!("/api/v1/dossiers/{dossier}")).await;
        assert_eq!(s, 200, "{d}");
        let index = d["index"].as_array().unwrap();
        assert_eq!(index.len() as i64, d["items"].as_i64().unwrap());
        assert!(index.iter().any(|l| l["title"] == "调查笔录" && l["responsible"] == "城关镇"), "{d}");
        assert!(index.iter().all(|l| l["pages"].as_i64().unwrap() >= 1));
        assert!(d["note"].as_str().unwrap().contains("纸质原件未随案移交"), "{d}");
        // The volume as one PDF: cover, 卷内目录, every piece, 备考表.
        let (s, pdf) = app.get_bytes(&a, &format!("/api/v1/dossiers/{dossier}/pdf")).await;
        assert_eq!(s, 200);
        let pages = xinfang_docs::pdf_page_count(&pdf).unwrap() as i64;
        assert!(pages >= d["pages"].as_i64().unwrap() + 3, "{pages} pages for {d}");
        let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
        for needle in ["X001-ZY·XF·01·2026·D30-0001", "张三", "调查笔录", "纸质原件未随案移交"] {
            assert!(text.contains(needle), "{needle} in the volume");
        }
        // The package: every file with its hash in the manifest, the metadata as XML.
        let (s, zip) = app.get_bytes(&a, &format!("/api/v1/dossiers/{dossier}/package")).await;
        assert_eq!(s, 200);
        let entries = zip_entries(&zip);
        let manifest: Value = serde_json::from_slice(&entries.iter().find(|(n, _)| n == "manifest.json").unwrap().1).unwrap();
        for f in manifest["files"].as_array().unwrap() {
            let (_, bytes) = entries.iter().find(|(n, _)| n == f["name"].as_str().unwrap()).unwrap();
            assert_eq!(f["sha256"].as_str().unwrap(), xinfang_blobs::sha256_hex(bytes));
        }
        let meta = String::from_utf8(entries.iter().find(|(n, _)| n == "metadata.xml").unwrap().1.clone()).unwrap();
        assert!(meta.contains("<archival_no>X001-ZY·XF·01·2026·D30-0001</archival_no>"), "{meta}");
        // Read-only from now on.
        let (s, _) = supply(&app, &a, &id, "evidence", "补充", scanned_pdf(&app, "补充")).await;
        assert_eq!(s, 409);
        let (s, _) = app.post(&a, &format!("/api/v1/archives/petitions/{id}/archive"), &json!({"checked_by": "王科长"})).await;
        assert_eq!(s, 422);
        // Every download is in the audit trail.
        let (n,): (i64,) = xinfang_store::sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE kind IN ('dossier_pdf_downloaded', 'dossier_package_downloaded')")
            .fetch_one(app.state.store.pool()).await.unwrap();
        assert_eq!(n, 2);
    }

    async fn a_dossier_is_lent_only_to_staff_who_worked_on_it_with_a_leaders_approval(app) {
        let id = deregistered_visit(&app, json!({})).await;
        after_appeal_window(&app);
        let dossier = archived(&app, &id).await["dossier_id"].as_str().unwrap().to_string();
        let return_on = (xinfang_app::clock::local_date(app.clock.now()) + chrono::Duration::days(3)).to_string();
        // The case officer reviewed the report: related. Before a loan it cannot read the volume.
        let co = app.token("case_officer").await;
        let (s, _) = app.get(&co, &format!("/api/v1/dossiers/{dossier}")).await;
        assert_eq!(s, 404);
        // Not outside the bureau; not to someone who never worked on it; not for long.
        let h = app.token("chengguan_handler").await;
        let (s, v) = app.post(&h, &format!("/api/v1/dossiers/{dossier}/loans"), &json!({"reason": "复核需要", "return_on": return_on})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("outside_bureau")), "{v}");
        let clerk = app.token("letter_clerk").await;
        let (s, v) = app.post(&clerk, &format!("/api/v1/dossiers/{dossier}/loans"), &json!({"reason": "复核需要查阅", "return_on": return_on})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("unrelated")), "{v}");
        let (s, v) = app.post(&co, &format!("/api/v1/dossiers/{dossier}/loans"), &json!({"reason": "复核需要查阅", "return_on": "2027-06-01"})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("return_on")), "{v}");
        // The petition's page offers the loan to someone who worked on it, not to others.
        let page = |t: String| {
            let url = app.url(&format!("/petitions/{id}"));
            let client = app.client.clone();
            async move { client.get(url).bearer_auth(t).send().await.unwrap().text().await.unwrap() }
        };
        assert!(page(co.clone()).await.contains("id=\"loan-form\""));
        assert!(!page(clerk.clone()).await.contains("id=\"loan-form\""));
        let (s, v) = app.post(&co, &format!("/api/v1/dossiers/{dossier}/loans"), &json!({"reason": "信访人复查申请需查阅原卷", "return_on": return_on})).await;
        assert_eq!(s, 201, "{v}");
        let (s, _) = app.get(&co, &format!("/api/v1/dossiers/{dossier}/pdf")).await;
        assert_eq!(s, 404, "not before a leader approves");
        let dd = app.token("deputy_director").await;
        let (_, list) = app.get(&dd, "/api/v1/approvals").await;
        let approval = list.as_array().unwrap().iter().find(|a| a["gate"] == "dossier_loan").expect("the loan waits for a leader");
        let (s, v) = app.post(&dd, &format!("/api/v1/approvals/{}", approval["id"].as_str().unwrap()), &json!({"accept": true})).await;
        assert_eq!(s, 200, "{v}");
        let (s, pdf) = app.get_bytes(&co, &format!("/api/v1/dossiers/{dossier}/pdf")).await;
        assert_eq!(s, 200);
        assert!(pdf.starts_with(b"%PDF-"));
        let log = app.state.store.access_log(&id).await.unwrap();
        assert!(log.iter().any(|(_, _, purpose)| purpose == "dossier_loan"), "{log:?}");
        // Returned, the volume is closed to the borrower again; likewise once the date passes.
        let (_, loans) = app.get(&co, "/api/v1/dossier-loans").await;
        let loan = loans[0]["id"].as_str().unwrap().to_string();
        let (s, _) = app.post(&co, &format!("/api/v1/dossier-loans/{loan}/return"), &json!({})).await;
        assert_eq!(s, 204);
        let (s, _) = app.get(&co, &format!("/api/v1/dossiers/{dossier}")).await;
        assert_eq!(s, 404);
    }

    async fn the_years_dossiers_are_handed_to_the_office_and_the_routine_is_met(app) {
        let id = deregistered_visit(&app, json!({})).await;
        // The daily scan of 2026-11-27 starts the year's routine (due 2026-12-31).
        let admin = app.state.store.user_by_username("admin").await.unwrap().unwrap();
        let today = xinfang_app::clock::local_date(app.clock.now());
        xinfang_app::deadlines::routines::start_due(&app.state, today, &admin.id).await.unwrap();
        after_appeal_window(&app);
        let dossier = archived(&app, &id).await["dossier_id"].as_str().unwrap().to_string();
        let a = app.token("archivist").await;
        let (s, v) = app.post(&a, "/api/v1/dossier-transfers", &json!({"year": 2030})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("year")), "{v}");
        let (s, t) = app.post(&a, "/api/v1/dossier-transfers", &json!({"year": 2026})).await;
        assert_eq!(s, 201, "{t}");
        assert_eq!((t["dossiers"].as_i64(), t["state"].as_str()), (Some(1), Some("handed")));
        let transfer = t["id"].as_str().unwrap().to_string();
        // Listed once: nothing is left to hand over.
        let (s, _) = app.post(&a, "/api/v1/dossier-transfers", &json!({"year": 2026})).await;
        assert_eq!(s, 422);
        // Only the office signs for it.
        let (s, _) = app.post(&a, &format!("/api/v1/dossier-transfers/{transfer}/receive"), &json!({})).await;
        assert_eq!(s, 403);
        let office = app.token("office").await;
        let (s, t) = app.post(&office, &format!("/api/v1/dossier-transfers/{transfer}/receive"), &json!({})).await;
        assert_eq!((s, t["state"].as_str()), (200, Some("received")), "{t}");
        let (s, d) = app.get(&a, &format!("/api/v1/dossiers/{dossier}")).await;
        assert_eq!((s, d["state"].as_str()), (200, Some("transferred")));
        // The signed list, both copies, names both sides.
        let (s, pdf) = app.get_bytes(&office, &format!("/api/v1/dossier-transfers/{transfer}/pdf")).await;
        assert_eq!(s, 200);
        let text: String = pdf_extract::extract_text_from_mem(&pdf).unwrap().split_whitespace().collect();
        assert!(text.contains("X001-ZY·XF·01·2026·D30-0001") && text.contains("第二联接收方留存"), "{text}");
        // The year-end routine of 2026 is met by the office's signature.
        let routines = app.state.store.routine_deadlines(&app.state.bureau.id, today - chrono::Duration::days(400)).await.unwrap();
        let yearly = routines.iter().find(|d| d.rule_code == "yearly_dossiers" && d.due_on.to_string() == "2026-12-31").expect("started");
        assert_eq!(yearly.state, "met");
    }

    async fn a_dossier_past_its_retention_is_appraised_and_destroyed_with_a_leaders_approval(app) {
        let id = deregistered_visit(&app, json!({})).await;
        after_appeal_window(&app);
        // The administrator keeps the retention table; nobody else.
        let admin = app.token("admin").await;
        let (s, _) = app.put(&admin, "/api/v1/retention-rules", &json!({"kind": "dedicated", "category_prefix": "06", "retention": "D10"})).await;
        assert_eq!(s, 204);
        let (s, v) = app.put(&admin, "/api/v1/retention-rules", &json!({"kind": "dedicated", "category_prefix": "6x", "retention": "D10"})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("category_prefix")));
        let a = app.token("archivist").await;
        let (s, _) = app.put(&a, "/api/v1/retention-rules", &json!({"kind": "dedicated", "category_prefix": "06", "retention": "Y"})).await;
        assert_eq!(s, 403);
        let v = archived(&app, &id).await;
        // Category 060101 matches the 06 line: ten years.
        assert_eq!(v["archival_no"], "X001-ZY·XF·01·2026·D10-0001", "{v}");
        let dossier = v["dossier_id"].as_str().unwrap().to_string();
        let a = app.token("archivist").await;
        let (s, _) = app.post(&a, &format!("/api/v1/dossiers/{dossier}/destruction"), &json!({"appraisal": "已无保存价值"})).await;
        assert_eq!(s, 409, "not before the period ends");
        let (_, d) = app.get(&a, &format!("/api/v1/dossiers/{dossier}")).await;
        let pdf_hash = app.state.store.dossier(&app.state.bureau.id, &dossier).await.unwrap().pdf_hash;
        assert_eq!(d["expires_on"], "2037-01-01");
        app.clock.set(chrono::DateTime::parse_from_rfc3339("2037-01-02T02:00:00Z").unwrap().with_timezone(&chrono::Utc));
        let a = app.token("archivist").await;
        let (_, due) = app.get(&a, "/api/v1/dossiers/appraisal").await;
        assert!(due.as_array().unwrap().iter().any(|x| x["id"] == dossier.as_str()), "{due}");
        let (s, v) = app.post(&a, &format!("/api/v1/dossiers/{dossier}/destruction"), &json!({"appraisal": "经鉴定已无保存价值"})).await;
        assert_eq!(s, 201, "{v}");
        let approval = v["id"].as_str().unwrap().to_string();
        // The archivist cannot approve it; a leader does.
        let (s, _) = app.post(&a, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true})).await;
        assert_eq!(s, 403);
        let dd = app.token("deputy_director").await;
        let (s, v) = app.post(&dd, &format!("/api/v1/approvals/{approval}"), &json!({"accept": true})).await;
        assert_eq!(s, 200, "{v}");
        let (_, d) = app.get(&a, &format!("/api/v1/dossiers/{dossier}")).await;
        assert_eq!(d["state"], "destroyed");
        let (s, _) = app.get_bytes(&a, &format!("/api/v1/dossiers/{dossier}/pdf")).await;
        assert_eq!(s, 403);
        assert!(app.state.blobs.get(&pdf_hash).await.unwrap().is_none(), "the volume's file is gone");
        let register = app.state.store.destruction_register(&app.state.bureau.id).await.unwrap();
        assert!(register.iter().any(|r| r.description.contains("X001-ZY·XF·01·2026·D10-0001")), "{register:?}");
        assert!(app.state.store.verify(&app.state.bureau.id).await.unwrap().ok());
    }

    async fn letters_file_under_the_list_of_their_source(app) {
        // Assigned by a higher organ (L10.1), instructed by a local leader (L10.2), the bureau's
        // own (L10.3): each dossier follows its own list, and says what it still lacks.
        let cases = [
            (json!({"letter": {"forwarded_by_organ": "昌吉州信访局", "forwarded_doc_no": "昌信转〔2026〕5号", "forwarded_on": "2026-11-20", "forwarded_deadline": "2026-12-20"}}), "letter_higher_organ", "higher_organ_letter", vec!["handling_report", "closing_report", "reply"]),
            (json!({"letter": {"leader_name": "王市长", "leader_instructed_on": "2026-11-26", "leader_instruction": "请市信访局督促办理。"}}), "letter_local_leader", "", vec!["filing_form", "closing_materials", "closing_report"]),
            // No scan was uploaded: the writer's own material is missing too.
            (json!({}), "letter_own_filing", "", vec!["petition_material", "evidence", "closing_materials", "reply"]),
        ];
        let a = app.token("archivist").await;
        for (registration, list, present, missing) in cases {
            let id = crate::handling::accepted_letter(&app, registration).await;
            let (s, p) = app.get(&a, &format!("/api/v1/archives/petitions/{id}")).await;
            assert_eq!(s, 200, "{p}");
            assert_eq!(p["list"], list, "{p}");
            assert_eq!(p["kind"], "dedicated");
            let kinds: Vec<&str> = p["index"].as_array().unwrap().iter().map(|l| l["item_kind"].as_str().unwrap()).collect();
            if !present.is_empty() {
                assert!(kinds.contains(&present), "{present} in {kinds:?}");
            }
            let lacking: Vec<&str> = p["missing"].as_array().unwrap().iter().map(|m| m["item_kind"].as_str().unwrap()).collect();
            for m in missing {
                assert!(lacking.contains(&m), "{list}: {m} missing in {lacking:?}");
            }
            // Still being handled: not yet for the archives.
            assert!(p["blockers"].to_string().contains("销案后方可归档"), "{p}");
        }
    }

    async fn a_reply_is_published_redacted_with_the_approval_its_channel_names(app) {
        let id = deregistered_visit(&app, json!({"consent_to_publish": true})).await;
        let co = app.token("case_officer").await;
        let (s, d) = app.get(&co, &format!("/api/v1/petitions/{id}/publication-draft")).await;
        assert_eq!(s, 200, "{d}");
        let text = d.to_string();
        for leak in ["张三", "13912345678", "11010519491231002X", "东风村3组12号"] {
            assert!(!text.contains(leak), "{leak} in the preview: {text}");
        }
        // An edit that puts the name back is refused and writes nothing.
        let (s, v) = app.post(&co, &format!("/api/v1/petitions/{id}/publications"), &json!({"title": "关于张三反映工资问题的答复", "matter": d["matter"], "result": d["result"]})).await;
        assert_eq!((s, v["field"].as_str(), v["code"].as_str()), (422, Some("title"), Some("personal_data")), "{v}");
        assert_eq!(app.count("publications").await, 0);
        let (s, v) = app.post(&co, &format!("/api/v1/petitions/{id}/publications"), &json!({"title": d["title"], "matter": d["matter"], "result": d["result"]})).await;
        assert_eq!(s, 201, "{v}");
        let publication = v["id"].as_str().unwrap().to_string();
        let (_, public) = app.get("", "/api/v1/public/publications").await;
        assert_eq!(public.as_array().unwrap().len(), 0, "nothing before approval");
        // A visit's reply: a bureau leader approves (seed 一(八)4).
        let dd = app.token("deputy_director").await;
        let (_, list) = app.get(&dd, "/api/v1/approvals").await;
        let a = list.as_array().unwrap().iter().find(|a| a["gate"] == "publication_visit").expect("publication waits for a leader");
        let (s, _) = app.post(&dd, &format!("/api/v1/approvals/{}", a["id"].as_str().unwrap()), &json!({"accept": true})).await;
        assert_eq!(s, 200);
        let (s, public) = app.get("", "/api/v1/public/publications").await;
        assert_eq!((s, public.as_array().unwrap().len()), (200, 1), "{public}");
        let page = app.client.get(app.url(&format!("/public/published/{publication}"))).send().await.unwrap();
        assert_eq!(page.status().as_u16(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("张某") || html.contains("支付"), "{html}");
        assert!(!html.contains("张三") && !html.contains("13912345678"));
        // Withdrawn, it is gone from the public side; the register keeps it.
        let office = app.token("office").await;
        let (s, _) = app.post(&office, &format!("/api/v1/publications/{publication}/withdraw"), &json!({"reason": "信访人撤回同意"})).await;
        assert_eq!(s, 204);
        let page = app.client.get(app.url(&format!("/public/published/{publication}"))).send().await.unwrap();
        assert_eq!(page.status().as_u16(), 404);
        let (_, register) = app.get(&office, "/api/v1/publications").await;
        assert_eq!(register[0]["state"], "withdrawn");
        // Without consent, or confidential: never.
        let no_consent = deregistered_visit(&app, json!({})).await;
        let (s, v) = app.get(&co, &format!("/api/v1/petitions/{no_consent}/publication-draft")).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("no_consent")), "{v}");
        // A letter's reply: the director, not the deputy director (seed 二(七)4).
        let letter = crate::handling::close_reported_letter(&app, json!({"consent_to_publish": true})).await;
        let letter_id = letter["petition_id"].as_str().unwrap().to_string();
        let clerk = app.token("letter_clerk").await;
        let (s, d) = app.get(&clerk, &format!("/api/v1/petitions/{letter_id}/publication-draft")).await;
        assert_eq!(s, 200, "{d}");
        let (s, v) = app.post(&clerk, &format!("/api/v1/petitions/{letter_id}/publications"), &json!({"title": d["title"], "matter": d["matter"], "result": d["result"]})).await;
        assert_eq!(s, 201, "{v}");
        let approvals = app.state.store.approvals_of(&letter_id).await.unwrap();
        let a = approvals.iter().find(|a| a.gate == "publication_letter").expect("gate");
        let (s, _) = app.post(&dd, &format!("/api/v1/approvals/{}", a.id), &json!({"accept": true})).await;
        assert_eq!(s, 403, "the deputy director may not publish a letter");
        let director = app.token("director").await;
        let (s, _) = app.post(&director, &format!("/api/v1/approvals/{}", a.id), &json!({"accept": true})).await;
        assert_eq!(s, 200);
        let (_, public) = app.get("", "/api/v1/public/publications").await;
        assert_eq!(public.as_array().unwrap().len(), 1);
    }
}

/// 网机隔离: the whole move on one backend (the app is started with the offline machine's key).
async fn a_confidential_dossier_moves_offline_and_leaves_only_its_stub(
    backend: crate::harness::Backend,
) {
    let identity = age::pq::Identity::generate();
    let key = identity.to_public().to_string();
    let Some(app) = TestApp::spawn_with(backend, |c| c.offline_recipient = key.clone()).await
    else {
        return;
    };
    let marker = "闵若溪";
    // A confidential letter: the letter clerk who registered it handles it throughout, so every
    // step is taken by someone who may open it.
    let closed = crate::handling::close_reported_letter(&app, json!({
        "confidential": true,
        "summary": "反映家庭纠纷涉及隐私密语甲乙。",
        "petitioners": [{"name": marker, "id_type": "none", "address": "城关镇闵家巷2号", "phone": "13900000002"}],
    })).await;
    let id = closed["petition_id"].as_str().unwrap().to_string();
    let clerk = app.token("letter_clerk").await;
    let (s, v) = app
        .post(
            &clerk,
            &format!("/api/v1/petitions/{id}/closure"),
            &json!({"action": "deregister"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    after_appeal_window(&app);
    // The archivist keeps it by its table of contents: no name, no matter.
    let a = app.token("archivist").await;
    let (s, p) = app
        .get(&a, &format!("/api/v1/archives/petitions/{id}"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(p["index_only"], true);
    assert!(
        !p.to_string().contains(marker) && !p.to_string().contains("隐私密语"),
        "{p}"
    );
    let v = archived(&app, &id).await;
    let dossier = v["dossier_id"].as_str().unwrap().to_string();
    let (s, d) = app.get(&a, &format!("/api/v1/dossiers/{dossier}")).await;
    assert_eq!((s, d["may_read"].as_bool()), (200, Some(false)));
    assert!(!d.to_string().contains(marker), "{d}");
    let (s, _) = app
        .get_bytes(&a, &format!("/api/v1/dossiers/{dossier}/pdf"))
        .await;
    assert_eq!(s, 403);
    // The director reads it.
    let director = app.token("director").await;
    let (s, pdf) = app
        .get_bytes(&director, &format!("/api/v1/dossiers/{dossier}/pdf"))
        .await;
    assert_eq!(s, 200);
    assert!(
        pdf_extract::extract_text_from_mem(&pdf)
            .unwrap()
            .contains(marker)
    );
    let pdf_hash = app
        .state
        .store
        .dossier(&app.state.bureau.id, &dossier)
        .await
        .unwrap()
        .pdf_hash;
    // Proposed, approved, carried.
    let (s, v) = app
        .post(
            &a,
            &format!("/api/v1/dossiers/{dossier}/offline-moves"),
            &json!({"destination": "档案室离线计算机", "carrier": ""}),
        )
        .await;
    assert_eq!((s, v["field"].as_str()), (422, Some("carrier")), "{v}");
    let (s, v) = app
        .post(
            &a,
            &format!("/api/v1/dossiers/{dossier}/offline-moves"),
            &json!({"destination": "档案室离线计算机", "carrier": "王档案员"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let approval = v["id"].as_str().unwrap().to_string();
    let (_, moves) = app
        .get(
            &a,
            &format!("/api/v1/archives/petitions/{id}/offline-moves"),
        )
        .await;
    let mv = moves[0]["id"].as_str().unwrap().to_string();
    let (s, _) = app
        .get_bytes(
            &a,
            &format!("/api/v1/archives/petitions/{id}/offline-moves/{mv}/package"),
        )
        .await;
    assert_eq!(s, 409, "not before a leader approves");
    let (s, v) = app
        .post(
            &director,
            &format!("/api/v1/approvals/{approval}"),
            &json!({"accept": true}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, sealed) = app
        .get_bytes(
            &a,
            &format!("/api/v1/archives/petitions/{id}/offline-moves/{mv}/package"),
        )
        .await;
    assert_eq!(s, 200);
    // Only the offline machine's key opens it; inside, the whole record.
    assert!(!String::from_utf8_lossy(&sealed).contains(marker));
    let decryptor = age::Decryptor::new(&sealed[..]).unwrap();
    let mut inner = Vec::new();
    decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .unwrap()
        .read_to_end(&mut inner)
        .unwrap();
    let entries = zip_entries(&inner);
    let record = String::from_utf8(
        entries
            .iter()
            .find(|(n, _)| n == "petition.json")
            .unwrap()
            .1
            .clone(),
    )
    .unwrap();
    assert!(record.contains(marker) && record.contains("隐私密语甲乙"));
    let hash = xinfang_blobs::sha256_hex(&sealed);
    let (s, v) = app
        .post(
            &a,
            &format!("/api/v1/archives/petitions/{id}/offline-moves/{mv}/confirm"),
            &json!({"package_sha256": "0".repeat(64)}),
        )
        .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (422, Some("package_sha256")),
        "{v}"
    );
    let (s, v) = app
        .post(
            &a,
            &format!("/api/v1/archives/petitions/{id}/offline-moves/{mv}/confirm"),
            &json!({"package_sha256": hash}),
        )
        .await;
    assert_eq!(s, 204, "{v}");
    // The stub: number, dates, stage; nothing else, anywhere.
    let p = app
        .state
        .store
        .petition(&app.state.bureau.id, &id)
        .await
        .unwrap();
    assert_eq!(
        (p.stage.as_str(), p.summary.as_str(), p.petitioners.len()),
        ("archived", "", 0)
    );
    assert!(!p.petition_no.is_empty());
    let (_, page) = app.get(&director, &format!("/api/v1/petitions/{id}")).await;
    assert!(
        !page.to_string().contains(marker) && !page.to_string().contains("隐私密语"),
        "{page}"
    );
    let (_, found) = app
        .post(&director, "/api/v1/search", &json!({"q": marker}))
        .await;
    assert_eq!(found["total"], 0, "the search index forgot it: {found}");
    let (_, found) = app
        .post(&director, "/api/v1/search", &json!({"q": "隐私密语"}))
        .await;
    assert_eq!(found["total"], 0, "{found}");
    for table in [
        "petition_events",
        "documents",
        "handling_reports",
        "interviews",
        "approvals",
        "dossier_items",
    ] {
        let rows: Vec<(String,)> =
            xinfang_store::sqlx::query_as(xinfang_store::sqlx::AssertSqlSafe(format!(
                "SELECT CAST(COUNT(*) AS TEXT) FROM {table} WHERE {}",
                match table {
                    "petition_events" => "payload LIKE '%闵若溪%' OR payload LIKE '%隐私密语%'",
                    "documents" => "data LIKE '%闵若溪%'",
                    "handling_reports" => "reply LIKE '%闵若溪%' OR findings LIKE '%隐私%'",
                    "interviews" => "facts_and_requests LIKE '%隐私%'",
                    "approvals" => "summary LIKE '%隐私%' OR payload LIKE '%闵若溪%'",
                    _ => "title LIKE '%闵若溪%'",
                }
            )))
            .fetch_all(app.state.store.pool())
            .await
            .unwrap();
        assert_eq!(rows[0].0, "0", "{table} still holds the moved content");
    }
    assert!(
        app.state.blobs.get(&pdf_hash).await.unwrap().is_none(),
        "the volume's file left with it"
    );
    let (s, _) = app
        .get_bytes(&director, &format!("/api/v1/dossiers/{dossier}/pdf"))
        .await;
    assert_eq!(s, 403);
    // The history still verifies, and the move is in it with what it pinned.
    let report = app.state.store.verify(&app.state.bureau.id).await.unwrap();
    assert!(report.ok(), "{:?}", report.faults);
    let events = app.state.store.events(&id).await.unwrap();
    let moved = events.last().unwrap();
    assert_eq!(moved.kind, "moved_offline");
    assert_eq!(
        moved.payload["moved"].as_array().unwrap().len(),
        events.len() - 1
    );
    assert_eq!(moved.payload["package_sha256"], hash.as_str());
    // A backup made after the move holds none of it: restored into a fresh database, its file
    // has no trace of the name or the matter.
    let dir = crate::backups::Scratch::new();
    let (identity, public) = crate::backups::keys(&dir.0, "key.txt");
    let file = dir.0.join("after-move.tar.zst.age");
    xinfang_app::backup::create(
        &app.state.store,
        &app.state.blobs,
        &xinfang_app::backup::recipients(&[public]).unwrap(),
        &file,
        app.clock.as_ref(),
        None,
    )
    .await
    .expect("backup");
    let target = crate::backups::Scratch::new();
    let store = xinfang_store::Store::connect(
        &format!(
            "sqlite://{}?mode=rwc",
            target.0.join("xinfang.db").display()
        ),
        1,
    )
    .await
    .unwrap();
    let blobs = xinfang_blobs::Blobs::local(&target.0.join("blobs")).unwrap();
    xinfang_app::backup::restore(
        &file,
        xinfang_app::backup::identities(&identity).unwrap(),
        &store,
        &blobs,
    )
    .await
    .expect("restore");
    store.close().await;
    for entry in std::fs::read_dir(&target.0).unwrap().flatten() {
        if entry.path().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            for m in [marker, "隐私密语"] {
                assert!(
                    !bytes.windows(m.len()).any(|w| w == m.as_bytes()),
                    "{m} in the restored {:?}",
                    entry.path()
                );
            }
        }
    }
    assert!(
        !std::path::Path::new(&target.0.join("blobs"))
            .join(&pdf_hash[..2])
            .join(&pdf_hash[2..])
            .exists()
    );
    // Tampering with what stayed still shows.
    xinfang_store::sqlx::query(
        "UPDATE petition_events SET at = '2026-01-01T00:00:00Z' WHERE petition_id = $1 AND seq = 1",
    )
    .bind(&id)
    .execute(app.state.store.pool())
    .await
    .unwrap();
    assert!(
        !app.state
            .store
            .verify(&app.state.bureau.id)
            .await
            .unwrap()
            .ok()
    );
}

mod a_confidential_dossier_moves_offline_and_leaves_only_its_stub {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_confidential_dossier_moves_offline_and_leaves_only_its_stub(
            crate::harness::Backend::Sqlite,
        )
        .await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_confidential_dossier_moves_offline_and_leaves_only_its_stub(
            crate::harness::Backend::Postgres,
        )
        .await;
    }
}
