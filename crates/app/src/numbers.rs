//! Numbers a petition is given: its gap-free number and the query code on its slip.

use xinfang_domain::lifecycle::{self};

/// Characters for query codes: no 0/O or 1/I, so they can be read out on the phone.
const QUERY_CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

pub fn query_code() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..8)
        .map(|_| QUERY_CODE_ALPHABET[rng.random_range(0..QUERY_CODE_ALPHABET.len())] as char)
        .collect()
}

pub fn petition_no(channel: lifecycle::Channel, year: i32, seq: i64) -> String {
    format!("{}{year}-{seq:06}", channel.number_prefix())
}
