//! End to end: a real headless Chromium, driven through ChromeDriver, against the real application
//! (SQLite, demo bureau, `ManualClock`). Outside CI a missing `chromedriver` is reported as a skip;
//! in CI it fails. Screenshots land in `<target-dir>/e2e/` for a human to look at.

#[allow(dead_code)]
#[path = "api/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use harness::{Backend, PASSWORD, TestApp};
use xinfang_app::clock::Clock;

const CHROMIUM: &str = "/usr/bin/chromium";
const ENTER: &str = "\u{E007}";
const ALT: char = '\u{E00A}';
const CTRL_ENTER: &str = "\u{E009}\u{E007}";
/// Ctrl+A, then the null key releases Ctrl.
const SELECT_ALL: &str = "\u{E009}a\u{E000}";
/// Page loads include rendering a slip with typst; generous for a loaded 2-core machine.
const WAIT: Duration = Duration::from_secs(60);

/// ChromeDriver (and the Chromium it starts) with a fresh profile; killed and removed on drop,
/// also when the test panics.
struct Driver {
    child: Child,
    profile: PathBuf,
    url: String,
}

impl Driver {
    fn start(binary: &Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let profile =
            std::env::temp_dir().join(format!("xinfang-e2e-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&profile).expect("profile dir");
        let mut cmd = Command::new(binary);
        cmd.arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own process group, so that the browser processes go with it.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd.spawn().expect("start chromedriver");
        Driver {
            child,
            profile,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    async fn connect(&self) -> Client {
        let mut caps = fantoccini::wd::Capabilities::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--no-first-run",
                    "--disable-sync",
                    "--window-size=1280,1600",
                    format!("--user-data-dir={}", self.profile.display()),
                ],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match ClientBuilder::new(connector.clone())
                .capabilities(caps.clone())
                .connect(&self.url)
                .await
            {
                Ok(c) => return c,
                // ChromeDriver is still starting up.
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("no WebDriver session at {}: {e}", self.url),
            }
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole process group: chromedriver and every Chromium process it started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// `<target-dir>/e2e`, next to the build output (not committed).
fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .join("e2e");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    let path = screenshot_dir().join(format!("{name}.png"));
    std::fs::write(&path, png).expect("write screenshot");
    eprintln!("screenshot: {}", path.display());
}

async fn find(c: &Client, css: &str) -> Element {
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
}

/// Waits until the element's text contains `needle`, and returns the text.
async fn wait_for_text(c: &Client, css: &str, needle: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let text = match c.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains(needle) {
            return text;
        }
        if Instant::now() > deadline {
            let url = c.current_url().await.map(|u| u.to_string());
            let body = match c.find(Locator::Css("body")).await {
                Ok(b) => b.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            panic!("{css} never showed {needle:?} (url {url:?}, text {text:?}); page:\n{body}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the element with this id has the keyboard focus (autofocus), and returns it.
async fn wait_for_focus(c: &Client, id: &str) -> Element {
    let deadline = Instant::now() + WAIT;
    loop {
        let focused = c.active_element().await.expect("active element");
        let focused_id = focused.attr("id").await.ok().flatten().unwrap_or_default();
        if focused_id == id {
            return focused;
        }
        assert!(
            Instant::now() < deadline,
            "#{id} never got the focus (#{focused_id} has it)"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn type_into(c: &Client, id: &str, text: &str) {
    find(c, &format!("#{id}"))
        .await
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("typing into #{id}: {e}"));
}

fn without_whitespace(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Says that a journey was skipped, where a reader of the output sees it (the harness does not
/// capture the process's own stderr); `scripts/test.sh` counts these lines.
fn skip(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "SKIP: {why}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receptionist_registers_a_visitor_and_prints_the_notice_slip() {
    let Some(chromedriver) = on_path("chromedriver") else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "chromedriver is not installed in CI (apt-get install chromium chromium-driver)"
            );
        }
        skip("chromedriver not installed: this browser journey did not run");
        return;
    };
    let started = Instant::now();
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");
    let driver = Driver::start(&chromedriver);
    let c = driver.connect().await;

    // Sign in with the keyboard: the user name field has the focus, Enter submits.
    c.goto(&app.url("/login")).await.expect("open login");
    wait_for_focus(&c, "username").await;
    type_into(&c, "username", "receptionist").await;
    type_into(&c, "password", &format!("{PASSWORD}{ENTER}")).await;
    wait_for_text(&c, "header .who", "接待人员").await;
    wait_for_text(&c, "main h1", "工作台").await;
    screenshot(&c, "home").await;

    // The registration form: Alt+N is the page's access key; the officer's first keystrokes go
    // into the visitor's name.
    let new = find(&c, "a[accesskey='n']").await;
    assert_eq!(
        new.attr("href").await.expect("href").as_deref(),
        Some("/petitions/new")
    );
    let alt_n = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: ALT })
        .then(KeyAction::Down { value: 'n' })
        .then(KeyAction::Up { value: 'n' })
        .then(KeyAction::Up { value: ALT });
    c.perform_actions(alt_n).await.expect("Alt+N");
    c.release_actions().await.expect("release keys");
    wait_for_text(&c, "main h1", "来访登记").await;
    let focused = wait_for_focus(&c, "p0_name").await;
    focused.send_keys("赵六").await.expect("type name");
    type_into(&c, "p0_id_number", "11010519491231002X").await;
    type_into(&c, "p0_phone", "13987654321").await;
    type_into(&c, "p0_address", "阜康市城关镇博峰街道北路5号").await;
    // The bureau's own county is preset; the officer selects it and types the code anyway.
    let region = find(&c, "#issue_region").await;
    let preset = region
        .prop("value")
        .await
        .expect("region")
        .unwrap_or_default();
    assert_eq!(preset, "652302");
    region
        .send_keys(&format!("{SELECT_ALL}652302"))
        .await
        .expect("type region");
    type_into(&c, "township_code", "652302100").await;
    type_into(
        &c,
        "summary",
        "反映小区物业公司长期不履行维修义务，电梯停运三个月。",
    )
    .await;
    type_into(&c, "requests", "要求物业公司尽快修复电梯。").await;
    screenshot(&c, "register-form").await;
    // Ctrl+Enter saves the registration from anywhere in the form.
    type_into(&c, "requests", CTRL_ENTER).await;

    let heading = wait_for_text(&c, "main h1", "已登记").await;
    assert!(heading.contains("V2026-000001"), "{heading}");
    wait_for_text(&c, "main .flash", "登记已保存").await;
    wait_for_text(&c, "main table", "赵六").await;

    // At the window: not accepted, which issues the notice slip and closes the petition.
    find(&c, "#acceptance_not_accepted")
        .await
        .click()
        .await
        .expect("choose 不予受理");
    // app.js offers only the reasons of the chosen decision and preselects the first.
    let reason = find(&c, "#reason option:checked").await;
    let reason_for = reason.attr("data-for").await.expect("data-for");
    assert_eq!(reason_for.as_deref(), Some("not_accepted"));
    find(&c, "#decision-submit")
        .await
        .click()
        .await
        .expect("submit decision");
    wait_for_text(&c, "main h1", "已结案").await;
    wait_for_text(&c, "main .flash", "受理决定已作出").await;
    let link = find(&c, "a.doc-link").await;
    let title = link.text().await.expect("link text");
    assert!(title.contains("来访事项告知单"), "{title}");
    assert!(title.contains("阜信告〔2026〕1号"), "{title}");
    screenshot(&c, "petition-decided").await;

    // The slip, fetched with the browser's session.
    let href = link
        .prop("href")
        .await
        .expect("href")
        .expect("the document link has an href");
    assert!(href.starts_with(&app.base), "{href}");
    let session = c
        .get_named_cookie(xinfang::http::auth::SESSION_COOKIE)
        .await
        .expect("session cookie");
    let r = app
        .client
        .get(&href)
        .header(
            reqwest::header::COOKIE,
            format!("{}={}", session.name(), session.value()),
        )
        .send()
        .await
        .expect("fetch slip");
    assert_eq!(r.status(), 200, "{href}");
    let content_type = r
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        content_type.starts_with("application/pdf"),
        "{content_type}"
    );
    let pdf = r.bytes().await.expect("pdf bytes");
    assert!(pdf.starts_with(b"%PDF"));
    let text = without_whitespace(&pdf_extract::extract_text_from_mem(&pdf).expect("pdf text"));
    assert!(text.contains("赵六"), "{text}");
    assert!(text.contains("告知单"), "{text}");
    assert!(text.contains("阜信告〔2026〕1号"), "{text}");

    c.close().await.expect("close browser");
    drop(driver);
    eprintln!("e2e journey took {:.1?}", started.elapsed());
}

// ---------------------------------------------------------------------------------------------
// From acceptance to closed (issue 4)

fn chromedriver_or_skip() -> Option<PathBuf> {
    let found = on_path("chromedriver");
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromedriver is not installed in CI (apt-get install chromium chromium-driver)"
        );
        skip("chromedriver not installed: this browser journey did not run");
    }
    found
}

/// Signs in as `username` in a fresh session.
async fn sign_in(c: &Client, app: &TestApp, username: &str) {
    c.delete_all_cookies().await.expect("sign out");
    c.goto(&app.url("/login")).await.expect("open login");
    wait_for_focus(c, "username").await;
    type_into(c, "username", username).await;
    type_into(c, "password", &format!("{PASSWORD}{ENTER}")).await;
    wait_for_text(c, "main h1", "工作台").await;
}

async fn open(c: &Client, app: &TestApp, path: &str) {
    c.goto(&app.url(path)).await.expect("open page");
}

async fn click(c: &Client, css: &str) {
    find(c, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Sets an input's value by script (date inputs take keystrokes in the browser's locale).
async fn set_value(c: &Client, css: &str, value: &str) {
    find(c, css).await;
    c.execute(
        "document.querySelector(arguments[0]).value = arguments[1];",
        vec![json!(css), json!(value)],
    )
    .await
    .unwrap_or_else(|e| panic!("set {css}: {e}"));
}

/// The unit's report, typed into the first report form on the page.
async fn fill_report(c: &Client) {
    find(c, ".report-form .report-findings")
        .await
        .send_keys("经核实，该建筑公司确欠张三工资三万元。")
        .await
        .expect("findings");
    find(c, ".report-form .report-reply")
        .await
        .send_keys("已督促该公司于11月30日前支付全部工资。")
        .await
        .expect("reply");
    set_value(c, ".report-form .report-served-on", "2026-11-27").await;
    click(c, ".report-form .report-signed").await;
    find(c, ".report-form .report-settlement")
        .await
        .send_keys("信访人表示满意，承诺息诉罢访。")
        .await
        .expect("settlement");
    find(c, ".report-form .report-signed-off-by")
        .await
        .send_keys("李镇长")
        .await
        .expect("signed off by");
    click(c, ".report-form .report-submit").await;
}

async fn approve_first(c: &Client, app: &TestApp, gate_label: &str) {
    open(c, app, "/approvals").await;
    wait_for_text(c, "main", gate_label).await;
    click(c, ".approval-form .approve").await;
    wait_for_text(c, "main h1", "待我审批").await;
}

async fn stage_of(app: &TestApp, id: &str) -> String {
    app.state
        .store
        .petition(&app.state.bureau.id, id)
        .await
        .expect("petition")
        .stage
        .as_str()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_is_assigned_sent_back_reported_again_and_closed() {
    let Some(chromedriver) = chromedriver_or_skip() else {
        return;
    };
    let started = Instant::now();
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");
    let t = app.token("receptionist").await;
    let id = app.register_visit(&t, json!({})).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let driver = Driver::start(&chromedriver);
    let c = driver.connect().await;
    let petition = format!("/petitions/{id}");

    // The receptionist accepts the visit.
    sign_in(&c, &app, "receptionist").await;
    open(&c, &app, &petition).await;
    click(&c, "#acceptance_accepted").await;
    click(&c, "#decision-submit").await;
    wait_for_text(&c, "main h1", "拟办中").await;

    // The office proposes 交办 to 城关镇; nothing moves until the deputy director approves.
    sign_in(&c, &app, "office").await;
    open(&c, &app, &petition).await;
    click(&c, "#disposition_assignment").await;
    let chengguan = app.unit_id("chengguan").await;
    find(&c, "#lead_unit")
        .await
        .select_by_value(&chengguan)
        .await
        .expect("lead unit");
    type_into(
        &c,
        "requirements",
        "查清欠薪事实，督促支付，书面答复信访人。",
    )
    .await;
    click(&c, "#disposition-submit").await;
    wait_for_text(&c, "#handling", "交办审批").await;
    assert_eq!(stage_of(&app, &id).await, "disposing");
    screenshot(&c, "handling-proposed").await;

    sign_in(&c, &app, "deputy_director").await;
    approve_first(&c, &app, "交办审批").await;
    assert_eq!(stage_of(&app, &id).await, "assigned");

    // The unit finds it in its inbox, signs for it, accepts it and reports.
    sign_in(&c, &app, "chengguan_handler").await;
    open(&c, &app, "/inbox").await;
    click(&c, "a.inbox-link").await;
    click(&c, "button.sign-for").await;
    wait_for_text(&c, "#records", "已签收").await;
    find(&c, ".accept-form .told-how")
        .await
        .send_keys("电话告知")
        .await
        .expect("told how");
    set_value(&c, ".accept-form .told-on", "2026-11-27").await;
    click(&c, ".accept-form .accept-record").await;
    wait_for_text(&c, "#records", "已受理").await;
    fill_report(&c).await;
    wait_for_text(&c, "main h1", "审阅中").await;

    // The case officer's review fails one check and asks for a redo.
    sign_in(&c, &app, "case_officer").await;
    open(&c, &app, &petition).await;
    click(
        &c,
        ".review-form input.check-fail[data-check='evidence_solid']",
    )
    .await;
    find(
        &c,
        ".review-form input.check-note[data-check='evidence_solid']",
    )
    .await
    .send_keys("欠薪金额缺少工资表佐证")
    .await
    .expect("note");
    find(&c, ".review-form select.review-outcome")
        .await
        .select_by_value("redo")
        .await
        .expect("outcome");
    set_value(&c, ".review-form .review-days", "15").await;
    find(&c, ".review-form .review-opinion")
        .await
        .send_keys("请补充工资表并重办。")
        .await
        .expect("opinion");
    click(&c, ".review-form .review-submit").await;
    wait_for_text(&c, ".review-result", "证据确凿").await;
    screenshot(&c, "handling-review-failed").await;

    sign_in(&c, &app, "deputy_director").await;
    approve_first(&c, &app, "重办审批").await;
    assert_eq!(stage_of(&app, &id).await, "assigned");

    // The unit reports again; this time the review passes.
    sign_in(&c, &app, "chengguan_handler").await;
    open(&c, &app, &petition).await;
    wait_for_text(&c, "#records", "重办").await;
    fill_report(&c).await;
    wait_for_text(&c, "main h1", "审阅中").await;
    // With the signed written reply attached, as scanned.
    let dir = std::env::temp_dir().join(format!("xinfang-reply-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("reply dir");
    let reply = dir.join("reply-signed.pdf");
    std::fs::write(&reply, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").expect("reply");
    find(&c, ".attachment-form .attachment-file")
        .await
        .send_keys(&reply.display().to_string())
        .await
        .expect("choose file");
    click(&c, ".attachment-form .attachment-submit").await;
    wait_for_text(&c, ".report-attachments", "reply-signed.pdf").await;

    sign_in(&c, &app, "case_officer").await;
    open(&c, &app, &petition).await;
    click(&c, ".review-form .review-submit").await;
    wait_for_text(&c, "#closure-checklist", "息诉罢访").await;
    click(&c, "#propose-closure").await;
    wait_for_text(&c, "main h1", "待结案审批").await;

    sign_in(&c, &app, "deputy_director").await;
    approve_first(&c, &app, "结案审批").await;
    open(&c, &app, &petition).await;
    wait_for_text(&c, "main h1", "已结案").await;
    let history = wait_for_text(&c, "ol.history", "本机关立卷归档").await;
    assert!(history.contains("退回重办或补报"), "{history}");
    // The 交办函 and the 结案报告 wait among the petition's documents.
    let docs = wait_for_text(&c, "#petition-documents", "结案报告").await;
    assert!(docs.contains("交办函"), "{docs}");
    screenshot(&c, "handling-closed").await;
    let _ = std::fs::remove_dir_all(&dir);

    c.close().await.expect("close browser");
    drop(driver);
    eprintln!("e2e handling journey took {:.1?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appeals_run_through_reexamination_and_recheck_to_no_longer_accepted() {
    let Some(chromedriver) = chromedriver_or_skip() else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");
    // A petition handled to the end through the API: accepted, assigned, reported, reviewed,
    // closed and deregistered, the written opinion served on 2026-11-27.
    let r = app.token("receptionist").await;
    let id = app.register_visit(&r, json!({})).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    app.post(
        &r,
        &format!("/api/v1/petitions/{id}/decision"),
        &json!({"acceptance": "accepted"}),
    )
    .await;
    let office = app.token("office").await;
    let unit = app.unit_id("chengguan").await;
    let (_, v) = app
        .post(
            &office,
            &format!("/api/v1/petitions/{id}/disposition"),
            &json!({
            "disposition": "assignment", "units": [{"unit_id": unit, "lead": true}]}),
        )
        .await;
    let dd = app.token("deputy_director").await;
    app.post(
        &dd,
        &format!(
            "/api/v1/approvals/{}",
            v["approval_id"].as_str().expect("approval")
        ),
        &json!({"accept": true}),
    )
    .await;
    let record = app
        .state
        .store
        .handling_records(&id)
        .await
        .expect("records")[0]
        .id
        .clone();
    let h = app.token("chengguan_handler").await;
    app.post(
        &h,
        &format!("/api/v1/handling-records/{record}/receive"),
        &json!({"action": "sign_for"}),
    )
    .await;
    app.post(
        &h,
        &format!("/api/v1/handling-records/{record}/receive"),
        &json!({
        "action": "accept", "petitioner_told_how": "电话", "petitioner_told_on": "2026-11-27"}),
    )
    .await;
    let (s, v) = app
        .post(&h, &format!("/api/v1/petitions/{id}/reports"), &json!({
            "record_id": record, "findings": "经核实", "decision": "reject", "reply": "不予支持。",
            "reply_served_on": "2026-11-27", "refusal_note": "信访人拒绝签字", "settlement_note": "已做解释疏导",
            "signed_off_by": "李镇长"}))
        .await;
    assert_eq!(s, 201, "{v}");
    let co = app.token("case_officer").await;
    let checks = [
        "procedure",
        "matches_matter",
        "facts_clear",
        "evidence_solid",
        "characterisation",
        "law_applied",
        "handling_appropriate",
        "formalities_complete",
        "carried_out",
        "answered_in_writing",
    ];
    let findings: Vec<_> = checks
        .iter()
        .map(|c| json!({"check": c, "pass": true}))
        .collect();
    app.post(
        &co,
        &format!(
            "/api/v1/reports/{}/review",
            v["id"].as_str().expect("report")
        ),
        &json!({"findings": findings}),
    )
    .await;
    let (_, v) = app
        .post(&co, &format!("/api/v1/petitions/{id}/closure"), &json!({}))
        .await;
    app.post(
        &dd,
        &format!(
            "/api/v1/approvals/{}",
            v["approval_id"].as_str().expect("closure approval")
        ),
        &json!({"accept": true}),
    )
    .await;
    app.post(
        &co,
        &format!("/api/v1/petitions/{id}/closure"),
        &json!({"action": "deregister"}),
    )
    .await;
    assert_eq!(stage_of(&app, &id).await, "deregistered");

    let driver = Driver::start(&chromedriver);
    let c = driver.connect().await;
    let petition = format!("/petitions/{id}");
    sign_in(&c, &app, "case_officer").await;

    // 复查, handled at this level, and its opinion.
    open(&c, &app, &petition).await;
    c.execute(
        "document.querySelectorAll('#handling details').forEach(d => d.open = true);",
        vec![],
    )
    .await
    .expect("open sections");
    set_value(&c, "#appeal_requested_on", "2026-11-27").await;
    type_into(&c, "appeal_organ", "阜康市人民政府").await;
    click(&c, "#appeal_handled_here").await;
    click(&c, "#appeal-submit").await;
    wait_for_text(&c, ".appeal", "阜康市人民政府").await;
    find(&c, ".appeal-opinion-form textarea")
        .await
        .send_keys("经复查，维持原处理意见。")
        .await
        .expect("opinion");
    set_value(
        &c,
        ".appeal-opinion-form input[name='opinion_on']",
        "2026-11-27",
    )
    .await;
    set_value(
        &c,
        ".appeal-opinion-form input[name='opinion_served_on']",
        "2026-11-27",
    )
    .await;
    click(&c, ".appeal-opinion-form .appeal-opinion-submit").await;
    wait_for_text(&c, ".appeal", "维持原处理意见").await;

    // 复核 by the organ one level up, with three days of hearing; then the matter is final.
    c.execute(
        "document.querySelectorAll('#handling details').forEach(d => d.open = true);",
        vec![],
    )
    .await
    .expect("open sections");
    find(&c, "#appeal_level")
        .await
        .select_by_value("recheck")
        .await
        .expect("level");
    set_value(&c, "#appeal_requested_on", "2026-11-27").await;
    type_into(&c, "appeal_organ", "昌吉回族自治州信访局").await;
    click(&c, "#appeal-submit").await;
    wait_for_text(&c, "#handling", "昌吉回族自治州信访局").await;
    let forms = c
        .find_all(Locator::Css(".appeal-opinion-form"))
        .await
        .expect("opinion forms");
    assert_eq!(forms.len(), 1, "only the open 复核 takes an opinion");
    find(&c, ".appeal-opinion-form textarea")
        .await
        .send_keys("经复核，维持复查意见。")
        .await
        .expect("opinion");
    set_value(
        &c,
        ".appeal-opinion-form input[name='opinion_on']",
        "2026-11-27",
    )
    .await;
    set_value(
        &c,
        ".appeal-opinion-form input[name='opinion_served_on']",
        "2026-11-27",
    )
    .await;
    set_value(&c, ".appeal-opinion-form input[name='hearing_days']", "3").await;
    click(&c, ".appeal-opinion-form .appeal-opinion-submit").await;
    wait_for_text(&c, "#final-notice", "三级终结").await;
    screenshot(&c, "appeals-final").await;

    // The same person comes back with the same matter: the window proposes 不再受理.
    let again = app
        .register_visit(
            &r,
            json!({"repeat_of": id, "repeat_reason": "同一事项，不服复核意见"}),
        )
        .await;
    let again_id = again["id"].as_str().expect("id");
    sign_in(&c, &app, "receptionist").await;
    open(&c, &app, &format!("/petitions/{again_id}")).await;
    wait_for_text(&c, "#repeat-final", "不再受理").await;
    let checked = find(&c, "#acceptance_no_longer_accepted")
        .await
        .prop("checked")
        .await
        .expect("checked");
    assert_eq!(checked.as_deref(), Some("true"));
    click(&c, "#decision-submit").await;
    wait_for_text(&c, "main h1", "已结案").await;
    let link = wait_for_text(&c, "a.doc-link", "告知单").await;
    assert!(link.contains("阜信告〔2026〕"), "{link}");
    let p = app
        .state
        .store
        .petition(&app.state.bureau.id, again_id)
        .await
        .expect("petition");
    assert_eq!(p.acceptance.map(|a| a.as_str()), Some("no_longer_accepted"));

    c.close().await.expect("close browser");
    drop(driver);
}

/// Signs in through the login page with the keyboard.
async fn sign_in_with_keyboard(c: &Client, app: &TestApp, username: &str, role_label: &str) {
    c.goto(&app.url("/login")).await.expect("open login");
    wait_for_focus(c, "username").await;
    type_into(c, "username", username).await;
    type_into(c, "password", &format!("{PASSWORD}{ENTER}")).await;
    wait_for_text(c, "header .who", role_label).await;
}

async fn sign_out(c: &Client) {
    find(c, "header form button")
        .await
        .click()
        .await
        .expect("sign out");
    find(c, "#username").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn letter_clerk_handles_a_joint_express_letter_to_the_written_notice() {
    let Some(chromedriver) = on_path("chromedriver") else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "chromedriver is not installed in CI (apt-get install chromium chromium-driver)"
            );
        }
        skip("chromedriver not installed: this browser journey did not run");
        return;
    };
    let started = Instant::now();
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");
    let driver = Driver::start(&chromedriver);
    let c = driver.connect().await;
    // Two scanned pages on disk, as the scanner leaves them.
    let dir = std::env::temp_dir().join(format!("xinfang-scans-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("scan dir");
    let page1 = dir.join("page1.pdf");
    std::fs::write(&page1, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").expect("page 1");
    let page2 = dir.join("page2.png");
    std::fs::write(
        &page2,
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13],
    )
    .expect("page 2");

    sign_in_with_keyboard(&c, &app, "letter_clerk", "办信人员").await;
    // Alt+M: the mailroom desk; the delivery mode has the focus.
    let desk = find(&c, "a[accesskey='m']").await;
    assert_eq!(
        desk.attr("href").await.expect("href").as_deref(),
        Some("/letters")
    );
    desk.click().await.expect("open desk");
    wait_for_text(&c, "main h1", "来信").await;
    let mode = wait_for_focus(&c, "delivery_mode").await;
    mode.send_keys("快递").await.expect("choose express");
    type_into(&c, "tracking_no", "SF1409882736").await;
    type_into(&c, "sender", "周明").await;
    type_into(&c, "sender_address", "阜康市城关镇东风村3组").await;
    screenshot(&c, "letter-receive").await;
    click(&c, "#receive-submit").await;
    let heading = wait_for_text(&c, "main h1", "已签收").await;
    assert!(heading.contains("L2026-000001"), "{heading}");
    assert!(
        heading.contains("立即拆阅"),
        "express is opened at once: {heading}"
    );

    // Opening: disinfection and distribution, everything kept intact.
    wait_for_focus(&c, "disinfected_by")
        .await
        .send_keys("马建军")
        .await
        .expect("type");
    type_into(&c, "distributed_to", "李秀英").await;
    click(&c, "#opening-submit").await;
    wait_for_text(&c, "main .flash", "拆封情况已记录").await;

    // Two scanned pages: the letter itself, then an attachment.
    for (part, path) in [("main_document", &page1), ("attachment", &page2)] {
        let select = find(&c, "#part").await;
        select.select_by_value(part).await.expect("choose part");
        find(&c, "#file")
            .await
            .send_keys(&path.display().to_string())
            .await
            .expect("choose file");
        click(&c, "#scan-submit").await;
        wait_for_text(&c, "main .flash", "扫描件已上传").await;
    }
    let scans = wait_for_text(&c, "#scans", "page2.png").await;
    assert!(scans.find("page1.pdf") < scans.find("page2.png"), "{scans}");

    // Registration as a joint letter with two signatories.
    click(&c, "#joint").await;
    type_into(&c, "p0_name", "周明").await;
    type_into(&c, "p0_phone", "13899001122").await;
    type_into(&c, "p0_address", "阜康市城关镇东风村3组").await;
    type_into(&c, "p1_name", "吴芳").await;
    type_into(&c, "p1_phone", "13899001123").await;
    type_into(&c, "signatory_count", "2").await;
    type_into(&c, "township_code", "652302100").await;
    type_into(
        &c,
        "summary",
        "反映小区供暖温度长期不达标，物业公司拒不整改。",
    )
    .await;
    type_into(&c, "requests", "要求物业公司整改。").await;
    screenshot(&c, "letter-register").await;
    type_into(&c, "requests", CTRL_ENTER).await;
    wait_for_text(&c, "main .flash", "来信已登记").await;
    wait_for_text(&c, "main h1", "已登记").await;
    wait_for_text(&c, "#letter-details", "2 人签名").await;

    // The 来信办理单 goes to the deputy director.
    type_into(&c, "form_proposal", "建议受理，转市住房和城乡建设局办理。").await;
    click(&c, "#handling-form-submit").await;
    wait_for_text(&c, "main h1", "待领导批示").await;
    wait_for_text(&c, "ul.documents", "来信办理单").await;
    let url = c.current_url().await.expect("url").to_string();
    sign_out(&c).await;

    // The deputy director finds it on the desk and gives the instruction.
    sign_in_with_keyboard(&c, &app, "deputy_director", "分管领导").await;
    click(&c, "a[accesskey='m']").await;
    wait_for_text(&c, "#awaiting", "L2026-000001").await;
    click(&c, "#awaiting a").await;
    wait_for_text(&c, "main h1", "待领导批示").await;
    click(&c, "#acceptance_accepted").await;
    type_into(&c, "instruction", "同意受理，请转市住建局办理。").await;
    screenshot(&c, "letter-instruction").await;
    click(&c, "#instruction-submit").await;
    wait_for_text(&c, "main .flash", "批示已记录").await;
    wait_for_text(&c, "main h1", "拟办中").await;
    sign_out(&c).await;

    // The clerk drafts the 受理告知书 from the letter page: the decision calls for it, so it is
    // offered first and its text is filled in.
    sign_in_with_keyboard(&c, &app, "letter_clerk", "办信人员").await;
    c.goto(&url).await.expect("letter page");
    find(&c, "#notice-form").await;
    click(&c, "#draft-notice").await;
    wait_for_text(&c, "main h1", "拟稿").await;
    let first = find(&c, "#kind option").await;
    assert_eq!(
        first.attr("value").await.expect("value").as_deref(),
        Some("acceptance_notice")
    );
    click(&c, "#create-draft").await;
    wait_for_text(&c, "main h1", "受理告知书").await;
    let body = find(&c, "#f_body").await;
    let text = body.prop("value").await.expect("body").unwrap_or_default();
    assert!(text.contains("本机关决定予以受理"), "{text}");
    let notice_url = c.current_url().await.expect("url").to_string();
    click(&c, "#save-and-submit").await;
    wait_for_text(&c, "#doc-state", "待签发").await;
    sign_out(&c).await;

    // A leader signs it off and it is issued with its number.
    sign_in_with_keyboard(&c, &app, "deputy_director", "分管领导").await;
    c.goto(&notice_url).await.expect("open the notice");
    click(&c, "#sign-off").await;
    wait_for_text(&c, "#doc-no", "阜信受告〔2026〕1号").await;
    click(&c, "#issue").await;
    wait_for_text(&c, "#doc-state", "已印发").await;
    sign_out(&c).await;

    // The clerk records the written notice with it and opens its PDF.
    sign_in_with_keyboard(&c, &app, "letter_clerk", "办信人员").await;
    c.goto(&url).await.expect("letter page");
    find(&c, "#notice-form").await;
    let chosen = find(&c, "#document_id option").await;
    assert_eq!(chosen.text().await.expect("text"), "阜信受告〔2026〕1号");
    click(&c, "#method_written").await;
    click(&c, "#notice-submit").await;
    wait_for_text(&c, "main .flash", "告知情况已记录").await;
    let links = wait_for_text(&c, "ul.documents", "受理告知书").await;
    assert!(links.contains("阜信受告〔2026〕1号"), "{links}");
    screenshot(&c, "letter-notified").await;
    let link = find(&c, "ul.documents li:last-child a.doc-link").await;
    let href = link.prop("href").await.expect("href").expect("href");
    c.goto(&href).await.expect("open the PDF");
    let session = c
        .get_named_cookie(xinfang::http::auth::SESSION_COOKIE)
        .await
        .expect("session cookie");
    let r = app
        .client
        .get(&href)
        .header(
            reqwest::header::COOKIE,
            format!("{}={}", session.name(), session.value()),
        )
        .send()
        .await
        .expect("fetch notice");
    assert_eq!(r.status(), 200, "{href}");
    let pdf = r.bytes().await.expect("pdf bytes");
    assert!(pdf.starts_with(b"%PDF"));
    let text = without_whitespace(&pdf_extract::extract_text_from_mem(&pdf).expect("pdf text"));
    assert!(text.contains("受理告知书"), "{text}");
    assert!(text.contains("周明"), "{text}");
    assert!(text.contains("阜信受告〔2026〕1号"), "{text}");

    c.close().await.expect("close browser");
    drop(driver);
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("mailroom e2e journey took {:.1?}", started.elapsed());
}

/// Signs in through the login page with the keyboard.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_sees_an_overdue_unit_in_red_supervises_by_phone_and_the_unit_sees_it() {
    use chrono::TimeZone;
    let Some(chromedriver) = on_path("chromedriver") else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "chromedriver is not installed in CI (apt-get install chromium chromium-driver)"
            );
        }
        skip("chromedriver not installed: this browser journey did not run");
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");
    // At the window on 2026-11-27 a visit is transferred to the human resources bureau: it must
    // tell the petitioner within 15 days (due Monday 2026-12-14).
    let t = app.token("receptionist").await;
    let v = app.register_visit(&t, json!({})).await;
    let id = v["id"].as_str().expect("id").to_string();
    let no = v["petition_no"].as_str().expect("no").to_string();
    let (status, d) = app
        .post(
            &t,
            &format!("/api/v1/petitions/{id}/decision"),
            &json!({"acceptance": "referred_to_department", "target_unit_id": app.unit_id("renshe").await}),
        )
        .await;
    assert_eq!(status, 200, "{d}");
    // The clock moves past the unit's deadline; the daily scan runs.
    app.clock.set(
        xinfang_app::clock::cst()
            .with_ymd_and_hms(2026, 12, 16, 9, 0, 0)
            .single()
            .expect("time")
            .with_timezone(&chrono::Utc),
    );
    let scan = xinfang::jobs::run_daily(&app.state, "e2e")
        .await
        .expect("scan")
        .expect("ran");
    assert_eq!(scan.raised, 1);

    let driver = Driver::start(&chromedriver);
    let c = driver.connect().await;
    sign_in_with_keyboard(&c, &app, "office", "办公室").await;
    // The overdue queue: the petition, in red.
    find(&c, "a[href='/queues']")
        .await
        .click()
        .await
        .expect("queues");
    wait_for_text(&c, "main h1", "期限与督办").await;
    find(&c, "#tab-overdue")
        .await
        .click()
        .await
        .expect("overdue tab");
    let row = wait_for_text(&c, "#deadline-queue tbody", &no).await;
    assert!(row.contains("逾期 2 天"), "{row}");
    let badge = find(
        &c,
        "#deadline-queue tbody tr.deadline-overdue .badge.deadline-overdue",
    )
    .await;
    let colour = badge.css_value("background-color").await.expect("colour");
    assert!(
        colour == "rgba(198, 40, 40, 1)" || colour == "rgb(198, 40, 40)",
        "overdue badge is red: {colour}"
    );
    screenshot(&c, "office-overdue-queue").await;
    // The supervision item raised by the scan: record a phone supervision.
    find(&c, "#supervision-inbox a")
        .await
        .click()
        .await
        .expect("open item");
    wait_for_text(&c, "main h1", "督办事项").await;
    wait_for_text(&c, "main dl", "收到转送、交办15日内未告知信访人").await;
    find(&c, "#method_phone")
        .await
        .click()
        .await
        .expect("phone");
    type_into(
        &c,
        "supervision_note",
        "电话督促市人社局信访科，要求三日内告知信访人是否受理",
    )
    .await;
    find(&c, "#supervision-submit")
        .await
        .click()
        .await
        .expect("submit");
    wait_for_text(&c, "main .flash", "督办记录已保存").await;
    let log = wait_for_text(&c, "#supervision-actions", "电话督办").await;
    assert!(log.contains("2027-01-15"), "answer due in 30 days: {log}");
    screenshot(&c, "office-supervised").await;
    find(&c, "header form button.link")
        .await
        .click()
        .await
        .expect("logout");

    // The unit sees the 督办 in its inbox.
    sign_in_with_keyboard(&c, &app, "renshe_handler", "承办单位经办人").await;
    find(&c, "a[href='/queues']")
        .await
        .click()
        .await
        .expect("queues");
    wait_for_text(&c, "main h1", "本单位").await;
    let inbox = wait_for_text(&c, "#supervision-inbox", &no).await;
    assert!(
        inbox.contains("收到转送、交办15日内未告知信访人"),
        "{inbox}"
    );
    find(&c, "#supervision-inbox a")
        .await
        .click()
        .await
        .expect("open item");
    wait_for_text(&c, "#supervision-actions", "电话督促市人社局信访科").await;
    find(&c, "#supervision-answer-form").await;
    screenshot(&c, "unit-inbox").await;
    c.close().await.expect("close browser");
    drop(driver);
}

/// Signs in through the login page (signing out first if someone is signed in).
async fn sign_in_as(c: &Client, app: &TestApp, username: &str, role_label: &str) {
    if let Ok(b) = c.find(Locator::Css("form[action='/logout'] button")).await {
        b.click().await.expect("sign out");
        find(c, "#username").await;
    }
    c.goto(&app.url("/login")).await.expect("open login");
    wait_for_focus(c, "username").await;
    type_into(c, "username", username).await;
    type_into(c, "password", &format!("{PASSWORD}{ENTER}")).await;
    wait_for_text(c, "header .who", role_label).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_officer_drafts_an_assignment_letter_the_deputy_returns_then_signs_it_off() {
    let Some(chromedriver) = on_path("chromedriver") else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "chromedriver is not installed in CI (apt-get install chromium chromium-driver)"
            );
        }
        skip("chromedriver not installed: this browser journey did not run");
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");
    let t = app.token("receptionist").await;
    let pid = app.register_visit(&t, json!({})).await["id"]
        .as_str()
        .expect("petition id")
        .to_string();
    let chengguan = app.unit_id("chengguan").await;
    let driver = Driver::start(&chromedriver);
    let c = driver.connect().await;

    // The case officer drafts a 交办函 from the petition: the text is filled in already.
    sign_in_as(&c, &app, "case_officer", "经办人").await;
    c.goto(&app.url(&format!("/petitions/{pid}")))
        .await
        .expect("open petition");
    find(&c, "#draft-document")
        .await
        .click()
        .await
        .expect("拟稿");
    wait_for_text(&c, "main h1", "拟稿").await;
    find(&c, "#kind option[value='assignment_letter']")
        .await
        .click()
        .await
        .expect("choose 交办函");
    find(&c, &format!("#unit_id option[value='{chengguan}']"))
        .await
        .click()
        .await
        .expect("choose unit");
    find(&c, "#create-draft").await.click().await.expect("起草");
    wait_for_text(&c, "main h1", "交办函").await;
    wait_for_text(&c, "#doc-state", "草稿").await;
    let body = find(&c, "#f_body").await;
    let text = body.prop("value").await.expect("body").unwrap_or_default();
    assert!(text.contains("交由你单位办理"), "{text}");
    let recipient = find(&c, "#f_recipient").await;
    assert_eq!(
        recipient.prop("value").await.expect("recipient").as_deref(),
        Some("城关镇人民政府")
    );
    let doc_url = c.current_url().await.expect("url").to_string();
    let doc_path = doc_url
        .strip_prefix(&app.base)
        .expect("same origin")
        .split('?')
        .next()
        .expect("path")
        .to_string();
    screenshot(&c, "draft-assignment-letter").await;
    find(&c, "#save-and-submit")
        .await
        .click()
        .await
        .expect("送签");
    wait_for_text(&c, "#doc-state", "待签发").await;

    // The deputy director returns it with a comment.
    sign_in_as(&c, &app, "deputy_director", "分管领导").await;
    c.goto(&app.url("/drafting")).await.expect("inbox");
    wait_for_text(&c, "#drafts", "待我签发").await;
    c.goto(&app.url(&doc_path)).await.expect("open draft");
    type_into(&c, "return-comment", "请写明报送办理结果的方式。").await;
    find(&c, "#return-draft").await.click().await.expect("退回");
    wait_for_text(&c, "#doc-state", "已退回修改").await;
    wait_for_text(&c, "#document-steps", "请写明报送办理结果的方式。").await;

    // The case officer reads the comment, edits the text and submits again.
    sign_in_as(&c, &app, "case_officer", "经办人").await;
    c.goto(&app.url(&doc_path))
        .await
        .expect("open returned draft");
    wait_for_text(&c, "#document-steps", "请写明报送办理结果的方式。").await;
    let body = find(&c, "#f_body").await;
    let old = body.prop("value").await.expect("body").unwrap_or_default();
    body.send_keys(&format!(
        "{SELECT_ALL}{old}\n办理结果请以书面形式盖章后报送我局信访督查科。"
    ))
    .await
    .expect("edit body");
    find(&c, "#save-and-submit")
        .await
        .click()
        .await
        .expect("送签");
    wait_for_text(&c, "#doc-state", "待签发").await;

    // The deputy director signs it off: it is numbered and issued.
    sign_in_as(&c, &app, "deputy_director", "分管领导").await;
    c.goto(&app.url(&doc_path)).await.expect("open draft");
    find(&c, "#sign-off").await.click().await.expect("签发");
    wait_for_text(&c, "#doc-state", "已签发").await;
    let no = wait_for_text(&c, "#doc-no", "阜信交〔2026〕1号").await;
    assert_eq!(no, "阜信交〔2026〕1号");
    find(&c, "#issue").await.click().await.expect("印发");
    wait_for_text(&c, "#doc-state", "已印发").await;
    screenshot(&c, "assignment-letter-issued").await;

    // The issued PDF, fetched with the browser's session, carries the number and the edit.
    let href = find(&c, "#pdf-link")
        .await
        .prop("href")
        .await
        .expect("href")
        .expect("pdf link");
    let session = c
        .get_named_cookie(xinfang::http::auth::SESSION_COOKIE)
        .await
        .expect("session cookie");
    let r = app
        .client
        .get(&href)
        .header(
            reqwest::header::COOKIE,
            format!("{}={}", session.name(), session.value()),
        )
        .send()
        .await
        .expect("fetch pdf");
    assert_eq!(r.status(), 200, "{href}");
    let pdf = r.bytes().await.expect("pdf bytes");
    let text = without_whitespace(&pdf_extract::extract_text_from_mem(&pdf).expect("pdf text"));
    assert!(text.contains("阜信交〔2026〕1号"), "{text}");
    assert!(text.contains("关于交办张三信访事项的函"), "{text}");
    assert!(text.contains("盖章后报送我局信访督查科"), "{text}");
    assert!(!text.contains("草稿"), "{text}");

    c.close().await.expect("close browser");
    drop(driver);
}

/// 三员分立 from the keyboard: the system administrator opens a case officer's account, the
/// security administrator confirms it and hands over the one-time code, the officer sets a
/// password with it and sees the petition list, and the audit administrator finds that sign-in
/// and the officer's first opening of a petition in the audit review.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_is_opened_confirmed_first_signed_in_and_audited() {
    let Some(chromedriver) = chromedriver_or_skip() else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");
    let t = app.token("receptionist").await;
    let visit = app.register_visit(&t, json!({})).await;
    let pid = visit["id"].as_str().expect("petition id").to_string();
    let petition_no = visit["petition_no"].as_str().expect("number").to_string();
    let driver = Driver::start(&chromedriver);
    let c = driver.connect().await;

    // The system administrator opens the account: no password field at all.
    sign_in_as(&c, &app, "admin", "系统管理员").await;
    open(&c, &app, "/admin/users").await;
    assert!(
        c.find(Locator::Css("#new_password")).await.is_err(),
        "the administrator sets no password"
    );
    type_into(&c, "new_username", "li_officer").await;
    type_into(&c, "new_display_name", "李新经办").await;
    click(&c, "#new_role option[value='case_officer']").await;
    click(&c, "#user-form button[type='submit']").await;
    wait_for_text(&c, "main", "待安全保密管理员确认").await;

    // The security administrator confirms and reads the one-time code.
    sign_in_as(&c, &app, "security_admin", "安全保密管理员").await;
    open(&c, &app, "/admin/grants").await;
    wait_for_text(&c, "main", "li_officer").await;
    click(&c, "#confirm-li_officer").await;
    wait_for_text(&c, "#issued-code", "一次性登录码").await;
    let code = find(&c, "#sign-in-code").await.text().await.expect("code");
    assert_eq!(code.trim().len(), 16, "{code}");

    // The officer signs in with the link and sets a password; a weak one is refused first.
    if let Ok(b) = c.find(Locator::Css("form[action='/logout'] button")).await {
        b.click().await.expect("sign out");
        find(&c, "#username").await;
    }
    open(&c, &app, &format!("/first-sign-in?code={}", code.trim())).await;
    type_into(&c, "new_password", "12345678").await;
    type_into(&c, "confirm_password", &format!("12345678{ENTER}")).await;
    wait_for_text(&c, "main", "至少 10 位").await;
    type_into(&c, "new_password", "Officer#Li2026").await;
    type_into(&c, "confirm_password", &format!("Officer#Li2026{ENTER}")).await;
    wait_for_text(&c, "header .who", "经办人").await;
    open(&c, &app, "/petitions").await;
    wait_for_text(&c, "main", &petition_no).await;
    open(&c, &app, &format!("/petitions/{pid}")).await;
    wait_for_text(&c, "main", &petition_no).await;

    // The audit administrator finds both, and reads no petition content.
    sign_in_as(&c, &app, "audit_admin", "安全审计员").await;
    open(&c, &app, "/audit?user=li_officer").await;
    let table = wait_for_text(&c, "#audit-table", "以一次性登录码登录").await;
    assert!(
        table.contains("查看信访件") && table.contains(&petition_no),
        "{table}"
    );
    assert!(
        !table.contains("张三"),
        "no petitioner in the review: {table}"
    );
    assert!(
        c.find(Locator::Css("a[href='/petitions']")).await.is_err(),
        "no petition list for the auditor"
    );

    c.close().await.expect("close browser");
    drop(driver);
}

/// Search from the list page, from the keyboard: "/" focuses the box, the words find petitions
/// by what their requests and interviews say, matches are marked, a second page follows; and
/// while a receptionist types a returning visitor's ID number, the earlier petition is proposed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_searches_from_the_list_page_and_the_window_sees_the_earlier_petition() {
    let Some(chromedriver) = chromedriver_or_skip() else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");
    let t = app.token("receptionist").await;
    let mut fees = Vec::new();
    for i in 0..3 {
        let v = app
            .register_visit(
                &t,
                json!({"summary": format!("反映小区第{i}栋电梯停运。"), "requests": "要求退还多收的物业费。"}),
            )
            .await;
        fees.push(v["petition_no"].as_str().expect("number").to_string());
    }
    let wages = app.register_visit(&t, json!({})).await;
    let driver = Driver::start(&chromedriver);
    let c = driver.connect().await;

    sign_in(&c, &app, "office").await;
    open(&c, &app, "/petitions").await;
    find(&c, "table.list").await;
    c.active_element()
        .await
        .expect("active")
        .send_keys("/")
        .await
        .expect("slash");
    let focused = wait_for_focus(&c, "search").await;
    focused
        .send_keys(&format!("物业费 -工资{ENTER}"))
        .await
        .expect("type query");
    wait_for_text(&c, "#search-total", "共找到 3 件").await;
    let table = find(&c, "table.list tbody")
        .await
        .text()
        .await
        .expect("rows");
    for no in &fees {
        assert!(table.contains(no.as_str()), "{no} in {table}");
    }
    assert!(
        !table.contains(wages["petition_no"].as_str().expect("number")),
        "excluded"
    );
    let mark = find(&c, "table.list .snippet mark")
        .await
        .text()
        .await
        .expect("mark");
    assert_eq!(mark, "物业费");
    // What was typed never reaches a URL.
    let url = c.current_url().await.expect("url").to_string();
    assert!(!url.contains("%E7%89%A9") && !url.contains("q="), "{url}");
    screenshot(&c, "search-results").await;

    // The window: the returning visitor's ID number brings up the earlier petition.
    sign_in(&c, &app, "receptionist").await;
    open(&c, &app, "/petitions/new").await;
    wait_for_focus(&c, "p0_name").await;
    type_into(&c, "p0_id_number", "11010519491231002X").await;
    let box_text = wait_for_text(&c, "#similar", "证件号码相同").await;
    assert!(
        box_text.contains(wages["petition_no"].as_str().expect("number")),
        "{box_text}"
    );
    let wages_id = wages["id"].as_str().expect("id");
    click(&c, &format!("#similar button[data-repeat-of='{wages_id}']")).await;
    let repeat_of = find(&c, "#repeat_of")
        .await
        .prop("value")
        .await
        .expect("value");
    assert_eq!(repeat_of.as_deref(), wages["id"].as_str());
    screenshot(&c, "similar-at-the-window").await;
    c.close().await.expect("close browser");
    drop(driver);
}

/// The office opens the month's statistics from its home page, reads the figures, drills into
/// the visits and opens one; a confidential visit counts but shows by number only to the
/// letter clerk (issue 18).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_office_reads_the_months_statistics_and_drills_into_a_number() {
    let Some(chromedriver) = chromedriver_or_skip() else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");
    let t = app.token("receptionist").await;
    let open_one = app.register_visit(&t, json!({})).await;
    let secret = app
        .register_visit(
            &t,
            json!({"confidential": true, "summary": "反映某局工作人员收受财物。"}),
        )
        .await;
    let clerk = app.token("letter_clerk").await;
    let (s, v) = app
        .post(&clerk, "/api/v1/letters", &json!({"delivery_mode": "post", "received_at": "2026-11-27T08:00", "sender": "赵六", "sender_address": "阜康市"}))
        .await;
    assert_eq!(s, 201, "{v}");
    let driver = Driver::start(&chromedriver);
    let c = driver.connect().await;

    sign_in(&c, &app, "office").await;
    click(&c, "a.card[href='/statistics']").await;
    wait_for_text(&c, "main h1", "2026年11月").await;
    let marking = find(&c, "#marking").await.text().await.expect("marking");
    assert!(marking.contains("内部资料"), "{marking}");
    let visits = find(&c, "tr[data-key='visit_batches']")
        .await
        .text()
        .await
        .expect("row");
    assert!(
        visits.contains("来访批次") && visits.contains('2'),
        "{visits}"
    );
    screenshot(&c, "statistics-month").await;
    click(&c, "tr[data-key='visit_batches'] a").await;
    let summary = wait_for_text(&c, "#drill-summary", "共 2 批次").await;
    assert!(summary.contains("2 件"), "{summary}");
    let rows = find(&c, "#drill-rows tbody")
        .await
        .text()
        .await
        .expect("rows");
    for v in [&open_one, &secret] {
        assert!(
            rows.contains(v["petition_no"].as_str().expect("number")),
            "{rows}"
        );
    }
    screenshot(&c, "statistics-drill-down").await;
    click(
        &c,
        &format!(
            "#drill-rows a[href='/petitions/{}']",
            open_one["id"].as_str().expect("id")
        ),
    )
    .await;
    wait_for_text(
        &c,
        "main h1",
        open_one["petition_no"].as_str().expect("number"),
    )
    .await;

    // The letter clerk sees the same number; the confidential row by its number only.
    sign_in(&c, &app, "letter_clerk").await;
    open(&c, &app, "/statistics").await;
    click(&c, "tr[data-key='visit_batches'] a").await;
    wait_for_text(&c, "#drill-summary", "共 2 批次").await;
    let hidden = find(&c, "#drill-rows tr.number-only")
        .await
        .text()
        .await
        .expect("row");
    assert!(
        hidden.contains(secret["petition_no"].as_str().expect("number"))
            && hidden.contains("仅显示编号")
            && !hidden.contains("收受财物"),
        "{hidden}"
    );
    // The clerk's home page counts the letter still to be told about.
    open(&c, &app, "/").await;
    let counts = find(&c, "#home-counts").await.text().await.expect("counts");
    assert!(
        counts.contains("今日登记") && counts.contains("待告知"),
        "{counts}"
    );
    // A leader's home page shows the month against the last.
    sign_in(&c, &app, "director").await;
    let trend = find(&c, "#home-trend").await.text().await.expect("trend");
    assert!(
        trend.contains("信访总量") && trend.contains("来访批次 ↑ 2 0"),
        "{trend}"
    );
    c.close().await.expect("close browser");
    drop(driver);
}

/// A gateway that keeps what it was given: the journey reads the SMS code from it.
#[derive(Default)]
struct Captured(std::sync::Mutex<Vec<xinfang_app::outbox::Outgoing>>);

impl xinfang_app::outbox::Gateway for Captured {
    fn send<'a>(
        &'a self,
        m: &'a xinfang_app::outbox::Outgoing,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, String>> + Send + 'a>>
    {
        self.0.lock().expect("lock").push(m.clone());
        Box::pin(async { Ok("captured".to_string()) })
    }
}

/// axe-core's script: `AXE_CORE_JS`, or where `scripts/test.sh` installs it
/// (`<target-dir>/axe/node_modules/axe-core/axe.min.js`). Missing outside CI: a SKIP line.
fn axe_source() -> Option<String> {
    let path = std::env::var_os("AXE_CORE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_TARGET_TMPDIR"))
                .parent()
                .expect("target dir")
                .join("axe/node_modules/axe-core/axe.min.js")
        });
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!(
                "axe-core is not installed at {} in CI (scripts/test.sh installs it)",
                path.display()
            )
        }
        Err(_) => {
            skip(&format!(
                "axe-core not at {}: the accessibility checks did not run",
                path.display()
            ));
            None
        }
    }
}

/// Runs axe-core in the page and fails on any serious or critical violation.
async fn assert_accessible(c: &Client, axe: Option<&str>, page: &str) {
    let Some(axe) = axe else { return };
    c.execute(&format!("{axe}\nreturn true;"), vec![])
        .await
        .expect("inject axe-core");
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {resultTypes: ['violations']}).then(r => done(
               r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — ' + v.nodes.map(n => n.target.join(' ')).join(', '))));",
            vec![],
        )
        .await
        .expect("axe.run");
    let found: Vec<String> = serde_json::from_value(found).expect("violations");
    assert!(found.is_empty(), "{page}: {found:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_petitioner_submits_online_at_phone_width_queries_the_opinion_and_rates_it() {
    let Some(chromedriver) = chromedriver_or_skip() else {
        return;
    };
    let started = Instant::now();
    let axe = axe_source();
    let axe = axe.as_deref();
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");
    let gw = Captured::default();
    let driver = Driver::start(&chromedriver);
    let c = driver.connect().await;
    c.set_window_size(360, 780).await.expect("phone width");

    // The petitioner: the public home page, then the phone to verify.
    open(&c, &app, "/public").await;
    wait_for_text(&c, "main h1", "网上信访").await;
    assert_accessible(&c, axe, "/public").await;
    click(&c, "a.big[href='/public/submit']").await;
    wait_for_text(&c, "main h1", "我要信访").await;
    assert_accessible(&c, axe, "/public/submit").await;
    type_into(&c, "phone", "13966667777").await;
    click(&c, "#send-code").await;
    wait_for_text(&c, "main h1", "填写信访事项").await;
    xinfang_app::outbox::send_due(&app.state, &gw)
        .await
        .expect("send");
    let sms =
        gw.0.lock()
            .expect("lock")
            .last()
            .expect("an SMS")
            .body
            .clone();
    let code: String = sms
        .split(|ch: char| !ch.is_ascii_digit())
        .find(|d| d.len() == 6)
        .expect("the code")
        .to_string();
    assert_accessible(&c, axe, "the petition form").await;
    type_into(&c, "phone_code", &code).await;
    type_into(&c, "name", "司马青").await;
    type_into(&c, "id_number", "11010519491231002X").await;
    type_into(&c, "address", "阜康市城关镇东风村3组12号").await;
    let chengguan = app.unit_id("chengguan").await;
    find(&c, "#township")
        .await
        .select_by_value(&chengguan)
        .await
        .expect("township");
    type_into(
        &c,
        "summary",
        "反映小区供暖温度长期不达标，物业公司拒不整改。",
    )
    .await;
    type_into(&c, "requests", "要求物业公司整改供暖。").await;
    click(&c, "#one_matter").await;
    screenshot(&c, "public-form-360").await;
    click(&c, "#petition-submit").await;
    wait_for_text(&c, "main h1", "已收到").await;
    let query_code = find(&c, "#query-code").await.text().await.expect("code");
    assert_eq!(query_code.len(), 8, "{query_code}");
    assert_accessible(&c, axe, "the acknowledgement").await;
    screenshot(&c, "public-acknowledgement-360").await;

    // The letter clerk finds it on the online queue and registers it as submitted.
    c.set_window_size(1280, 1600).await.expect("desk width");
    sign_in(&c, &app, "letter_clerk").await;
    open(&c, &app, "/online").await;
    wait_for_text(&c, "#online-queue", "司*").await;
    click(&c, "a.online-link").await;
    wait_for_text(&c, "main h1", "已签收").await;
    let prefilled = find(&c, "#p0_name")
        .await
        .prop("value")
        .await
        .expect("name");
    assert_eq!(prefilled.as_deref(), Some("司马青"));
    click(&c, "#registration-submit").await;
    wait_for_text(&c, "main h1", "已登记").await;
    let id = c
        .current_url()
        .await
        .expect("url")
        .path()
        .trim_start_matches("/letters/")
        .to_string();
    // Accepted, told, assigned, handled and reported by 城关镇, reviewed: through the API.
    app.registered_letter_to_opinion(&id).await;

    // The petitioner queries by code at phone width and sees the handling opinion.
    c.delete_all_cookies().await.expect("sign out");
    c.set_window_size(360, 780).await.expect("phone width");
    open(&c, &app, "/public/query").await;
    type_into(&c, "query_code", &query_code.to_lowercase()).await;
    type_into(&c, "last4", "002x").await;
    click(&c, "#query-submit").await;
    wait_for_text(&c, "#opinions", "已责成物业公司于12月1日前整改到位。").await;
    let stage = find(&c, "#public-stage").await.text().await.expect("stage");
    assert!(stage.contains("正在审核"), "{stage}");
    let page = find(&c, "main").await.text().await.expect("page");
    for internal in ["李镇长", "同意受理", "交办函", "办信人员"] {
        assert!(
            !page.contains(internal),
            "{internal} shown to the petitioner: {page}"
        );
    }
    assert_accessible(&c, axe, "the status page").await;
    screenshot(&c, "public-status-360").await;
    // Rates the bureau 满意 and the unit 不满意.
    click(&c, "#bureau_1").await;
    click(&c, "#unit_3").await;
    type_into(&c, "comment", "整改太慢。").await;
    click(&c, "#rating-submit").await;
    wait_for_text(&c, "#status-flash", "评价已提交").await;
    find(&c, "#rated").await;

    // The office finds the follow-up task on its home page.
    c.set_window_size(1280, 1600).await.expect("desk width");
    sign_in(&c, &app, "office").await;
    let home = wait_for_text(&c, "main", "请回访").await;
    assert!(home.contains("办理单位城关镇人民政府「不满意」"), "{home}");
    screenshot(&c, "public-follow-up-task").await;

    c.close().await.expect("close browser");
    drop(driver);
    eprintln!("public e2e journey took {:.1?}", started.elapsed());
}

/// The archivist archives a closed petition (seed 一 5): from the candidates on the archives
/// desk to the dossier, explaining what the volume lacks, then downloads the volume's PDF.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_archivist_archives_a_closed_petition_and_downloads_its_dossier_pdf() {
    let Some(chromedriver) = chromedriver_or_skip() else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");
    // A visit taken through the API to 销案 on 2026-11-27, its appeal window then left to lapse.
    let r = app.token("receptionist").await;
    let v = app.register_visit(&r, json!({})).await;
    let id = v["id"].as_str().expect("id").to_string();
    let number = v["petition_no"].as_str().expect("number").to_string();
    let (s, _) = app
        .post(
            &r,
            &format!("/api/v1/petitions/{id}/decision"),
            &json!({"acceptance": "accepted"}),
        )
        .await;
    assert_eq!(s, 200);
    let co = app.token("case_officer").await;
    let (s, v) = app.post(&co, &format!("/api/v1/petitions/{id}/disposition"), &json!({"disposition": "direct_reply", "requirements": "一、欠薪事实；二、法律依据；三、救济途径。"})).await;
    assert_eq!(s, 200, "{v}");
    let dd = app.token("deputy_director").await;
    if let Some(a) = v["approval_id"].as_str() {
        let (s, v) = app
            .post(
                &dd,
                &format!("/api/v1/approvals/{a}"),
                &json!({"accept": true}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let (s, v) = app.post(&co, &format!("/api/v1/petitions/{id}/reports"), &json!({
        "findings": "经核实，属劳动争议。", "decision": "support", "reply": "已书面告知可申请劳动仲裁。",
        "reply_served_on": "2026-11-27", "petitioner_signed": true,
        "settlement_note": "信访人表示理解。", "signed_off_by": "王局长"})).await;
    assert_eq!(s, 201, "{v}");
    let report = v["id"].as_str().expect("report").to_string();
    let (s, v) = app
        .post(
            &co,
            &format!("/api/v1/reports/{report}/review"),
            &json!({"findings": harness::findings(&[])}),
        )
        .await;
    assert!(s < 300, "{v}");
    let (s, v) = app
        .post(&co, &format!("/api/v1/petitions/{id}/closure"), &json!({}))
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .post(
            &dd,
            &format!(
                "/api/v1/approvals/{}",
                v["approval_id"].as_str().expect("approval")
            ),
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
    assert_eq!(s, 200, "{v}");
    app.clock.set(app.clock.now() + chrono::Duration::days(40));

    let driver = Driver::start(&chromedriver);
    let c = driver.connect().await;
    sign_in(&c, &app, "archivist").await;
    click(&c, "nav a[href='/archives']").await;
    wait_for_text(&c, "#candidates", &number).await;
    click(
        &c,
        &format!("#candidates a[href='/archives/petitions/{id}']"),
    )
    .await;
    wait_for_text(&c, "main h1", &number).await;
    let kind = find(&c, "#dossier-kind").await.text().await.expect("kind");
    assert!(
        kind.contains("普通档案"),
        "a direct reply files as 普通: {kind}"
    );
    screenshot(&c, "archives-preview").await;
    // Each missing piece explained, one by one, until the archive form appears.
    for _ in 0..10 {
        let missing = c
            .execute("const li = document.querySelector('#missing li'); return li ? li.dataset.kind : null;", vec![])
            .await
            .expect("missing");
        let Some(kind) = missing.as_str().map(str::to_string) else {
            break;
        };
        set_value(&c, "#absence-form select[name='item_kind']", &kind).await;
        find(&c, "#absence-form input[name='reason']")
            .await
            .send_keys("原件由信访人带回，已登记备查")
            .await
            .expect("reason");
        click(&c, "#absence-form button").await;
        wait_for_text(&c, ".flash", "已保存").await;
    }
    find(&c, "#archive-form input[name='checked_by']")
        .await
        .send_keys("王科长")
        .await
        .expect("checked by");
    click(&c, "#archive-button").await;
    let no = wait_for_text(&c, "#archival-no", "X001-ZY·XF·02·2026·D10-").await;
    assert!(no.ends_with("0001"), "{no}");
    let index = find(&c, "#index tbody").await.text().await.expect("index");
    assert!(index.contains("来访人员登记表"), "{index}");
    screenshot(&c, "archives-dossier").await;
    // The volume's PDF, fetched by the browser in the archivist's session.
    let got = c
        .execute_async(
            "const done = arguments[0]; fetch(document.querySelector('#dossier-pdf').href).then(r => r.arrayBuffer().then(b => done([r.status, r.headers.get('content-type'), new TextDecoder('latin1').decode(new Uint8Array(b).slice(0, 5)), b.byteLength])));",
            vec![],
        )
        .await
        .expect("download");
    assert_eq!(got[0], 200, "{got}");
    assert_eq!(got[1], "application/pdf", "{got}");
    assert_eq!(got[2], "%PDF-", "{got}");
    assert!(got[3].as_i64().unwrap_or(0) > 10_000, "{got}");
    assert_eq!(stage_of(&app, &id).await, "archived");
    c.close().await.expect("close browser");
    drop(driver);
}
