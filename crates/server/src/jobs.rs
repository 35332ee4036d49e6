//! Jobs that run inside `xinfang serve`. A checkpoint seals the heads of all event chains; it is
//! idempotent (no new checkpoint when nothing changed), so several instances may run it.

use std::sync::Arc;
use std::time::Duration;

use crate::app::AppState;

pub fn spawn(state: Arc<AppState>) {
    let every = Duration::from_secs(state.config.checkpoint_minutes.max(1) * 60);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match state
                .store
                .checkpoint(&state.bureau.id, state.clock.now())
                .await
            {
                Ok(Some(seq)) => tracing::info!(seq, "event chains sealed"),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "checkpoint failed"),
            }
        }
    });
}
