//! Small steps that one feature's use case triggers in another's records, kept here so that
//! features need not import each other sideways: an issued document settles an obligation, a
//! direct extension of a stored deadline moves the handling record, a letter's reply settles
//! the reply owed. Each runs inside the caller's transaction.

use chrono::NaiveDate;
use xinfang_domain::document::DocumentKind;
use xinfang_domain::lifecycle::{self, HandlingRecordState, HandlingState};
use xinfang_store::handling::HandlingRecordRow;
use xinfang_store::petitions::Actor;

use crate::context::AppState;
use crate::error::AppResult;

fn date(s: &Option<String>) -> Option<NaiveDate> {
    s.as_deref().and_then(|d| d.parse().ok())
}

/// The domain's view of a stored handling record.
pub fn record_state(r: &HandlingRecordRow) -> HandlingRecordState {
    HandlingRecordState {
        unit_id: r.unit_id.clone(),
        state: HandlingState::parse(&r.state).unwrap_or(HandlingState::Sent),
        extended_days: r.extended_days.max(0) as u32,
        due_on: date(&r.due_on),
    }
}

/// Marks every open obligation of `kind` fulfilled, with its event.
/// Appends the petition's next event inside the caller's transaction.
async fn append_in(
    state: &AppState,
    tx: &mut xinfang_store::WriteTx,
    user: &xinfang_store::people::User,
    petition_id: &str,
    kind: &str,
    payload: &serde_json::Value,
) -> AppResult<()> {
    let seq = state.store.event_seq_in(tx, petition_id).await?;
    state
        .store
        .append_event(
            tx,
            &state.bureau.id,
            petition_id,
            seq,
            kind,
            payload,
            &Actor {
                id: &user.id,
                role: user.role,
            },
            state.clock.now(),
        )
        .await?;
    Ok(())
}

pub async fn settle_obligations(
    state: &AppState,
    tx: &mut xinfang_store::WriteTx,
    user: &xinfang_store::people::User,
    petition_id: &str,
    kind: &str,
    note: &str,
) -> AppResult<()> {
    let now = state.clock.now();
    for o in state.store.obligations_of(petition_id).await? {
        if o.kind != kind || o.fulfilled_at.is_some() {
            continue;
        }
        state
            .store
            .fulfil_obligation(tx, petition_id, &o.id, &user.id, note, now)
            .await?;
        append_in(
            state,
            tx,
            user,
            petition_id,
            "obligation_fulfilled",
            &serde_json::json!({"obligation_id": o.id, "note": note}),
        )
        .await?;
    }
    Ok(())
}

/// An issued document may settle an obligation: the 交办函 that follows an urgent assignment
/// notified by phone or fax (V3.4). Runs inside the issuing transaction.
pub async fn on_document_issued(
    state: &AppState,
    tx: &mut xinfang_store::WriteTx,
    user: &xinfang_store::people::User,
    petition_id: &str,
    kind: DocumentKind,
    doc_no: Option<&str>,
) -> AppResult<()> {
    if kind != DocumentKind::AssignmentLetter {
        return Ok(());
    }
    let note = format!("已发出交办函{}", doc_no.unwrap_or_default());
    settle_obligations(state, tx, user, petition_id, "follow_up_letter", &note).await
}

/// An issued 信访情况通报 is the circular the letters disposed of by 通报 waited for: each one in
/// `awaiting_circular` closes as handled, into the 普通 dossier (L4.0, L4.5), with its event.
pub async fn on_circular_issued(
    state: &AppState,
    tx: &mut xinfang_store::WriteTx,
    user: &xinfang_store::people::User,
    doc_no: Option<&str>,
) -> AppResult<usize> {
    let waiting = state
        .store
        .list_candidates(
            &state.bureau.id,
            &xinfang_store::petitions::ListScope {
                user_id: String::new(),
                unit_id: None,
            },
            &xinfang_store::petitions::ListFilter {
                stage: Some(lifecycle::Stage::AwaitingCircular),
                ..Default::default()
            },
        )
        .await?;
    let mut closed = 0;
    for p in waiting {
        let t = lifecycle::execute(
            &lifecycle::PetitionState {
                channel: p.channel,
                stage: p.stage,
                acceptance: p.acceptance,
                ..lifecycle::PetitionState::new(p.channel)
            },
            &lifecycle::Command::CircularIssued,
            user.role,
        )?;
        state.store.set_stage(tx, &p.id, t.to).await?;
        append_in(
            state,
            tx,
            user,
            &p.id,
            "circular_issued",
            &serde_json::json!({
                "stage": t.to.as_str(), "doc_no": doc_no,
                "dossier": t.dossier.map(|d| d.as_str()),
            }),
        )
        .await?;
        closed += 1;
    }
    Ok(closed)
}

/// An archive gate decided (publication, dossier loan, dossier destruction, offline move): its
/// record follows the decision, inside the approval's transaction. Returns the blobs a destroyed
/// dossier no longer needs, to remove after the commit.
pub async fn on_archive_decision(
    state: &AppState,
    tx: &mut xinfang_store::WriteTx,
    user: &xinfang_store::people::User,
    a: &xinfang_store::handling::ApprovalRow,
    accepted: bool,
) -> AppResult<Vec<String>> {
    use xinfang_domain::approval::Gate;
    let now = state.clock.now();
    let gate = Gate::parse(&a.gate);
    let mut released = Vec::new();
    match gate {
        Some(Gate::PublicationVisit | Gate::PublicationLetter) => {
            let p = state.store.publication_by_approval(&a.id).await?;
            let to = if accepted { "published" } else { "rejected" };
            state
                .store
                .set_publication_state(tx, &p.id, "proposed", to, &user.id, "", now)
                .await?;
        }
        Some(Gate::DossierLoan) => {
            let l = state.store.loan_by_approval(&a.id).await?;
            let to = if accepted { "approved" } else { "rejected" };
            state
                .store
                .set_loan_state(tx, &l.id, "pending", to, now)
                .await?;
        }
        Some(Gate::OfflineMove) => {
            let m = state.store.offline_move_by_approval(&a.id).await?;
            let to = if accepted { "approved" } else { "rejected" };
            state
                .store
                .set_offline_move(tx, &m.id, to, None, None)
                .await?;
        }
        Some(Gate::DossierDestruction) if accepted => {
            let payload: serde_json::Value = serde_json::from_str(&a.payload).unwrap_or_default();
            let dossier_id = payload["dossier_id"].as_str().unwrap_or_default();
            let d = state.store.dossier(&state.bureau.id, dossier_id).await?;
            if !matches!(d.state.as_str(), "archived" | "transferred") {
                return Err(crate::error::AppError::Conflict(
                    "该档案已不在保管中".into(),
                ));
            }
            released.push(d.pdf_hash.clone());
            released.extend(
                state
                    .store
                    .dossier_items(&d.id)
                    .await?
                    .into_iter()
                    .filter_map(|i| i.blob_hash),
            );
            let description = format!(
                "档案 {}（{} 件 {} 页）：{}",
                d.archival_no,
                d.items,
                d.pages,
                payload["appraisal"].as_str().unwrap_or_default()
            );
            let entry = state
                .store
                .insert_dossier_destruction(
                    tx,
                    &state.bureau.id,
                    &d.petition_id,
                    &description,
                    &a.id,
                    &user.id,
                    now,
                )
                .await?;
            state.store.empty_dossier(tx, &d.id, &d.petition_id).await?;
            state
                .store
                .set_dossier_state(tx, &d.id, "destroyed")
                .await?;
            append_in(
                state,
                tx,
                user,
                &d.petition_id,
                "dossier_destroyed",
                &serde_json::json!({"dossier_id": d.id, "archival_no": d.archival_no, "register_entry": entry}),
            )
            .await?;
        }
        _ => {}
    }
    Ok(released)
}
