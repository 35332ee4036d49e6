//! Exchange with the national 信访信息系统 (issue 21): export and import as JSON and XML, the
//! round trip over the demo data into an empty bureau, the national number kept and unique,
//! bad files refused by record and field with nothing written, the code mapping edited.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::harness::{Backend, TestApp};

impl TestApp {
    /// Posts raw bytes (a file) and returns the status and the JSON answer.
    pub async fn post_bytes(&self, token: &str, path: &str, body: Vec<u8>) -> (u16, Value) {
        let r = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .expect("post");
        let status = r.status().as_u16();
        let text = r.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Posts JSON and returns the status and the raw answer.
    pub async fn post_for_bytes(&self, token: &str, path: &str, body: &Value) -> (u16, Vec<u8>) {
        let r = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("post");
        (
            r.status().as_u16(),
            r.bytes().await.expect("bytes").to_vec(),
        )
    }

    pub fn backend(&self) -> Backend {
        if self.pg_database().is_some() {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    async fn export_national(&self, token: &str, format: &str) -> Vec<u8> {
        let (s, bytes) = self
            .post_for_bytes(
                token,
                "/api/v1/exchange/national/export",
                &json!({"format": format}),
            )
            .await;
        assert_eq!(s, 200, "export: {}", String::from_utf8_lossy(&bytes));
        bytes
    }
}

/// The records of an exported JSON file, by national number, without what the importing bureau
/// decides anew (the stage and the acceptance).
fn comparable(bytes: &[u8]) -> Vec<Value> {
    let v: Value = serde_json::from_slice(bytes).expect("json export");
    let mut records: Vec<Value> = v["xfj"].as_array().expect("xfj").clone();
    for r in &mut records {
        r["xfjzt"] = json!("");
        r["blcx"] = json!("");
    }
    records.sort_by(|a, b| a["xfjbh"].as_str().cmp(&b["xfjbh"].as_str()));
    records
}

/// One valid national record.
fn record(no: &str) -> Value {
    json!({
        "xzqh": "652302", "xfjbh": no, "cxm": "Q1W2E3",
        "xfrq": "2026-11-26 09:30:00", "xfxs": "200", "xfrs": "1", "sjrs": "1",
        "djjgmc": "昌吉州信访局", "djjgdm": "652300", "djsj": "2026-11-26 10:00:00",
        "gkxx": "反映某建筑公司拖欠其工资三万元至今未付。", "tsnr": "要求尽快支付。",
        "wtsddm": "652302100", "nrfldm": "060101", "xfmddm": "01",
        "xfr": [{"xm": "张三", "zjlx": "111", "zjhm": "11010519491231002X", "sjh": "13912345678", "mz": "01"}],
        "blxx": [{"blfs": "1", "bljg": "昌吉州信访局", "qxdw": "阜康市信访局", "blsj": "2026-11-26 11:00:00", "sfyq": "0", "yqsj": ""}]
    })
}

fn file(records: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({"format": "xinfang-national-1", "xfj": records})).expect("json")
}

backend_tests! {
    async fn the_openapi_lists_the_exchange_operations(app) {
        let (status, doc) = app.get("", "/api/openapi.json").await;
        assert_eq!(status, 200);
        let text = doc.to_string();
        for op in ["exportNational", "importNational", "listExchangeCodes", "saveExchangeCode",
                   "importHotlineOrders", "exportHotlineReplies", "importLedger", "exportPetitionsXlsx"] {
            assert!(text.contains(&format!("\"operationId\":\"{op}\"")), "missing {op}");
        }
    }

    async fn the_demo_data_goes_out_and_into_an_empty_bureau_unchanged(app) {
        xinfang::cli::demo::populate(&app.state, crate::harness::today(), 24).await.expect("demo");
        let director = app.token("director").await;
        let json_out = app.export_national(&director, "json").await;
        let xml_out = app.export_national(&director, "xml").await;
        assert!(String::from_utf8_lossy(&xml_out).contains("<xfjbh>"), "xml");
        let before = comparable(&json_out);
        let n = before.len();
        assert!(n >= 24, "the demo's petitions: {n}");
        // Both formats, each into a bureau of its own.
        for (format, bytes) in [("json", json_out.clone()), ("xml", xml_out)] {
            let other = TestApp::spawn(app.backend()).await.expect("second app");
            let officer = other.token("case_officer").await;
            let (s, v) = other.post_bytes(&officer, &format!("/api/v1/exchange/national/import?format={format}"), bytes).await;
            assert_eq!(s, 201, "{format}: {v}");
            assert_eq!(v["imported"].as_array().map(Vec::len), Some(n));
            assert_eq!(other.count("petitions").await, n as i64);
            assert_eq!(other.count("petition_events").await, n as i64, "one registered event each");
            let director = other.token("director").await;
            let after = comparable(&other.export_national(&director, "json").await);
            let numbers = |v: &[Value]| v.iter().map(|r| r["xfjbh"].as_str().unwrap_or("").to_string()).collect::<Vec<_>>();
            assert_eq!(numbers(&after), numbers(&before), "{format}");
            for (a, b) in after.iter().zip(&before) {
                assert_eq!(a, b, "{format}");
            }
            // The same file again: every number is taken, nothing written.
            let (s, v) = other.post_bytes(&officer, "/api/v1/exchange/national/import", json_out.clone()).await;
            assert_eq!((s, v["code"].as_str()), (422, Some("duplicate_national_no")), "{v}");
            assert_eq!(v["errors"].as_array().map(Vec::len), Some(n));
            assert_eq!(other.count("petitions").await, n as i64);
        }
    }

    async fn an_imported_petition_keeps_its_national_number_and_is_found_by_it(app) {
        let officer = app.token("case_officer").await;
        let (s, v) = app.post_bytes(&officer, "/api/v1/exchange/national/import", file(vec![record("65230020261126000007")])).await;
        assert_eq!(s, 201, "{v}");
        let id = v["imported"][0]["id"].as_str().expect("id").to_string();
        let no = v["imported"][0]["petition_no"].as_str().expect("no").to_string();
        assert!(no.starts_with("V2026-"), "our own number: {no}");
        let (s, p) = app.get(&officer, &format!("/api/v1/petitions/{id}")).await;
        assert_eq!(s, 200, "{p}");
        assert_eq!(p["national_no"], "65230020261126000007");
        assert_eq!(p["petition_no"], no.as_str());
        assert_eq!(p["events"][0]["payload"]["imported"]["from"], "national");
        // Search and the repeat candidates find it by the national number.
        let (s, found) = app.post(&officer, "/api/v1/search", &json!({"q": "65230020261126000007"})).await;
        assert_eq!(s, 200, "{found}");
        assert_eq!(found["items"][0]["id"], id.as_str(), "{found}");
        let receptionist = app.token("receptionist").await;
        let (s, c) = app.post(&receptionist, "/api/v1/petitions/similar", &json!({"national_no": "65230020261126000007"})).await;
        assert_eq!(s, 200, "{c}");
        assert_eq!(c[0]["petition"]["id"], id.as_str(), "{c}");
        assert!(c[0]["reasons"].as_array().unwrap().iter().any(|r| r == "信访件编号相同"), "{c}");
        // A later record that names it as the earlier petition is a repeat of it.
        let mut repeat = record("65230020261126000008");
        repeat["cfxfbz"] = json!("1");
        repeat["gljbh"] = json!("65230020261126000007");
        let (s, v) = app.post_bytes(&officer, "/api/v1/exchange/national/import", file(vec![repeat])).await;
        assert_eq!(s, 201, "{v}");
        let (_, p) = app.get(&officer, &format!("/api/v1/petitions/{}", v["imported"][0]["id"].as_str().unwrap())).await;
        assert_eq!(p["repeat_of"], id.as_str(), "{p}");
    }

    async fn a_bad_file_is_refused_by_record_and_field_and_writes_nothing(app) {
        let officer = app.token("case_officer").await;
        let mut unknown = record("N2");
        unknown["xfxs"] = json!("700");
        let mut bad_id = record("N3");
        bad_id["xfr"][0]["zjhm"] = json!("110105194912310021");
        let mut future = record("N4");
        future["xfrq"] = json!("2026-12-30 09:00:00");
        let twice = record("N1");
        let body = file(vec![record("N1"), unknown, bad_id, future, twice]);
        let (s, v) = app.post_bytes(&officer, "/api/v1/exchange/national/import", body.clone()).await;
        assert_eq!(s, 422, "{v}");
        let errors: Vec<(String, String)> = v["errors"].as_array().expect("errors").iter()
            .map(|e| (e["field"].as_str().unwrap_or("").to_string(), e["code"].as_str().unwrap_or("").to_string()))
            .collect();
        for (field, code) in [
            ("xfj[1].xfxs", "unknown_code"),
            ("xfj[2].xfr[0].zjhm", "id_checksum"),
            ("xfj[3].xfrq", "future_datetime"),
            ("xfj[4].xfjbh", "duplicate_national_no"),
        ] {
            assert!(errors.iter().any(|(f, c)| f == field && c == code), "{field} {code}: {errors:?}");
        }
        for e in v["errors"].as_array().unwrap() {
            assert!(e["message"].as_str().unwrap().starts_with("第 "), "{e}");
        }
        assert!(v["errors"][0]["message"].as_str().unwrap().contains("第 2 条信访件 信访形式（xfxs）"), "{v}");
        assert_eq!(app.count("petitions").await, 0);
        assert_eq!(app.count("petition_events").await, 0);
        // A file that is no file at all, in either format.
        for (format, bytes) in [("json", b"{\"xfj\": [".to_vec()), ("xml", b"<xfjs><xfj><xfjbh>1</xfj>".to_vec())] {
            let (s, v) = app.post_bytes(&officer, &format!("/api/v1/exchange/national/import?format={format}"), bytes).await;
            assert_eq!((s, v["code"].as_str(), v["field"].as_str()), (422, Some("malformed_file"), Some("file")), "{v}");
        }
        // A number the bureau holds already.
        let (s, _) = app.post_bytes(&officer, "/api/v1/exchange/national/import", file(vec![record("N1")])).await;
        assert_eq!(s, 201);
        let (s, v) = app.post_bytes(&officer, "/api/v1/exchange/national/import", file(vec![record("N9"), record("N1")])).await;
        assert_eq!((s, v["field"].as_str(), v["code"].as_str()), (422, Some("xfj[1].xfjbh"), Some("duplicate_national_no")), "{v}");
        assert!(v["message"].as_str().unwrap().contains("已存在"), "{v}");
        assert_eq!(app.count("petitions").await, 1);
        // Who may not import or export.
        let unit = app.token("chengguan_handler").await;
        let (s, _) = app.post_bytes(&unit, "/api/v1/exchange/national/import", file(vec![record("N5")])).await;
        assert_eq!(s, 403);
        let admin = app.token("admin").await;
        let (s, _) = app.post_for_bytes(&admin, "/api/v1/exchange/national/export", &json!({})).await;
        assert_eq!(s, 403);
    }

    async fn the_bureau_maps_its_codes_and_imports_use_the_mapping(app) {
        let admin = app.token("admin").await;
        let officer = app.token("case_officer").await;
        let (s, codes) = app.get(&officer, "/api/v1/exchange/codes").await;
        assert_eq!(s, 200, "{codes}");
        assert!(codes.as_array().unwrap().iter().any(|c| c["field"] == "xfxs" && c["ours"] == "letter" && c["national"] == "100" && c["verified"] == true), "{codes}");
        // Only the administrator edits; one national code maps to one of ours.
        let (s, _) = app.put(&officer, "/api/v1/exchange/codes", &json!({"field": "xfxs", "ours": "phone", "national": "303"})).await;
        assert_eq!(s, 403);
        let (s, v) = app.put(&admin, "/api/v1/exchange/codes", &json!({"field": "xfxs", "ours": "phone", "national": "200"})).await;
        assert_eq!((s, v["code"].as_str(), v["field"].as_str()), (422, Some("code_taken"), Some("national")), "{v}");
        let (s, v) = app.put(&admin, "/api/v1/exchange/codes", &json!({"field": "xfxs", "ours": "fax", "national": "700"})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("unknown_code")), "{v}");
        let (s, v) = app.put(&admin, "/api/v1/exchange/codes", &json!({"field": "xfxs", "ours": "phone", "national": "700", "verified": true})).await;
        assert_eq!(s, 200, "{v}");
        // A call under its new national code.
        let mut call = record("C1");
        call["xfxs"] = json!("700");
        let (s, v) = app.post_bytes(&officer, "/api/v1/exchange/national/import", file(vec![call])).await;
        assert_eq!(s, 201, "{v}");
        let (_, p) = app.get(&officer, &format!("/api/v1/petitions/{}", v["imported"][0]["id"].as_str().unwrap())).await;
        assert_eq!(p["channel"], "phone");
    }

    async fn hotline_orders_enter_the_intake_queue_and_their_replies_go_back(app) {
        let officer = app.token("case_officer").await;
        let orders = json!([
            {"order_no": "GD001", "received_at": "2026-11-27 08:15", "caller_name": "李四",
             "caller_phone": "13912345678", "township": "652302100", "summary": "小区路灯损坏多日无人维修。"},
            {"order_no": "GD002", "received_at": "2026-11-27 08:40", "caller_phone": "13812345678",
             "township": "城关镇人民政府", "summary": "噪声扰民。"}
        ]);
        let (s, v) = app.post_bytes(&officer, "/api/v1/exchange/hotline/import", serde_json::to_vec(&orders).unwrap()).await;
        assert_eq!(s, 201, "{v}");
        let id = v["imported"][0]["id"].as_str().unwrap().to_string();
        let (_, p) = app.get(&officer, &format!("/api/v1/petitions/{id}")).await;
        assert_eq!((p["channel"].as_str(), p["source"]["kind"].as_str(), p["source"]["order_no"].as_str()),
            (Some("phone"), Some("hotline_12345"), Some("GD001")), "{p}");
        let (_, p2) = app.get(&officer, &format!("/api/v1/petitions/{}", v["imported"][1]["id"].as_str().unwrap())).await;
        assert_eq!(p2["anonymous"], true, "{p2}");
        assert_eq!(p2["township"], app.unit_id("chengguan").await.as_str());
        // CSV with the Chinese headers.
        let csv = "工单编号,来电时间,来电人,来电号码,问题属地,诉求内容\nGD003,2026-11-27 09:00,王五,13712345678,652302101,道路积水。\n";
        let (s, v) = app.post_bytes(&officer, "/api/v1/exchange/hotline/import?format=csv", csv.as_bytes().to_vec()).await;
        assert_eq!(s, 201, "{v}");
        assert_eq!(app.count("petitions").await, 3);
        // Bad files: nothing written, each problem by order and field.
        let bad = json!([
            {"order_no": "GD001", "received_at": "2026-11-27 08:15", "caller_name": "李四", "caller_phone": "13912345678", "township": "652302100", "summary": "重复"},
            {"order_no": "GD004", "received_at": "2026-12-27 08:15", "caller_name": "赵六", "caller_phone": "12", "township": "652302100", "summary": "x"},
            {"order_no": "GD005", "received_at": "2026-11-27 08:15", "caller_name": "钱七", "caller_phone": "13912345678", "id_number": "110105194912310021", "township": "652302100", "summary": "x"}
        ]);
        let (s, v) = app.post_bytes(&officer, "/api/v1/exchange/hotline/import", serde_json::to_vec(&bad).unwrap()).await;
        assert_eq!(s, 422, "{v}");
        let fields: Vec<(&str, &str)> = v["errors"].as_array().unwrap().iter()
            .map(|e| (e["field"].as_str().unwrap_or(""), e["code"].as_str().unwrap_or(""))).collect();
        for want in [("orders[0].order_no", "duplicate_order_no"), ("orders[1].received_at", "future_datetime"),
                     ("orders[1].caller_phone", "invalid_phone"), ("orders[2].id_number", "id_checksum")] {
            assert!(fields.contains(&want), "{want:?}: {fields:?}");
        }
        let (s, v) = app.post_bytes(&officer, "/api/v1/exchange/hotline/import?format=csv", "工单编号,颜色\nGD9,红\n".as_bytes().to_vec()).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("unknown_column")), "{v}");
        let (s, v) = app.post_bytes(&officer, "/api/v1/exchange/hotline/import", b"[{".to_vec()).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("malformed_file")), "{v}");
        assert_eq!(app.count("petitions").await, 3);
        // The replies go back, as JSON and CSV.
        let (s, r) = app.get(&officer, "/api/v1/exchange/hotline/replies").await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(r.as_array().map(Vec::len), Some(3), "{r}");
        assert_eq!(r[0]["order_no"], "GD001");
        assert_eq!(r[0]["status"], "已登记");
        let (s, csv) = app.get_bytes(&officer, "/api/v1/exchange/hotline/replies?format=csv").await;
        assert_eq!(s, 200);
        let csv = String::from_utf8(csv).unwrap();
        assert!(csv.starts_with("order_no,petition_no,status,reply,updated_at,finished"), "{csv}");
        assert!(csv.contains("GD003"), "{csv}");
    }

    async fn an_old_register_goes_in_by_batches_resumably_and_a_bad_one_writes_nothing(app) {
        let officer = app.token("case_officer").await;
        let good = "登记日期,姓名,身份证号,电话,乡镇,反映问题,原编号\n\
            2019-03-02,张三,11010519491231002X,13912345678,城关镇人民政府,拖欠工资,A1\n\
            2019-04-02,李四,,13812345678,652302101,噪声扰民,A2\n\
            2019-05-02,张三,11010519491231002X,13912345678,城关镇人民政府,再次反映拖欠工资,A3\n\
            2019-06-02,,,,652302101,匿名反映路灯,A4\n\
            2019-07-02 10:30,王五,,13712345678,652302101,道路积水,A5\n";
        // A bad row: a future date and a wrong ID number; a township the bureau does not have.
        let bad = good
            .replace("2019-05-02,张三,11010519491231002X", "2029-05-02,张三,110105194912310021")
            .replace("2019-06-02,,,,652302101", "2019-06-02,,,,月亮镇");
        let (s, v) = app.post_bytes(&officer, "/api/v1/exchange/ledger/import?file_name=old.csv", bad.clone().into_bytes()).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("refused_file")), "{v}");
        let fields: Vec<(&str, &str)> = v["errors"].as_array().unwrap().iter()
            .map(|e| (e["field"].as_str().unwrap_or(""), e["code"].as_str().unwrap_or(""))).collect();
        for want in [("rows[4].visited_at", "future_datetime"), ("rows[4].id_number", "id_checksum"), ("rows[5].township", "unknown_township")] {
            assert!(fields.contains(&want), "{want:?}: {fields:?}");
        }
        assert!(v["message"].as_str().unwrap().contains("其中 2 行有误"), "{v}");
        assert_eq!(app.count("petitions").await, 0);
        assert_eq!(app.count("petition_events").await, 0);
        // A malformed workbook.
        let (s, v) = app.post_bytes(&officer, "/api/v1/exchange/ledger/import?file_name=old.xlsx", b"not a workbook".to_vec()).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("malformed_file")), "{v}");
        // Two rows a batch, one batch now: the rest goes in on the next run of the same file.
        let (s, v) = app.post_bytes(&officer, "/api/v1/exchange/ledger/import?file_name=old.csv&batch=2&max_batches=1", good.as_bytes().to_vec()).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!((v["imported"].as_u64(), v["batches"].as_u64()), (Some(2), Some(1)), "{v}");
        assert_eq!(app.count("petitions").await, 2);
        let (s, v) = app.post_bytes(&officer, "/api/v1/exchange/ledger/import?file_name=old.csv&batch=2", good.as_bytes().to_vec()).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!((v["resumed_after"].as_u64(), v["imported"].as_u64(), v["repeats"].as_u64()), (Some(2), Some(3), Some(1)), "{v}");
        assert_eq!(app.count("petitions").await, 5);
        assert_eq!(app.count("petition_events").await, 5);
        let (s, v) = app.post_bytes(&officer, "/api/v1/exchange/ledger/import?file_name=old.csv", good.as_bytes().to_vec()).await;
        assert_eq!(s, 409, "a finished file again: {v}");
        // The repeat points at the first petition of the same ID number; events verify.
        let (_, list) = app.get(&officer, "/api/v1/petitions?limit=50").await;
        let items = list["items"].as_array().unwrap();
        let first = items.iter().find(|p| p["summary"] == "拖欠工资").expect("first");
        let again = items.iter().find(|p| p["summary"] == "再次反映拖欠工资").expect("again");
        assert_eq!(again["repeat_of"], first["id"], "{again}");
        // Registered on the register's date, not on the day of the import: the rows count in
        // 2019's statistics.
        assert!(first["registered_at"].as_str().unwrap_or("").starts_with("2019-03-0"), "{first}");
        let director = app.token("director").await;
        let (s, st) = app.get(&director, "/api/v1/statistics?period=year&year=2019&index=1").await;
        assert_eq!((s, st["totals"]["petitions"].as_i64()), (200, Some(5)), "{st}");
        let report = app.state.store.verify(&app.state.bureau.id).await.expect("verify");
        assert!(report.ok(), "chains verify");
        // The bad file with skip_bad: its good rows go in, its bad ones are listed.
        let (s, v) = app.post_bytes(&officer, "/api/v1/exchange/ledger/import?file_name=old.csv&skip_bad=true", bad.into_bytes()).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!((v["imported"].as_u64(), v["bad_rows"].as_u64()), (Some(3), Some(2)), "{v}");
        assert_eq!(app.count("petitions").await, 8);
        // An Excel register with a title above its header.
        let sheet = xinfang_docs::workbook::SheetSpec {
            name: "台账".into(), title: "2018年来访登记台账".into(), subtitle: "阜康市信访局".into(),
            header: ["来访时间", "姓名", "乡镇", "反映问题"].iter().map(|s| s.to_string()).collect(),
            rows: vec![vec![
                xinfang_docs::workbook::Cell::Text("2018-05-06 09:00".into()),
                xinfang_docs::workbook::Cell::Text("赵六".into()),
                xinfang_docs::workbook::Cell::Text("城关镇人民政府".into()),
                xinfang_docs::workbook::Cell::Text("宅基地纠纷".into()),
            ]],
            charts: Vec::new(),
        };
        let xlsx = xinfang_docs::workbook::render_xlsx(&[sheet], None).expect("xlsx");
        let (s, v) = app.post_bytes(&officer, "/api/v1/exchange/ledger/import?file_name=2018.xlsx", xlsx).await;
        assert_eq!((s, v["imported"].as_u64()), (200, Some(1)), "{v}");
    }

    async fn any_list_or_search_goes_to_excel_through_the_gate_and_is_logged(app) {
        let t = app.token("receptionist").await;
        app.register_visit(&t, json!({})).await;
        app.register_visit(&t, json!({"confidential": true, "summary": "涉密事项反映"})).await;
        let officer = app.token("case_officer").await;
        let logged = app.count("access_log").await;
        let (s, bytes) = app.post_for_bytes(&officer, "/api/v1/exchange/xlsx", &json!({"sort": "date"})).await;
        assert_eq!(s, 200);
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx");
        let sheet = book.worksheet_range_at(0).expect("sheet").expect("read");
        let text: Vec<String> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>().join("|")).collect();
        let all = text.join("\n");
        assert!(all.contains("张三"), "{all}");
        assert!(!all.contains("11010519491231002X"), "ID numbers masked: {all}");
        assert!(!all.contains("涉密事项反映"), "a confidential row not the officer's is number-only: {all}");
        assert!(all.contains("内部资料"), "{all}");
        assert!(app.count("access_log").await > logged, "each exported petition logged");
        // A search result, with words.
        let (s, bytes) = app.post_for_bytes(&officer, "/api/v1/exchange/xlsx", &json!({"q": "拖欠"})).await;
        assert_eq!(s, 200);
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("xlsx");
        let sheet = book.worksheet_range_at(0).expect("sheet").expect("read");
        assert!(sheet.rows().any(|r| r.iter().any(|c| c.to_string().contains("拖欠"))));
        let admin = app.token("admin").await;
        let (s, _) = app.post_for_bytes(&admin, "/api/v1/exchange/xlsx", &json!({})).await;
        assert_eq!(s, 403);
    }
}
