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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receptionist_registers_a_visitor_and_prints_the_notice_slip() {
    let Some(chromedriver) = on_path("chromedriver") else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "chromedriver is not installed in CI (apt-get install chromium chromium-driver)"
            );
        }
        eprintln!("SKIP: chromedriver not installed");
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
        .get_named_cookie(xinfang::auth::SESSION_COOKIE)
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

/// Signs in through the login page with the keyboard.
async fn sign_in(c: &Client, app: &TestApp, username: &str, role_label: &str) {
    c.goto(&app.url("/login")).await.expect("open login");
    wait_for_focus(c, "username").await;
    type_into(c, "username", username).await;
    type_into(c, "password", &format!("{PASSWORD}{ENTER}")).await;
    wait_for_text(c, "header .who", role_label).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_sees_an_overdue_unit_in_red_supervises_by_phone_and_the_unit_sees_it() {
    use chrono::TimeZone;
    let Some(chromedriver) = on_path("chromedriver") else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "chromedriver is not installed in CI (apt-get install chromium chromium-driver)"
            );
        }
        eprintln!("SKIP: chromedriver not installed");
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
        xinfang::clock::cst()
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
    sign_in(&c, &app, "office", "办公室").await;
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
    sign_in(&c, &app, "renshe_handler", "承办单位经办人").await;
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
