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

/// The event that records a petition's content leaving for the offline machine (网机隔离).
pub const MOVED_OFFLINE: &str = "moved_offline";

/// What an earlier event's payload becomes once it has moved offline.
pub const MOVED_PAYLOAD: &str = r#"{"moved_offline":true}"#;

/// An event whose payload left for the offline machine, as the move's own event pins it: its
/// fields and hash stay verifiable online, the payload's digest lets the offline copy be
/// checked against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovedEvent {
    pub seq: i64,
    pub kind: String,
    pub actor_id: String,
    pub actor_role: String,
    pub at: String,
    pub hash: String,
    pub payload_sha256: String,
}

pub fn payload_digest(payload: &str) -> String {
    hex::encode(Sha256::digest(payload.as_bytes()))
}

/// The manifest a `moved_offline` event's payload carries under `moved`.
pub fn moved_manifest(payload: &str) -> Vec<MovedEvent> {
    serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| serde_json::from_value(v.get("moved")?.clone()).ok())
        .unwrap_or_default()
}

/// Verifies one petition's chain, given its events in sequence order as stored. An event whose
/// payload moved offline is checked against the manifest of the `moved_offline` event that
/// follows it (itself verified in full): same fields, same hash, unbroken links.
pub fn verify_chain<'a>(
    events: impl IntoIterator<Item = (EventFields<'a>, &'a str)>,
) -> Vec<ChainFault> {
    let events: Vec<(EventFields<'a>, &'a str)> = events.into_iter().collect();
    let moved: Vec<MovedEvent> = events
        .iter()
        .rev()
        .find(|(f, _)| f.kind == MOVED_OFFLINE)
        .map(|(f, _)| moved_manifest(f.payload))
        .unwrap_or_default();
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
        let pinned = moved.iter().find(|m| m.seq == fields.seq);
        match pinned {
            Some(m) if fields.payload == MOVED_PAYLOAD => {
                if m.kind != fields.kind
                    || m.actor_id != fields.actor_id
                    || m.actor_role != fields.actor_role
                    || m.at != fields.at
                    || m.hash != stored_hash
                {
                    faults.push(fault(
                        &fields,
                        "已移至离线存储的事件与移出记录不符（可能被篡改）".into(),
                    ));
                }
            }
            _ => {
                if event_hash(&fields) != stored_hash {
                    faults.push(fault(&fields, "事件内容与哈希不符（可能被篡改）".into()));
                }
            }
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
    fn a_chain_whose_payloads_moved_offline_still_verifies_and_tampering_shows() {
        let p1 = r#"{"name":"张三"}"#;
        let h1 = event_hash(&fields(1, p1, GENESIS_HASH));
        let p2 = r#"{"summary":"保密"}"#;
        let h2 = event_hash(&fields(2, p2, &h1));
        let manifest = |hash1: &str| {
            let m: Vec<MovedEvent> = [(1, p1, hash1), (2, p2, h2.as_str())]
                .iter()
                .map(|(seq, p, h)| MovedEvent {
                    seq: *seq,
                    kind: "registered".into(),
                    actor_id: "u1".into(),
                    actor_role: "receptionist".into(),
                    at: "2026-11-27T01:00:00Z".into(),
                    hash: h.to_string(),
                    payload_sha256: payload_digest(p),
                })
                .collect();
            serde_json::json!({ "moved": m }).to_string()
        };
        let p3 = manifest(&h1);
        let mut f3 = fields(3, &p3, &h2);
        f3.kind = MOVED_OFFLINE;
        let h3 = event_hash(&f3);
        let ok = verify_chain([
            (fields(1, MOVED_PAYLOAD, GENESIS_HASH), h1.as_str()),
            (fields(2, MOVED_PAYLOAD, &h1), h2.as_str()),
            (f3.clone(), h3.as_str()),
        ]);
        assert!(ok.is_empty(), "{ok:?}");
        // A moved event's fields altered: its manifest no longer matches.
        let mut altered = fields(1, MOVED_PAYLOAD, GENESIS_HASH);
        altered.at = "2026-11-28T01:00:00Z";
        let bad = verify_chain([
            (altered, h1.as_str()),
            (fields(2, MOVED_PAYLOAD, &h1), h2.as_str()),
            (f3.clone(), h3.as_str()),
        ]);
        assert_eq!(bad.len(), 1);
        // The manifest rewritten: the move's own hash breaks.
        let forged = manifest("0".repeat(64).as_str());
        let mut f3b = fields(3, &forged, &h2);
        f3b.kind = MOVED_OFFLINE;
        let bad = verify_chain([
            (fields(1, MOVED_PAYLOAD, GENESIS_HASH), h1.as_str()),
            (fields(2, MOVED_PAYLOAD, &h1), h2.as_str()),
            (f3b, h3.as_str()),
        ]);
        assert!(!bad.is_empty());
        // An event emptied without a manifest entry is a tampered one.
        let bad = verify_chain([
            (fields(1, MOVED_PAYLOAD, GENESIS_HASH), h1.as_str()),
            (fields(2, p2, &h1), h2.as_str()),
        ]);
        assert_eq!(bad.len(), 1);
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
