//! Fuzzing the API from its own OpenAPI document: for every operation, requests generated from
//! the operation's schema — right and wrong types, impossible and out-of-range dates, huge and
//! negative numbers, control characters, malformed JSON, unknown ids — sent as several roles.
//! The property: no answer is a 5xx, and every refusal is the JSON error body with a message.
//! The generator is seeded, so a failure names a request that reproduces.

use serde_json::{Map, Value, json};

use crate::backend_tests;

/// xorshift64*: deterministic, so every run sends the same requests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const STRINGS: &[&str] = &[
    "",
    " ",
    "张三",
    "abc",
    "-1",
    "0",
    "99999999999999999999999",
    "2026-11-30",
    "2026-02-30",
    "2026-13-01",
    "0001-01-01",
    "-262143-01-01T00:00",
    "+262142-12-31T23:59",
    "9999-12-31T23:59",
    "2026-11-30T25:61",
    "2026-11-30T09:00",
    "1899-12-31",
    "11010519491231002X",
    "110105194912310021",
    "13900000000",
    "\u{0}\u{1}\u{7f}",
    "/\t/evil.example/",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00%ff",
    "🙂🙂🙂",
    "accepted",
    "not_accepted",
    "transfer",
    "director",
    "admin",
    "letter",
    "visit",
];

fn long_string(rng: &mut Rng) -> String {
    let unit = *rng.pick(&["甲", "a", "\u{202e}", "0"]);
    unit.repeat(1 + rng.below(20_000))
}

fn junk(rng: &mut Rng, ids: &[String]) -> Value {
    match rng.below(9) {
        0 => Value::Null,
        1 => json!(rng.chance(50)),
        2 => json!(*rng.pick(&[i64::MIN, -1, 0, 1, 7, 366, i64::MAX])),
        3 => json!(*rng.pick(&[-1e308, 1e308, 0.5, -0.0])),
        4 => json!([]),
        5 => json!({}),
        6 => json!(long_string(rng)),
        7 => json!(rng.pick(ids)),
        _ => json!(*rng.pick(STRINGS)),
    }
}

/// Follows `$ref` into the document's components.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap_or("");
            let target = &doc["components"]["schemas"][name];
            if target.is_null() {
                schema
            } else {
                resolve(doc, target)
            }
        }
        None => schema,
    }
}

/// A value for `schema`: mostly of the right shape with wrong or extreme contents, sometimes
/// of the wrong type altogether.
fn generate(doc: &Value, schema: &Value, rng: &mut Rng, ids: &[String], depth: u32) -> Value {
    let schema = resolve(doc, schema);
    if depth > 4 || rng.chance(15) {
        return junk(rng, ids);
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array)
            && !options.is_empty()
        {
            let chosen = rng.pick(options).clone();
            return generate(doc, &chosen, rng, ids, depth + 1);
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !values.is_empty()
        && rng.chance(70)
    {
        return rng.pick(values).clone();
    }
    let ty = match &schema["type"] {
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("string")
            .to_string(),
        _ if schema.get("properties").is_some() => "object".into(),
        _ => "string".into(),
    };
    match ty.as_str() {
        "object" => {
            let mut out = Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (name, prop) in props {
                    if rng.chance(75) {
                        out.insert(name.clone(), generate(doc, prop, rng, ids, depth + 1));
                    }
                }
            }
            if rng.chance(10) {
                out.insert("unexpected_field".into(), junk(rng, ids));
            }
            Value::Object(out)
        }
        "array" => {
            let n = rng.below(4);
            let items = schema.get("items").cloned().unwrap_or(json!({}));
            Value::Array(
                (0..n)
                    .map(|_| generate(doc, &items, rng, ids, depth + 1))
                    .collect(),
            )
        }
        "integer" => json!(*rng.pick(&[i64::MIN, -30, -1, 0, 1, 15, 30, 31, 100_000, i64::MAX])),
        "number" => json!(*rng.pick(&[-1e308, -1.5, 0.0, 2.5, 1e308])),
        "boolean" => json!(rng.chance(50)),
        _ => {
            if rng.chance(25) {
                json!(rng.pick(ids))
            } else if rng.chance(10) {
                json!(long_string(rng))
            } else {
                json!(*rng.pick(STRINGS))
            }
        }
    }
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A path value: a real id, or something that is not one.
fn path_value(rng: &mut Rng, ids: &[String]) -> String {
    if rng.chance(50) {
        return rng.pick(ids).clone();
    }
    let s = match rng.below(4) {
        // Long, but within what a URL may carry.
        0 => long_string(rng).chars().take(600).collect(),
        _ => rng.pick(STRINGS).to_string(),
    };
    if s.is_empty() {
        "x".into()
    } else {
        url_escape(&s)
    }
}

/// A raw body that is not the JSON the operation expects.
fn malformed(rng: &mut Rng) -> Vec<u8> {
    match rng.below(5) {
        0 => b"{".to_vec(),
        1 => b"null".to_vec(),
        2 => vec![0xff, 0xfe, 0x00, 0x7b],
        3 => b"[1,2,3]".to_vec(),
        _ => format!("{{\"a\": \"{}\"}}", "x".repeat(200_000)).into_bytes(),
    }
}

const ROLES: [&str; 5] = [
    "director",
    "receptionist",
    "letter_clerk",
    "zhujian_handler",
    "admin",
];

/// Operations left out: signing out would end the session the fuzzer signs in with.
const SKIPPED: &[&str] = &["/api/v1/logout"];

backend_tests! {
    async fn fuzzing_every_operation_finds_no_server_error(app) {
        let (_, doc) = app.get("", "/api/openapi.json").await;
        // Ids that exist: a petition through intake and a letter through the mailroom.
        let t = app.token("receptionist").await;
        let visit = app.register_visit(&t, json!({}))
            .await["id"].as_str().unwrap().to_string();
        let zhujian = app.unit_id("zhujian").await;
        let (letter, parts) = crate::sweep::accusing_letter(&app, &zhujian).await;
        // The public operations get the letter's real query code, and its writer's last four.
        let code = app.state.store.petition(&app.state.bureau.id, &letter).await.unwrap().query_code;
        let mut ids = vec![visit, letter, zhujian, code, "0005".into()];
        ids.extend(parts);
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        let mut sent = 0;
        let mut failures = Vec::new();
        let paths = doc["paths"].as_object().unwrap().clone();
        for role in ROLES {
            let mut token = app.token(role).await;
            for (path, item) in &paths {
                if SKIPPED.contains(&path.as_str()) {
                    continue;
                }
                for (method, op) in item.as_object().unwrap() {
                    let Ok(m) = method.to_uppercase().parse::<reqwest::Method>() else { continue };
                    let params = op["parameters"].as_array().cloned().unwrap_or_default();
                    let body_schema = op["requestBody"]["content"]["application/json"]["schema"].clone();
                    let rounds = if m == reqwest::Method::GET { 4 } else { 8 };
                    for _ in 0..rounds {
                        let mut url = path.clone();
                        let mut query = Vec::new();
                        for p in &params {
                            let name = p["name"].as_str().unwrap_or("");
                            match p["in"].as_str() {
                                Some("path") => {
                                    url = url.replace(&format!("{{{name}}}"), &path_value(&mut rng, &ids));
                                }
                                Some("query") if rng.chance(70) => {
                                    let v = generate(&doc, &p["schema"], &mut rng, &ids, 1);
                                    let v: String = match v { Value::String(s) => s, other => other.to_string() }.chars().take(600).collect();
                                    query.push(format!("{name}={}", url_escape(&v)));
                                }
                                _ => {}
                            }
                        }
                        // Path parameters the document did not declare.
                        while let (Some(a), Some(b)) = (url.find('{'), url.find('}')) {
                            let v = path_value(&mut rng, &ids);
                            url.replace_range(a..=b, &v);
                        }
                        if !query.is_empty() {
                            url = format!("{url}?{}", query.join("&"));
                        }
                        let mut req = app.client.request(m.clone(), app.url(&url)).bearer_auth(&token);
                        let shown_body;
                        if m != reqwest::Method::GET {
                            if rng.chance(15) {
                                let raw = malformed(&mut rng);
                                shown_body = format!("<{} malformed bytes>", raw.len());
                                req = req.header("content-type", "application/json").body(raw);
                            } else if body_schema.is_null() && rng.chance(50) {
                                // An upload or a bodiless command: random bytes.
                                let raw: Vec<u8> = (0..rng.below(2048)).map(|_| rng.next() as u8).collect();
                                shown_body = format!("<{} random bytes>", raw.len());
                                req = req.header("content-type", "application/octet-stream").body(raw);
                            } else {
                                let body = generate(&doc, &body_schema, &mut rng, &ids, 0);
                                shown_body = body.to_string().chars().take(300).collect();
                                req = req.json(&body);
                            }
                        } else {
                            shown_body = String::new();
                        }
                        let shown_url: String = url.chars().take(200).collect();
                        // A server may answer before it has read a large body and close the
                        // connection while the client still writes; the same request again on
                        // a fresh connection tells that apart from a server that failed.
                        let retry = req.try_clone();
                        let r = match req.send().await {
                            Ok(r) => r,
                            Err(first) => match retry {
                                Some(again) => match again.header("connection", "close").send().await {
                                    Ok(r) => r,
                                    Err(e) => panic!("{role} {m} {shown_url}: {first}; again: {}", e.to_string().chars().take(200).collect::<String>()),
                                },
                                None => panic!("{role} {m} {shown_url}: {}", first.to_string().chars().take(200).collect::<String>()),
                            },
                        };
                        let status = r.status().as_u16();
                        let text = r.text().await.unwrap_or_default();
                        sent += 1;
                        if status >= 500 {
                            failures.push(format!("{role} {m} {shown_url} {shown_body} → {status} {}", text.chars().take(300).collect::<String>()));
                        } else if status >= 400 {
                            let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                            if body["message"].as_str().is_none_or(str::is_empty) {
                                failures.push(format!("{role} {m} {shown_url} {shown_body} → {status} without the JSON error body: {}", text.chars().take(200).collect::<String>()));
                            }
                        }
                        if status == 401 {
                            // A fuzzed password change or role change may end the session.
                            token = app.token(role).await;
                        }
                    }
                }
            }
        }
        println!("fuzz: {sent} requests over {} paths, {} failed", paths.len(), failures.len());
        assert!(sent > 1000, "only {sent} requests");
        assert!(failures.is_empty(), "{} of {sent} requests failed:\n{}", failures.len(), failures.join("\n"));
    }
}
