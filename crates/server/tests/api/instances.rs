//! Two `xinfang` instances on one PostgreSQL database and one S3 store, behind a small
//! round-robin TCP proxy (operations issue: several instances). Whichever instance answers,
//! sessions, numbering, uploads, downloads and jobs work; an instance stopped mid-stream loses no
//! acknowledged write.
//!
//! The instances are two servers in this process, each with its own connection pool, as two
//! processes would have; "killing" one aborts its server task, which drops its connections and
//! rolls back whatever it had not committed (a process killed with SIGKILL does the same to its
//! transactions).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};

use crate::blobs::S3Server;
use crate::harness::{Backend, TestApp, visit_body};

/// Forwards each connection to the next live backend in turn (a connection refused goes to the
/// other one, as a proxy's `next upstream` would).
async fn proxy(backends: Vec<String>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            let backends = backends.clone();
            let next = next.clone();
            tokio::spawn(async move {
                let start = next.fetch_add(1, Ordering::Relaxed);
                for i in 0..backends.len() {
                    let b = &backends[(start + i) % backends.len()];
                    if let Ok(mut upstream) = TcpStream::connect(b).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

/// A second instance of `app`'s deployment: its own pool on the same database and store.
async fn second_instance(app: &TestApp) -> (String, tokio::task::JoinHandle<()>) {
    let config = app.state.config.clone();
    let store = xinfang_store::Store::connect(&config.database_url(), config.max_connections)
        .await
        .unwrap();
    let state = Arc::new(
        xinfang_app::context::AppState::new(
            config,
            store,
            app.clock.clone(),
            app.state.bureau.clone(),
        )
        .await
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, xinfang::http::service(state)).await;
    });
    (addr.to_string(), server)
}

/// A client that opens a new connection per request, so that the proxy alternates.
fn fresh_connections() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

async fn post(
    c: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
    body: &Value,
) -> Result<(u16, Value), reqwest::Error> {
    let r = c
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await?;
    let s = r.status().as_u16();
    Ok((s, r.json().await.unwrap_or(Value::Null)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_behind_a_proxy_share_sessions_numbers_files_and_jobs() {
    let Some(s3) = S3Server::start("xinfang-test").await else {
        return;
    };
    let options = s3.options();
    let Some(app) = TestApp::spawn_with(Backend::Postgres, move |c| {
        c.blob_url = Some("s3://xinfang-test/province".into());
        c.blob_options = options;
    })
    .await
    else {
        return;
    };
    let first = app.base.trim_start_matches("http://").to_string();
    let (second, second_server) = second_instance(&app).await;
    let base = proxy(vec![first, second]).await;
    let c = fresh_connections();

    // Sessions: signed in through one instance, the token works on both.
    let r = c
        .post(format!("{base}/api/v1/login"))
        .json(&json!({"username": "receptionist", "password": crate::harness::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    for _ in 0..6 {
        let r = c
            .get(format!("{base}/api/v1/petitions"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            200,
            "the session is the database's, not an instance's"
        );
    }

    // Numbering: 20 registrations at once through both instances, gap-free and unrepeated.
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (c, base, token) = (c.clone(), base.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            post(&c, &base, &token, "/api/v1/petitions", &visit_body()).await
        }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        let (s, v) = t.await.unwrap().unwrap();
        assert_eq!(s, 201, "{v}");
        numbers.push(v["petition_no"].as_str().unwrap().to_string());
    }
    numbers.sort();
    let expected: Vec<String> = (1..=20).map(|i| format!("V2026-{i:06}")).collect();
    assert_eq!(numbers, expected);

    // Files: uploaded through one instance, downloaded through both.
    let clerk_r = c
        .post(format!("{base}/api/v1/login"))
        .json(&json!({"username": "letter_clerk", "password": crate::harness::PASSWORD}))
        .send()
        .await
        .unwrap();
    let clerk = clerk_r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let letter = crate::mailroom::opened_letter(&app, &clerk).await;
    let up = c
        .post(format!(
            "{base}/api/v1/letters/{letter}/scans?part=attachment&file_name=att.png"
        ))
        .bearer_auth(&clerk)
        .header("content-type", "application/octet-stream")
        .body(crate::mailroom::PNG.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(up.status(), 201);
    let (_, l) = app.get(&clerk, &format!("/api/v1/letters/{letter}")).await;
    let url = l["scans"][0]["download_url"].as_str().unwrap().to_string();
    for _ in 0..4 {
        let r = c
            .get(format!("{base}{url}"))
            .bearer_auth(&clerk)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.bytes().await.unwrap().as_ref(), crate::mailroom::PNG);
    }

    // Jobs: the day's scan runs once whichever instances try it.
    let (a, b) = tokio::join!(
        xinfang::jobs::run_daily(&app.state, "instance-a"),
        xinfang::jobs::run_daily(&app.state, "instance-b")
    );
    assert_eq!(
        [a.unwrap().is_some(), b.unwrap().is_some()]
            .iter()
            .filter(|x| **x)
            .count(),
        1
    );

    // One instance stopped while registrations stream in: every acknowledged one is stored,
    // and the numbers stay gap-free (a rolled-back registration takes no number).
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (c, base, token) = (c.clone(), base.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(10 * i)).await;
            post(&c, &base, &token, "/api/v1/petitions", &visit_body()).await
        }));
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    second_server.abort();
    let mut acknowledged = Vec::new();
    let mut failed = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok((201, v)) => acknowledged.push(v["id"].as_str().unwrap().to_string()),
            _ => failed += 1,
        }
    }
    assert!(
        acknowledged.len() >= 20,
        "most went through: {} acknowledged, {failed} failed",
        acknowledged.len()
    );
    for id in &acknowledged {
        app.state
            .store
            .petition(&app.state.bureau.id, id)
            .await
            .unwrap_or_else(|_| panic!("acknowledged {id} lost"));
    }
    let total = app.count("petitions").await;
    let (max_no,): (String,) = xinfang_store::sqlx::query_as(
        "SELECT MAX(petition_no) FROM petitions WHERE channel = 'visit'",
    )
    .fetch_one(app.state.store.pool())
    .await
    .unwrap();
    let visits: i64 = total - 1; // the letter
    assert_eq!(
        max_no,
        format!("V2026-{visits:06}"),
        "no gap in the numbers after the stop"
    );
    // And the survivor serves on.
    let (s, v) = post(&c, &base, &token, "/api/v1/petitions", &visit_body())
        .await
        .unwrap();
    assert_eq!(s, 201, "{v}");
}
