//! The structured logs (operations issue): the real binary with `XINFANG_LOG_FORMAT=json`, its
//! standard output read line by line. Each use case runs in a span named after it, inside the
//! request's span with the id the response carries in `x-request-id`; no line carries the
//! petitioner's name, ID number or phone, nor a query string.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::harness::visit_body;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn json_logs_name_each_use_case_inside_its_request_and_carry_no_personal_data() {
    let dir = std::env::temp_dir().join(format!("xinfang-logs-{}", xinfang_store::new_id()));
    std::fs::create_dir_all(&dir).unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_xinfang"))
        .arg("--data-dir")
        .arg(&dir)
        .args(["serve", "--demo", "--listen", &listen])
        .env("XINFANG_LOG_FORMAT", "json")
        .env("RUST_LOG", "xinfang=info,warn")
        .env_remove("DATABASE_URL")
        .env_remove("XINFANG_CONFIG")
        .env_remove("XINFANG_BLOB_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Read the output from the start (the demo's loading logs more than a pipe holds).
    let mut reader = BufReader::new(child.stdout.take().unwrap()).lines();
    let (tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        while let Ok(Some(line)) = reader.next_line().await {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    // Standard error is kept apart (a panic or a refusal to start lands there) and shown when
    // something goes wrong.
    let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let mut err_reader = BufReader::new(child.stderr.take().unwrap()).lines();
    let err_sink = stderr.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = err_reader.next_line().await {
            let mut s = err_sink.lock().unwrap();
            s.push_str(&line);
            s.push('\n');
        }
    });
    let base = format!("http://{listen}");
    let client = reqwest::Client::new();
    // Loading the demo renders documents and hashes passwords: on a loaded CI machine (the whole
    // suite runs beside it) that takes a while. Wait as long as the process lives, up to 5 min.
    let started = tokio::time::Instant::now();
    loop {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "the server ended before it was ready ({status}):\n{}",
                stderr.lock().unwrap()
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the server answers /readyz within 5 min:\n{}",
            stderr.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let login: Value = client
        .post(format!("{base}/api/v1/login"))
        .json(&serde_json::json!({"username": "receptionist", "password": "xinfang-demo"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let Some(token) = login["token"].as_str().map(str::to_string) else {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut seen = Vec::new();
        while let Ok(l) = lines.try_recv() {
            if l.contains("ERROR") || l.contains("error") {
                seen.push(l);
            }
        }
        panic!(
            "no token: {login}\n{}\n{}",
            seen.join("\n"),
            stderr.lock().unwrap()
        );
    };
    let mut body = visit_body();
    // The server runs on the wall clock here: a visit of now (China Standard Time).
    let now_cst = chrono::Utc::now() + chrono::Duration::hours(8);
    body["visited_at"] = now_cst.format("%Y-%m-%dT%H:%M").to_string().into();
    body["petitioners"][0]["name"] = "欧阳秀英".into();
    let r = client
        .post(format!("{base}/api/v1/petitions"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let request_id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, 201, "{text}\n{}", stderr.lock().unwrap());
    // A search by name: its query string must not reach the logs either.
    let r = client
        .get(format!(
            "{base}/api/v1/petitions?q=%E6%AC%A7%E9%98%B3%E7%A7%80%E8%8B%B1"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Read until the registration's commit line and its use case's close line are there (or
    // give up after 60 s).
    let mut seen = Vec::new();
    let (mut committed, mut closed): (Option<Value>, Option<Value>) = (None, None);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while committed.is_none() || closed.is_none() {
        let line = tokio::time::timeout_at(deadline, lines.recv())
            .await
            .expect("the registration is logged within 60 s")
            .expect("the server is still running");
        seen.push(line.clone());
        // The command line's own messages to the operator (载入演示数据…) are plain text; the
        // log lines are JSON.
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            assert!(
                !line.starts_with('{'),
                "a log line that is not valid JSON: {line}"
            );
            continue;
        };
        if v["span"]["name"] != "intake::register" {
            continue;
        }
        // The demo's own registrations while loading ran in no request.
        let in_request = v["spans"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s["name"] == "request"));
        match v["fields"]["message"].as_str() {
            Some("committed") if in_request => committed = Some(v),
            Some("close") if committed.is_some() => closed = Some(v),
            _ => {}
        }
    }
    // The commit is logged inside the use case, inside the request with the id it answered.
    let v = committed.unwrap();
    let spans = v["spans"].as_array().expect("the span list");
    let names: Vec<&str> = spans.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["request", "intake::register"], "{v}");
    assert_eq!(
        spans[0]["id"],
        request_id.as_str(),
        "the id the response carried"
    );
    assert_eq!(spans[0]["route"], "/api/v1/petitions");
    assert_eq!(v["fields"]["role"], "receptionist");
    // The use case's close line says how long it took.
    let v = closed.unwrap();
    assert!(v["fields"]["time.busy"].is_string(), "{v}");
    // Give the list request's lines a moment to be written, then look at everything logged.
    tokio::time::sleep(Duration::from_millis(300)).await;
    while let Ok(Some(line)) = tokio::time::timeout(Duration::from_millis(200), lines.recv()).await
    {
        seen.push(line);
    }
    let all = seen.join("\n");
    for secret in [
        "欧阳秀英",
        "11010519491231002X",
        "13912345678",
        "%E6%AC%A7",
        "q=",
    ] {
        assert!(!all.contains(secret), "{secret} reached the logs:\n{all}");
    }
    child.kill().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
