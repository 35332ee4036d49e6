//! 12345 government service hotline work orders (issue 21): the documented layout of an order
//! handed over to the bureau, parsed into a phone registration with the source "12345" and its
//! order number; the reply that goes back. Layout in docs/exchange.md.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::registration::{PetitionerInput, Registration, RegistrationInput, parse_registration};
use crate::source::SourceInput;

/// A work order as the hotline sends it (JSON field names; CSV headers the same, or the Chinese
/// names of [`COLUMNS`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkOrder {
    /// 工单编号 (required, unique per bureau)
    pub order_no: String,
    /// 来电时间 `YYYY-MM-DD HH:MM[:SS]` (required, not in the future)
    pub received_at: String,
    /// 来电人; empty for an anonymous call
    pub caller_name: String,
    /// 来电号码 (required unless anonymous)
    pub caller_phone: String,
    /// 证件号码 (optional)
    pub id_number: String,
    /// 住址
    pub address: String,
    /// 问题属地: a 9-digit township code, or a township unit's name
    pub township: String,
    /// 问题所在县级区划代码; default the township code's first six digits
    pub issue_region: String,
    /// 诉求内容 (required)
    pub summary: String,
    /// 具体诉求
    pub requests: String,
    /// 内容分类代码
    pub category: String,
    /// 信访目的代码
    pub purpose: String,
}

/// The layout's columns: field and its Chinese header.
pub const COLUMNS: &[(&str, &str)] = &[
    ("order_no", "工单编号"),
    ("received_at", "来电时间"),
    ("caller_name", "来电人"),
    ("caller_phone", "来电号码"),
    ("id_number", "证件号码"),
    ("address", "住址"),
    ("township", "问题属地"),
    ("issue_region", "县级区划代码"),
    ("summary", "诉求内容"),
    ("requests", "具体诉求"),
    ("category", "内容分类代码"),
    ("purpose", "信访目的代码"),
];

/// The field a CSV header names: the field itself or its Chinese name.
pub fn column_field(header: &str) -> Option<&'static str> {
    let h = header.trim().trim_start_matches('\u{feff}');
    COLUMNS
        .iter()
        .find(|(f, zh)| *f == h || *zh == h)
        .map(|(f, _)| *f)
}

impl WorkOrder {
    /// Sets a field by its name (a CSV cell).
    pub fn set(&mut self, field: &str, value: &str) {
        let v = value.to_string();
        match field {
            "order_no" => self.order_no = v,
            "received_at" => self.received_at = v,
            "caller_name" => self.caller_name = v,
            "caller_phone" => self.caller_phone = v,
            "id_number" => self.id_number = v,
            "address" => self.address = v,
            "township" => self.township = v,
            "issue_region" => self.issue_region = v,
            "summary" => self.summary = v,
            "requests" => self.requests = v,
            "category" => self.category = v,
            "purpose" => self.purpose = v,
            _ => {}
        }
    }
}

/// A parsed order: the registration, and the township's name when it named a unit (the caller
/// finds it among the bureau's units).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedOrder {
    pub registration: Registration,
    pub order_no: String,
    pub township_name: Option<String>,
}

fn label(field: &str) -> &'static str {
    COLUMNS
        .iter()
        .find(|(f, _)| *f == field)
        .map(|(_, zh)| *zh)
        .unwrap_or("")
}

/// An error of order `row` (0-based) at `field`: `orders[3].caller_phone`, 第 4 张工单 来电号码….
pub fn order_error(row: usize, field: &str, code: &'static str, message: &str) -> FieldError {
    FieldError::new(
        format!("orders[{row}].{field}"),
        code,
        format!(
            "第 {} 张工单 {}（{field}）：{message}",
            row + 1,
            label(field)
        ),
    )
}

fn our_field(registration_field: &str) -> &'static str {
    match registration_field {
        "visited_at" => "received_at",
        "summary" => "summary",
        "requests" => "requests",
        "category" => "category",
        "purpose" => "purpose",
        "issue_region" => "issue_region",
        "township" => "township",
        "source.order_no" => "order_no",
        f if f.ends_with(".id_number") || f.ends_with(".id_type") => "id_number",
        f if f.ends_with(".phone") => "caller_phone",
        f if f.ends_with(".name") => "caller_name",
        f if f.ends_with(".address") => "address",
        _ => "order_no",
    }
}

/// Parses order `row` at `now` (China Standard Time) into a phone registration from the 12345
/// hotline: the caller its petitioner (anonymous without a name), the order number its source.
/// An order naming its township by name and no county takes `default_region` (the bureau's).
pub fn parse_order(
    o: &WorkOrder,
    row: usize,
    now: NaiveDateTime,
    default_region: &str,
) -> Result<ParsedOrder, Vec<FieldError>> {
    let mut errors = Vec::new();
    let order_no = o.order_no.trim();
    if order_no.is_empty() {
        errors.push(order_error(row, "order_no", "required", "工单编号必填"));
    }
    let received = crate::exchange::parse_national_datetime(&o.received_at);
    match received {
        None => errors.push(order_error(
            row,
            "received_at",
            "invalid_datetime",
            &format!(
                "日期时间「{}」无效，格式应为 2026-11-27 09:30",
                o.received_at.trim()
            ),
        )),
        Some(t) if t > now + chrono::Duration::minutes(5) => errors.push(order_error(
            row,
            "received_at",
            "future_datetime",
            "来电时间晚于当前时间",
        )),
        Some(_) => {}
    }
    let township = o.township.trim();
    let is_code = !township.is_empty() && township.bytes().all(|b| b.is_ascii_digit());
    let issue_region = match o.issue_region.trim() {
        "" if is_code => township.get(..6).unwrap_or("").to_string(),
        "" => default_region.to_string(),
        r => r.to_string(),
    };
    let anonymous = o.caller_name.trim().is_empty();
    let petitioners = if anonymous {
        Vec::new()
    } else {
        vec![PetitionerInput {
            name: o.caller_name.trim().into(),
            id_number: o.id_number.trim().into(),
            address: o.address.trim().into(),
            phone: o.caller_phone.trim().into(),
            ..Default::default()
        }]
    };
    let input = RegistrationInput {
        channel: "phone".into(),
        visited_at: received
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
            .unwrap_or_default(),
        petitioners,
        anonymous,
        issue_region,
        summary: o.summary.clone(),
        requests: o.requests.clone(),
        category: o.category.trim().into(),
        purpose: o.purpose.trim().into(),
        source: SourceInput {
            kind: "hotline_12345".into(),
            order_no: order_no.into(),
            ..Default::default()
        },
        township: if is_code || township.is_empty() {
            township.into()
        } else {
            "by-name".into()
        },
        ..Default::default()
    };
    match parse_registration(&input, now) {
        Ok(registration) if errors.is_empty() => Ok(ParsedOrder {
            registration,
            order_no: order_no.into(),
            township_name: (!is_code && !township.is_empty()).then(|| township.to_string()),
        }),
        Ok(_) => Err(errors),
        Err(es) => {
            for e in es {
                let f = our_field(e.field.as_deref().unwrap_or(""));
                let path = format!("orders[{row}].{f}");
                if errors
                    .iter()
                    .any(|x| x.field.as_deref() == Some(path.as_str()))
                {
                    continue;
                }
                errors.push(order_error(row, f, e.code, &e.message));
            }
            Err(errors)
        }
    }
}

/// The reply that goes back to the hotline for one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct OrderReply {
    /// 工单编号
    pub order_no: String,
    /// Our petition number
    pub petition_no: String,
    /// 办理状态 (the stage's Chinese name)
    pub status: String,
    /// 办理结果: the decision and its reason, or what is under way
    pub reply: String,
    /// When the petition last changed, `YYYY-MM-DD HH:MM:SS`
    pub updated_at: String,
    /// 1 when the matter is finished here (closed, archived, not accepted …)
    pub finished: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> NaiveDateTime {
        "2026-11-27T10:00:00".parse().unwrap()
    }

    fn order() -> WorkOrder {
        WorkOrder {
            order_no: "GD20261127001".into(),
            received_at: "2026-11-27 08:15".into(),
            caller_name: "李四".into(),
            caller_phone: "13912345678".into(),
            township: "652302100".into(),
            summary: "小区路灯损坏多日无人维修。".into(),
            ..Default::default()
        }
    }

    #[test]
    fn an_order_is_a_phone_registration_from_the_hotline() {
        let p = parse_order(&order(), 0, now(), "652302").unwrap();
        assert_eq!(p.registration.channel, crate::words::Channel::Phone);
        assert_eq!(p.registration.issue_region, "652302");
        assert_eq!(
            p.registration.source,
            crate::source::Source::Hotline12345 {
                order_no: "GD20261127001".into()
            }
        );
        let mut anonymous = order();
        anonymous.caller_name.clear();
        assert!(
            parse_order(&anonymous, 0, now(), "652302")
                .unwrap()
                .registration
                .anonymous
        );
        let mut by_name = order();
        by_name.township = "城关镇".into();
        assert_eq!(
            parse_order(&by_name, 0, now(), "652302")
                .unwrap()
                .township_name
                .as_deref(),
            Some("城关镇")
        );
    }

    #[test]
    fn errors_name_the_order_and_its_field() {
        let mut bad = order();
        bad.caller_phone = "12".into();
        bad.received_at = "2026-12-27 08:00".into();
        let e = parse_order(&bad, 3, now(), "652302").unwrap_err();
        let fields: Vec<_> = e.iter().filter_map(|e| e.field.clone()).collect();
        assert!(
            fields.contains(&"orders[3].received_at".into()),
            "{fields:?}"
        );
        assert!(
            fields.contains(&"orders[3].caller_phone".into()),
            "{fields:?}"
        );
        assert!(e[0].message.starts_with("第 4 张工单"), "{}", e[0].message);
        assert_eq!(column_field("\u{feff}工单编号"), Some("order_no"));
        assert_eq!(column_field("caller_phone"), Some("caller_phone"));
    }
}
