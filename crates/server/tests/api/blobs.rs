//! Files in an S3-compatible object store (operations issue: shared files). Each test starts its
//! own moto server (PyPI `moto[server]`, installed by scripts/test.sh) on a free port of
//! 127.0.0.1 and stops it when done; the bureau's scans, attachments and issued documents go
//! there and come back checked, on both database backends.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::{Backend, TestApp, skip};

/// A moto S3 server of this test, killed when dropped.
pub struct S3Server {
    child: Child,
    pub endpoint: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl S3Server {
    /// Starts moto and creates `bucket`; `None` (with a SKIP) where moto is not installed,
    /// a failure in CI.
    pub async fn start(bucket: &str) -> Option<S3Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = match Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                if std::env::var_os("CI").is_some() {
                    panic!(
                        "moto_server cannot start in CI ({e}); scripts/test.sh installs moto[server]"
                    );
                }
                skip(
                    "moto_server not installed (pip install 'moto[server]'): S3 blob test not run",
                );
                return None;
            }
        };
        let server = S3Server {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(r) = client
                .put(format!("{}/{bucket}", server.endpoint))
                .send()
                .await
                && r.status().is_success()
            {
                return Some(server);
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto did not start in 30 s"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The object keys under `prefix`, as the S3 listing returns them.
    pub async fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let xml = reqwest::get(format!(
            "{}/{bucket}?list-type=2&prefix={prefix}",
            self.endpoint
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
        xml.split("<Key>")
            .skip(1)
            .filter_map(|x| x.split("</Key>").next())
            .map(str::to_string)
            .collect()
    }

    /// The configuration that points a bureau at this server.
    pub fn options(&self) -> Vec<(String, String)> {
        [
            ("aws_endpoint", self.endpoint.as_str()),
            ("aws_allow_http", "true"),
            ("aws_region", "us-east-1"),
            ("aws_access_key_id", "test"),
            ("aws_secret_access_key", "test"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }
}

async fn s3_app(backend: Backend, s3: &S3Server) -> Option<TestApp> {
    let options = s3.options();
    TestApp::spawn_with(backend, move |c| {
        c.blob_url = Some("s3://xinfang-test/fukang".into());
        c.blob_options = options;
    })
    .await
}

fn count_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        count_files(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

async fn scans_and_documents_live_in_the_object_store(backend: Backend) {
    let Some(s3) = S3Server::start("xinfang-test").await else {
        return;
    };
    let Some(app) = s3_app(backend, &s3).await else {
        return;
    };
    // A letter's scan.
    let clerk = app.token("letter_clerk").await;
    let id = crate::mailroom::opened_letter(&app, &clerk).await;
    let png = crate::mailroom::PNG.to_vec();
    let (s, v) = crate::mailroom::upload(
        &app,
        &clerk,
        &id,
        "part=attachment&file_name=att.png",
        png.clone(),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let (_, letter) = app.get(&clerk, &format!("/api/v1/letters/{id}")).await;
    let scan_url = letter["scans"][0]["download_url"]
        .as_str()
        .expect("the scan")
        .to_string();
    // A notice slip issued at the window: an issued PDF.
    let r = app.token("receptionist").await;
    let visit = crate::backups::visit_with_slip(&app).await;
    let (_, docs) = app
        .get(&r, &format!("/api/v1/petitions/{visit}/documents"))
        .await;
    let slip_url = docs[0]["download_url"]
        .as_str()
        .expect("the slip")
        .to_string();
    // Both are in the bucket under the bureau's prefix, by hash; nothing in the local directory.
    let keys = s3.keys("xinfang-test", "fukang/").await;
    assert!(keys.len() >= 2, "{keys:?}");
    assert!(
        keys.iter().all(|k| k.len() == "fukang/".len() + 2 + 1 + 62),
        "ab/cdef… keys: {keys:?}"
    );
    assert_eq!(
        count_files(&app.state.config.data_dir.join("blobs")),
        0,
        "no file written locally"
    );
    // And they come back, byte for byte.
    let (s, bytes) = app.get_bytes(&clerk, &scan_url).await;
    assert_eq!((s, bytes.as_slice()), (200, png.as_slice()));
    let (s, pdf) = app.get_bytes(&r, &slip_url).await;
    assert_eq!(s, 200);
    assert!(pdf.starts_with(b"%PDF"));
    // The readiness check writes to the store too.
    app.state.blobs.check_writable().await.expect("writable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_blobs_on_sqlite() {
    scans_and_documents_live_in_the_object_store(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_blobs_on_postgres() {
    scans_and_documents_live_in_the_object_store(Backend::Postgres).await;
}

/// A bureau whose S3 store nobody listens on (port 9, discard).
async fn unreachable_store_app(backend: Backend) -> Option<TestApp> {
    let options = vec![
        ("aws_endpoint".to_string(), "http://127.0.0.1:9".to_string()),
        ("aws_allow_http".into(), "true".into()),
        ("aws_region".into(), "us-east-1".into()),
        ("aws_access_key_id".into(), "test".into()),
        ("aws_secret_access_key".into(), "test".into()),
    ];
    TestApp::spawn_with(backend, move |c| {
        c.blob_url = Some("s3://nowhere/x".into());
        c.blob_options = options;
    })
    .await
}

async fn an_unreachable_object_store_fails_the_upload_and_records_nothing(backend: Backend) {
    // A store nobody listens on: the upload answers a server error and no scan is recorded (the
    // file is written before the row, in the row's transaction, or not at all).
    let Some(app) = unreachable_store_app(backend).await else {
        return;
    };
    let clerk = app.token("letter_clerk").await;
    let id = crate::mailroom::opened_letter(&app, &clerk).await;
    let (s, v) = crate::mailroom::upload(
        &app,
        &clerk,
        &id,
        "part=attachment&file_name=att.png",
        crate::mailroom::PNG.to_vec(),
    )
    .await;
    assert_eq!(s, 500, "{v}");
    assert_eq!(app.count("letter_scans").await, 0);
    assert!(app.state.blobs.check_writable().await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_store_on_sqlite() {
    an_unreachable_object_store_fails_the_upload_and_records_nothing(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_store_on_postgres() {
    an_unreachable_object_store_fails_the_upload_and_records_nothing(Backend::Postgres).await;
}

crate::backend_tests! {
    async fn the_probes_say_alive_and_ready(app) {
        let r = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let r = app.client.get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v, json!({"status": "ready", "database": "ok", "migrations": "ok", "blobs": "ok"}));
    }
}

async fn readyz_names_the_unwritable_store(backend: Backend) {
    let Some(app) = unreachable_store_app(backend).await else {
        return;
    };
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (v["status"].as_str(), v["database"].as_str()),
        (Some("not_ready"), Some("ok")),
        "{v}"
    );
    assert!(
        v["blobs"].as_str().unwrap().contains("s3://nowhere/x"),
        "{v}"
    );
    // Alive all the same: the supervisor must not restart it for a store outage.
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_names_the_unwritable_store_on_sqlite() {
    readyz_names_the_unwritable_store(Backend::Sqlite).await;
}

crate::backend_tests! {
    async fn metrics_name_route_templates_and_never_ids_or_queries(app) {
        let t = app.token("receptionist").await;
        let id = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
        let r = app.client.get(app.url(&format!("/api/v1/petitions/{id}"))).bearer_auth(&t).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()["x-request-id"].len() >= 32, "each request gets an id");
        let (s, _) = app.get(&t, "/api/v1/petitions?q=%E5%BC%A0%E4%B8%89").await;
        assert_eq!(s, 200);
        let r = app.client.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        assert!(text.contains("http_request_duration_seconds_bucket"), "{text}");
        assert!(text.contains("route=\"/api/v1/petitions/{id}\""), "the template, not the path");
        assert!(!text.contains(&id), "no petition id in any label");
        assert!(!text.contains("张三") && !text.contains("q="), "no query string");
        assert!(text.contains("xinfang_db_pool_connections"), "{text}");
    }
}
