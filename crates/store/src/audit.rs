//! Verifying the history: every petition's hash chain, and the checkpoints that seal the heads
//! of all chains (`xinfang audit verify`, `xinfang audit checkpoint`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use xinfang_domain::event::{
    ChainFault, ChainHead, EventFields, GENESIS_HASH, checkpoint_hash, verify_chain,
};

use crate::{Result, Store, ts};

#[derive(Debug, Clone, Serialize, Default)]
pub struct VerifyReport {
    pub petitions: usize,
    pub events: usize,
    pub checkpoints: usize,
    pub faults: Vec<ChainFault>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.faults.is_empty()
    }
}

/// The heads the checkpoints sealed: (petition, seq) → (checkpoint, hash) each.
type Sealed = std::collections::HashMap<(String, i64), Vec<(i64, String)>>;

fn rewritten(petition_id: &str, seq: i64, checkpoint: i64) -> ChainFault {
    ChainFault {
        petition_id: petition_id.to_string(),
        seq,
        problem: format!("与第 {checkpoint} 号封存点记录的事件不符（历史被改写或删除）"),
    }
}

/// An event as stored, every field its hash covers.
pub struct RawEvent {
    pub bureau_id: String,
    pub petition_id: String,
    pub seq: i64,
    pub kind: String,
    pub payload: String,
    pub actor_id: String,
    pub actor_role: String,
    pub at: String,
    pub prev_hash: String,
    pub hash: String,
}

impl RawEvent {
    pub fn fields(&self) -> EventFields<'_> {
        EventFields {
            bureau_id: &self.bureau_id,
            petition_id: &self.petition_id,
            seq: self.seq,
            kind: &self.kind,
            payload: &self.payload,
            actor_id: &self.actor_id,
            actor_role: &self.actor_role,
            at: &self.at,
            prev_hash: &self.prev_hash,
        }
    }
}

fn raw_event(r: &sqlx::any::AnyRow) -> Result<RawEvent> {
    Ok(RawEvent {
        bureau_id: r.try_get("bureau_id")?,
        petition_id: r.try_get("petition_id")?,
        seq: r.try_get("seq")?,
        kind: r.try_get("kind")?,
        payload: r.try_get("payload")?,
        actor_id: r.try_get("actor_id")?,
        actor_role: r.try_get("actor_role")?,
        at: r.try_get("at")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

impl Store {
    /// Seals the heads of the chains that changed since the last checkpoint (a delta, so a
    /// checkpoint stays small however many petitions there are). Returns the checkpoint's
    /// sequence number, or `None` when nothing changed. The heads are read before the write
    /// transaction, so writers wait only for the insert; if another instance sealed meanwhile,
    /// this one yields.
    pub async fn checkpoint(&self, bureau_id: &str, now: DateTime<Utc>) -> Result<Option<i64>> {
        let last: Option<(i64, String, String, String)> = sqlx::query_as(
            "SELECT seq, hash, heads, at FROM chain_checkpoints WHERE bureau_id = $1 ORDER BY seq DESC LIMIT 1",
        )
        .bind(bureau_id)
        .fetch_optional(self.pool())
        .await?;
        let since = last.as_ref().map(|l| l.3.clone()).unwrap_or_default();
        let sealed: std::collections::HashSet<(String, i64)> = match &last {
            Some((_, _, heads, _)) => serde_json::from_str::<Vec<ChainHead>>(heads)
                .map(|v| v.into_iter().map(|h| (h.petition_id, h.seq)).collect())
                .unwrap_or_default(),
            None => Default::default(),
        };
        let rows = sqlx::query(
            "SELECT e.petition_id, e.seq, e.hash FROM petitions p JOIN petition_events e ON e.petition_id = p.id AND e.seq = p.event_seq WHERE p.bureau_id = $1 AND p.updated_at >= $2 ORDER BY e.petition_id",
        )
        .bind(bureau_id)
        .bind(&since)
        .fetch_all(self.pool())
        .await?;
        let mut heads = Vec::with_capacity(rows.len());
        for r in &rows {
            let head = ChainHead {
                petition_id: r.try_get("petition_id")?,
                seq: r.try_get("seq")?,
                hash: r.try_get("hash")?,
            };
            if !sealed.contains(&(head.petition_id.clone(), head.seq)) {
                heads.push(head);
            }
        }
        if heads.is_empty() {
            return Ok(None);
        }
        let (seq, prev_hash) = match &last {
            Some((s, h, _, _)) => (s + 1, h.clone()),
            None => (1, GENESIS_HASH.to_string()),
        };
        let at = ts(now);
        let hash = checkpoint_hash(&prev_hash, &at, &heads);
        let heads_json = serde_json::to_string(&heads).expect("heads serialise");
        let mut tx = self.begin().await?;
        let (current,): (i64,) = sqlx::query_as(
            "SELECT COALESCE(MAX(seq), 0) FROM chain_checkpoints WHERE bureau_id = $1",
        )
        .bind(bureau_id)
        .fetch_one(&mut **tx)
        .await?;
        if current != seq - 1 {
            return Ok(None);
        }
        sqlx::query(
            "INSERT INTO chain_checkpoints (bureau_id, seq, at, heads, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(bureau_id)
        .bind(seq)
        .bind(&at)
        .bind(&heads_json)
        .bind(&prev_hash)
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
        tx.commit().await?;
        Ok(Some(seq))
    }

    /// One petition's events as stored, for verifying its chain.
    pub async fn raw_events(&self, petition_id: &str) -> Result<Vec<RawEvent>> {
        let rows = sqlx::query(
            "SELECT bureau_id, petition_id, seq, kind, payload, actor_id, actor_role, at, prev_hash, hash FROM petition_events WHERE petition_id = $1 ORDER BY seq",
        )
        .bind(petition_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(raw_event).collect()
    }

    /// Recomputes every chain and every checkpoint. A checkpoint's heads must still be in
    /// their chains with the same hashes: rewriting or truncating history after a seal shows.
    pub async fn verify(&self, bureau_id: &str) -> Result<VerifyReport> {
        use futures_util::TryStreamExt;
        use std::collections::HashMap;
        let mut report = VerifyReport::default();
        // The checkpoints first (few and small): their own chain, and the heads they sealed,
        // looked for as the events stream past.
        let cps: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT seq, at, heads, prev_hash, hash FROM chain_checkpoints WHERE bureau_id = $1 ORDER BY seq",
        )
        .bind(bureau_id)
        .fetch_all(self.pool())
        .await?;
        let mut sealed: Sealed = HashMap::new();
        let mut prev = GENESIS_HASH.to_string();
        for (seq, at, heads, prev_hash, hash) in cps {
            report.checkpoints += 1;
            let cp_fault = |problem: String| ChainFault {
                petition_id: format!("checkpoint#{seq}"),
                seq,
                problem,
            };
            let parsed: Vec<ChainHead> = match serde_json::from_str(&heads) {
                Ok(h) => h,
                Err(e) => {
                    report
                        .faults
                        .push(cp_fault(format!("封存点内容无法解析：{e}")));
                    continue;
                }
            };
            if prev_hash != prev || checkpoint_hash(&prev_hash, &at, &parsed) != hash {
                report.faults.push(cp_fault("封存点哈希不符".into()));
            }
            for h in parsed {
                sealed
                    .entry((h.petition_id, h.seq))
                    .or_default()
                    .push((seq, h.hash));
            }
            prev = hash;
        }
        // Projection rows must agree with their chains' lengths.
        let mut latest: HashMap<String, i64> =
            sqlx::query_as("SELECT id, event_seq FROM petitions WHERE bureau_id = $1")
                .bind(bureau_id)
                .fetch_all(self.pool())
                .await?
                .into_iter()
                .collect();
        // The events stream in one petition's chain at a time, so that memory holds one chain
        // however long the history (a verify of a backup's scratch copy runs on a server).
        let mut rows = sqlx::query(
            "SELECT bureau_id, petition_id, seq, kind, payload, actor_id, actor_role, at, prev_hash, hash FROM petition_events WHERE bureau_id = $1 ORDER BY petition_id, seq",
        )
        .bind(bureau_id)
        .fetch(self.pool());
        let mut chain: Vec<RawEvent> = Vec::new();
        let finish = |chain: &mut Vec<RawEvent>,
                      report: &mut VerifyReport,
                      sealed: &mut Sealed,
                      latest: &mut HashMap<String, i64>| {
            let Some(first) = chain.first() else {
                return;
            };
            let petition_id = first.petition_id.clone();
            report.petitions += 1;
            report.faults.extend(verify_chain(
                chain.iter().map(|e| (e.fields(), e.hash.as_str())),
            ));
            for e in chain.iter() {
                for (cp, hash) in sealed
                    .remove(&(e.petition_id.clone(), e.seq))
                    .unwrap_or_default()
                {
                    if hash != e.hash {
                        report.faults.push(rewritten(&e.petition_id, e.seq, cp));
                    }
                }
            }
            if let Some(seq) = latest.remove(&petition_id)
                && seq > 0
                && !chain.iter().any(|e| e.seq == seq)
            {
                report.faults.push(ChainFault {
                    petition_id,
                    seq,
                    problem: "事件链缺少最新事件".into(),
                });
            }
            chain.clear();
        };
        while let Some(row) = rows.try_next().await? {
            let e = raw_event(&row)?;
            report.events += 1;
            if chain.last().is_some_and(|l| l.petition_id != e.petition_id) {
                finish(&mut chain, &mut report, &mut sealed, &mut latest);
            }
            chain.push(e);
        }
        finish(&mut chain, &mut report, &mut sealed, &mut latest);
        // Sealed heads no chain holds any more, petitions whose events are gone.
        let mut gone: Vec<_> = sealed.into_iter().collect();
        gone.sort();
        for ((petition_id, seq), cps) in gone {
            for (cp, _) in cps {
                report.faults.push(rewritten(&petition_id, seq, cp));
            }
        }
        let mut missing: Vec<(String, i64)> = latest.into_iter().filter(|(_, s)| *s > 0).collect();
        missing.sort();
        for (petition_id, seq) in missing {
            report.faults.push(ChainFault {
                petition_id,
                seq,
                problem: "事件链缺少最新事件".into(),
            });
        }
        Ok(report)
    }
}
