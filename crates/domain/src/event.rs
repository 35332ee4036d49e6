//! Events: every change to a petition is an event appended in the same transaction as the state
//! it produces. Each petition's events form a hash chain; periodic checkpoints seal the heads of
//! all chains so the whole history is verifiable without one global chain serialising writes.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash that precedes the first event of every chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields an event's hash covers, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFields<'a> {
    pub bureau_id: &'a str,
    pub petition_id: &'a str,
    pub seq: i64,
    pub kind: &'a str,
    /// Canonical JSON (serde_json with sorted keys: `serde_json::Value` maps are sorted).
    pub payload: &'a str,
    pub actor_id: &'a str,
    pub actor_role: &'a str,
    /// RFC 3339, UTC, second precision.
    pub at: &'a str,
    pub prev_hash: &'a str,
}

/// SHA-256 over length-prefixed fields, so that no two different field lists hash alike.
pub fn event_hash(f: &EventFields<'_>) -> String {
    let mut h = Sha256::new();
    let seq = f.seq.to_string();
    for part in [
        f.bureau_id,
        f.petition_id,
        seq.as_str(),
        f.kind,
        f.payload,
        f.actor_id,
        f.actor_role,
        f.at,
        f.prev_hash,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// One chain head as sealed by a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
pub struct ChainHead {
    pub petition_id: String,
    pub seq: i64,
    pub hash: String,
}

/// A checkpoint's hash covers the previous checkpoint and every head, sorted by petition.
pub fn checkpoint_hash(prev_hash: &str, at: &str, heads: &[ChainHead]) -> String {
    let mut sorted: Vec<&ChainHead> = heads.iter().collect();
    sorted.sort();
    let mut h = Sha256::new();
    for part in [prev_hash, at] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.update((sorted.len() as u64).to_be_bytes());
    for head in sorted {
        for part in [
            head.petition_id.as_str(),
            &head.seq.to_string(),
            head.hash.as_str(),
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
    }
    hex::encode(h.finalize())
}

/// Something wrong found while verifying the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainFault {
    pub petition_id: String,
    pub seq: i64,
    pub problem: String,
}

/// Verifies one petition's chain, given its events in sequence order as stored.
pub fn verify_chain<'a>(
    events: impl IntoIterator<Item = (EventFields<'a>, &'a str)>,
) -> Vec<ChainFault> {
    let mut faults = Vec::new();
    let mut expected_prev = GENESIS_HASH.to_string();
    let mut expected_seq = 1;
    for (fields, stored_hash) in events {
        if fields.seq != expected_seq {
            faults.push(fault(&fields, format!("序号不连续：应为 {expected_seq}")));
        }
        if fields.prev_hash != expected_prev {
            faults.push(fault(&fields, "前一事件哈希不符".into()));
        }
        let recomputed = event_hash(&fields);
        if recomputed != stored_hash {
            faults.push(fault(&fields, "事件内容与哈希不符（可能被篡改）".into()));
        }
        expected_prev = stored_hash.to_string();
        expected_seq = fields.seq + 1;
    }
    faults
}

fn fault(f: &EventFields<'_>, problem: String) -> ChainFault {
    ChainFault {
        petition_id: f.petition_id.to_string(),
        seq: f.seq,
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(seq: i64, payload: &'a str, prev: &'a str) -> EventFields<'a> {
        EventFields {
            bureau_id: "b1",
            petition_id: "p1",
            seq,
            kind: "registered",
            payload,
            actor_id: "u1",
            actor_role: "receptionist",
            at: "2026-11-27T01:00:00Z",
            prev_hash: prev,
        }
    }

    #[test]
    fn tampered_payload_breaks_the_chain() {
        let h1 = event_hash(&fields(1, "{}", GENESIS_HASH));
        let h2 = event_hash(&fields(2, r#"{"a":1}"#, &h1));
        let ok = verify_chain([
            (fields(1, "{}", GENESIS_HASH), h1.as_str()),
            (fields(2, r#"{"a":1}"#, &h1), h2.as_str()),
        ]);
        assert!(ok.is_empty());
        let bad = verify_chain([
            (fields(1, r#"{"x":1}"#, GENESIS_HASH), h1.as_str()),
            (fields(2, r#"{"a":1}"#, &h1), h2.as_str()),
        ]);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].seq, 1);
    }

    #[test]
    fn removed_event_is_detected() {
        let h1 = event_hash(&fields(1, "{}", GENESIS_HASH));
        let h2 = event_hash(&fields(2, "{}", &h1));
        let h3 = event_hash(&fields(3, "{}", &h2));
        let faults = verify_chain([
            (fields(1, "{}", GENESIS_HASH), h1.as_str()),
            (fields(3, "{}", &h2), h3.as_str()),
        ]);
        assert!(!faults.is_empty());
    }

    #[test]
    fn checkpoint_hash_ignores_head_order() {
        let a = ChainHead {
            petition_id: "a".into(),
            seq: 1,
            hash: "x".into(),
        };
        let b = ChainHead {
            petition_id: "b".into(),
            seq: 2,
            hash: "y".into(),
        };
        assert_eq!(
            checkpoint_hash(GENESIS_HASH, "t", &[a.clone(), b.clone()]),
            checkpoint_hash(GENESIS_HASH, "t", &[b, a])
        );
    }
}
