//! One write of a use case: the write transaction, the acting user and the injected time, so
//! that every event it appends carries the actor and the time of the state change it records,
//! and state and history commit together or not at all.

use chrono::{DateTime, Utc};
use serde_json::Value;
use xinfang_domain::role::Role;
use xinfang_store::WriteTx;
use xinfang_store::petitions::Actor;

use crate::auth::CurrentUser;
use crate::context::AppState;
use crate::error::AppResult;

pub struct Write<'a> {
    pub tx: WriteTx,
    state: &'a AppState,
    actor_id: String,
    role: Role,
    /// The time of this write, read once from the injected clock.
    pub now: DateTime<Utc>,
}

impl<'a> Write<'a> {
    /// Opens the write transaction for `user`, at the clock's current time.
    pub async fn begin(state: &'a AppState, user: &CurrentUser) -> AppResult<Self> {
        Self::begin_at(state, user, state.clock.now()).await
    }

    /// Opens the write transaction for `user` at `now`, the time the use case read from the
    /// clock before it judged the step (so the state and its event carry one time).
    pub async fn begin_at(
        state: &'a AppState,
        user: &CurrentUser,
        now: DateTime<Utc>,
    ) -> AppResult<Self> {
        Self::begin_as(state, &user.user.id, user.role(), now).await
    }

    /// Opens the write transaction for an actor given by id and role (jobs, imports) at `now`.
    pub async fn begin_as(
        state: &'a AppState,
        actor_id: &str,
        role: Role,
        now: DateTime<Utc>,
    ) -> AppResult<Self> {
        Ok(Self {
            tx: state.store.begin().await?,
            state,
            actor_id: actor_id.to_string(),
            role,
            now,
        })
    }

    pub fn actor(&self) -> Actor<'_> {
        Actor {
            id: &self.actor_id,
            role: self.role,
        }
    }

    /// Appends the petition's event, expecting the petition's event sequence to be `seq`: a
    /// concurrent change makes the whole write fail. Returns the new sequence.
    pub async fn event(
        &mut self,
        petition_id: &str,
        seq: i64,
        kind: &str,
        payload: &Value,
    ) -> AppResult<i64> {
        let actor = Actor {
            id: &self.actor_id,
            role: self.role,
        };
        Ok(self
            .state
            .store
            .append_event(
                &mut self.tx,
                &self.state.bureau.id,
                petition_id,
                seq,
                kind,
                payload,
                &actor,
                self.now,
            )
            .await?)
    }

    /// Appends the petition's event after whatever this transaction appended before.
    pub async fn next_event(
        &mut self,
        petition_id: &str,
        kind: &str,
        payload: &Value,
    ) -> AppResult<i64> {
        let seq = self
            .state
            .store
            .event_seq_in(&mut self.tx, petition_id)
            .await?;
        self.event(petition_id, seq, kind, payload).await
    }

    pub async fn commit(mut self) -> AppResult<()> {
        // The search index reflects the change in the same transaction.
        crate::index::refresh_pending(&self.state.store, &self.state.index, &mut self.tx).await?;
        self.tx.commit().await?;
        // One line per committed change, inside the use case's and the request's spans (their
        // names and the request id; nothing of what was written).
        tracing::info!(role = self.role.as_str(), "committed");
        Ok(())
    }
}
