//! The bureau's old registers (台账, issue 21): a table of past petitions, one a row, whose
//! columns are mapped onto our registration fields, each row checked like a registration at
//! the window. Errors name the row (as the spreadsheet numbers it) and the column.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::registration::{PetitionerInput, Registration, RegistrationInput, parse_registration};

/// The fields a column can fill: name, Chinese label, the headers recognised by default, and
/// whether the field must be mapped.
pub const FIELDS: &[(&str, &str, &[&str], bool)] = &[
    (
        "visited_at",
        "来访（来信）时间",
        &["来访时间", "来信时间", "登记日期", "信访日期", "日期"],
        true,
    ),
    ("channel", "信访形式", &["信访形式", "形式"], false),
    ("name", "姓名", &["姓名", "信访人", "来访人"], false),
    (
        "id_number",
        "证件号码",
        &["身份证号", "身份证号码", "证件号码"],
        false,
    ),
    ("phone", "联系电话", &["联系电话", "电话"], false),
    ("address", "住址", &["住址", "地址"], false),
    ("visitor_count", "信访人数", &["人数", "信访人数"], false),
    (
        "issue_region",
        "问题属地",
        &["问题属地", "事发地", "区划代码"],
        false,
    ),
    (
        "township",
        "乡镇（街道）",
        &["乡镇", "乡镇（街道）", "街道"],
        true,
    ),
    (
        "summary",
        "反映问题",
        &["反映问题", "主要问题", "内容", "事由"],
        true,
    ),
    ("requests", "诉求", &["诉求", "要求"], false),
    ("purpose", "信访目的代码", &["信访目的"], false),
    ("category", "内容分类代码", &["内容分类"], false),
    ("old_no", "原编号", &["原编号", "编号", "登记编号"], false),
];

/// Which column (0-based) fills which field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMapping {
    pub columns: HashMap<String, usize>,
}

fn label(field: &str) -> &'static str {
    FIELDS
        .iter()
        .find(|f| f.0 == field)
        .map(|f| f.1)
        .unwrap_or("")
}

/// The mapping step: each field to the column the bureau names for it (`explicit`: field →
/// header), else to the column whose header is one of the field's default headers. Refused when
/// a named header is missing, a field is unknown, or a required field has no column.
pub fn map_columns(
    headers: &[String],
    explicit: &HashMap<String, String>,
) -> Result<ColumnMapping, Vec<FieldError>> {
    let mut errors = Vec::new();
    let find = |h: &str| {
        headers
            .iter()
            .position(|x| x.trim().trim_start_matches('\u{feff}') == h.trim())
    };
    let mut columns = HashMap::new();
    for (field, header) in explicit {
        if !FIELDS.iter().any(|f| f.0 == field) {
            errors.push(FieldError::new(
                format!("mapping.{field}"),
                "unknown_field",
                format!("「{field}」不是可导入的字段"),
            ));
            continue;
        }
        match find(header) {
            Some(i) => {
                columns.insert(field.clone(), i);
            }
            None => errors.push(FieldError::new(
                format!("mapping.{field}"),
                "unknown_column",
                format!("文件中没有「{header}」列（{}）", label(field)),
            )),
        }
    }
    for (field, zh, defaults, required) in FIELDS {
        if columns.contains_key(*field) || explicit.contains_key(*field) {
            continue;
        }
        if let Some(i) = defaults.iter().find_map(|h| find(h)) {
            columns.insert(field.to_string(), i);
        } else if *required {
            errors.push(FieldError::new(
                format!("mapping.{field}"),
                "missing_column",
                format!("请指定「{zh}」对应的列"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(ColumnMapping { columns })
    } else {
        Err(errors)
    }
}

/// A row read: the registration, the township's name when it named no code (the caller finds
/// the unit), and the old register's own number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    pub registration: Registration,
    pub township_name: Option<String>,
    pub old_no: Option<String>,
}

/// Row `line` as the spreadsheet numbers it (the header is line 1).
pub fn row_error(line: usize, field: &str, code: &'static str, message: &str) -> FieldError {
    FieldError::new(
        format!("rows[{line}].{field}"),
        code,
        format!("第 {line} 行 {}（{field}）：{message}", label(field)),
    )
}

fn channel_code(v: &str) -> &str {
    match v.trim() {
        "" | "来访" | "走访" | "visit" => "visit",
        "来信" | "信件" | "letter" => "letter",
        "网上信访" | "网信" | "网上" | "online" => "online",
        "电话" | "phone" => "phone",
        other => other,
    }
}

fn field_of(registration_field: &str) -> &'static str {
    match registration_field {
        "visited_at" => "visited_at",
        "channel" => "channel",
        "visitor_count" | "people_involved" => "visitor_count",
        "issue_region" => "issue_region",
        "township" => "township",
        "summary" => "summary",
        "requests" => "requests",
        "purpose" => "purpose",
        "category" => "category",
        "petitioners" => "name",
        f if f.ends_with(".id_number") || f.ends_with(".id_type") => "id_number",
        f if f.ends_with(".phone") => "phone",
        f if f.ends_with(".address") => "address",
        _ => "name",
    }
}

/// Checks row `line` (cells in file order) under `mapping` at `now` (China Standard Time): a
/// visit unless the row says otherwise, its one petitioner (or anonymous without a name), the
/// rest as the window checks it. A row naming its township by name and no county takes
/// `default_region` (the bureau's).
pub fn parse_row(
    cells: &[String],
    mapping: &ColumnMapping,
    line: usize,
    now: NaiveDateTime,
    default_region: &str,
) -> Result<LedgerRow, Vec<FieldError>> {
    let cell = |f: &str| {
        mapping
            .columns
            .get(f)
            .and_then(|i| cells.get(*i))
            .map(|s| s.trim())
            .unwrap_or("")
    };
    let mut errors = Vec::new();
    let visited = crate::exchange::parse_national_datetime(cell("visited_at"));
    match visited {
        None => errors.push(row_error(
            line,
            "visited_at",
            "invalid_datetime",
            &format!(
                "日期「{}」无效，格式应为 2026-11-27 或 2026-11-27 09:30",
                cell("visited_at")
            ),
        )),
        Some(t) if t > now + chrono::Duration::minutes(5) => errors.push(row_error(
            line,
            "visited_at",
            "future_datetime",
            "日期晚于当前时间",
        )),
        Some(_) => {}
    }
    let visitor_count = match cell("visitor_count") {
        "" => None,
        v => match v.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push(row_error(
                    line,
                    "visitor_count",
                    "invalid_number",
                    &format!("应为整数，收到「{v}」"),
                ));
                None
            }
        },
    };
    let name = cell("name");
    let township = cell("township");
    let is_code = !township.is_empty() && township.bytes().all(|b| b.is_ascii_digit());
    let issue_region = match cell("issue_region") {
        "" if is_code => township.get(..6).unwrap_or("").to_string(),
        "" => default_region.to_string(),
        r => r.to_string(),
    };
    let input = RegistrationInput {
        channel: channel_code(cell("channel")).into(),
        visited_at: visited
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
            .unwrap_or_default(),
        petitioners: if name.is_empty() {
            Vec::new()
        } else {
            vec![PetitionerInput {
                name: name.into(),
                id_number: cell("id_number").into(),
                phone: cell("phone").into(),
                address: cell("address").into(),
                ..Default::default()
            }]
        },
        anonymous: name.is_empty(),
        visitor_count,
        issue_region,
        summary: cell("summary").into(),
        requests: cell("requests").into(),
        purpose: cell("purpose").into(),
        category: cell("category").into(),
        township: if is_code || township.is_empty() {
            township.into()
        } else {
            "by-name".into()
        },
        ..Default::default()
    };
    match parse_registration(&input, now) {
        Ok(mut registration) if errors.is_empty() => Ok(LedgerRow {
            registration: {
                crate::exchange::ages_at_visit(&mut registration);
                registration
            },
            township_name: (!is_code && !township.is_empty()).then(|| township.to_string()),
            old_no: Some(cell("old_no").to_string()).filter(|s| !s.is_empty()),
        }),
        Ok(_) => Err(errors),
        Err(es) => {
            for e in es {
                let f = field_of(e.field.as_deref().unwrap_or(""));
                let path = format!("rows[{line}].{f}");
                if !errors
                    .iter()
                    .any(|x| x.field.as_deref() == Some(path.as_str()))
                {
                    errors.push(row_error(line, f, e.code, &e.message));
                }
            }
            Err(errors)
        }
    }
}

/// Rows of one batch whose petitioner's ID number occurs earlier — in the bureau (`known`: ID
/// number → an earlier petition) or earlier in the batch — as `(row index, earlier)`, where
/// `earlier` is `Ok(petition id)` or `Err(row index in the batch)`: repeat detection set-wise
/// over a batch, one lookup for all its numbers.
pub fn repeats_in_batch(
    ids: &[Option<String>],
    known: &HashMap<String, String>,
) -> Vec<(usize, Result<String, usize>)> {
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut out = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let Some(n) = id.as_deref() else { continue };
        if let Some(p) = known.get(n) {
            out.push((i, Ok(p.clone())));
        } else if let Some(j) = first.get(n) {
            out.push((i, Err(*j)));
        } else {
            first.insert(n, i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now() -> NaiveDateTime {
        "2026-11-27T10:00:00".parse().unwrap()
    }

    fn headers() -> Vec<String> {
        ["登记日期", "姓名", "身份证号", "电话", "乡镇", "反映问题"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn columns_map_by_default_headers_or_by_name() {
        let m = map_columns(&headers(), &HashMap::new()).unwrap();
        assert_eq!(m.columns["visited_at"], 0);
        assert_eq!(m.columns["summary"], 5);
        let e = map_columns(&headers()[..2], &HashMap::new()).unwrap_err();
        assert!(
            e.iter()
                .any(|e| e.field.as_deref() == Some("mapping.summary"))
        );
        let explicit = HashMap::from([("summary".to_string(), "备注".to_string())]);
        let e = map_columns(&headers(), &explicit).unwrap_err();
        assert_eq!(e[0].code, "unknown_column");
    }

    #[test]
    fn a_row_is_checked_like_a_registration_and_named_by_its_line() {
        let m = map_columns(&headers(), &HashMap::new()).unwrap();
        let ok = parse_row(
            &row(&[
                "2019-03-02",
                "张三",
                "11010519491231002X",
                "13912345678",
                "652302100",
                "欠薪",
            ]),
            &m,
            2,
            now(),
            "652302",
        )
        .unwrap();
        assert_eq!(ok.registration.issue_region, "652302");
        let e = parse_row(
            &row(&[
                "2027-03-02",
                "张三",
                "110105194912310021",
                "13912345678",
                "652302100",
                "",
            ]),
            &m,
            7,
            now(),
            "652302",
        )
        .unwrap_err();
        let fields: Vec<_> = e.iter().filter_map(|e| e.field.clone()).collect();
        assert!(fields.contains(&"rows[7].visited_at".into()), "{fields:?}");
        assert!(fields.contains(&"rows[7].id_number".into()), "{fields:?}");
        assert!(fields.contains(&"rows[7].summary".into()), "{fields:?}");
        assert!(e[0].message.starts_with("第 7 行"));
    }

    #[test]
    fn repeats_are_found_against_the_bureau_and_within_the_batch() {
        let known = HashMap::from([("A".to_string(), "p1".to_string())]);
        let ids = vec![Some("B".into()), Some("A".into()), None, Some("B".into())];
        assert_eq!(
            repeats_in_batch(&ids, &known),
            vec![(1, Ok("p1".to_string())), (3, Err(0))]
        );
    }

    proptest! {
        /// Whatever a row holds, it is read or refused with errors on its own line only.
        #[test]
        fn any_row_is_read_or_refused_on_its_line(
            date in "[0-9 :-]{0,19}", name in "\\PC{0,6}", id in "[0-9X]{0,18}", line in 2usize..100000,
        ) {
            let m = map_columns(&headers(), &HashMap::new()).unwrap();
            if let Err(es) = parse_row(&row(&[&date, &name, &id, "", "652302100", "事"]), &m, line, now(), "652302") {
                for e in es {
                    let prefix = format!("rows[{line}].");
                    prop_assert!(e.field.as_deref().unwrap_or("").starts_with(&prefix));
                }
            }
        }
    }
}
