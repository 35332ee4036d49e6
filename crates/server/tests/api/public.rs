//! The public side (issue 20): online petitions, query by code, ratings, online 复查, the
//! outbox's messages through real HTTP and SMTP receivers, the limits on anonymous callers, the
//! abuse cases, and the restricted PostgreSQL role of the public instance.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use xinfang_app::outbox::{Gateway, Outgoing};

use crate::backend_tests;
use crate::harness::{TestApp, client_from};

/// A gateway that keeps what it was given, for tests that only need the text.
#[derive(Default, Clone)]
pub struct Captured(pub Arc<Mutex<Vec<Outgoing>>>);

impl Gateway for Captured {
    fn send<'a>(
        &'a self,
        m: &'a Outgoing,
    ) -> Pin<Box<dyn Future<Output = Result<String, String>> + Send + 'a>> {
        self.0.lock().unwrap().push(m.clone());
        Box::pin(async { Ok("captured".to_string()) })
    }
}

impl Captured {
    pub fn texts_to(&self, to: &str) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.to == to)
            .map(|m| m.body.clone())
            .collect()
    }
}

pub const PHONE: &str = "13955556666";

/// The 6 digits in the last SMS to `phone`.
pub fn code_in(texts: &[String]) -> String {
    let last = texts.last().expect("an SMS");
    let digits: String = last
        .split(|c: char| !c.is_ascii_digit())
        .find(|d| d.len() == 6)
        .expect("six digits")
        .to_string();
    digits
}

pub fn form(code: &str) -> Value {
    json!({
        "name": "欧阳明月", "id_type": "resident_id", "id_number": "11010519491231002X",
        "phone": PHONE, "phone_code": code, "email": "ouyang@example.cn",
        "address": "阜康市城关镇东风村3组12号", "township": "652302100",
        "summary": "反映小区供暖温度长期不达标，物业公司拒不整改。",
        "requests": "要求物业公司整改供暖。", "one_matter": true
    })
}

/// Submits an online petition through the API (code by SMS) and returns its query code and the
/// petition it became.
pub async fn submit_online(app: &TestApp, gw: &Captured) -> (String, String) {
    let (s, v) = app
        .post("", "/api/v1/public/phone-codes", &json!({"phone": PHONE}))
        .await;
    assert_eq!(s, 200, "{v}");
    xinfang_app::outbox::send_due(&app.state, gw).await.unwrap();
    let code = code_in(&gw.texts_to(PHONE));
    let (s, ack) = app.post("", "/api/v1/public/petitions", &form(&code)).await;
    assert_eq!(s, 201, "{ack}");
    let query_code = ack["query_code"].as_str().unwrap().to_string();
    let clerk = app.token("letter_clerk").await;
    let (s, queue) = app.get(&clerk, "/api/v1/online-petitions").await;
    assert_eq!(s, 200, "{queue}");
    let id = queue[0]["id"].as_str().unwrap().to_string();
    (query_code, id)
}

/// Registers, proposes, instructs, tells, assigns to 城关镇, which reports a reply served on the
/// day; the clerk's review passes.
pub async fn handle_to_opinion(app: &TestApp, id: &str) {
    let clerk = app.token("letter_clerk").await;
    let (s, v) = app
        .post(
            &clerk,
            &format!("/api/v1/letters/{id}/registration"),
            &json!({
                "petitioners": [{"name": "欧阳明月", "id_type": "resident_id", "id_number": "11010519491231002X",
                                 "phone": PHONE, "address": "阜康市城关镇东风村3组12号"}],
                "issue_region": "652302", "township": "652302100",
                "summary": "反映小区供暖温度长期不达标，物业公司拒不整改。", "requests": "要求物业公司整改供暖。",
                "letter": {}
            }),
        )
        .await;
    assert_eq!(s, 200, "registration: {v}");
    app.registered_letter_to_opinion(id).await;
}

async fn status(app: &TestApp, code: &str, last4: &str) -> (u16, Value) {
    app.post(
        "",
        "/api/v1/public/status",
        &json!({"query_code": code, "last4": last4}),
    )
    .await
}

backend_tests! {
    async fn an_online_petition_is_taken_in_registered_handled_queried_and_rated(app) {
        let gw = Captured::default();
        let (code, id) = submit_online(&app, &gw).await;
        // The query code went out by SMS and by e-mail, from the submission's transaction.
        xinfang_app::outbox::send_due(&app.state, &gw).await.unwrap();
        assert!(gw.texts_to(PHONE).iter().any(|t| t.contains(&code)), "{:?}", gw.texts_to(PHONE));
        assert!(gw.texts_to("ouyang@example.cn").iter().any(|t| t.contains(&code)));
        // It is a petition of the online channel, received, on the intake queue with its
        // 15-day clock from submission and its letter-procedure record.
        let p = app.state.store.petition(&app.state.bureau.id, &id).await.unwrap();
        assert_eq!((p.channel.as_str(), p.stage.as_str()), ("online", "received"));
        assert!(p.petition_no.starts_with("W2026-"), "{}", p.petition_no);
        let letter = app.state.store.letter(&id).await.unwrap();
        assert_eq!(letter.notice_due, "2026-12-14", "15 days, the last a Saturday: the next working day");
        // Before registration the petitioner sees it received, by either last four.
        let (s, v) = status(&app, &code, "002x").await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["stage_label"], "已收到，等待登记");
        let (s, _) = status(&app, &code, "6666").await;
        assert_eq!(s, 200);
        // A wrong last four and a wrong code answer alike.
        let (s1, wrong_last4) = status(&app, &code, "1234").await;
        let (s2, wrong_code) = status(&app, "ZZZZ2345", "002X").await;
        assert_eq!((s1, s2), (404, 404));
        assert_eq!(wrong_last4, wrong_code);

        handle_to_opinion(&app, &id).await;
        let (s, v) = status(&app, &code, "002X").await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["stage_label"], "办理单位已报送办理结果，正在审核", "{v}");
        assert_eq!(v["opinions"][0]["reply"], "已责成物业公司于12月1日前整改到位。");
        assert_eq!(v["opinions"][0]["unit"], "城关镇人民政府");
        assert_eq!(v["rating"]["subjects"], json!(["bureau", "unit"]));
        // Only what is meant for the petitioner: no staff, no internal note, no other document.
        let text = v.to_string();
        for internal in ["同意受理。", "建议受理", "经核实", "李镇长", "交办函", "来信办理单"] {
            assert!(!text.contains(internal), "{internal} in {text}");
        }
        // The reply-ready message quotes the query code.
        xinfang_app::outbox::send_due(&app.state, &gw).await.unwrap();
        assert!(gw.texts_to(PHONE).iter().any(|t| t.contains("处理意见已出")), "{:?}", gw.texts_to(PHONE));

        let (s, v) = app.post("", "/api/v1/public/ratings", &json!({
            "query_code": code, "last4": "002X", "bureau": "满意", "unit": "不满意", "comment": "整改太慢"})).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["rated"], true, "{v}");
        assert!(v["rating"].is_null());
        // Rated once: a second rating is refused.
        let (s, _) = app.post("", "/api/v1/public/ratings", &json!({
            "query_code": code, "last4": "002X", "bureau": "满意", "unit": "满意"})).await;
        assert_eq!(s, 409);
        // 不满意 is a task on the office's home page, and the rating an event of the petition.
        let office = app.token("office").await;
        let (_, home) = app.get(&office, "/").await;
        let home = home.as_str().unwrap_or_default().to_string();
        assert!(home.contains("满意度评价：办理单位城关镇人民政府「不满意」，请回访"), "{home}");
        let (_, ratings) = app.get(&office, &format!("/api/v1/petitions/{id}/ratings")).await;
        assert_eq!(ratings.as_array().unwrap().len(), 2, "{ratings}");
        let events = app.state.store.events(&id).await.unwrap();
        assert!(events.iter().any(|e| e.kind == "rated"));
        // The ratings feed the month's 参评率 and 满意率 (the unit's 不满意: not satisfied).
        let (s, stats) = app.get(&office, "/api/v1/statistics?period=month&year=2026&index=11").await;
        assert_eq!(s, 200, "{stats}");
        assert_eq!(stats["kpis"]["participation_rate"], json!(1.0), "{}", stats["kpis"]);
        assert_eq!(stats["kpis"]["satisfaction_rate"], json!(0.0), "{}", stats["kpis"]);
        // The messages and every attempt are on the petition's record.
        let (_, messages) = app.get(&office, &format!("/api/v1/petitions/{id}/messages")).await;
        let kinds: Vec<&str> = messages.as_array().unwrap().iter().filter_map(|m| m["kind"].as_str()).collect();
        for k in ["query_code", "acceptance_decision", "reply_ready"] {
            assert!(kinds.contains(&k), "{k} in {kinds:?}");
        }
        assert!(messages.as_array().unwrap().iter().all(|m| !m["attempts"].as_array().unwrap().is_empty()));
        // A unit that does not handle it may not see them (they name the petitioner's phone).
        let h = app.token("renshe_handler").await;
        let (s, none) = app.get(&h, &format!("/api/v1/petitions/{id}/messages")).await;
        assert_eq!(s, 403, "{none}");
    }

    async fn the_petitioners_documents_and_reexamination_online_land_where_the_counter_does(app) {
        let gw = Captured::default();
        let (code, id) = submit_online(&app, &gw).await;
        handle_to_opinion(&app, &id).await;
        // Closing: the petitioner is invited to rate.
        let clerk = app.token("letter_clerk").await;
        let (s, v) = app.post(&clerk, &format!("/api/v1/petitions/{id}/closure"), &json!({})).await;
        assert_eq!(s, 200, "{v}");
        let dd = app.token("deputy_director").await;
        let (s, v) = app.post(&dd, &format!("/api/v1/approvals/{}", v["approval_id"].as_str().unwrap()), &json!({"accept": true})).await;
        assert_eq!(s, 200, "{v}");
        xinfang_app::outbox::send_due(&app.state, &gw).await.unwrap();
        assert!(gw.texts_to(PHONE).iter().any(|t| t.contains("满意度评价") && t.contains(&code)), "{:?}", gw.texts_to(PHONE));
        let (s, v) = status(&app, &code, "002X").await;
        assert_eq!(s, 200);
        assert_eq!(v["stage_label"], "已办结");
        let until = v["reexamination_until"].as_str().expect("复查 open").to_string();
        assert_eq!(until, "2026-12-28", "30 days, the last a Sunday: the next working day");
        // 复查 online lands as an appeal, with the bureau's 30-day deadline.
        let (s, v) = app.post("", "/api/v1/public/reexaminations", &json!({
            "query_code": code, "last4": "002X", "reason": "整改不到位，申请复查。"})).await;
        assert_eq!(s, 200, "{v}");
        let appeals = app.state.store.appeals_of(&id).await.unwrap();
        assert_eq!(appeals.len(), 1);
        assert_eq!((appeals[0].level.as_str(), appeals[0].requested_on.as_str()), ("reexamination", "2026-11-27"));
        let (_, v) = status(&app, &code, "002X").await;
        assert_eq!(v["appeals"][0]["level"], "复查");
        assert!(v["reexamination_until"].is_null());
        // Asked twice: refused.
        let (s, _) = app.post("", "/api/v1/public/reexaminations", &json!({
            "query_code": code, "last4": "002X", "reason": "再次申请。"})).await;
        assert_eq!(s, 409);
        // A rating by phone, recorded by the office.
        let office = app.token("office").await;
        let (s, v) = app.post(&office, &format!("/api/v1/petitions/{id}/ratings"), &json!({"bureau": "基本满意", "unit": "满意"})).await;
        assert_eq!(s, 201, "{v}");
        assert_eq!(v[0]["channel"], "电话");
        let (s, _) = app.post(&office, &format!("/api/v1/petitions/{id}/ratings"), &json!({"bureau": "满意", "unit": "满意"})).await;
        assert_eq!(s, 409);
    }

    async fn wrong_query_codes_from_one_address_are_throttled(app) {
        let client = client_from("127.0.0.9");
        let mut statuses = Vec::new();
        for i in 0..1000u32 {
            let code: String = format!("{:08}", i).chars().map(|c| "23456789AB".chars().nth(c.to_digit(10).unwrap() as usize).unwrap()).collect();
            let r = client.post(app.url("/api/v1/public/status"))
                .json(&json!({"query_code": code, "last4": "1234"}))
                .send().await.unwrap();
            statuses.push(r.status().as_u16());
        }
        let wrong = statuses.iter().filter(|s| **s == 404).count();
        let throttled = statuses.iter().filter(|s| **s == 429).count();
        assert_eq!(wrong, 10, "ten wrong tries answer 404");
        assert_eq!(throttled, 990, "the rest are throttled: {:?}", &statuses[..20]);
        assert!(statuses[10..].iter().all(|s| *s == 429), "once throttled, always until the window passes");
        // Another address is not affected; an hour later the first may try again.
        let (s, _) = status(&app, "ZZZZ2345", "1234").await;
        assert_eq!(s, 404);
        app.clock.advance(chrono::Duration::minutes(61));
        let r = client.post(app.url("/api/v1/public/status")).json(&json!({"query_code": "ZZZZ2346", "last4": "1234"})).send().await.unwrap();
        assert_eq!(r.status(), 404);
        // One code tried from many addresses: five wrong last fours, then the code is closed.
        let gw = Captured::default();
        let (code, _) = submit_online(&app, &gw).await;
        for i in 0..5u8 {
            let r = client_from(&format!("127.0.1.{}", i + 1)).post(app.url("/api/v1/public/status"))
                .json(&json!({"query_code": code, "last4": "0000"})).send().await.unwrap();
            assert_eq!(r.status(), 404);
        }
        let r = client_from("127.0.1.9").post(app.url("/api/v1/public/status"))
            .json(&json!({"query_code": code, "last4": "002X"})).send().await.unwrap();
        assert_eq!(r.status(), 429, "even the right last four waits now");
    }

    async fn executables_and_oversized_files_are_refused_and_submissions_are_escaped(app) {
        let gw = Captured::default();
        let (s, _) = app.post("", "/api/v1/public/phone-codes", &json!({"phone": PHONE})).await;
        assert_eq!(s, 200);
        xinfang_app::outbox::send_due(&app.state, &gw).await.unwrap();
        let code = code_in(&gw.texts_to(PHONE));
        let mut f = form(&code);
        f["summary"] = json!("<script>alert('xss')</script>反映<b>物业</b>问题");
        f["name"] = json!("<img src=x onerror=alert(1)>");
        let petition = f.to_string();
        let send = |file_name: &'static str, bytes: Vec<u8>| {
            let petition = petition.clone();
            let app = &app;
            async move {
                let form = reqwest::multipart::Form::new()
                    .text("petition", petition)
                    .part("file", reqwest::multipart::Part::bytes(bytes).file_name(file_name));
                let r = app.client.post(app.url("/api/v1/public/petitions")).multipart(form).send().await.unwrap();
                let status = r.status().as_u16();
                (status, r.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        // An executable renamed .pdf: refused by its content.
        let mut exe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
        exe.extend(std::iter::repeat_n(0u8, 4096));
        let (s, v) = send("report.pdf", exe).await;
        assert_eq!(s, 422, "{v}");
        assert!(v["message"].as_str().unwrap().contains("不是 PDF、JPEG、PNG 或 TIFF"), "{v}");
        // 30 MB: over the 20 MB limit.
        let mut big = b"%PDF-1.4\n".to_vec();
        big.resize(30 * 1024 * 1024, b'0');
        let (s, v) = send("big.pdf", big).await;
        assert_eq!(s, 422, "{v}");
        assert!(v["message"].as_str().unwrap().contains("文件超过 20 MB"), "{v}");
        // Nothing was written, and the code was not spent by the refusals: it still works.
        assert_eq!(app.count("online_submissions").await, 0);
        let (s, v) = send("scan.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec()).await;
        assert_eq!(s, 201, "{v}");
        let clerk = app.token("letter_clerk").await;
        let (_, queue) = app.get(&clerk, "/api/v1/online-petitions").await;
        let id = queue[0]["id"].as_str().unwrap().to_string();
        // What the petitioner typed reaches staff pages only escaped.
        for path in [format!("/letters/{id}"), "/online".to_string(), format!("/petitions/{id}"), "/petitions".to_string()] {
            let (s, page) = app.get(&clerk, &path).await;
            let page = page.as_str().unwrap_or_default().to_string();
            assert_eq!(s, 200, "{path}");
            assert!(!page.contains("<script>alert") && !page.contains("<img src=x"), "{path} shows it raw");
        }
        let (_, page) = app.get(&clerk, &format!("/letters/{id}")).await;
        assert!(page.as_str().unwrap().contains("&lt;script&gt;") || page.as_str().unwrap().contains("&#60;script&#62;"), "escaped, not dropped");
        // The attachment became the petition's scan.
        let scans = app.state.store.scans_of(&id).await.unwrap();
        assert_eq!(scans.len(), 1);
        assert_eq!(scans[0].part, "attachment");
        // A wrong code: named, nothing written.
        let (s, v) = app.post("", "/api/v1/public/petitions", &form("000000")).await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(v["field"], "phone_code");
    }
}

/// A real HTTP receiver standing in for the SMS gateway: it records each POST and fails the
/// first `fail_first` of them with 503.
async fn sms_receiver(fail_first: usize) -> (String, Arc<Mutex<Vec<Value>>>) {
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let seen = got.clone();
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let app = axum::Router::new().route(
        "/sms",
        axum::routing::post(move |axum::Json(v): axum::Json<Value>| {
            let seen = seen.clone();
            let calls = calls.clone();
            async move {
                let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if n < fail_first {
                    return (
                        axum::http::StatusCode::SERVICE_UNAVAILABLE,
                        "busy".to_string(),
                    );
                }
                seen.lock().unwrap().push(v);
                (axum::http::StatusCode::OK, "queued".to_string())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/sms"), got)
}

/// A real SMTP receiver (the protocol's plain dialogue) that keeps each message's data.
async fn smtp_receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let seen = seen.clone();
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut lines = BufReader::new(r).lines();
                let _ = w.write_all(b"220 test ESMTP\r\n").await;
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(d) = data.as_mut() {
                        if line == "." {
                            seen.lock().unwrap().push(std::mem::take(d));
                            data = None;
                            let _ = w.write_all(b"250 2.0.0 accepted\r\n").await;
                        } else {
                            d.push_str(&line);
                            d.push('\n');
                        }
                        continue;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") {
                        b"250-test\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("DATA") {
                        data = Some(String::new());
                        b"354 go ahead\r\n"
                    } else if upper.starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    let _ = w.write_all(reply).await;
                }
            });
        }
    });
    (format!("smtp://{addr}"), got)
}

backend_tests! {
    async fn messages_reach_a_real_sms_gateway_and_mail_server_and_failures_are_retried(app) {
        let (sms_url, sms) = sms_receiver(2).await;
        let (smtp_url, mail) = smtp_receiver().await;
        let mut config = app.state.config.clone();
        config.sms_gateway_url = Some(sms_url);
        config.smtp_url = Some(smtp_url);
        config.smtp_from = "xinfang@fukang.example.cn".into();
        let gateways = xinfang::gateways::Gateways::from_config(&config);
        // An edited template is what goes out.
        let admin = app.token("admin").await;
        let (s, v) = app.put(&admin, "/api/v1/message-templates/query_code", &json!({
            "subject": "查询码", "body": "【{bureau}】查询码：{query_code}。查询：{link}"})).await;
        assert_eq!(s, 200, "{v}");
        let (s, v) = app.put(&admin, "/api/v1/message-templates/query_code", &json!({"body": "{secret}"})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("unknown_placeholder")));
        let (s, _) = app.post("", "/api/v1/public/phone-codes", &json!({"phone": PHONE})).await;
        assert_eq!(s, 200);
        // The gateway is busy twice: the code is retried after 1 and 2 minutes.
        let r = xinfang_app::outbox::send_due(&app.state, &gateways).await.unwrap();
        assert_eq!(r.retrying, 1);
        app.clock.advance(chrono::Duration::seconds(61));
        let r = xinfang_app::outbox::send_due(&app.state, &gateways).await.unwrap();
        assert_eq!(r.retrying, 1);
        let r = xinfang_app::outbox::send_due(&app.state, &gateways).await.unwrap();
        assert_eq!(r.sent, 0, "not before its pause");
        app.clock.advance(chrono::Duration::seconds(121));
        let r = xinfang_app::outbox::send_due(&app.state, &gateways).await.unwrap();
        assert_eq!(r.sent, 1);
        let arrived = sms.lock().unwrap().clone();
        assert_eq!(arrived.len(), 1);
        assert_eq!(arrived[0]["to"], PHONE);
        let code: String = arrived[0]["text"].as_str().unwrap().split(|c: char| !c.is_ascii_digit()).find(|d| d.len() == 6).unwrap().to_string();
        let (s, ack) = app.post("", "/api/v1/public/petitions", &form(&code)).await;
        assert_eq!(s, 201, "{ack}");
        let query_code = ack["query_code"].as_str().unwrap();
        let r = xinfang_app::outbox::send_due(&app.state, &gateways).await.unwrap();
        assert_eq!(r.sent, 2, "SMS and e-mail");
        let arrived = sms.lock().unwrap().clone();
        assert!(arrived[1]["text"].as_str().unwrap().contains(&format!("查询码：{query_code}")), "{arrived:?}");
        let mails = mail.lock().unwrap().clone();
        assert_eq!(mails.len(), 1);
        assert!(mails[0].contains("ouyang@example.cn"), "{}", mails[0]);
        // Every attempt is logged on the petition's page: two failures, then success.
        let clerk = app.token("letter_clerk").await;
        let (_, queue) = app.get(&clerk, "/api/v1/online-petitions").await;
        let id = queue[0]["id"].as_str().unwrap();
        let office = app.token("office").await;
        let (_, messages) = app.get(&office, &format!("/api/v1/petitions/{id}/messages")).await;
        let m = messages.as_array().unwrap();
        let sms_msg = m.iter().find(|x| x["medium"] == "sms").unwrap();
        assert_eq!(sms_msg["state"], "sent");
        let (_, page) = app.get(&office, &format!("/petitions/{id}")).await;
        assert!(page.as_str().unwrap().contains("发送记录"), "the page lists the messages");
        // A gateway that never answers: after the last pause the message is given up.
        let down = xinfang::gateways::Gateways::from_config(&xinfang_app::context::Config {
            sms_gateway_url: Some("http://127.0.0.1:9/sms".into()),
            ..config.clone()
        });
        let (s, _) = app.post("", "/api/v1/public/phone-codes", &json!({"phone": "13900001111"})).await;
        assert_eq!(s, 200);
        let mut given_up = 0;
        for _ in 0..8 {
            given_up += xinfang_app::outbox::send_due(&app.state, &down).await.unwrap().given_up;
            app.clock.advance(chrono::Duration::minutes(20));
        }
        assert_eq!(given_up, 1);
    }
}

/// The public instance on PostgreSQL connects as the restricted role: it serves submissions,
/// queries and ratings, and cannot read any table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_instance_role_may_only_insert_and_read_by_code() {
    use xinfang_store::sqlx;
    let Some(app) = TestApp::spawn(crate::harness::Backend::Postgres).await else {
        return;
    };
    let db = app.pg_database().unwrap();
    let login = format!("xinfang_web_{}", uuid::Uuid::new_v4().simple());
    sqlx::any::install_default_drivers();
    let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(
        "postgres://postgres@127.0.0.1:5432/postgres",
    )
    .await
    .unwrap();
    sqlx::Executor::execute(
        &mut admin,
        sqlx::AssertSqlSafe(format!("CREATE ROLE {login} LOGIN IN ROLE xinfang_public")),
    )
    .await
    .unwrap();
    struct DropRole(String);
    impl Drop for DropRole {
        fn drop(&mut self) {
            let login = self.0.clone();
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    if let Ok(mut c) = <sqlx::AnyConnection as sqlx::Connection>::connect(
                        "postgres://postgres@127.0.0.1:5432/postgres",
                    )
                    .await
                    {
                        let _ = sqlx::Executor::execute(
                            &mut c,
                            sqlx::AssertSqlSafe(format!("DROP ROLE IF EXISTS {login}")),
                        )
                        .await;
                    }
                });
            })
            .join();
        }
    }
    let _guard = DropRole(login.clone());
    let url = format!("postgres://{login}@127.0.0.1:5432/{db}");
    let store = xinfang_store::Store::connect(&url, 2).await.unwrap();
    // Nothing may be read or changed directly (each statement is refused; none runs).
    for sql in [
        "SELECT * FROM petitions",
        "SELECT * FROM petitioners",
        "SELECT * FROM users",
        "SELECT * FROM online_submissions",
        "SELECT * FROM ratings",
        "SELECT * FROM outbox_messages",
        "SELECT * FROM phone_codes",
        "SELECT * FROM public_attempts",
        "SELECT * FROM units",
        "UPDATE petitions SET summary = ''",
        "DELETE FROM ratings",
        "UPDATE online_submissions SET outcome = 'x'",
    ] {
        let e = sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(store.pool())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("permission denied"), "{sql}: {e}");
    }
    // The public instance itself works through its inserts and functions.
    let bureau = store.public_bureau().await.unwrap().expect("bureau");
    assert_eq!(bureau.id, app.state.bureau.id);
    let config = xinfang_app::context::Config {
        public_only: true,
        ..app.state.config.clone()
    };
    let public = Arc::new(
        xinfang_app::context::AppState::new(config, store, app.clock.clone(), bureau)
            .await
            .unwrap(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = xinfang::http::public_service(public.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{base}/api/v1/public/phone-codes"))
        .json(&json!({"phone": PHONE}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // The staff instance sends the code (the public role cannot read the outbox).
    let gw = Captured::default();
    xinfang_app::outbox::send_due(&app.state, &gw)
        .await
        .unwrap();
    let code = code_in(&gw.texts_to(PHONE));
    let r = client
        .post(format!("{base}/api/v1/public/petitions"))
        .json(&form(&code))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let ack: Value = r.json().await.unwrap();
    let query_code = ack["query_code"].as_str().unwrap().to_string();
    // Not taken in yet: the public instance has no job; the petitioner already sees it.
    let r = client
        .post(format!("{base}/api/v1/public/status"))
        .json(&json!({"query_code": query_code, "last4": "002X"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["stage_label"], "已收到，等待登记");
    let r = client
        .get(format!("{base}/public/submit"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client
        .post(format!("{base}/public/phone-code"))
        .form(&[("phone", "13977778888")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.text().await.unwrap().contains("城关镇"),
        "the townships through the public role"
    );
    // No staff route exists on it.
    for path in [
        "/login",
        "/petitions",
        "/api/v1/petitions",
        "/api/v1/online-petitions",
    ] {
        let r = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    // The staff instance takes it in; then it is a petition, queried and handled as any other.
    let taken = xinfang_app::public::take_in(&app.state).await.unwrap();
    assert_eq!(taken.petitions, 1);
    let clerk = app.token("letter_clerk").await;
    let (_, queue) = app.get(&clerk, "/api/v1/online-petitions").await;
    let id = queue[0]["id"].as_str().unwrap().to_string();
    handle_to_opinion(&app, &id).await;
    let r = client
        .post(format!("{base}/api/v1/public/ratings"))
        .json(&json!({
        "query_code": query_code, "last4": "002X", "bureau": "不满意", "unit": "满意"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let taken = xinfang_app::public::take_in(&app.state).await.unwrap();
    assert_eq!(taken.ratings, 2);
    let tasks = app
        .state
        .store
        .open_tasks(
            &app.state.bureau.id,
            &[xinfang_domain::role::Role::Office],
            None,
        )
        .await
        .unwrap();
    assert!(
        tasks.iter().any(|t| t.kind == "rating_follow_up"),
        "{tasks:?}"
    );
}
