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
        eprintln!("SKIP: chromedriver not installed");
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
