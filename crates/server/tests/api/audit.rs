//! The history: events appended with their state, hash chains and checkpoints.

use serde_json::json;

use crate::backend_tests;
use xinfang_app::clock::Clock;

backend_tests! {
    async fn audit_verify_detects_a_rewritten_event(app) {
        let t = app.token("receptionist").await;
        let id = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
        app.post(&t, &format!("/api/v1/petitions/{id}/decision"), &json!({"acceptance": "accepted"})).await;
        let store = &app.state.store;
        let bureau = &app.state.bureau.id;
        assert!(store.verify(bureau).await.unwrap().ok());
        assert_eq!(store.checkpoint(bureau, app.clock.now()).await.unwrap(), Some(1));
        // Nothing new: no new checkpoint.
        assert_eq!(store.checkpoint(bureau, app.clock.now()).await.unwrap(), None);
        xinfang_store::sqlx::query("UPDATE petition_events SET payload = $1 WHERE petition_id = $2 AND seq = 1")
            .bind("{\"forged\":true}")
            .bind(&id)
            .execute(store.pool())
            .await
            .unwrap();
        let report = store.verify(bureau).await.unwrap();
        assert!(!report.ok());
        assert!(report.faults.iter().any(|f| f.petition_id == id && f.seq == 1));
    }

    async fn audit_verify_detects_a_truncated_history_after_a_checkpoint(app) {
        let t = app.token("receptionist").await;
        let id = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
        app.post(&t, &format!("/api/v1/petitions/{id}/decision"), &json!({"acceptance": "accepted"})).await;
        let store = &app.state.store;
        let bureau = &app.state.bureau.id;
        store.checkpoint(bureau, app.clock.now()).await.unwrap();
        // Remove the last event and roll the projection back so the chain itself looks whole.
        xinfang_store::sqlx::query("DELETE FROM petition_events WHERE petition_id = $1 AND seq = 2").bind(&id).execute(store.pool()).await.unwrap();
        xinfang_store::sqlx::query("UPDATE petitions SET event_seq = 1 WHERE id = $1").bind(&id).execute(store.pool()).await.unwrap();
        let report = store.verify(bureau).await.unwrap();
        assert!(report.faults.iter().any(|f| f.petition_id == id && f.problem.contains("封存点")), "{:?}", report.faults);
    }

    async fn every_change_appends_an_event_in_the_same_transaction(app) {
        let t = app.token("receptionist").await;
        let id = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
        app.post(&t, &format!("/api/v1/petitions/{id}/interviews"), &json!({"facts_and_requests": "情况"})).await;
        app.post(&t, &format!("/api/v1/petitions/{id}/decision"), &json!({"acceptance": "not_accepted"})).await;
        let p = app.state.store.petition(&app.state.bureau.id, &id).await.unwrap();
        let events = app.state.store.events(&id).await.unwrap();
        assert_eq!(p.event_seq, events.len() as i64);
        assert_eq!(events.last().unwrap().kind, "notice_served");
        // A failed change leaves neither state nor event behind.
        let (status, _) = app.post(&t, &format!("/api/v1/petitions/{id}/decision"), &json!({"acceptance": "accepted"})).await;
        assert_eq!(status, 409);
        assert_eq!(app.state.store.events(&id).await.unwrap().len(), events.len());
    }
}

backend_tests! {
    async fn checkpoints_seal_only_the_chains_that_changed(app) {
        let t = app.token("receptionist").await;
        let a = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
        let b = app.register_visit(&t, json!({})).await["id"].as_str().unwrap().to_string();
        let store = &app.state.store;
        let bureau = &app.state.bureau.id;
        assert_eq!(store.checkpoint(bureau, app.clock.now()).await.unwrap(), Some(1));
        app.clock.advance(chrono::Duration::minutes(10));
        app.post(&t, &format!("/api/v1/petitions/{b}/decision"), &json!({"acceptance": "accepted"})).await;
        assert_eq!(store.checkpoint(bureau, app.clock.now()).await.unwrap(), Some(2));
        let (heads,): (String,) = xinfang_store::sqlx::query_as("SELECT heads FROM chain_checkpoints WHERE seq = 2").fetch_one(store.pool()).await.unwrap();
        assert!(heads.contains(&b) && !heads.contains(&a), "{heads}");
        assert!(store.verify(bureau).await.unwrap().ok());
        // Rewriting a chain sealed only by the first checkpoint is still found.
        xinfang_store::sqlx::query("UPDATE petition_events SET hash = $1 WHERE petition_id = $2 AND seq = 1")
            .bind("0".repeat(64))
            .bind(&a)
            .execute(store.pool())
            .await
            .unwrap();
        let report = store.verify(bureau).await.unwrap();
        assert!(report.faults.iter().any(|f| f.petition_id == a && f.problem.contains("封存点")), "{:?}", report.faults);
    }
}
