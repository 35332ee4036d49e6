//! Upgrades (operations issue): the database and files an earlier release wrote, committed as a
//! fixture (`tests/fixtures/upgrade-0025.zip`, the demo bureau written by the binary whose last
//! migration was 0025, by `scripts/make-upgrade-fixture.sh`), opened by this build on each
//! backend. The migrations since then run; what was there is still there, whole and readable;
//! work goes on from it (numbers continue, documents open, statistics count both).

use chrono::TimeZone;
use serde_json::{Value, json};
use xinfang_app::clock::cst;

use crate::harness::{Backend, TestApp};

/// The fixture was written on 2026-12-08 03:39 China Standard Time (wall clock): the test's
/// clock runs later that morning.
fn next_morning() -> chrono::DateTime<chrono::Utc> {
    cst()
        .with_ymd_and_hms(2026, 12, 8, 9, 30, 0)
        .single()
        .expect("valid")
        .with_timezone(&chrono::Utc)
}

/// The demo's 40 registrations and the 6 letters of its mailroom.
const FIXTURE_PETITIONS: u64 = 46;

async fn an_earlier_release_s_database_opens_whole_and_work_goes_on(backend: Backend) {
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upgrade-0025.zip");
    assert!(
        fixture.exists(),
        "the fixture {} is missing",
        fixture.display()
    );
    let Some(app) = TestApp::spawn_from_fixture(backend, &fixture, next_morning()).await else {
        return;
    };
    assert!(
        app.state.store.migrations_current().await.unwrap(),
        "every migration of this build applied"
    );
    // The audit chains the earlier release wrote still verify.
    let report = app.state.store.verify(&app.state.bureau.id).await.unwrap();
    assert!(report.ok(), "{:?}", report.faults);
    assert!(report.petitions >= 40 && report.events > 0, "{report:?}");

    // The director reads everything that was there, and each petition opens.
    let director = app.token("director").await;
    let (s, list) = app.get(&director, "/api/v1/petitions?limit=100").await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["total"], FIXTURE_PETITIONS);
    let items = list["items"].as_array().unwrap();
    let mut numbers = std::collections::BTreeSet::new();
    let mut pdfs = 0;
    for p in items {
        let id = p["id"].as_str().unwrap();
        numbers.insert(p["petition_no"].as_str().unwrap().to_string());
        let (s, v) = app.get(&director, &format!("/api/v1/petitions/{id}")).await;
        assert_eq!(s, 200, "{v}");
        // Its issued documents still download from the files the release stored.
        let (s, docs) = app
            .get(&director, &format!("/api/v1/petitions/{id}/documents"))
            .await;
        assert_eq!(s, 200, "{docs}");
        for d in docs.as_array().into_iter().flatten() {
            if d["state"] != "issued" {
                continue;
            }
            let doc = d["id"].as_str().unwrap();
            let (s, bytes) = app
                .get_bytes(&director, &format!("/api/v1/documents/{doc}/pdf"))
                .await;
            assert_eq!(s, 200, "document {doc}");
            assert!(bytes.starts_with(b"%PDF"), "document {doc} is a PDF");
            pdfs += 1;
        }
    }
    assert_eq!(
        numbers.len() as u64,
        FIXTURE_PETITIONS,
        "numbers are distinct"
    );
    assert!(pdfs > 0, "the fixture holds issued documents");

    // The search index the release built still finds its petitions.
    let (s, found) = app
        .post(
            &director,
            "/api/v1/search",
            &json!({"q": "反映", "limit": 100}),
        )
        .await;
    assert_eq!(s, 200, "{found}");
    assert!(found["total"].as_u64().unwrap() > 0, "{found}");

    // The year's statistics count what the release registered …
    let year = "/api/v1/statistics?period=year&year=2026&index=1";
    let (s, before) = app.get(&director, year).await;
    assert_eq!(s, 200, "{before}");
    let counted = before["totals"]["petitions"].as_u64().unwrap();
    assert!(counted >= 40, "{}", before["totals"]);
    assert_eq!(channels(&before), counted, "{}", before["totals"]);

    // … a new registration continues the year's numbering …
    let receptionist = app.token("receptionist").await;
    let mut body = crate::harness::visit_body();
    body["visited_at"] = "2026-12-08T09:20".into();
    let (s, new) = app.post(&receptionist, "/api/v1/petitions", &body).await;
    assert_eq!(s, 201, "{new}");
    let new_no = new["petition_no"].as_str().unwrap().to_string();
    assert!(!numbers.contains(&new_no), "{new_no} was taken already");
    let serial = |no: &str| -> u64 { no.rsplit('-').next().unwrap().parse().unwrap() };
    let highest_visit = numbers
        .iter()
        .filter(|n| n.starts_with("V2026-"))
        .map(|n| serial(n))
        .max()
        .unwrap_or(0);
    assert_eq!(serial(&new_no), highest_visit + 1, "{new_no}");

    // … and is counted with them.
    let (s, after) = app.get(&director, year).await;
    assert_eq!(s, 200, "{after}");
    assert_eq!(
        after["totals"]["petitions"],
        counted + 1,
        "{}",
        after["totals"]
    );
    assert_eq!(channels(&after), counted + 1, "{}", after["totals"]);
}

/// The year's petitions by channel, added up.
fn channels(stats: &Value) -> u64 {
    let by: &Value = &stats["totals"]["by_channel"];
    ["letter", "visit", "online", "phone"]
        .iter()
        .map(|c| by[c].as_u64().unwrap_or(0))
        .sum()
}

mod an_earlier_release_s_database_opens_whole_and_work_goes_on {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::an_earlier_release_s_database_opens_whole_and_work_goes_on(
            crate::harness::Backend::Sqlite,
        )
        .await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::an_earlier_release_s_database_opens_whole_and_work_goes_on(
            crate::harness::Backend::Postgres,
        )
        .await;
    }
}
