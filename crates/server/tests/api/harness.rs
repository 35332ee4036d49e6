//! Starts the real application on a random port against a fresh database: SQLite in a new
//! temporary directory, or a new PostgreSQL database that is dropped afterwards.

use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};
use xinfang_app::auth::PasswordPolicy;
use xinfang_app::clock::{ManualClock, cst};
use xinfang_app::context::{AppState, Config};

pub const PASSWORD: &str = "xinfang-demo";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: Arc<AppState>,
    pub clock: Arc<ManualClock>,
    data_dir: std::path::PathBuf,
    pg_db: Option<String>,
    server: tokio::task::JoinHandle<()>,
}

/// 2026-11-27 10:00 China Standard Time, a Friday.
pub fn default_now() -> chrono::DateTime<Utc> {
    cst()
        .with_ymd_and_hms(2026, 11, 27, 10, 0, 0)
        .single()
        .expect("valid")
        .with_timezone(&Utc)
}

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 27).expect("valid")
}

async fn pg_reachable() -> bool {
    tokio::time::timeout(
        std::time::Duration::from_secs(3),
        tokio::net::TcpStream::connect("127.0.0.1:5432"),
    )
    .await
    .map(|r| r.is_ok())
    .unwrap_or(false)
}

impl TestApp {
    /// `None` when PostgreSQL is not reachable outside CI (the skip is printed); in CI a missing
    /// PostgreSQL fails the test.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like `spawn`, with the configuration adjusted first (another blob store …).
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Option<TestApp> {
        Self::spawn_on(backend, adjust, None, default_now()).await
    }

    /// The application opened on the database and files an earlier release wrote: `fixture` is a
    /// zip made by `scripts/make-upgrade-fixture.sh` (a `sqlite/` data directory, and a
    /// `postgres/` one with the database as `dump.sql`, loaded with psql). Opening the store
    /// migrates it as `xinfang serve` would; the clock starts at `now`.
    pub async fn spawn_from_fixture(
        backend: Backend,
        fixture: &std::path::Path,
        now: chrono::DateTime<Utc>,
    ) -> Option<TestApp> {
        Self::spawn_on(backend, |_| {}, Some(fixture), now).await
    }

    async fn spawn_on(
        backend: Backend,
        adjust: impl FnOnce(&mut Config),
        fixture: Option<&std::path::Path>,
        now: chrono::DateTime<Utc>,
    ) -> Option<TestApp> {
        let data_dir =
            std::env::temp_dir().join(format!("xinfang-test-{}", uuid::Uuid::new_v4().simple()));
        let mut pg_db = None;
        let database_url = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                if !pg_reachable().await {
                    if std::env::var_os("CI").is_some() {
                        panic!("PostgreSQL is not reachable at 127.0.0.1:5432 in CI");
                    }
                    skip(
                        "PostgreSQL not reachable at 127.0.0.1:5432: this test ran on SQLite only",
                    );
                    return None;
                }
                let name = format!("xinfang_test_{}", uuid::Uuid::new_v4().simple());
                xinfang_store::sqlx::any::install_default_drivers();
                let mut conn = <xinfang_store::sqlx::AnyConnection as xinfang_store::sqlx::Connection>::connect(PG_ADMIN_URL).await.expect("connect to PostgreSQL");
                xinfang_store::sqlx::Executor::execute(
                    &mut conn,
                    xinfang_store::sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")),
                )
                .await
                .expect("create test database");
                pg_db = Some(name.clone());
                Some(format!("postgres://postgres@127.0.0.1:5432/{name}"))
            }
        };
        if let Some(fixture) = fixture {
            unpack_fixture(fixture, backend, &data_dir);
            if let Some(name) = &pg_db {
                let dump = data_dir.join("dump.sql");
                let out = std::process::Command::new("psql")
                    .args([
                        "-q",
                        "-v",
                        "ON_ERROR_STOP=1",
                        "-h",
                        "127.0.0.1",
                        "-U",
                        "postgres",
                    ])
                    .args(["-d", name, "-f"])
                    .arg(&dump)
                    .output()
                    .expect("psql (the PostgreSQL client) loads the fixture");
                assert!(
                    out.status.success(),
                    "psql: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                std::fs::remove_file(dump).expect("remove the dump");
            }
        }
        let config = Config {
            data_dir: data_dir.clone(),
            database_url,
            // Cheap hashes keep tests fast; production uses argon2's defaults.
            password_policy: PasswordPolicy {
                memory_kib: 1024,
                iterations: 1,
            },
            max_connections: 5,
            ..Config::default()
        };
        let mut config = config;
        adjust(&mut config);
        let clock = Arc::new(ManualClock::new(now));
        let store = xinfang_app::context::open_store(&config)
            .await
            .expect("open store");
        let bureau = if fixture.is_some() {
            store
                .default_bureau()
                .await
                .expect("read the bureau")
                .expect("the fixture's bureau")
        } else {
            xinfang::cli::demo::create_bureau(&store, clock.as_ref(), &config.password_policy)
                .await
                .expect("bureau")
        };
        let state = Arc::new(
            AppState::new(config, store, clock.clone(), bureau)
                .await
                .expect("state"),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = xinfang::http::service(state.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("serve");
        });
        Some(TestApp {
            base: format!("http://{addr}"),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            state,
            clock,
            data_dir,
            pg_db,
            server,
        })
    }

    /// The PostgreSQL database's name, for a test that connects to it as another role.
    pub fn pg_database(&self) -> Option<String> {
        self.pg_db.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn token(&self, username: &str) -> String {
        let r = self
            .client
            .post(self.url("/api/v1/login"))
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), 200, "login as {username}");
        let v: Value = r.json().await.expect("json");
        v["token"].as_str().expect("token").to_string()
    }

    /// Sends a request with a bearer token and returns the status and the body as JSON (or
    /// as a JSON string when it is not JSON).
    async fn send(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        let text = r.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, token, path, Some(body))
            .await
    }

    pub async fn put(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, token, path, Some(body))
            .await
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, token, path, None).await
    }

    pub async fn get_bytes(&self, token: &str, path: &str) -> (u16, Vec<u8>) {
        let r = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("get");
        (
            r.status().as_u16(),
            r.bytes().await.expect("bytes").to_vec(),
        )
    }

    pub async fn unit_id(&self, code: &str) -> String {
        self.state
            .store
            .unit_by_code(&self.state.bureau.id, code)
            .await
            .expect("unit")
            .expect("exists")
            .id
    }

    pub async fn count(&self, table: &str) -> i64 {
        let (n,): (i64,) = xinfang_store::sqlx::query_as(xinfang_store::sqlx::AssertSqlSafe(
            format!("SELECT COUNT(*) FROM {table}"),
        ))
        .fetch_one(self.state.store.pool())
        .await
        .expect("count");
        n
    }

    /// Takes a document of a petition through 文稿办理: `drafter` drafts it (`body` as for
    /// draftDocument), submits it, `signer` signs it off, `drafter` issues it. Returns the issued
    /// document's JSON.
    pub async fn issue_through_sign_off(
        &self,
        drafter: &str,
        signer: &str,
        pid: &str,
        body: Value,
    ) -> Value {
        let d = self.token(drafter).await;
        let (status, v) = self
            .post(&d, &format!("/api/v1/petitions/{pid}/documents"), &body)
            .await;
        assert_eq!(status, 201, "draft: {v}");
        let id = v["id"].as_str().unwrap().to_string();
        self.sign_off_and_issue(drafter, signer, &id).await
    }

    /// Submits a drafted document, signs it off and issues it; returns the issued document.
    pub async fn sign_off_and_issue(&self, drafter: &str, signer: &str, id: &str) -> Value {
        let d = self.token(drafter).await;
        let (status, v) = self
            .post(&d, &format!("/api/v1/documents/{id}/submit"), &json!({}))
            .await;
        assert_eq!(status, 200, "submit: {v}");
        self.sign_off_and_issue_submitted(drafter, signer, id).await
    }

    /// Signs off a submitted document and issues it; returns the issued document.
    pub async fn sign_off_and_issue_submitted(
        &self,
        drafter: &str,
        signer: &str,
        id: &str,
    ) -> Value {
        let d = self.token(drafter).await;
        let s = self.token(signer).await;
        for (token, step) in [(&s, "sign-off"), (&d, "issue")] {
            let (status, v) = self
                .post(token, &format!("/api/v1/documents/{id}/{step}"), &json!({}))
                .await;
            assert_eq!(status, 200, "{step}: {v}");
        }
        let (status, v) = self.get(&d, &format!("/api/v1/documents/{id}")).await;
        assert_eq!(status, 200, "{v}");
        v
    }

    /// Registers a valid visit as the receptionist and returns its JSON.
    pub async fn register_visit(&self, token: &str, overrides: Value) -> Value {
        let mut body = visit_body();
        merge(&mut body, overrides);
        let (status, v) = self.post(token, "/api/v1/petitions", &body).await;
        assert_eq!(status, 201, "register: {v}");
        v
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        let _ = std::fs::remove_dir_all(&self.data_dir);
        if let Some(db) = self.pg_db.take() {
            // Drop needs its own runtime: the test's is shutting down.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                rt.block_on(async move {
                    if let Ok(mut conn) = <xinfang_store::sqlx::AnyConnection as xinfang_store::sqlx::Connection>::connect(PG_ADMIN_URL).await {
                        let _ = xinfang_store::sqlx::Executor::execute(&mut conn, xinfang_store::sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))).await;
                    }
                });
            })
            .join();
        }
    }
}

/// Unpacks the part of an upgrade fixture that belongs to `backend` into `data_dir`.
fn unpack_fixture(fixture: &std::path::Path, backend: Backend, data_dir: &std::path::Path) {
    let prefix = match backend {
        Backend::Sqlite => "sqlite/",
        Backend::Postgres => "postgres/",
    };
    let file = std::fs::File::open(fixture)
        .unwrap_or_else(|e| panic!("the fixture {}: {e}", fixture.display()));
    let mut zip = zip::ZipArchive::new(file).expect("the fixture is a zip");
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).expect("a fixture entry");
        let Some(rel) = entry.name().strip_prefix(prefix).map(str::to_string) else {
            continue;
        };
        let to = data_dir.join(&rel);
        std::fs::create_dir_all(to.parent().expect("a parent")).expect("mkdir");
        let mut out = std::fs::File::create(&to).expect("create");
        std::io::copy(&mut entry, &mut out).expect("unpack");
    }
}

/// A client whose connections come from `ip` (any 127.x.x.x reaches the test server), as a
/// caller at another address.
pub fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().expect("ip"))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

impl TestApp {
    /// An account opened the way the separated powers require: the system administrator
    /// creates it, the security administrator confirms it and gets a one-time code, and its
    /// owner sets a password with the code. Returns the user's id, its token and the password.
    pub async fn onboard(&self, body: Value) -> (String, String, String) {
        let admin = self.token("admin").await;
        let (s, user) = self.post(&admin, "/api/v1/users", &body).await;
        assert_eq!(s, 201, "create: {user}");
        let id = user["id"].as_str().expect("id").to_string();
        let sec = self.token("security_admin").await;
        let (s, out) = self
            .post(&sec, &format!("/api/v1/grants/{id}/confirm"), &json!({}))
            .await;
        assert_eq!(s, 200, "confirm: {out}");
        let code = out["sign_in_code"].as_str().expect("code").to_string();
        let password = "Xinfang#2026new".to_string();
        let (s, v) = self
            .post(
                "",
                "/api/v1/sign-in-code",
                &json!({"code": code, "new_password": password}),
            )
            .await;
        assert_eq!(s, 200, "sign in with code: {v}");
        (
            id,
            v["token"].as_str().expect("token").to_string(),
            password,
        )
    }
}

pub fn merge(base: &mut Value, overrides: Value) {
    if let (Some(b), Value::Object(o)) = (base.as_object_mut(), overrides) {
        for (k, v) in o {
            b.insert(k, v);
        }
    }
}

/// The ten review checks (rules §6), all passed but those named.
pub fn findings(fail: &[&str]) -> Value {
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
    Value::Array(
        checks
            .iter()
            .map(|c| {
                let failed = fail.contains(c);
                json!({"check": c, "pass": !failed, "note": if failed { "证据不足" } else { "" }})
            })
            .collect(),
    )
}

/// A complete, valid visit registration.
pub fn visit_body() -> Value {
    json!({
        "channel": "visit",
        "visited_at": "2026-11-27T09:30",
        "petitioners": [{
            "name": "张三",
            "id_type": "resident_id",
            "id_number": "11010519491231002X",
            "ethnicity": "01",
            "address": "阜康市城关镇东风村3组12号",
            "phone": "13912345678",
            "occupation": "农民",
            "is_representative": false
        }],
        "issue_region": "652302", "township": "652302100",
        "summary": "反映某建筑公司拖欠其工资三万元至今未付。",
        "requests": "要求尽快支付拖欠的工资。",
        "proposal": "建议转市人社局处理。",
        "purpose": "01",
        "category": "060101",
        "petition_class": "claim"
    })
}

/// Says that a test was skipped, where a reader of the output sees it: straight to the
/// process's stderr, which the test harness does not capture (`eprintln!` is hidden for tests
/// that pass). `scripts/test.sh` counts these lines in its summary.
pub fn skip(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "SKIP: {why}");
}

/// Runs each test body on SQLite and on PostgreSQL. The function name stays greppable for the
/// traceability table.
#[macro_export]
macro_rules! backend_tests {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let $app = $crate::harness::TestApp::spawn($crate::harness::Backend::Sqlite).await.expect("sqlite app");
                    $body
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some($app) = $crate::harness::TestApp::spawn($crate::harness::Backend::Postgres).await else { return };
                    $body
                }
            }
        )*
    };
}

impl TestApp {
    /// A registered letter-procedure petition taken on: the clerk's 来信办理单, the deputy
    /// director's acceptance, the phone notice, 交办 to 城关镇 (approved), the unit's receipt,
    /// acceptance and report with its reply served today, and the clerk's passing review.
    pub async fn registered_letter_to_opinion(&self, id: &str) {
        let app = self;
        let clerk = app.token("letter_clerk").await;
        let (s, v) = app
            .post(
                &clerk,
                &format!("/api/v1/letters/{id}/handling-form"),
                &json!({"proposal": "建议受理，交城关镇办理。"}),
            )
            .await;
        assert_eq!(s, 200, "form: {v}");
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
            .post(
                &clerk,
                &format!("/api/v1/letters/{id}/notice"),
                &json!({"method": "phone", "called_at": "2026-11-27T10:00", "content": "告知已受理。"}),
            )
            .await;
        assert_eq!(s, 200, "notice: {v}");
        let unit = app.unit_id("chengguan").await;
        let (s, v) = app
            .post(
                &clerk,
                &format!("/api/v1/petitions/{id}/disposition"),
                &json!({"disposition": "assignment", "units": [{"unit_id": unit, "lead": true}]}),
            )
            .await;
        assert_eq!(s, 200, "disposition: {v}");
        let (s, v) = app
            .post(
                &dd,
                &format!("/api/v1/approvals/{}", v["approval_id"].as_str().unwrap()),
                &json!({"accept": true}),
            )
            .await;
        assert_eq!(s, 200, "approval: {v}");
        let record = app.state.store.handling_records(id).await.unwrap()[0]
            .id
            .clone();
        let h = app.token("chengguan_handler").await;
        for body in [
            json!({"action": "sign_for"}),
            json!({"action": "accept", "petitioner_told_how": "电话", "petitioner_told_on": "2026-11-27"}),
        ] {
            let (s, v) = app
                .post(
                    &h,
                    &format!("/api/v1/handling-records/{record}/receive"),
                    &body,
                )
                .await;
            assert_eq!(s, 200, "unit step: {v}");
        }
        let (s, v) = app
            .post(&h, &format!("/api/v1/petitions/{id}/reports"), &json!({
                "record_id": record, "findings": "经核实，供暖温度确不达标。", "decision": "support",
                "reply": "已责成物业公司于12月1日前整改到位。", "reply_served_on": "2026-11-27",
                "petitioner_signed": true, "settlement_note": "信访人认可。", "signed_off_by": "李镇长"}))
            .await;
        assert_eq!(s, 201, "report: {v}");
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
        let (s, v) = app
            .post(
                &clerk,
                &format!("/api/v1/reports/{}/review", v["id"].as_str().unwrap()),
                &json!({"findings": findings}),
            )
            .await;
        assert_eq!(s, 200, "review: {v}");
    }
}
