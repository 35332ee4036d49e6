//! Search (`searchPetitions`) and repeat candidates (`findSimilarPetitions`) on both backends:
//! every query form, the filters, paging, highlights, the dictionary and reindexing, visibility
//! inside the query, bad input, and recall over generated matters.

use std::collections::{BTreeSet, HashSet};

use chrono::NaiveDate;
use serde_json::{Value, json};
use xinfang::cli::generate::{Generator, GeneratorConfig};
use xinfang_app::clock::from_local;
use xinfang_app::search::SearchInput;

use crate::backend_tests;
use crate::harness::TestApp;
use crate::visibility::acting;

/// A valid resident ID number for a birth date and sequence (GB 11643 check character).
fn id_number(birth: &str, seq: &str) -> String {
    let first = format!("652302{birth}{seq}");
    let c = xinfang_domain::resident_id::check_char(&first).unwrap();
    format!("{first}{c}")
}

async fn visit(app: &TestApp, t: &str, overrides: Value) -> (String, String) {
    let v = app.register_visit(t, overrides).await;
    (
        v["id"].as_str().unwrap().to_string(),
        v["petition_no"].as_str().unwrap().to_string(),
    )
}

fn person(name: &str, id: &str, phone: &str, address: &str) -> Value {
    json!([{
        "name": name, "id_type": "resident_id", "id_number": id, "ethnicity": "01",
        "address": address, "phone": phone, "occupation": "农民", "is_representative": false
    }])
}

async fn search(app: &TestApp, t: &str, body: Value) -> (u16, Value) {
    app.post(t, "/api/v1/search", &body).await
}

/// The ids a query finds, checking that the total agrees with the rows (all on one page).
async fn found(app: &TestApp, t: &str, q: &str) -> BTreeSet<String> {
    let (s, v) = search(app, t, json!({"q": q, "limit": 100})).await;
    assert_eq!(s, 200, "{q}: {v}");
    assert_eq!(
        v["total"].as_u64().unwrap() as usize,
        v["items"].as_array().unwrap().len(),
        "{q}: {v}"
    );
    assert_eq!(v["total_exact"], true);
    ids(&v)
}

fn ids(v: &Value) -> BTreeSet<String> {
    v["items"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

/// Three petitions of different people and matters, one of them with an interview.
async fn three(app: &TestApp) -> [(String, String); 3] {
    let t = app.token("receptionist").await;
    let wages = visit(
        app,
        &t,
        json!({"summary": "反映包工头拖欠农民工工资三万元。", "requests": "要求支付工资。"}),
    )
    .await;
    let fees = visit(
        app,
        &t,
        json!({
            "petitioners": person("李四", &id_number("19700101", "123"), "13800001111", "阜康市城关镇幸福小区2号楼"),
            "summary": "反映物业公司乱收物业费，小区电梯长期停运。",
            "requests": "要求退还多收的物业费，修好电梯。",
            "purpose": "02", "category": "060102", "petition_class": "suggestion"
        }),
    )
    .await;
    let land = visit(
        app,
        &t,
        json!({
            "petitioners": person("王五", &id_number("19650505", "221"), "13700002222", "阜康市甘河子镇红旗村5组"),
            "summary": "反映宅基地被邻居占用。",
            "requests": "要求确权。"
        }),
    )
    .await;
    // Words only in an interview record.
    let (s, v) = app
        .post(
            &t,
            &format!("/api/v1/petitions/{}/interviews", land.0),
            &json!({"facts_and_requests": "信访人称邻居修建猪圈时越过界桩两米。"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    [wages, fees, land]
}

backend_tests! {
    async fn every_query_form_finds_what_it_says(app) {
        let [wages, fees, land] = three(&app).await;
        let t = app.token("office").await;
        // A word in the summary, a word inside a longer word (农民 in 农民工), a word only in
        // the requests, a word only in an interview.
        assert_eq!(found(&app, &t, "农民工").await, set(&[&wages.0]));
        assert!(found(&app, &t, "农民").await.contains(&wages.0));
        assert_eq!(found(&app, &t, "电梯").await, set(&[&fees.0]));
        assert_eq!(found(&app, &t, "确权").await, set(&[&land.0]));
        assert_eq!(found(&app, &t, "猪圈").await, set(&[&land.0]));
        // Every word must match; an unsegmented phrase of two words is both.
        assert_eq!(found(&app, &t, "物业费 电梯").await, set(&[&fees.0]));
        assert_eq!(found(&app, &t, "物业费 宅基地").await, BTreeSet::new());
        assert_eq!(found(&app, &t, "拖欠工资").await, set(&[&wages.0]), "拖欠 and 工资 both occur, apart");
        // "Quoted phrases" must occur as written.
        assert_eq!(found(&app, &t, "\"乱收物业费\"").await, set(&[&fees.0]));
        assert_eq!(found(&app, &t, "\"物业费乱收\"").await, BTreeSet::new());
        // -exclusion.
        assert_eq!(found(&app, &t, "要求 -物业费 -宅基地").await, set(&[&wages.0]));
        // Names, ID numbers, phones, addresses; a misspelt name by its sound.
        assert_eq!(found(&app, &t, "李四").await, set(&[&fees.0]));
        assert_eq!(found(&app, &t, "13700002222").await, set(&[&land.0]));
        assert_eq!(found(&app, &t, &id_number("19700101", "123")).await, set(&[&fees.0]));
        assert_eq!(found(&app, &t, "红旗村").await, set(&[&land.0]));
        // The petition number, with or without its dashes.
        assert_eq!(found(&app, &t, &fees.1).await, set(&[&fees.0]));
        assert_eq!(found(&app, &t, &fees.1.replace('-', "")).await, set(&[&fees.0]));
        // Nothing for a word nobody wrote; punctuation alone finds nothing rather than all.
        assert_eq!(found(&app, &t, "拆迁安置").await, BTreeSet::new());
        assert_eq!(found(&app, &t, "，。").await, BTreeSet::new());
        // Highlights: the matched words marked, the text escaped, numbers masked.
        let (_, v) = search(&app, &t, json!({"q": "电梯"})).await;
        let snippet = v["items"][0]["snippet"].as_str().unwrap();
        assert!(snippet.contains("<mark>电梯</mark>"), "{snippet}");
        let (_, v) = search(&app, &t, json!({"q": "13700002222"})).await;
        let snippet = v["items"][0]["snippet"].as_str().unwrap();
        assert!(!snippet.contains("13700002222"), "a phone in a snippet is masked: {snippet}");
    }

    async fn filters_sorting_and_keyset_paging(app) {
        let t = app.token("receptionist").await;
        let mut all = Vec::new();
        for day in 1..=7u32 {
            app.clock.set(from_local(NaiveDate::from_ymd_opt(2026, 11, 20 + day).unwrap().and_hms_opt(10, 0, 0).unwrap()));
            let (id, _) = visit(&app, &t, json!({
                "visited_at": format!("2026-11-{:02}T09:30", 20 + day),
                "summary": format!("反映拖欠工资问题，第{day}次。"),
                "requests": if day % 2 == 0 { "要求支付工资。" } else { "要求支付工资和加班费。" },
                "collective": day == 3, "visitor_count": if day == 3 { 6 } else { 1 },
                "confidential": day == 5,
            })).await;
            all.push(id);
        }
        let office = app.token("office").await;
        let director = app.token("director").await;
        // Date order: newest first, keyset pages of 2 give every row once, in order.
        let mut seen = Vec::new();
        let mut cursor = Value::Null;
        loop {
            let (s, v) = search(&app, &director, json!({"q": "工资", "sort": "date", "limit": 2, "cursor": cursor})).await;
            assert_eq!(s, 200, "{v}");
            assert_eq!(v["total"], 7);
            seen.extend(v["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()));
            cursor = v["next_cursor"].clone();
            if cursor.is_null() {
                break;
            }
        }
        let newest_first: Vec<String> = all.iter().rev().cloned().collect();
        assert_eq!(seen, newest_first);
        // Relevance order pages the same rows, each once.
        let mut by_rank = HashSet::new();
        let mut cursor = Value::Null;
        loop {
            let (_, v) = search(&app, &director, json!({"q": "工资", "limit": 3, "cursor": cursor})).await;
            for i in v["items"].as_array().unwrap() {
                assert!(by_rank.insert(i["id"].as_str().unwrap().to_string()), "a row twice: {v}");
            }
            cursor = v["next_cursor"].clone();
            if cursor.is_null() {
                break;
            }
        }
        assert_eq!(by_rank.len(), 7);
        // The filters.
        let count = |body: Value| {
            let app = &app;
            let office = office.clone();
            async move {
                let (s, v) = search(app, &office, body.clone()).await;
                assert_eq!(s, 200, "{body}: {v}");
                v["total"].as_u64().unwrap()
            }
        };
        assert_eq!(count(json!({"q": "加班费"})).await, 3, "four hold it; the confidential one is not the office's");
        assert_eq!(count(json!({"q": "工资", "registered_from": "2026-11-23", "registered_to": "2026-11-25"})).await, 2, "days 3, 4 (5 is confidential)");
        assert_eq!(count(json!({"collective": true})).await, 1);
        assert_eq!(count(json!({"q": "工资", "stage": "registered", "channel": "visit"})).await, 6);
        assert_eq!(count(json!({"q": "工资", "channel": "letter"})).await, 0);
        assert_eq!(count(json!({"purpose": "01", "category": "060101"})).await, 6, "the confidential row is not reached by its details");
        assert_eq!(count(json!({"stage": "registered"})).await, 7, "but listed by its stage");
        assert_eq!(count(json!({"confidential": true})).await, 1, "listed by its number");
        assert_eq!(count(json!({"q": "工资", "confidential": true})).await, 0, "but not found by its words");
        let (_, v) = search(&app, &director, json!({"q": "工资", "confidential": true})).await;
        assert_eq!(v["total"], 1, "the director finds it by its words");
        assert_eq!(count(json!({"repeat": true})).await, 0);
    }

    async fn bad_input_names_its_field_and_finds_nothing(app) {
        three(&app).await;
        let t = app.token("office").await;
        for (body, field, code) in [
            (json!({"q": "-物业费"}), "q", "nothing_to_find"),
            (json!({"q": "工资", "stage": "nowhere"}), "stage", "unknown_state"),
            (json!({"channel": "fax"}), "channel", "unknown_channel"),
            (json!({"registered_from": "2026-02-30"}), "registered_from", "invalid_date"),
            (json!({"registered_from": "2026-11-30", "registered_to": "2026-11-01"}), "registered_to", "date_range"),
            (json!({"category": "999999"}), "category", "unknown_code"),
            (json!({"sort": "size"}), "sort", "unknown_sort"),
            (json!({"limit": 0}), "limit", "out_of_range"),
            (json!({"cursor": "zz"}), "cursor", "invalid_cursor"),
        ] {
            let (s, v) = search(&app, &t, body.clone()).await;
            assert_eq!(s, 422, "{body}: {v}");
            assert_eq!((v["field"].as_str(), v["code"].as_str()), (Some(field), Some(code)), "{body}: {v}");
            assert!(!v["message"].as_str().unwrap().is_empty());
        }
        let admin = app.token("admin").await;
        let (s, _) = search(&app, &admin, json!({"q": "工资"})).await;
        assert_eq!(s, 403, "the system administrator reads no petition");
    }

    async fn a_unit_and_a_recused_officer_never_find_the_accuser(app) {
        let t = app.token("receptionist").await;
        let zhujian = app.unit_id("zhujian").await;
        let (id, no) = visit(&app, &t, json!({
            "accused_unit_id": zhujian, "petition_class": "accusation", "purpose": "04",
            "summary": "检举住建局某科长在审批中索要好处费。", "requests": "要求查处。"
        })).await;
        let (s, v) = app.post(&t, &format!("/api/v1/petitions/{id}/interviews"), &json!({"facts_and_requests": "张三称当面交付现金两万元。"})).await;
        assert_eq!(s, 201, "{v}");
        let (s, v) = app.post(&t, &format!("/api/v1/petitions/{id}/decision"), &json!({"acceptance": "referred_to_department", "target_unit_id": zhujian})).await;
        assert_eq!(s, 200, "{v}");
        let h = app.token("zhujian_handler").await;
        // The accused unit: by the matter yes, by the accuser's name, ID, phone, address or
        // what the accuser said in the interview never, and its totals say so.
        let (_, v) = search(&app, &h, json!({"q": "好处费"})).await;
        assert_eq!(ids(&v), set(&[&id]), "{v}");
        let text = v.to_string();
        for m in ["张三", "11010519491231002X", "13912345678", "东风村"] {
            assert!(!text.contains(m), "the unit sees {m}: {text}");
        }
        for q in ["张三", "11010519491231002X", "13912345678", "东风村", "现金", "张叁"] {
            let (s, v) = search(&app, &h, json!({"q": q})).await;
            assert_eq!(s, 200);
            assert_eq!((v["total"].as_u64(), ids(&v).len()), (Some(0), 0), "{q}: {v}");
            let (_, v) = search(&app, &h, json!({"q": format!("{q} 好处费")})).await;
            assert_eq!(v["total"], 0, "{q} with a matter word: {v}");
        }
        // Another unit finds nothing of it at all.
        let other = app.token("chengguan_head").await;
        let (_, v) = search(&app, &other, json!({"q": "好处费"})).await;
        assert_eq!(v["total"], 0, "{v}");
        // The receptionist who registered it (an accusation is kept confidential, so only the
        // staff assigned to it find it by its words) finds it by the name, then declares a
        // recusal: by nothing any more, not even its number.
        let co = t.clone();
        let (_, v) = search(&app, &co, json!({"q": "张三"})).await;
        assert!(ids(&v).contains(&id), "{v}");
        let (s, _) = app.post(&co, "/api/v1/recusals", &json!({"petition_id": id, "reason": "信访人系本人邻居"})).await;
        assert_eq!(s, 201);
        for q in ["张三", "好处费", no.as_str()] {
            let (_, v) = search(&app, &co, json!({"q": q})).await;
            assert_eq!(v["total"], 0, "{q}: {v}");
        }
        let (_, v) = search(&app, &co, json!({})).await;
        assert!(!ids(&v).contains(&id));
        let (_, v) = app.post(&co, "/api/v1/petitions/similar", &json!({"id_number": "11010519491231002X"})).await;
        assert_eq!(v.as_array().unwrap().len(), 0, "{v}");
    }

    async fn a_confidential_petition_is_found_by_its_number_only(app) {
        let t = app.token("receptionist").await;
        let (id, no) = visit(&app, &t, json!({"confidential": true, "summary": "反映某领导违规收受礼金。"})).await;
        let co = app.token("case_officer").await;
        let (_, v) = search(&app, &co, json!({"q": "礼金"})).await;
        assert_eq!(v["total"], 0, "{v}");
        let (_, v) = search(&app, &co, json!({"q": "张三"})).await;
        assert_eq!(v["total"], 0, "{v}");
        let (_, v) = search(&app, &co, json!({"q": no})).await;
        assert_eq!(ids(&v), set(&[&id]), "{v}");
        assert_eq!(v["items"][0]["snippet"], "");
        assert!(!v.to_string().contains("礼金"), "{v}");
        // Who registered it, and the leaders, find it by its words.
        for who in [&t, &app.token("director").await] {
            let (_, v) = search(&app, who, json!({"q": "礼金"})).await;
            assert_eq!(ids(&v), set(&[&id]), "{v}");
        }
    }

    async fn a_new_word_rebuilds_the_index(app) {
        let t = app.token("receptionist").await;
        let (id, _) = visit(&app, &t, json!({"summary": "反映城关二小门口占道经营。"})).await;
        let admin = app.token("admin").await;
        let (s, before) = app.get(&admin, "/api/v1/search/words").await;
        assert_eq!(s, 200, "{before}");
        assert_eq!(before["stale"], 0, "every write indexed its petition: {before}");
        let (s, v) = app.post(&admin, "/api/v1/search/words", &json!({"word": "城关二小"})).await;
        assert_eq!(s, 201, "{v}");
        let (s, v) = app.post(&admin, "/api/v1/search/words", &json!({"word": "城关二小"})).await;
        assert_eq!((s, v["code"].as_str()), (422, Some("duplicate")));
        let (s, v) = app.post(&admin, "/api/v1/search/words", &json!({"word": "占 道"})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("word")));
        let (_, after) = app.get(&admin, "/api/v1/search/words").await;
        assert_ne!(after["version"], before["version"]);
        assert_eq!(after["words"][0]["word"], "城关二小");
        let n = app.count("petitions").await;
        assert_eq!(after["stale"], n, "every document was cut with the old dictionary: {after}");
        let done = xinfang_app::search::reindex(&app.state, false, &|_, _| {}).await.unwrap();
        assert_eq!(done as i64, n);
        let (_, rebuilt) = app.get(&admin, "/api/v1/search/words").await;
        assert_eq!(rebuilt["stale"], 0);
        // `xinfang reindex` without --stale rebuilds every document, each once.
        let all = xinfang_app::search::reindex(&app.state, true, &|_, _| {}).await.unwrap();
        assert_eq!(all as i64, n);
        let office = app.token("office").await;
        let (_, v) = search(&app, &office, json!({"q": "城关二小"})).await;
        assert_eq!(ids(&v), set(&[&id]), "{v}");
        // The new word is one token now: the index holds it whole.
        assert!(app.state.index.segmenter().index_tokens("城关二小门口").contains(&"城关二小".to_string()));
        let office_user = acting(&app, "office").await;
        assert!(xinfang_app::search::add_word(&app.state, &office_user, "某词").await.is_err(), "configuration is the administrator's");
    }

    async fn repeat_candidates_at_intake(app) {
        let t = app.token("receptionist").await;
        let (first, _) = visit(&app, &t, json!({})).await;
        let (other, _) = visit(&app, &t, json!({
            "petitioners": person("赵六", &id_number("19800808", "331"), "13600003333", "阜康市滋泥泉子镇"),
            "summary": "反映某建筑公司拖欠工资三万元至今未付，多次讨要无果。",
            "requests": "要求支付拖欠的工资。"
        })).await;
        let similar = |body: Value| {
            let app = &app;
            let t = t.clone();
            async move {
                let (s, v) = app.post(&t, "/api/v1/petitions/similar", &body).await;
                assert_eq!(s, 200, "{body}: {v}");
                v.as_array().unwrap().clone()
            }
        };
        let reasons = |c: &Value| c["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()).collect::<Vec<_>>();
        // The same ID number.
        let c = similar(json!({"id_number": "11010519491231002X"})).await;
        assert_eq!(c[0]["petition"]["id"], first.as_str());
        assert!(reasons(&c[0]).contains(&"证件号码相同".to_string()), "{c:?}");
        assert_eq!(c[0]["same_person"], true);
        assert_eq!(c[0]["final"], false);
        // The same phone.
        let c = similar(json!({"phone": "13912345678"})).await;
        assert_eq!(c[0]["petition"]["id"], first.as_str(), "{c:?}");
        // A misspelt name with the same address: by its sound.
        let c = similar(json!({"name": "张叁", "address": "阜康市城关镇东风村3组12号"})).await;
        assert_eq!(c[0]["petition"]["id"], first.as_str(), "{c:?}");
        let r = reasons(&c[0]);
        assert!(r.contains(&"姓名读音相同".to_string()) && r.contains(&"住址相同".to_string()), "{r:?}");
        assert_eq!(c[0]["same_person"], true);
        // Another person, the same matter: similar by its words.
        let c = similar(json!({"name": "孙七", "matter": "反映某建筑公司拖欠工资三万元至今未付，要求支付拖欠的工资。"})).await;
        let found: HashSet<&str> = c.iter().map(|x| x["petition"]["id"].as_str().unwrap()).collect();
        assert!(found.contains(first.as_str()) && found.contains(other.as_str()), "{c:?}");
        assert!(c.iter().all(|x| reasons(x).iter().any(|r| r.starts_with("事项相似"))), "{c:?}");
        assert!(c.iter().all(|x| x["same_person"] == false), "{c:?}");
        // Registered in the same week by different people: perhaps one joint petition.
        assert!(c.iter().all(|x| x["suggest_joint"] == true), "{c:?}");
        let c = similar(json!({"id_number": "11010519491231002X"})).await;
        assert_eq!(c[0]["suggest_joint"], false, "the same person is a repeat, not a joint petition");
        // Nothing for an unrelated matter; and the lookup leaves its own petition out.
        assert!(similar(json!({"matter": "反映小区噪音扰民严重影响休息。"})).await.is_empty());
        assert!(similar(json!({"id_number": "11010519491231002X", "exclude_id": first})).await.is_empty());
        // Units do not look up petitioners.
        let h = app.token("zhujian_handler").await;
        let (s, _) = app.post(&h, "/api/v1/petitions/similar", &json!({"id_number": "11010519491231002X"})).await;
        assert_eq!(s, 403);
        let (s, v) = app.post(&t, "/api/v1/petitions/similar", &json!({"window_days": 0})).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("window_days")));
    }

    async fn every_petition_with_a_word_of_its_matter_is_found(app) {
        // Generated petitions (the demo generator's matter templates) registered through the
        // use case; for each word of the matters' dictionary, the search finds exactly the
        // petitions whose text holds it.
        let user = acting(&app, "receptionist").await;
        let mut g = Generator::new(GeneratorConfig {
            seed: 17,
            bureau_region: app.state.bureau.region_code.clone(),
            township_names: vec!["城关镇".into(), "甘河子镇".into()],
        });
        let at = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap().and_hms_opt(10, 0, 0).unwrap();
        app.clock.set(from_local(at));
        let mut texts = Vec::new();
        for _ in 0..120 {
            let input = g.visit(at);
            let v = xinfang_app::intake::register(&app.state, &user, &input).await.unwrap();
            let people: Vec<String> = input.petitioners.iter().map(|p| format!("{} {}", p.name, p.address)).collect();
            texts.push((v.id.clone(), format!("{}\n{}\n{}", input.summary, input.requests, input.proposal), people.join("\n")));
        }
        let director = acting(&app, "director").await;
        let words = [
            "工资", "拖欠", "农民工", "农民", "包工头", "物业费", "物业", "噪音", "油烟", "污染", "低保", "宅基地", "征地",
            "补偿", "拆迁", "安置", "养老", "学费", "村委会", "村务", "医疗", "承包", "违建", "小区", "要求", "反映",
        ];
        let mut checked = 0;
        for w in words {
            let expected: BTreeSet<String> = texts.iter().filter(|(_, t, _)| t.contains(w)).map(|(id, _, _)| id.clone()).collect();
            // Nothing else: a row found holds the word in its matter or its petitioners' details.
            let possible: BTreeSet<String> = texts.iter().filter(|(_, t, p)| t.contains(w) || p.contains(w)).map(|(id, _, _)| id.clone()).collect();
            let mut found = BTreeSet::new();
            let mut cursor = None;
            loop {
                let page = xinfang_app::search::search(&app.state, &director, &SearchInput {
                    q: w.into(), limit: Some(100), cursor: cursor.clone(), ..Default::default()
                }).await.unwrap();
                found.extend(page.rows.iter().map(|r| r.record.id.clone()));
                cursor = page.next_cursor;
                if cursor.is_none() { break; }
            }
            let missed: Vec<_> = expected.difference(&found).collect();
            assert!(missed.is_empty(), "{w}: {} of {} missed", missed.len(), expected.len());
            let extra: Vec<_> = found.difference(&possible).collect();
            assert!(extra.is_empty(), "{w}: {} found without the word", extra.len());
            if !expected.is_empty() {
                checked += 1;
            }
        }
        assert!(checked >= 15, "the generated matters hold most of the words: {checked}");
    }

    async fn relevance_widens_its_candidates_while_filters_drop_them(app) {
        // Four candidates at first (a page of 2 ranks 12): the three collective visits are
        // neither among the newest twelve matches nor among the first twelve stored.
        app.state.store.set_search_candidates(4);
        let t = app.token("receptionist").await;
        let mut collective = BTreeSet::new();
        for i in 0..30 {
            let c = (12..15).contains(&i);
            let (id, _) = visit(&app, &t, json!({
                "summary": format!("反映拖欠工资问题，第{i}次。"), "requests": "要求支付工资。",
                "collective": c, "visitor_count": if c { 6 } else { 1 },
            })).await;
            if c {
                collective.insert(id);
            }
        }
        let director = app.token("director").await;
        let mut seen = Vec::new();
        let mut cursor = Value::Null;
        loop {
            let (s, v) = search(&app, &director, json!({"q": "工资", "collective": true, "limit": 2, "cursor": cursor})).await;
            assert_eq!(s, 200, "{v}");
            assert_eq!(v["total"], 3, "{v}");
            seen.extend(ids(&v));
            cursor = v["next_cursor"].clone();
            if cursor.is_null() {
                break;
            }
        }
        assert_eq!(seen.len(), 3, "each once: {seen:?}");
        assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), collective);
        // Without a filter the first page is full at once and the total counts every match.
        let (_, v) = search(&app, &director, json!({"q": "工资", "limit": 5})).await;
        assert_eq!((v["total"].as_u64(), ids(&v).len()), (Some(30), 5), "{v}");
        let office = app.token("office").await;
        let (_, v) = search(&app, &office, json!({"q": "工资 -加班费", "limit": 5})).await;
        assert_eq!((v["total"].as_u64(), ids(&v).len()), (Some(30), 5), "{v}");
    }

    async fn a_rebuild_counts_the_words_the_repeat_lookup_picks_from(app) {
        let t = app.token("receptionist").await;
        let (target, _) = visit(&app, &t, json!({
            "petitioners": person("赵六", &id_number("19800808", "331"), "13600003333", "阜康市滋泥泉子镇"),
            "summary": "反映某建筑公司拖欠钢筋工工资三万元至今未付，多次讨要无果。",
            "requests": "要求支付拖欠的工资。"
        })).await;
        for (i, matter) in ["物业公司", "超市", "饭店", "物流公司", "驾校"].iter().enumerate() {
            visit(&app, &t, json!({
                "summary": format!("反映{matter}拖欠员工工资，第{i}批。"), "requests": "要求支付工资。"
            })).await;
        }
        let n = xinfang_app::search::reindex(&app.state, true, &|_, _| {}).await.unwrap();
        assert_eq!(n as i64, app.count("petitions").await);
        // The words of 钢筋工 as the index cuts them: only the target holds them.
        let rare: Vec<String> = app.state.index.segmenter().token_set("钢筋工").into_iter().collect();
        assert!(!rare.is_empty());
        let mut asked = rare.clone();
        asked.extend(["工资".to_string(), "火星".to_string()]);
        let counts = app.state.store.search_term_counts(&app.state.bureau.id, &asked).await.unwrap();
        assert_eq!(counts.get("工资"), Some(&6), "{counts:?}");
        for w in &rare {
            assert_eq!(counts.get(w), Some(&1), "{w}: {counts:?}");
        }
        assert_eq!(counts.get("火星"), None, "{counts:?}");
        // Another person, the same matter: found by its rare words, scored by the token sets
        // stored with the index.
        let (s, v) = app.post(&t, "/api/v1/petitions/similar", &json!({
            "name": "孙七", "matter": "反映某建筑公司拖欠钢筋工工资三万元至今未付，要求支付拖欠的工资。"
        })).await;
        assert_eq!(s, 200, "{v}");
        let c = v.as_array().unwrap();
        assert_eq!(c[0]["petition"]["id"], target.as_str(), "{v}");
        assert!(c[0]["reasons"].as_array().unwrap().iter().any(|r| r.as_str().unwrap().starts_with("事项相似")), "{v}");
        assert!(c.iter().all(|x| x["petition"]["id"] == target.as_str()), "the other wage matters are not the same matter: {v}");
    }
}
