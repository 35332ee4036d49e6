//! The township of the matter (问题所在乡镇、街道): the township or street office where a matter
//! arose, below the county-level `issue_region`. Either one of the bureau's own township and
//! street-office units (the use case checks it exists and is of that kind), or a township-level
//! statistical division code of the National Bureau of Statistics (统计用区划代码): the 6-digit
//! GB/T 2260 county code and 3 digits for the township — not itself part of GB/T 2260, so only
//! its county part can be checked here.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::region::{self, Region, RegionLevel};

const FIELD: &str = "township";
const UNIT_ID_MAX: usize = 64;

/// A township, by unit or by code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TownshipRef {
    /// One of the bureau's township or street-office units, by id.
    Unit { unit_id: String },
    /// A 9-digit township-level statistical code, e.g. `110101001`.
    Code { code: String },
}

impl TownshipRef {
    /// The value as the form sends it; `parse_township` of it gives the reference back.
    pub fn as_input(&self) -> &str {
        match self {
            TownshipRef::Unit { unit_id } => unit_id,
            TownshipRef::Code { code } => code,
        }
    }

    /// The county part of a code (its first six digits).
    pub fn county_code(&self) -> Option<&str> {
        match self {
            TownshipRef::Code { code } => code.get(..6),
            TownshipRef::Unit { .. } => None,
        }
    }

    /// The current county a code lies in.
    pub fn county(&self) -> Option<&'static Region> {
        self.county_code().and_then(region::lookup)
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Parses the township of the matter: all digits is a statistical code (9 digits, or the 12-digit
/// village-level form of a township, ending in `000`), whose first six digits must be a current
/// county-level GB/T 2260 code; anything else is a unit id (letters, digits, `-` and `_`, at most
/// 64), whose existence the caller checks.
pub fn parse_township(code_or_unit: &str) -> Result<TownshipRef, FieldError> {
    let s = code_or_unit.trim();
    if s.is_empty() {
        return Err(FieldError::new(
            FIELD,
            "required",
            "请选择问题所在乡镇（街道）",
        ));
    }
    if all_digits(s) {
        let code = match s.len() {
            9 => s,
            12 if s.ends_with("000") => &s[..9],
            _ => {
                return Err(FieldError::new(
                    FIELD,
                    "township_code",
                    format!(
                        "乡级统计用区划代码应为 9 位数字（县级代码 6 位加乡级 3 位），收到：{s}"
                    ),
                ));
            }
        };
        let (county, township) = code.split_at(6);
        if township == "000" {
            return Err(FieldError::new(
                FIELD,
                "township_code",
                format!("代码 {code} 是县级代码，请填写到乡镇（街道）一级"),
            ));
        }
        return match region::lookup(county) {
            Some(r) if r.level == RegionLevel::County => {
                Ok(TownshipRef::Code { code: code.into() })
            }
            Some(r) => Err(FieldError::new(
                FIELD,
                "township_county",
                format!(
                    "代码 {code} 的前 6 位 {county}（{}）不是县级行政区划",
                    r.full_name
                ),
            )),
            None => Err(FieldError::new(
                FIELD,
                "township_county",
                match region::historical_full_name(county) {
                    Some(old) => {
                        format!("代码 {code} 的前 6 位 {county}（{old}）已不再使用")
                    }
                    None => format!("代码 {code} 的前 6 位 {county} 不是已知的县级行政区划代码"),
                },
            )),
        };
    }
    if s.chars().count() > UNIT_ID_MAX
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(FieldError::new(
            FIELD,
            "township_invalid",
            "请选择本局的乡镇（街道）承办单位，或填写 9 位乡级统计用区划代码",
        ));
    }
    Ok(TownshipRef::Unit { unit_id: s.into() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn err(s: &str) -> (Option<String>, &'static str, String) {
        let e = parse_township(s).unwrap_err();
        (e.field, e.code, e.message)
    }

    #[test]
    fn a_unit_id_is_kept_for_the_caller_to_check() {
        let id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
        let t = parse_township(&format!(" {id} ")).unwrap();
        assert_eq!(t, TownshipRef::Unit { unit_id: id.into() });
        assert_eq!(
            (t.as_input(), t.county_code(), t.county()),
            (id, None, None)
        );
        assert!(parse_township("u_township-1").is_ok());
    }

    #[test]
    fn a_code_is_a_current_county_and_three_digits() {
        let t = parse_township("110101001").unwrap();
        assert_eq!(
            t,
            TownshipRef::Code {
                code: "110101001".into()
            }
        );
        assert_eq!(t.county_code(), Some("110101"));
        assert_eq!(t.county().unwrap().full_name, "北京市东城区");
        // The 12-digit form of the township itself (village part 000).
        assert_eq!(parse_township(" 110101001000 ").unwrap(), t);
        assert_eq!(parse_township(t.as_input()).unwrap(), t);
    }

    #[test]
    fn bad_codes_are_named() {
        let field = Some("township".to_string());
        assert_eq!(
            err(""),
            (
                field.clone(),
                "required",
                "请选择问题所在乡镇（街道）".into()
            )
        );
        for s in ["11010100", "1101010011", "110101001001"] {
            assert_eq!(
                err(s),
                (
                    field.clone(),
                    "township_code",
                    format!(
                        "乡级统计用区划代码应为 9 位数字（县级代码 6 位加乡级 3 位），收到：{s}"
                    )
                )
            );
        }
        assert_eq!(
            err("110101000"),
            (
                field.clone(),
                "township_code",
                "代码 110101000 是县级代码，请填写到乡镇（街道）一级".into()
            )
        );
        // A prefecture's or a province's code is not a county.
        let (f, code, message) = err("130100001");
        assert_eq!((f, code), (field.clone(), "township_county"));
        assert!(message.contains("不是县级行政区划"), "{message}");
        assert_eq!(err("110000001").1, "township_county");
        // An abolished county is named.
        let (_, code, message) = err("110103001");
        assert_eq!(code, "township_county");
        assert!(
            message.contains("崇文区") && message.contains("已不再使用"),
            "{message}"
        );
        assert_eq!(
            err("999999001").2,
            "代码 999999001 的前 6 位 999999 不是已知的县级行政区划代码"
        );
        for s in ["东城区东华门街道", "u 1", "u/1", &"u".repeat(65)] {
            assert_eq!(
                err(s),
                (
                    field.clone(),
                    "township_invalid",
                    "请选择本局的乡镇（街道）承办单位，或填写 9 位乡级统计用区划代码".into()
                )
            );
        }
    }

    proptest! {
        /// Never panics; whatever parses reads back from its form and from storage.
        #[test]
        fn townships_parse_without_panicking(s in prop_oneof![
            any::<String>(),
            "[0-9]{6,12}",
            "1101[0-9]{5}",
            "[a-z0-9_-]{1,70}",
        ]) {
            if let Ok(t) = parse_township(&s) {
                prop_assert_eq!(parse_township(t.as_input()), Ok(t.clone()));
                let back: TownshipRef = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
                prop_assert_eq!(&back, &t);
                if let TownshipRef::Code { code } = &t {
                    prop_assert_eq!(code.len(), 9);
                    prop_assert!(t.county().is_some_and(|r| r.level == RegionLevel::County));
                }
            }
        }
    }
}
