//! 网机隔离 (seed 一(八)4, 二(七)4; rules §14): a confidential petition's dossier moved to the
//! bureau's offline machine. The archivist names where it goes and who carries it; a leader
//! approves (`offline_move`); the archivist downloads the package — the dossier's files, its
//! records and its full history, encrypted to the offline machine's key (age) — and, once it is
//! on the offline machine, confirms the move with the package's SHA-256. In that transaction the
//! networked system keeps only the stub (number, channel, dates, stage) and the move in its
//! history: every other row of the petition goes, its events keep their fields and hashes but
//! not their payloads, and the `moved_offline` event pins what left (`domain::event`), so the
//! audit chain still verifies here and the offline copy can be checked against it.

use std::io::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::json;
use xinfang_domain::approval::Gate;
use xinfang_domain::archive;
use xinfang_domain::event::{MOVED_OFFLINE, MovedEvent, payload_digest};
use xinfang_store::archives::OfflineMoveRow;
use xinfang_store::new_id;

use super::{build_package, keeper, propose};
use crate::auth::CurrentUser;
use crate::context::AppState;
use crate::error::{AppError, AppResult};
use crate::write::Write;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct MoveInput {
    /// Where the dossier goes (the offline machine and its room).
    pub destination: String,
    /// Who carries the package.
    pub carrier: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MoveView {
    pub id: String,
    pub destination: String,
    pub carrier: String,
    /// proposed, approved, rejected, moved.
    pub state: String,
    pub package_sha256: String,
    pub package_size: i64,
    pub proposed_at: String,
    pub moved_at: Option<String>,
}

impl From<OfflineMoveRow> for MoveView {
    fn from(m: OfflineMoveRow) -> Self {
        MoveView {
            id: m.id,
            destination: m.destination,
            carrier: m.carrier,
            state: m.state,
            package_sha256: m.package_sha256,
            package_size: m.package_size,
            proposed_at: crate::clock::show(&m.proposed_at),
            moved_at: m.moved_at.as_deref().map(crate::clock::show),
        }
    }
}

/// The moves of a petition's dossier, for its keeper and the leaders.
pub async fn moves(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
) -> AppResult<Vec<MoveView>> {
    if !archive::may_read_archives(user.role()) {
        return Err(AppError::forbidden());
    }
    Ok(state
        .store
        .offline_moves_of(petition_id)
        .await?
        .into_iter()
        .map(MoveView::from)
        .collect())
}

/// The archivist proposes moving a confidential dossier offline.
#[tracing::instrument(name = "archives::propose_offline_move", skip_all)]
pub async fn propose_move(
    state: &AppState,
    user: &CurrentUser,
    dossier_id: &str,
    input: &MoveInput,
) -> AppResult<String> {
    keeper(user)?;
    let d = state
        .store
        .dossier(&state.bureau.id, dossier_id)
        .await
        .map_err(|_| crate::error::AppError::not_found())?;
    let p = state
        .store
        .petition(&state.bureau.id, &d.petition_id)
        .await?;
    super::custody(state, user, &p).await?;
    let moves = state.store.offline_moves_of(&p.id).await?;
    archive::check_offline_move(p.confidential, p.stage, d.state == "offline")?;
    if moves
        .iter()
        .any(|m| matches!(m.state.as_str(), "proposed" | "approved"))
    {
        return Err(AppError::Conflict("该档案的离线存储申请正在办理".into()));
    }
    archive::check_move_record(&input.destination, &input.carrier)?;
    if state.config.offline_recipient.trim().is_empty() {
        return Err(AppError::Conflict(
            "尚未配置离线计算机的公钥（offline_recipient），请系统管理员配置后再办理".into(),
        ));
    }
    let destination = input.destination.trim();
    let carrier = input.carrier.trim();
    let approval = propose(
        state,
        user,
        &p,
        Gate::OfflineMove,
        &format!(
            "{} 保密档案移至离线存储：{destination}（携带人：{carrier}）",
            d.archival_no
        ),
        json!({"dossier_id": d.id, "destination": destination, "carrier": carrier}),
        "offline_move_proposed",
    )
    .await?;
    let mut tx = state.store.begin().await?;
    state
        .store
        .insert_offline_move(
            &mut tx,
            &state.bureau.id,
            &OfflineMoveRow {
                id: new_id(),
                petition_id: p.id.clone(),
                dossier_id: d.id.clone(),
                destination: destination.into(),
                carrier: carrier.into(),
                package_sha256: String::new(),
                package_size: 0,
                approval_id: approval.clone(),
                state: "proposed".into(),
                proposed_by: user.user.id.clone(),
                proposed_at: xinfang_store::ts(state.clock.now()),
                moved_at: None,
            },
        )
        .await?;
    tx.commit().await?;
    Ok(approval)
}

fn approved_move(moves: Vec<OfflineMoveRow>, move_id: &str) -> AppResult<OfflineMoveRow> {
    let m = moves
        .into_iter()
        .find(|m| m.id == move_id)
        .ok_or_else(AppError::not_found)?;
    if m.state != "approved" {
        return Err(AppError::Conflict(match m.state.as_str() {
            "proposed" => "局领导尚未批准移至离线存储".into(),
            "moved" => "该档案已移至离线存储".into(),
            _ => "该申请未获批准".into(),
        }));
    }
    Ok(m)
}

/// The offline machine's public key: a post-quantum `age1pq1…` key (`age-keygen -pq`, age 1.3)
/// or a classic `age1…` key, which any age build opens (Debian's age 1.1 included).
enum OfflineKey {
    PostQuantum(age::pq::Recipient),
    Classic(crate::backup::archive::Recipient),
}

fn recipient(s: &str) -> Result<OfflineKey, String> {
    let s = s.trim();
    if s.starts_with("age1pq1") {
        return s
            .parse::<age::pq::Recipient>()
            .map(OfflineKey::PostQuantum)
            .map_err(|e| format!("离线计算机的 age 公钥无效：{e}"));
    }
    crate::backup::archive::parse_recipient(s).map(OfflineKey::Classic)
}

/// Checks the configured key: empty (no move possible yet), or an age public key.
pub fn check_recipient(s: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        return Ok(());
    }
    recipient(s).map(|_| ())
}

/// Encrypts `bytes` to the configured offline machine's key.
fn encrypt(key: &str, bytes: &[u8]) -> AppResult<Vec<u8>> {
    let key = recipient(key).map_err(AppError::Conflict)?;
    let r: &dyn age::Recipient = match &key {
        OfflineKey::PostQuantum(k) => k,
        OfflineKey::Classic(k) => k,
    };
    let encryptor = age::Encryptor::with_recipients(std::iter::once(r))
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut out = Vec::new();
    let mut w = encryptor
        .wrap_output(&mut out)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    w.write_all(bytes)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    w.finish().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(out)
}

/// The encrypted package to carry: the dossier package, the petition's records as JSON and its
/// full event history. Each download is a new encryption; the last one's hash is recorded and
/// is the one the move must be confirmed with.
#[tracing::instrument(name = "archives::offline_package", skip_all)]
pub async fn package(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
    move_id: &str,
) -> AppResult<(String, Vec<u8>)> {
    keeper(user)?;
    let p = state.store.petition(&state.bureau.id, petition_id).await?;
    super::custody(state, user, &p).await?;
    let m = approved_move(state.store.offline_moves_of(&p.id).await?, move_id)?;
    let d = state.store.dossier(&state.bureau.id, &m.dossier_id).await?;
    let (_, dossier_zip) = build_package(state, &d, &d.title, &p.petition_no).await?;
    let events: Vec<serde_json::Value> = state
        .store
        .events(&p.id)
        .await?
        .into_iter()
        .map(|e| json!({"seq": e.seq, "kind": e.kind, "payload": e.payload, "actor_id": e.actor_id, "actor_role": e.actor_role, "at": e.at, "hash": e.hash}))
        .collect();
    let record = serde_json::to_vec_pretty(&json!({
        "petition": p,
        "events": events,
    }))
    .unwrap_or_default();
    let inner = super::zip_files(&[
        (format!("{}.zip", d.archival_no), dossier_zip),
        ("petition.json".into(), record),
    ])?;
    let recipient = state.config.offline_recipient.clone();
    let sealed = tokio::task::spawn_blocking(move || encrypt(&recipient, &inner))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    let hash = xinfang_blobs::sha256_hex(&sealed);
    let mut tx = state.store.begin().await?;
    state
        .store
        .set_offline_move(
            &mut tx,
            &m.id,
            "approved",
            Some((&hash, sealed.len() as i64)),
            None,
        )
        .await?;
    state
        .store
        .audit(
            &mut tx,
            &state.bureau.id,
            Some(&user.user.id),
            "offline_package_downloaded",
            &json!({"move_id": m.id, "petition_no": p.petition_no, "sha256": hash}),
            state.clock.now(),
        )
        .await?;
    tx.commit().await?;
    Ok((format!("{}.age", d.archival_no), sealed))
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ConfirmInput {
    /// The SHA-256 of the package as read on the offline machine.
    pub package_sha256: String,
}

/// The package arrived intact: the networked system keeps only the stub from now on.
#[tracing::instrument(name = "archives::confirm_offline_move", skip_all)]
pub async fn confirm(
    state: &AppState,
    user: &CurrentUser,
    petition_id: &str,
    move_id: &str,
    input: &ConfirmInput,
) -> AppResult<()> {
    keeper(user)?;
    let p = state.store.petition(&state.bureau.id, petition_id).await?;
    super::custody(state, user, &p).await?;
    let m = approved_move(state.store.offline_moves_of(&p.id).await?, move_id)?;
    if m.package_sha256.is_empty() {
        return Err(AppError::Conflict(
            "请先下载加密数据包并导入离线计算机".into(),
        ));
    }
    let given = input.package_sha256.trim().to_ascii_lowercase();
    if given != m.package_sha256 {
        return Err(AppError::field(
            "package_sha256",
            "hash_mismatch",
            "数据包校验值与最近一次下载的不一致：请在离线计算机上核对后重新填写，或重新下载",
        ));
    }
    // The chain must verify before its payloads leave: a move never launders tampering.
    let raw = state.store.raw_events(&p.id).await?;
    let faults =
        xinfang_domain::event::verify_chain(raw.iter().map(|e| (e.fields(), e.hash.as_str())));
    if !faults.is_empty() {
        return Err(AppError::Conflict(
            "该信访件的历史记录校验未通过，不能移至离线存储，请联系安全审计员".into(),
        ));
    }
    let manifest: Vec<MovedEvent> = raw
        .iter()
        .map(|e| MovedEvent {
            seq: e.seq,
            kind: e.kind.clone(),
            actor_id: e.actor_id.clone(),
            actor_role: e.actor_role.clone(),
            at: e.at.clone(),
            hash: e.hash.clone(),
            payload_sha256: payload_digest(&e.payload),
        })
        .collect();
    let last = raw.last().map(|e| e.seq).unwrap_or(0);
    let now = state.clock.now();
    let mut w = Write::begin_at(state, user, now).await?;
    let hashes = state.store.blobs_of_petition(&mut w.tx, &p.id).await?;
    state.store.purge_petition(&mut w.tx, &p.id, last).await?;
    state
        .store
        .set_offline_move(&mut w.tx, &m.id, "moved", None, Some(now))
        .await?;
    w.event(
        &p.id,
        p.event_seq,
        MOVED_OFFLINE,
        &json!({
            "move_id": m.id, "destination": m.destination, "carrier": m.carrier,
            "package_sha256": m.package_sha256, "moved": manifest,
        }),
    )
    .await?;
    w.commit().await?;
    // The files go once nothing else points at them.
    for h in hashes {
        if !state.store.blob_in_use(&h).await? {
            state.blobs.delete(&h).await?;
        }
    }
    Ok(())
}
