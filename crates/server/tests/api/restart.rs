//! PostgreSQL restarted while registrations continue (operations issue): the server answers 503
//! with the JSON error during the outage instead of hanging, reconnects by itself, and loses no
//! acknowledged write. The test runs its own PostgreSQL cluster in a temporary directory and
//! restarts that one, never the machine's shared cluster.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Mutex;

use crate::harness::{Backend, TestApp, skip, visit_body};

/// The newest PostgreSQL server binaries installed, if any.
fn pg_bin() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("pg_ctl").exists() && b.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop()
}

/// A cluster of this test's own, run as the `postgres` user, stopped and removed when dropped.
struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

fn as_postgres(bin: &Path, tool: &str, args: &[&str]) -> bool {
    Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(bin.join(tool))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Cluster {
    fn start() -> Option<Cluster> {
        let bin = pg_bin()?;
        let dir =
            std::env::temp_dir().join(format!("xinfang-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).ok()?;
        Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir)
            .status()
            .ok()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let data = dir.join("data");
        let d = data.to_str()?.to_string();
        if !as_postgres(
            &bin,
            "initdb",
            &["-D", &d, "-A", "trust", "-U", "postgres", "--no-sync"],
        ) {
            return None;
        }
        let c = Cluster { bin, dir, port };
        c.pg_ctl_start().then_some(c)
    }

    fn pg_ctl_start(&self) -> bool {
        let data = self.dir.join("data");
        let log = self.dir.join("log");
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.display()
        );
        as_postgres(
            &self.bin,
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap_or_default(),
                "-l",
                log.to_str().unwrap_or_default(),
                "-o",
                &opts,
                "-w",
                "start",
            ],
        )
    }

    fn pg_ctl_stop(&self) -> bool {
        let data = self.dir.join("data");
        as_postgres(
            &self.bin,
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap_or_default(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        )
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.pg_ctl_stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One registration sent: status, error code, the petition's id when acknowledged, how long the
/// answer took.
type Sent = (u16, String, Option<String>, Duration);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_restarted_mid_stream_answers_503_reconnects_and_loses_nothing() {
    let Some(cluster) = Cluster::start() else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "cannot run a private PostgreSQL cluster in CI (initdb/pg_ctl as the postgres user)"
            );
        }
        skip("no PostgreSQL server binaries or postgres user: the restart test did not run");
        return;
    };
    let url = cluster.url();
    let app = TestApp::spawn_with(Backend::Sqlite, move |c| c.database_url = Some(url))
        .await
        .expect("app on the private cluster");
    let t = app.token("receptionist").await;
    let client = reqwest::Client::new();
    let log: Arc<Mutex<Vec<Sent>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sender = {
        let (log, stop, client, url, t) = (
            log.clone(),
            stop.clone(),
            client.clone(),
            app.url("/api/v1/petitions"),
            t.clone(),
        );
        tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let started = Instant::now();
                let r = client
                    .post(&url)
                    .bearer_auth(&t)
                    .json(&visit_body())
                    .send()
                    .await;
                let took = started.elapsed();
                let (status, v) = match r {
                    Ok(r) => (
                        r.status().as_u16(),
                        r.json::<Value>().await.unwrap_or(Value::Null),
                    ),
                    Err(_) => (0, Value::Null),
                };
                let code = v["code"].as_str().unwrap_or_default().to_string();
                let id = (status == 201).then(|| v["id"].as_str().unwrap_or_default().to_string());
                log.lock().await.push((status, code, id, took));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(cluster.pg_ctl_stop(), "stop the private cluster");
    // Longer than the pool's 3 s wait for a connection: requests must be refused, not held.
    tokio::time::sleep(Duration::from_secs(7)).await;
    let during = log.lock().await.len();
    assert!(cluster.pg_ctl_start(), "start it again");
    // Registrations succeed again without restarting the server.
    let back = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let l = log.lock().await;
        if l[during..].iter().any(|x| x.0 == 201) {
            break;
        }
        drop(l);
        assert!(
            back.elapsed() < Duration::from_secs(20),
            "the server did not reconnect within 20 s"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    sender.await.unwrap();
    let log = log.lock().await;
    let outage: Vec<_> = log.iter().filter(|x| x.0 != 201).collect();
    assert!(!outage.is_empty(), "some registrations fell in the outage");
    for (status, code, _, took) in &outage {
        assert_eq!(
            (*status, code.as_str()),
            (503, "unavailable"),
            "the JSON error, not a hang or a 500"
        );
        assert!(
            *took < Duration::from_secs(5),
            "answered within seconds: {took:?}"
        );
    }
    // Every acknowledged registration is there.
    let acknowledged: Vec<&String> = log.iter().filter_map(|x| x.2.as_ref()).collect();
    assert!(
        acknowledged.len() >= 5,
        "{} acknowledged",
        acknowledged.len()
    );
    for id in acknowledged {
        app.state
            .store
            .petition(&app.state.bureau.id, id)
            .await
            .unwrap_or_else(|_| panic!("acknowledged {id} lost"));
    }
    drop(app);
    drop(cluster);
}
