//! Backups (archives issue, "Backups (monthly, verified)"; operations issue, the last backup's
//! age): one encrypted file with a snapshot of the database, every file and a manifest, taken
//! while registrations go on; verified by loading it into a scratch database; restored into an
//! empty database of either backend; refused with a clear message when cut or changed; a killed
//! backup leaves the earlier ones alone; `serve`'s daily and monthly backups with their
//! retention, the monthly routine, the record, the metric, the pages and the failure task.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::json;
use tokio::sync::Mutex;
use xinfang_app::backup::{self, archive};
use xinfang_app::clock::cst;
use xinfang_store::Store;

use crate::backend_tests;
use crate::blobs::S3Server;
use crate::harness::{Backend, TestApp, skip};
use crate::visibility::acting;

/// A temporary directory of this test, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new() -> Scratch {
        let p =
            std::env::temp_dir().join(format!("xinfang-backup-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A key pair: the identity file (written into `dir`) and the public key.
pub(crate) fn keys(dir: &Path, name: &str) -> (PathBuf, String) {
    let (text, public) = archive::generate("test");
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    (path, public)
}

/// An empty PostgreSQL database of this test, dropped afterwards; `None` where PostgreSQL is
/// not reachable outside CI.
struct ScratchPg {
    name: String,
}

const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

impl ScratchPg {
    async fn new() -> Option<ScratchPg> {
        use xinfang_store::sqlx::{AnyConnection, AssertSqlSafe, Connection, Executor};
        xinfang_store::sqlx::any::install_default_drivers();
        let Ok(mut conn) = AnyConnection::connect(PG_ADMIN_URL).await else {
            if std::env::var_os("CI").is_some() {
                panic!("PostgreSQL is not reachable in CI");
            }
            skip("PostgreSQL not reachable: the restore into PostgreSQL was not tried");
            return None;
        };
        let name = format!("xinfang_restore_{}", uuid::Uuid::new_v4().simple());
        conn.execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .unwrap();
        Some(ScratchPg { name })
    }
    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.name)
    }
}

impl Drop for ScratchPg {
    fn drop(&mut self) {
        let db = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                use xinfang_store::sqlx::{AnyConnection, AssertSqlSafe, Connection, Executor};
                if let Ok(mut conn) = AnyConnection::connect(PG_ADMIN_URL).await {
                    let _ = conn
                        .execute(AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
                        )))
                        .await;
                }
            });
        })
        .join();
    }
}

/// A visit decided `not_accepted`: its notice slip is an issued PDF in the blob store.
pub(crate) async fn visit_with_slip(app: &TestApp) -> String {
    let r = app.token("receptionist").await;
    let id = app.register_visit(&r, json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, v) = app
        .post(
            &r,
            &format!("/api/v1/petitions/{id}/decision"),
            &json!({"acceptance": "not_accepted", "reason": "legal_channel"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    id
}

/// Restores `file` into `target` (empty) and checks that each of `ids` is there, that every
/// blob of `source` came along, and that restoring again is refused.
async fn restore_and_check(
    app: &TestApp,
    file: &Path,
    identity: &Path,
    target: &Store,
    blobs: &xinfang_blobs::Blobs,
    ids: &[String],
) {
    let checked = backup::restore(file, backup::identities(identity).unwrap(), target, blobs)
        .await
        .expect("restore");
    assert!(checked.petitions >= ids.len(), "{checked:?}");
    for id in ids {
        target
            .petition(&app.state.bureau.id, id)
            .await
            .unwrap_or_else(|e| panic!("{id} restored: {e}"));
    }
    // Every file the bureau had is there, checked by its hash.
    for (hash, _) in app.state.blobs.list().await.unwrap() {
        assert!(
            blobs.get(&hash).await.unwrap().is_some(),
            "blob {hash} restored"
        );
    }
    // The history verifies, and the schema is this binary's.
    let report = target.verify(&app.state.bureau.id).await.unwrap();
    assert!(report.ok() && report.events > 0, "{report:?}");
    assert!(target.migrations_current().await.unwrap());
    // A second restore into the same, now filled, database is refused and changes nothing.
    let before = target.row_counts(&["petitions".to_string()]).await.unwrap();
    let e = backup::restore(file, backup::identities(identity).unwrap(), target, blobs)
        .await
        .unwrap_err();
    assert!(e.0.contains("目标数据库不是空的"), "{e}");
    assert_eq!(
        target.row_counts(&["petitions".to_string()]).await.unwrap(),
        before
    );
}

backend_tests! {
    async fn a_backup_taken_during_registrations_holds_every_acknowledged_one_and_restores_on_either_backend(app) {
        let dir = Scratch::new();
        let (identity, public) = keys(&dir.0, "key.txt");
        let to = backup::recipients(&[public]).unwrap();
        let slip_visit = visit_with_slip(&app).await;
        // Three clerks register without pause; each acknowledged registration is noted.
        let acknowledged = Arc::new(Mutex::new(vec![slip_visit]));
        let stop = Arc::new(AtomicBool::new(false));
        let token = app.token("receptionist").await;
        let mut writers = Vec::new();
        for _ in 0..3 {
            let (client, url, token, acknowledged, stop) = (app.client.clone(), app.url("/api/v1/petitions"), token.clone(), acknowledged.clone(), stop.clone());
            writers.push(tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) && n < 200 {
                    let r = client.post(&url).bearer_auth(&token).json(&crate::harness::visit_body()).send().await.unwrap();
                    assert_eq!(r.status(), 201);
                    let v: serde_json::Value = r.json().await.unwrap();
                    acknowledged.lock().await.push(v["id"].as_str().unwrap().to_string());
                    n += 1;
                }
            }));
        }
        while acknowledged.lock().await.len() < 15 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // What was acknowledged before the backup started must be in it.
        let before: Vec<String> = acknowledged.lock().await.clone();
        let file = dir.0.join("bureau.tar.zst.age");
        // Slowed a little between entries, so that registrations surely go on while it runs.
        let made = backup::create(&app.state.store, &app.state.blobs, &to, &file, app.clock.as_ref(), Some(Duration::from_millis(20))).await.expect("backup");
        let during = acknowledged.lock().await.len();
        stop.store(true, Ordering::SeqCst);
        for w in writers {
            w.await.unwrap();
        }
        assert!(during > before.len(), "registrations went on meanwhile ({} → {during})", before.len());
        assert!(made.blobs >= 1 && made.rows > 0 && made.size > 0, "{made:?}");
        let leftovers: Vec<String> = std::fs::read_dir(&dir.0).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(".partial")).collect();
        assert!(leftovers.is_empty(), "no temporary file left: {leftovers:?}");

        // Verified by loading it into a scratch database.
        let checked = backup::verify(&file, backup::identities(&identity).unwrap(), &dir.0).await.expect("verify");
        assert_eq!(checked.sha256, made.sha256);
        assert!(checked.petitions >= before.len(), "{checked:?}");
        assert_eq!(checked.total_rows(), made.rows);

        // Restored into a new SQLite data directory …
        let target_dir = Scratch::new();
        let url = format!("sqlite://{}?mode=rwc", target_dir.0.join("xinfang.db").display());
        let target = Store::connect(&url, 2).await.unwrap();
        let blobs = xinfang_blobs::Blobs::local(&target_dir.0.join("blobs")).unwrap();
        restore_and_check(&app, &file, &identity, &target, &blobs, &before).await;
        target.close().await;
        // … and into a new PostgreSQL database: the format is the same for both backends.
        if let Some(pg) = ScratchPg::new().await {
            let target = Store::connect(&pg.url(), 2).await.unwrap();
            let blobs_dir = Scratch::new();
            let blobs = xinfang_blobs::Blobs::local(&blobs_dir.0).unwrap();
            restore_and_check(&app, &file, &identity, &target, &blobs, &before).await;
            target.close().await;
        }
    }

    async fn a_cut_or_changed_backup_is_refused_with_what_is_wrong_and_restores_nothing(app) {
        let dir = Scratch::new();
        let (identity, public) = keys(&dir.0, "key.txt");
        visit_with_slip(&app).await;
        let file = dir.0.join("good.tar.zst.age");
        backup::create(&app.state.store, &app.state.blobs, &backup::recipients(&[public]).unwrap(), &file, app.clock.as_ref(), None).await.unwrap();
        let bytes = std::fs::read(&file).unwrap();
        let ids = || backup::identities(&identity).unwrap();
        // One byte changed in the middle.
        let mut changed = bytes.clone();
        let at = changed.len() / 2;
        changed[at] ^= 0x40;
        let bad = dir.0.join("changed.tar.zst.age");
        std::fs::write(&bad, &changed).unwrap();
        let e = backup::verify(&bad, ids(), &dir.0).await.unwrap_err();
        assert!(e.0.contains("备份文件已损坏") && e.0.contains("字节"), "{e}");
        // Cut short.
        let cut = dir.0.join("cut.tar.zst.age");
        std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
        let e = backup::verify(&cut, ids(), &dir.0).await.unwrap_err();
        assert!(e.0.contains("备份文件不完整"), "{e}");
        // Another bureau's key.
        let (other, _) = keys(&dir.0, "other.txt");
        let e = backup::verify(&file, backup::identities(&other).unwrap(), &dir.0).await.unwrap_err();
        assert!(e.0.contains("私钥与此备份不匹配"), "{e}");
        // A restore of the changed file writes nothing: the target stays empty.
        let target_dir = Scratch::new();
        let url = format!("sqlite://{}?mode=rwc", target_dir.0.join("xinfang.db").display());
        let target = Store::connect(&url, 2).await.unwrap();
        let blobs = xinfang_blobs::Blobs::local(&target_dir.0.join("blobs")).unwrap();
        let e = backup::restore(&bad, ids(), &target, &blobs).await.unwrap_err();
        assert!(e.0.contains("已损坏"), "{e}");
        let counts = target.row_counts(&["bureaus".to_string(), "petitions".to_string(), "petition_events".to_string()]).await.unwrap();
        assert!(counts.values().all(|n| *n == 0), "nothing committed: {counts:?}");
        // The intact file still restores there afterwards.
        backup::restore(&file, ids(), &target, &blobs).await.expect("the good one restores");
        target.close().await;
        // Scratch databases of the verifications are gone.
        let left: Vec<String> = std::fs::read_dir(&dir.0).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.starts_with(".xinfang-verify-")).collect();
        assert!(left.is_empty(), "{left:?}");
    }

    async fn a_backup_killed_midway_leaves_the_earlier_one_intact_and_no_file_that_verify_accepts(app) {
        let dir = Scratch::new();
        let (identity, public) = keys(&dir.0, "key.txt");
        for _ in 0..3 {
            visit_with_slip(&app).await;
        }
        let config = dir.0.join("xinfang.toml");
        std::fs::write(&config, format!("backup_recipients = [\"{public}\"]\nbackup_identity = \"{}\"\n", identity.display())).unwrap();
        let run = |args: &[&str]| {
            let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_xinfang"));
            c.arg("--config").arg(&config).arg("--data-dir").arg(&app.state.config.data_dir);
            if let Some(url) = &app.state.config.database_url {
                c.arg("--database-url").arg(url);
            }
            c.args(args).env_remove("XINFANG_BACKUP_PACE_MS");
            c
        };
        // A first backup, whole.
        let first = dir.0.join("first.tar.zst.age");
        let out = run(&["backup", "--out", first.to_str().unwrap()]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("已备份到"));
        let first_bytes = std::fs::read(&first).unwrap();
        // A second, slowed down between entries, killed with SIGKILL once it is writing.
        let second = dir.0.join("second.tar.zst.age");
        let mut child = run(&["backup", "--out", second.to_str().unwrap()])
            .env("XINFANG_BACKUP_PACE_MS", "300")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let partial = || {
            std::fs::read_dir(&dir.0).unwrap().flatten().map(|e| e.path()).find(|p| p.to_string_lossy().ends_with(".partial"))
        };
        let started = std::time::Instant::now();
        while partial().is_none() {
            assert!(started.elapsed() < Duration::from_secs(60), "the backup never started writing");
            assert!(child.try_wait().unwrap().is_none(), "the backup ended before it began writing");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Some entries in (each takes 300 ms), far from the end.
        tokio::time::sleep(Duration::from_millis(1200)).await;
        assert!(child.try_wait().unwrap().is_none(), "the slowed backup ended before it was killed");
        child.kill().unwrap();
        child.wait().unwrap();
        // No file under the backup's name; the earlier backup unchanged and still good.
        assert!(!second.exists(), "a killed backup never gets its name");
        assert_eq!(std::fs::read(&first).unwrap(), first_bytes);
        let out = run(&["backup", "verify", first.to_str().unwrap()]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("校验通过"));
        // What the killed one left is refused, saying why.
        let left = partial().expect("the killed backup's partial file");
        let out = run(&["backup", "verify", left.to_str().unwrap()]).output().unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("未通过校验") && err.contains("不完整"), "{err}");
    }
}

async fn scheduled_backups_are_verified_kept_for_their_retention_and_meet_the_monthly_routine(
    backend: Backend,
) {
    let dir = Scratch::new();
    let (identity, public) = keys(&dir.0, "key.txt");
    let Some(app) = scheduled_app(backend, &dir.0.join("backups"), &identity, &public).await else {
        return;
    };
    let state = (*app.state).clone();
    visit_with_slip(&app).await;
    let day = |y: i32, m: u32, d: u32| {
        use chrono::TimeZone;
        cst()
            .with_ymd_and_hms(y, m, d, 3, 0, 0)
            .single()
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    // 2026-11-27 03:00: November's monthly backup and the day's.
    app.clock.set(day(2026, 11, 27));
    let made = xinfang::jobs::run_backups(&state, "test").await.unwrap();
    let kinds: Vec<&str> = made.iter().map(|b| b.kind.as_str()).collect();
    assert_eq!(kinds, ["monthly", "daily"]);
    assert!(
        made.iter()
            .all(|b| b.verification == "passed" && b.error.is_none()),
        "{made:?}"
    );
    for b in &made {
        assert_eq!(
            sha256_of(Path::new(&b.file)),
            b.sha256,
            "the recorded hash is the file's"
        );
    }
    // Claimed once: a second run the same day makes nothing.
    assert!(
        xinfang::jobs::run_backups(&state, "other-instance")
            .await
            .unwrap()
            .is_empty()
    );
    // The month's routine is done by the monthly backup.
    let office = app.token("office").await;
    let (_, routines) = app.get(&office, "/api/v1/routines").await;
    let backup_routine = routines
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_code"] == "monthly_backup")
        .expect("routine")
        .clone();
    assert_eq!(
        (
            backup_routine["state"].as_str(),
            backup_routine["period_start"].as_str()
        ),
        (Some("met"), Some("2026-11-01")),
        "{backup_routine}"
    );
    // Before the configured hour nothing runs.
    app.clock
        .set(day(2026, 11, 28) - chrono::Duration::hours(2));
    assert!(
        xinfang::jobs::run_backups(&state, "test")
            .await
            .unwrap()
            .is_empty()
    );
    // Ten more days: seven daily backups are kept.
    for d in 28..=30 {
        app.clock.set(day(2026, 11, d));
        assert_eq!(
            xinfang::jobs::run_backups(&state, "test")
                .await
                .unwrap()
                .len(),
            1
        );
    }
    for d in 1..=7 {
        app.clock.set(day(2026, 12, d));
        xinfang::jobs::run_backups(&state, "test").await.unwrap();
    }
    assert_eq!(files(&dir.0.join("backups"), "-daily."), 7);
    // A year and more of months: twelve monthly backups are kept.
    for m in 1..=12 {
        app.clock.set(day(2027, m, 15));
        xinfang::jobs::run_backups(&state, "test").await.unwrap();
    }
    assert_eq!(
        files(&dir.0.join("backups"), "-monthly."),
        12,
        "14 made, the 12 newest kept"
    );
    assert_eq!(files(&dir.0.join("backups"), "-daily."), 7);
    let (s, status) = app.get(&app.token("admin").await, "/api/v1/backups").await;
    assert_eq!(s, 200, "{status}");
    assert_eq!(status["scheduled"], true);
    assert_eq!(status["last_passed"]["kind"], "daily", "{status}");
    assert_eq!(status["stale"], false);
    let removed = status["recent"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["removed"] == true)
        .count();
    assert!(removed > 0, "retention is recorded: {status}");
    // The metric of the last backup's age (issue 16), and the administration page.
    assert_eq!(
        metric(&app, "xinfang_backup_last_success_age_seconds").await,
        Some(0.0)
    );
    assert_eq!(metric(&app, "xinfang_backup_last_failed").await, Some(0.0));
    assert!(
        metric(&app, "xinfang_backup_last_success_size_bytes")
            .await
            .unwrap_or(0.0)
            > 0.0
    );
    app.clock.set(day(2027, 12, 16));
    assert_eq!(
        metric(&app, "xinfang_backup_last_success_age_seconds").await,
        Some(86_400.0),
        "a day later"
    );
    let (s, page) = app
        .get_bytes(&app.token("admin").await, "/admin/backups")
        .await;
    let page = String::from_utf8_lossy(&page);
    assert_eq!(s, 200);
    assert!(
        page.contains("校验通过") && page.contains("已开启") && page.contains("已按保留期删除"),
        "{page}"
    );
    // The office's digest warns once no backup passed for two days.
    let office = app.token("office").await;
    let (s, digest) = app.get_bytes(&office, "/digest").await;
    assert_eq!(s, 200);
    assert!(!String::from_utf8_lossy(&digest).contains("超过两天没有通过校验的备份"));
    app.clock.set(day(2027, 12, 18));
    let office = app.token("office").await;
    let (_, digest) = app.get_bytes(&office, "/digest").await;
    assert!(String::from_utf8_lossy(&digest).contains("超过两天没有通过校验的备份"));
}

async fn a_failed_or_missing_backup_is_a_task_for_the_administrator_and_shows_on_the_digest(
    backend: Backend,
) {
    let dir = Scratch::new();
    let (_, public) = keys(&dir.0, "key.txt");
    // The identity configured does not open what the public key encrypts.
    let (wrong, _) = keys(&dir.0, "wrong.txt");
    let Some(app) = scheduled_app(backend, &dir.0.join("backups"), &wrong, &public).await else {
        return;
    };
    let state = (*app.state).clone();
    app.clock.set(crate::deadlines::at(2026, 11, 27));
    let made = xinfang::jobs::run_backups(&state, "test").await.unwrap();
    assert!(made.iter().all(|b| b.verification == "failed"), "{made:?}");
    assert!(
        made[0]
            .error
            .as_deref()
            .unwrap_or("")
            .contains("私钥与此备份不匹配"),
        "{made:?}"
    );
    let admin = acting(&app, "admin").await;
    let tasks = xinfang_app::tasks::open_tasks(&app.state, &admin)
        .await
        .unwrap();
    let failed: Vec<_> = tasks.iter().filter(|t| t.kind == "backup_failed").collect();
    assert_eq!(failed.len(), 2, "one per backup: {tasks:?}");
    assert!(
        failed
            .iter()
            .any(|t| t.title.contains("每月备份") && t.title.contains("校验未通过")),
        "{failed:?}"
    );
    // The office's digest shows it; the routine stays undone.
    let office = app.token("office").await;
    let (_, digest) = app.get_bytes(&office, "/digest").await;
    let digest = String::from_utf8_lossy(&digest);
    assert!(
        digest.contains("id=\"backup-failed\"") && digest.contains("私钥与此备份不匹配"),
        "{digest}"
    );
    let (_, routines) = app.get(&office, "/api/v1/routines").await;
    assert!(
        routines
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["rule_code"] != "monthly_backup" || r["state"] == "running"),
        "{routines}"
    );
    // The metric says the last one failed.
    assert_eq!(metric(&app, "xinfang_backup_last_failed").await, Some(1.0));

    // A backup directory that cannot be created: the backup itself fails.
    let blocked = dir.0.join("a-file");
    std::fs::write(&blocked, b"not a directory").unwrap();
    let state = scheduled_state(&app, &blocked.join("backups"), &wrong, &public).await;
    app.clock.set(crate::deadlines::at(2026, 11, 28));
    let made = xinfang::jobs::run_backups(&state, "test").await.unwrap();
    assert_eq!(made.len(), 1);
    assert!(
        made[0]
            .error
            .as_deref()
            .unwrap_or("")
            .starts_with("备份失败"),
        "{made:?}"
    );

    // A day with no backup at all (no instance ran on the 29th): a task on the 30th.
    app.clock.set(crate::deadlines::at(2026, 11, 30));
    xinfang::jobs::run_backups(&state, "test").await.unwrap();
    let tasks = xinfang_app::tasks::open_tasks(&app.state, &admin)
        .await
        .unwrap();
    assert!(
        tasks
            .iter()
            .any(|t| t.kind == "backup_failed" && t.title.contains("2026-11-29 没有备份")),
        "{tasks:?}"
    );
    // The administrator acknowledges one.
    let t = tasks.iter().find(|t| t.kind == "backup_failed").unwrap();
    xinfang_app::tasks::complete_task(&app.state, &admin, &t.id)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_backups_sqlite() {
    scheduled_backups_are_verified_kept_for_their_retention_and_meet_the_monthly_routine(
        Backend::Sqlite,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_backups_postgres() {
    scheduled_backups_are_verified_kept_for_their_retention_and_meet_the_monthly_routine(
        Backend::Postgres,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_or_missing_backup_sqlite() {
    a_failed_or_missing_backup_is_a_task_for_the_administrator_and_shows_on_the_digest(
        Backend::Sqlite,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_or_missing_backup_postgres() {
    a_failed_or_missing_backup_is_a_task_for_the_administrator_and_shows_on_the_digest(
        Backend::Postgres,
    )
    .await;
}

/// The application serving with scheduled backups into `dir`.
async fn scheduled_app(
    backend: Backend,
    dir: &Path,
    identity: &Path,
    public: &str,
) -> Option<TestApp> {
    let config = xinfang_app::context::BackupConfig {
        dir: Some(dir.to_path_buf()),
        recipients: vec![public.to_string()],
        identity: Some(identity.to_path_buf()),
        ..Default::default()
    };
    TestApp::spawn_with(backend, move |c| c.backup = config).await
}

/// The application with scheduled backups into `dir` configured.
async fn scheduled_state(
    app: &TestApp,
    dir: &Path,
    identity: &Path,
    public: &str,
) -> xinfang_app::context::AppState {
    let mut state = (*app.state).clone();
    state.config.backup = xinfang_app::context::BackupConfig {
        dir: Some(dir.to_path_buf()),
        recipients: vec![public.to_string()],
        identity: Some(identity.to_path_buf()),
        ..Default::default()
    };
    state
}

/// A gauge's value in `/metrics`.
async fn metric(app: &TestApp, name: &str) -> Option<f64> {
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(' ')))
        .and_then(|v| v.trim().parse().ok())
}

fn files(dir: &Path, containing: &str) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().contains(containing))
                .count()
        })
        .unwrap_or(0)
}

fn sha256_of(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

async fn backs_up_and_restores_the_files_of_an_s3_store(backend: Backend) {
    let Some(s3) = S3Server::start("xinfang-test").await else {
        return;
    };
    let options = s3.options();
    let Some(app) = TestApp::spawn_with(backend, move |c| {
        c.blob_url = Some("s3://xinfang-test/fukang".into());
        c.blob_options = options;
    })
    .await
    else {
        return;
    };
    let dir = Scratch::new();
    let (identity, public) = keys(&dir.0, "key.txt");
    let id = visit_with_slip(&app).await;
    let stored = app.state.blobs.list().await.unwrap();
    assert!(!stored.is_empty());
    let file = dir.0.join("s3.tar.zst.age");
    let made = backup::create(
        &app.state.store,
        &app.state.blobs,
        &backup::recipients(&[public]).unwrap(),
        &file,
        app.clock.as_ref(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(made.blobs, stored.len());
    // Restored into another prefix of the bucket, as a new deployment would use.
    let target_dir = Scratch::new();
    let url = format!(
        "sqlite://{}?mode=rwc",
        target_dir.0.join("xinfang.db").display()
    );
    let target = Store::connect(&url, 2).await.unwrap();
    let blobs =
        xinfang_blobs::Blobs::from_url("s3://xinfang-test/restored", &s3.options()).unwrap();
    backup::restore(
        &file,
        backup::identities(&identity).unwrap(),
        &target,
        &blobs,
    )
    .await
    .unwrap();
    target.petition(&app.state.bureau.id, &id).await.unwrap();
    assert_eq!(
        blobs.list().await.unwrap(),
        stored,
        "every file, under the new prefix"
    );
    assert!(s3.keys("xinfang-test", "restored/").await.len() == stored.len());
    target.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backs_up_and_restores_the_files_of_an_s3_store_sqlite() {
    backs_up_and_restores_the_files_of_an_s3_store(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backs_up_and_restores_the_files_of_an_s3_store_postgres() {
    backs_up_and_restores_the_files_of_an_s3_store(Backend::Postgres).await;
}
