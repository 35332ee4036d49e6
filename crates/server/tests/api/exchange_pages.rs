//! The exchange pages (issue 21): 数据交换 for the staff who exchange and refused to a unit's
//! staff, the code mapping edited through its form, an old register uploaded through the page
//! form (its report; a bad file refused with nothing written), and the list page's Excel export
//! masked as the list is.

use serde_json::json;

use crate::backend_tests;
use crate::harness::{PASSWORD, TestApp};

fn cookie_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs `username` in on a cookie session and returns the client and its CSRF token.
async fn sign_in(app: &TestApp, username: &str) -> (reqwest::Client, String) {
    let c = cookie_client();
    let r = c
        .post(app.url("/login"))
        .form(&[
            ("username", username),
            ("password", PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "login as {username}");
    let html = c
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = html
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .expect("a form with the token")
        .split('"')
        .next()
        .unwrap()
        .to_string();
    (c, csrf)
}

/// A `multipart/form-data` body as a browser sends the page's form.
fn multipart(fields: &[(&str, &str)], file: (&str, &[u8])) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--B0undary\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--B0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
            file.0
        )
        .as_bytes(),
    );
    body.extend_from_slice(file.1);
    body.extend_from_slice(b"\r\n--B0undary--\r\n");
    body
}

async fn upload(c: &reqwest::Client, app: &TestApp, path: &str, body: Vec<u8>) -> (u16, String) {
    let r = c
        .post(app.url(path))
        .header("content-type", "multipart/form-data; boundary=B0undary")
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn sheet_text(bytes: Vec<u8>) -> String {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx");
    let sheet = book.worksheet_range_at(0).expect("sheet").expect("read");
    sheet
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const REGISTER: &str = "登记日期,姓名,身份证号,电话,乡镇,事由,原编号\n\
    2019-03-02,张三,11010519491231002X,13912345678,城关镇人民政府,拖欠工资,A1\n\
    2019-04-02,李四,,13812345678,652302101,噪声扰民,A2\n\
    2019-05-02,张三,11010519491231002X,13912345678,城关镇人民政府,再次反映拖欠工资,A3\n";

backend_tests! {
    async fn the_exchange_page_is_offered_to_exchanging_staff_and_refused_to_a_unit_handler(app) {
        let (office, _) = sign_in(&app, "office").await;
        let home = office.get(app.url("/")).send().await.unwrap().text().await.unwrap();
        assert!(home.contains("href=\"/exchange\""), "in the office's navigation");
        let r = office.get(app.url("/exchange")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        for want in ["<h1>数据交换</h1>", "id=\"ledger-form\"", "id=\"national-import-form\"", "id=\"hotline-import-form\"", "id=\"national-export-form\"", "id=\"hotline-replies-form\"", "id=\"code-table\""] {
            assert!(html.contains(want), "{want}");
        }
        assert!(html.contains("暂定"), "provisional lines marked");
        assert!(!html.contains("action=\"/exchange/codes\""), "the office reads the mapping, does not edit it");
        // The administrator edits the mapping and imports nothing.
        let (admin, _) = sign_in(&app, "admin").await;
        let html = admin.get(app.url("/exchange")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("action=\"/exchange/codes\""));
        assert!(!html.contains("id=\"ledger-form\""));
        // A unit's staff: not in the navigation, the page refused.
        let (unit, csrf) = sign_in(&app, "zhujian_handler").await;
        let home = unit.get(app.url("/")).send().await.unwrap().text().await.unwrap();
        assert!(!home.contains("href=\"/exchange\""));
        let r = unit.get(app.url("/exchange")).send().await.unwrap();
        assert_eq!(r.status(), 403);
        assert!(r.text().await.unwrap().contains("无权操作"));
        let (s, _) = upload(&unit, &app, "/exchange/ledger/import", multipart(&[("_csrf", &csrf)], ("old.csv", REGISTER.as_bytes()))).await;
        assert_eq!(s, 403);
        assert_eq!(app.count("petitions").await, 0);
    }

    async fn a_code_line_edited_on_the_page_changes_the_mapping(app) {
        let (admin, csrf) = sign_in(&app, "admin").await;
        let r = admin.post(app.url("/exchange/codes")).form(&[("_csrf", csrf.as_str()), ("field", "xfxs"), ("ours", "phone"), ("national", "700"), ("verified", "on")]).send().await.unwrap();
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
        let officer = app.token("case_officer").await;
        let (_, codes) = app.get(&officer, "/api/v1/exchange/codes").await;
        let phone = codes.as_array().unwrap().iter().find(|c| c["field"] == "xfxs" && c["ours"] == "phone").expect("phone line").clone();
        assert_eq!((phone["national"].as_str(), phone["verified"].as_bool()), (Some("700"), Some(true)), "{phone}");
        let html = admin.get(app.url("/exchange")).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("400（已修改）"), "the shipped value beside the edit");
        // A national code already taken: the page says so by field, the mapping is unchanged.
        let r = admin.post(app.url("/exchange/codes")).form(&[("_csrf", csrf.as_str()), ("field", "xfxs"), ("ours", "phone"), ("national", "200")]).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("代码对照未保存") && html.contains(">national</span>"), "{html}");
        let (_, codes) = app.get(&officer, "/api/v1/exchange/codes").await;
        assert!(codes.as_array().unwrap().iter().any(|c| c["field"] == "xfxs" && c["ours"] == "phone" && c["national"] == "700"));
        // Without the form's token: refused.
        let r = admin.post(app.url("/exchange/codes")).form(&[("field", "xfxs"), ("ours", "phone"), ("national", "701")]).send().await.unwrap();
        assert_eq!(r.status(), 403);
    }

    async fn a_register_uploaded_on_the_page_imports_and_reports_and_a_bad_one_writes_nothing(app) {
        let (office, csrf) = sign_in(&app, "office").await;
        // A future date and a wrong ID number: refused by row and field, nothing written.
        let bad = REGISTER.replace("2019-05-02,张三,11010519491231002X", "2029-05-02,张三,110105194912310021");
        let form = |csv: &str, token: &str| multipart(&[("_csrf", token), ("mapping", "反映问题=事由"), ("batch", "2")], ("old.csv", csv.as_bytes()));
        let (s, html) = upload(&office, &app, "/exchange/ledger/import", form(&bad, &csrf)).await;
        assert_eq!(s, 422, "{html}");
        assert!(html.contains("旧台账：未导入"), "{html}");
        assert!(html.contains("其中 1 行有误"), "{html}");
        assert!(html.contains("第 4 行 证件号码"), "row and field named: {html}");
        assert!(html.contains("反映问题=事由"), "the mapping typed is kept: {html}");
        assert_eq!(app.count("petitions").await, 0);
        assert_eq!(app.count("petition_events").await, 0);
        // Not a spreadsheet.
        let (s, html) = upload(&office, &app, "/exchange/ledger/import", multipart(&[("_csrf", &csrf)], ("old.txt", b"x"))).await;
        assert_eq!(s, 422);
        assert!(html.contains(".csv 或 .xlsx"), "{html}");
        // Without the form's token: refused, nothing written.
        let (s, _) = upload(&office, &app, "/exchange/ledger/import", form(REGISTER, "wrong")).await;
        assert_eq!(s, 403);
        assert_eq!(app.count("petitions").await, 0);
        // The good register: imported in two batches, the repeat found, the report shown.
        let (s, html) = upload(&office, &app, "/exchange/ledger/import", form(REGISTER, &csrf)).await;
        assert_eq!(s, 200, "{html}");
        assert!(html.contains("旧台账：已导入"), "{html}");
        assert!(html.contains("共 3 行，本次导入 3 件（2 批），其中重复信访 1 件"), "{html}");
        assert_eq!(app.count("petitions").await, 3);
        // With 只导入正确的行, the bad file's good rows go in and the bad row is listed.
        let bad2 = bad.replace("A1", "B1").replace("A2", "B2").replace("A3", "B3");
        let body = multipart(&[("_csrf", &csrf), ("mapping", "summary=事由"), ("skip_bad", "on")], ("older.csv", bad2.as_bytes()));
        let (s, html) = upload(&office, &app, "/exchange/ledger/import", body).await;
        assert_eq!(s, 200, "{html}");
        assert!(html.contains("本次导入 2 件"), "{html}");
        assert!(html.contains("有误的 1 行未导入") && html.contains("第 4 行 证件号码"), "{html}");
        assert_eq!(app.count("petitions").await, 5);
    }

    async fn the_list_page_exports_its_filter_to_excel_masked_as_the_list_is(app) {
        let t = app.token("receptionist").await;
        app.register_visit(&t, json!({})).await;
        app.register_visit(&t, json!({"confidential": true, "summary": "涉密事项反映"})).await;
        let (officer, csrf) = sign_in(&app, "case_officer").await;
        let list = officer.get(app.url("/petitions")).send().await.unwrap().text().await.unwrap();
        assert!(list.contains("id=\"export-xlsx\""), "the button");
        assert!(list.contains("110105********002X") && !list.contains("11010519491231002X"), "the list masks");
        let export = |fields: Vec<(&'static str, String)>| {
            let officer = officer.clone();
            let url = app.url("/petitions/xlsx");
            async move {
                let r = officer.post(url).form(&fields).send().await.unwrap();
                let status = r.status().as_u16();
                let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
                (status, ct, r.bytes().await.unwrap().to_vec())
            }
        };
        let logged = app.count("access_log").await;
        // The list as shown (no words, no filter).
        let (s, ct, bytes) = export(vec![("_csrf", csrf.clone()), ("q", String::new()), ("state", String::new())]).await;
        assert_eq!(s, 200, "{}", String::from_utf8_lossy(&bytes));
        assert!(ct.contains("spreadsheetml"), "{ct}");
        let all = sheet_text(bytes);
        assert!(all.contains("张三") && all.contains("110105********002X"), "{all}");
        assert!(!all.contains("11010519491231002X") && !all.contains("13912345678"), "masked as the list is: {all}");
        assert!(!all.contains("涉密事项反映"), "a confidential row not the officer's: its number only: {all}");
        assert!(app.count("access_log").await > logged, "logged");
        // The search typed on the page: only what it finds.
        let (s, _, bytes) = export(vec![("_csrf", csrf.clone()), ("q", "噪声扰民".into())]).await;
        assert_eq!(s, 200);
        assert!(!sheet_text(bytes).contains("张三"), "the search's words applied");
        // Without the token: refused.
        let (s, _, _) = export(vec![("q", String::new())]).await;
        assert_eq!(s, 403);
    }
}
