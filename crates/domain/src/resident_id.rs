//! GB 11643-1999 citizen identity numbers (公民身份号码), and the documents that share the
//! format: Hong Kong / Macao / Taiwan residents' residence permits (address codes 810000, 820000,
//! 830000) and the 2023 foreign permanent resident ID card (first digit 9).
//!
//! Layout: 6-digit address code, 8-digit birth date YYYYMMDD, 3-digit sequence (odd = male),
//! check character (ISO 7064 MOD 11-2: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, sum mod 11
//! indexes "10X98765432"). Example: 11010519491231002X.
//!
//! Also: masking helpers for showing document numbers and phone numbers to people who need only
//! to recognise them.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::region;

const FIELD: &str = "id_number";
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
const EARLIEST_BIRTH_YEAR: i32 = 1890;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn label_zh(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
}

/// Which document an 18-character number belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResidentIdKind {
    /// 居民身份证: address code from GB/T 2260 (current or abolished).
    Mainland,
    /// 港澳台居民居住证 for Hong Kong residents: address code 810000.
    HongKongResidencePermit,
    /// 港澳台居民居住证 for Macao residents: address code 820000.
    MacaoResidencePermit,
    /// 港澳台居民居住证 for Taiwan residents: address code 830000.
    TaiwanResidencePermit,
    /// 外国人永久居留身份证 (2023 edition): 9 + 2-digit province code + 3-digit nationality code.
    ForeignPermanentResident,
}

impl ResidentIdKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            ResidentIdKind::Mainland => "居民身份证",
            ResidentIdKind::HongKongResidencePermit => "港澳居民居住证（香港）",
            ResidentIdKind::MacaoResidencePermit => "港澳居民居住证（澳门）",
            ResidentIdKind::TaiwanResidencePermit => "台湾居民居住证",
            ResidentIdKind::ForeignPermanentResident => "外国人永久居留身份证",
        }
    }
}

/// A parsed, valid 18-character identity number. `Debug` shows it masked; `Display` and
/// serialisation give the full number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId {
    number: String,
    address_code: String,
    birth_date: NaiveDate,
    sex: Sex,
    kind: ResidentIdKind,
}

impl std::fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResidentId")
            .field("number", &self.masked())
            .field("kind", &self.kind)
            .finish()
    }
}

impl std::fmt::Display for ResidentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.number)
    }
}

impl Serialize for ResidentId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.number)
    }
}

/// The check character for the first 17 digits (ISO 7064 MOD 11-2), or `None` if `first17` is
/// not 17 ASCII digits.
pub fn check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(CHECK_CHARS[(sum % 11) as usize])
}

/// Full-width digits and letters (as typed with a Chinese input method) become ASCII; all
/// whitespace goes; `x` becomes `X`.
fn normalise(input: &str) -> String {
    input
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            'Ｘ' | 'ｘ' | 'x' => 'X',
            other => other,
        })
        .collect()
}

impl ResidentId {
    /// Parses and validates a number. `today` bounds the birth date.
    pub fn parse(input: &str, today: NaiveDate) -> Result<ResidentId, FieldError> {
        let number = normalise(input);
        let chars: Vec<char> = number.chars().collect();
        if chars.is_empty() {
            return Err(FieldError::new(FIELD, "id_format", "请填写身份证号码"));
        }
        let shape_ok = chars.len() == 18
            && chars[..17].iter().all(char::is_ascii_digit)
            && (chars[17].is_ascii_digit() || chars[17] == 'X');
        if !shape_ok {
            let msg = if chars.len() != 18 {
                format!(
                    "身份证号码应为 18 位（17 位数字加 1 位数字或 X），当前为 {} 位",
                    chars.len()
                )
            } else {
                "身份证号码格式错误：前 17 位应为数字，最后一位应为数字或 X".to_string()
            };
            return Err(FieldError::new(FIELD, "id_format", msg));
        }
        // All ASCII from here on: byte slicing is safe.
        let expected = check_char(&number[..17]).unwrap_or('?');
        if chars[17] != expected {
            return Err(FieldError::new(
                FIELD,
                "id_checksum",
                format!("身份证号码校验位错误，按前 17 位计算应为 {expected}，请核对号码是否抄错"),
            ));
        }

        let birth_raw = &number[6..14];
        let birth_date = NaiveDate::parse_from_str(birth_raw, "%Y%m%d").map_err(|_| {
            FieldError::new(
                FIELD,
                "id_birth_date",
                format!("身份证号码中的出生日期 {birth_raw} 不是有效日期"),
            )
        })?;
        if birth_date > today {
            return Err(FieldError::new(
                FIELD,
                "id_birth_date",
                format!("身份证号码中的出生日期 {birth_date} 晚于今天"),
            ));
        }
        if birth_date.year() < EARLIEST_BIRTH_YEAR {
            return Err(FieldError::new(
                FIELD,
                "id_birth_date",
                format!(
                    "身份证号码中的出生日期 {birth_date} 早于 {EARLIEST_BIRTH_YEAR} 年，不合理"
                ),
            ));
        }

        let address_code = number[..6].to_string();
        let kind = classify(&address_code)?;
        let sex = if (chars[16] as u32 - '0' as u32) % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        };
        Ok(ResidentId {
            number,
            address_code,
            birth_date,
            sex,
            kind,
        })
    }

    /// The full 18-character number, check character upper-case.
    pub fn number(&self) -> &str {
        &self.number
    }

    pub fn as_str(&self) -> &str {
        &self.number
    }

    /// The first six digits: the GB/T 2260 address code for a mainland ID; 810000 / 820000 /
    /// 830000 for a residence permit; `9` + province + nationality for a foreigner's card.
    pub fn address_code(&self) -> &str {
        &self.address_code
    }

    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    pub fn sex(&self) -> Sex {
        self.sex
    }

    pub fn kind(&self) -> ResidentIdKind {
        self.kind
    }

    /// For a foreigner's card: the 3-digit nationality code (GB/T 2659 / ISO 3166-1 numeric).
    pub fn nationality_code(&self) -> Option<&str> {
        (self.kind == ResidentIdKind::ForeignPermanentResident).then(|| &self.address_code[3..6])
    }

    /// Where the number was issued, in words: `北京市东城区`, `北京市崇文区` (abolished codes
    /// included), `香港特别行政区`, or for a foreigner's card the province of the issuing office.
    pub fn address_name(&self) -> Option<String> {
        match self.kind {
            ResidentIdKind::Mainland => region::historical_full_name(&self.address_code),
            ResidentIdKind::HongKongResidencePermit => Some("香港特别行政区".to_string()),
            ResidentIdKind::MacaoResidencePermit => Some("澳门特别行政区".to_string()),
            ResidentIdKind::TaiwanResidencePermit => Some("台湾省".to_string()),
            ResidentIdKind::ForeignPermanentResident => {
                region::historical_name(&format!("{}0000", &self.address_code[1..3]))
                    .map(str::to_string)
            }
        }
    }

    /// Age in whole years (周岁) on `date`; 0 before the birth date. Someone born on 29 February
    /// turns a year older on 1 March in common years.
    pub fn age_on(&self, date: NaiveDate) -> u32 {
        age_between(self.birth_date, date)
    }

    /// The number with the birth date and sequence hidden: `110105********002X`.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.number[..6], &self.number[14..])
    }
}

fn age_between(birth: NaiveDate, date: NaiveDate) -> u32 {
    if date <= birth {
        return 0;
    }
    let mut years = date.year() - birth.year();
    if (date.month(), date.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

fn classify(address_code: &str) -> Result<ResidentIdKind, FieldError> {
    match address_code {
        "810000" => return Ok(ResidentIdKind::HongKongResidencePermit),
        "820000" => return Ok(ResidentIdKind::MacaoResidencePermit),
        "830000" => return Ok(ResidentIdKind::TaiwanResidencePermit),
        _ => {}
    }
    if let Some(rest) = address_code.strip_prefix('9') {
        // 9 + province code of the issuing public security office + nationality code.
        let province = format!("{}0000", &rest[..2]);
        let nationality = &rest[2..];
        let province_ok =
            matches!(rest.as_bytes()[0], b'1'..=b'6') && region::lookup(&province).is_some();
        if !province_ok {
            return Err(FieldError::new(
                FIELD,
                "id_region",
                format!(
                    "外国人永久居留身份证号码第 2–3 位应为省级行政区划代码，{} 不是",
                    &rest[..2]
                ),
            ));
        }
        if nationality == "000" {
            return Err(FieldError::new(
                FIELD,
                "id_region",
                "外国人永久居留身份证号码第 4–6 位应为国籍代码，000 不是",
            ));
        }
        return Ok(ResidentIdKind::ForeignPermanentResident);
    }
    if region::historical_name(address_code).is_some() {
        Ok(ResidentIdKind::Mainland)
    } else {
        Err(FieldError::new(
            FIELD,
            "id_region",
            format!("身份证号码前 6 位地址码 {address_code} 不是任何时期使用过的行政区划代码"),
        ))
    }
}

/// Masks any document number (ID card, passport, officer's card, …) for display: the longer the
/// number, the more it keeps. 18 characters keep the first 6 and last 4, like
/// [`ResidentId::masked`]; a 9-character passport number keeps the first 2 and last 3.
pub fn mask_id_number(s: &str) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    let n = chars.len();
    let (head, tail) = match n {
        0..=4 => (0, 0),
        5..=8 => (1, 2),
        9..=14 => (2, 3),
        _ => (6, 4),
    };
    mask_chars(&chars, head, tail)
}

/// Masks a phone number for display: a mobile number keeps the first 3 and last 4 digits
/// (`138****5678`); other numbers keep as much as their length allows.
pub fn mask_phone(s: &str) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    let n = chars.len();
    let (head, tail) = match n {
        0..=4 => (0, 0),
        5..=7 => (0, 2),
        _ => (3, 4),
    };
    mask_chars(&chars, head, tail)
}

fn mask_chars(chars: &[char], head: usize, tail: usize) -> String {
    let n = chars.len();
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < head || i >= n - tail { *c } else { '*' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    fn with_check(first17: &str) -> String {
        format!("{first17}{}", check_char(first17).unwrap())
    }

    #[test]
    fn resident_id_example_11010519491231002x_parses() {
        let id = ResidentId::parse("11010519491231002X", today()).unwrap();
        assert_eq!(id.number(), "11010519491231002X");
        assert_eq!(id.address_code(), "110105");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.sex().label_zh(), "女");
        assert_eq!(id.kind(), ResidentIdKind::Mainland);
        assert_eq!(id.address_name().as_deref(), Some("北京市朝阳区"));
        assert_eq!(id.to_string(), "11010519491231002X");
    }

    #[test]
    fn resident_id_accepts_lowercase_x_whitespace_and_full_width_digits() {
        let id = ResidentId::parse("  11010519491231002x ", today()).unwrap();
        assert_eq!(id.number(), "11010519491231002X");
        let id = ResidentId::parse("１１０１０５１９４９１２３１００２Ｘ", today()).unwrap();
        assert_eq!(id.number(), "11010519491231002X");
    }

    #[test]
    fn resident_id_wrong_length_or_characters_is_id_format() {
        for bad in [
            "",
            "1101051949123100",
            "11010519491231002X1",
            "1101051949123100AX",
            "X1010519491231002X",
            "11010519491231002Y",
            "１１０１０５",
            "一一〇一〇五一九四九一二三一〇〇二X",
        ] {
            let e = ResidentId::parse(bad, today()).unwrap_err();
            assert_eq!(e.code, "id_format", "{bad}");
            assert_eq!(e.field.as_deref(), Some("id_number"));
        }
        let e = ResidentId::parse("1101051949", today()).unwrap_err();
        assert!(e.message.contains("当前为 10 位"), "{}", e.message);
    }

    #[test]
    fn resident_id_wrong_check_character_is_id_checksum_and_names_the_right_one() {
        let e = ResidentId::parse("110105194912310021", today()).unwrap_err();
        assert_eq!(e.code, "id_checksum");
        assert!(e.message.contains("应为 X"), "{}", e.message);
    }

    #[test]
    fn resident_id_impossible_future_or_too_old_birth_date_is_id_birth_date() {
        for first17 in [
            "11010519491331002", // month 13
            "11010520230229002", // not a leap year
            "11010520270101002", // after today
            "11010518891231002", // before 1890
            "11010500000000002",
        ] {
            let e = ResidentId::parse(&with_check(first17), today()).unwrap_err();
            assert_eq!(e.code, "id_birth_date", "{first17}");
        }
        // A leap day and today itself are fine.
        assert!(ResidentId::parse(&with_check("11010520240229002"), today()).is_ok());
        assert!(ResidentId::parse(&with_check("11010520261127002"), today()).is_ok());
        assert!(ResidentId::parse(&with_check("11010518900101002"), today()).is_ok());
    }

    #[test]
    fn resident_id_unknown_address_code_is_id_region() {
        let e = ResidentId::parse(&with_check("99999919800101001"), today());
        assert_eq!(e.unwrap_err().code, "id_region");
        let e = ResidentId::parse(&with_check("11019919800101001"), today()).unwrap_err();
        assert_eq!(e.code, "id_region");
        assert!(e.message.contains("110199"), "{}", e.message);
    }

    #[test]
    fn resident_id_abolished_address_codes_chongwen_and_xuanwu_pass() {
        for first17 in ["11010319800101001", "11010419800101002"] {
            let id = ResidentId::parse(&with_check(first17), today()).unwrap();
            assert_eq!(id.kind(), ResidentIdKind::Mainland);
        }
        let id = ResidentId::parse(&with_check("11010319800101001"), today()).unwrap();
        assert_eq!(id.address_name().as_deref(), Some("北京市崇文区"));
        assert_eq!(id.sex(), Sex::Male);
    }

    #[test]
    fn resident_id_residence_permits_for_hong_kong_macao_taiwan_pass() {
        let cases = [
            ("81000019900101001", ResidentIdKind::HongKongResidencePermit),
            ("82000019900101001", ResidentIdKind::MacaoResidencePermit),
            ("83000019900101001", ResidentIdKind::TaiwanResidencePermit),
        ];
        for (first17, kind) in cases {
            let id = ResidentId::parse(&with_check(first17), today()).unwrap();
            assert_eq!(id.kind(), kind);
            assert!(id.address_name().is_some());
        }
    }

    #[test]
    fn resident_id_foreign_permanent_resident_card_is_recognised() {
        // 9 + 11 (Beijing) + 840 (United States) + 1980-01-01 + 001.
        let id = ResidentId::parse(&with_check("91184019800101001"), today()).unwrap();
        assert_eq!(id.kind(), ResidentIdKind::ForeignPermanentResident);
        assert_eq!(id.nationality_code(), Some("840"));
        assert_eq!(id.address_name().as_deref(), Some("北京市"));
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1980, 1, 1).unwrap()
        );
        // Bad province (99), nationality 000, and a bad date are refused.
        let e = ResidentId::parse(&with_check("99984019800101001"), today()).unwrap_err();
        assert_eq!(e.code, "id_region");
        let e = ResidentId::parse(&with_check("91100019800101001"), today()).unwrap_err();
        assert_eq!(e.code, "id_region");
        let e = ResidentId::parse(&with_check("91184019801301001"), today()).unwrap_err();
        assert_eq!(e.code, "id_birth_date");
    }

    #[test]
    fn resident_id_age_on_counts_whole_years() {
        let id = ResidentId::parse("11010519491231002X", today()).unwrap();
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(id.age_on(d(2026, 11, 27)), 76);
        assert_eq!(id.age_on(d(2026, 12, 30)), 76);
        assert_eq!(id.age_on(d(2026, 12, 31)), 77);
        assert_eq!(id.age_on(d(1949, 12, 31)), 0);
        assert_eq!(id.age_on(d(1900, 1, 1)), 0);
        let leap = ResidentId::parse(&with_check("11010520000229002"), today()).unwrap();
        assert_eq!(leap.age_on(d(2001, 2, 28)), 0);
        assert_eq!(leap.age_on(d(2001, 3, 1)), 1);
    }

    #[test]
    fn resident_id_masked_keeps_first_6_and_last_4() {
        let id = ResidentId::parse("11010519491231002X", today()).unwrap();
        assert_eq!(id.masked(), "110105********002X");
        assert_eq!(mask_id_number("11010519491231002X"), "110105********002X");
        assert!(format!("{id:?}").contains("110105********002X"));
        assert!(!format!("{id:?}").contains("19491231"));
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"11010519491231002X\""
        );
    }

    #[test]
    fn mask_id_number_handles_any_document_number() {
        assert_eq!(mask_id_number("E12345678"), "E1****678");
        assert_eq!(mask_id_number("110105490101001"), "110105*****1001");
        assert_eq!(mask_id_number("军字第123456号"), "军字*****56号");
        assert_eq!(mask_id_number("1234"), "****");
        assert_eq!(mask_id_number(""), "");
        assert_eq!(mask_id_number("  AB12345  "), "A****45");
    }

    #[test]
    fn mask_phone_keeps_first_3_and_last_4_of_a_mobile() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone(" 13812345678 "), "138****5678");
        assert_eq!(mask_phone("010-12345678"), "010*****5678");
        assert_eq!(mask_phone("12345"), "***45");
        assert_eq!(mask_phone("110"), "***");
        assert_eq!(mask_phone("电话１３８"), "***３８");
    }

    #[test]
    fn resident_id_kind_and_sex_serialise_in_snake_and_lower_case() {
        assert_eq!(serde_json::to_string(&Sex::Male).unwrap(), "\"male\"");
        assert_eq!(serde_json::to_string(&Sex::Female).unwrap(), "\"female\"");
        assert_eq!(Sex::Male.label_zh(), "男");
        assert_eq!(
            serde_json::to_string(&ResidentIdKind::HongKongResidencePermit).unwrap(),
            "\"hong_kong_residence_permit\""
        );
    }

    /// A valid number built from a known address code, a valid date and a sequence.
    fn valid_number() -> impl Strategy<Value = (String, NaiveDate, Sex)> {
        let codes: Vec<&'static str> = region::all().iter().map(|r| r.code).collect();
        let old = ["110103", "110104", "120110", "330103", "330104"];
        let codes: Vec<&'static str> = codes.into_iter().chain(old).collect();
        (
            proptest::sample::select(codes),
            0i64..(365 * 130),
            0u32..1000,
        )
            .prop_map(|(code, offset, seq)| {
                let birth =
                    NaiveDate::from_ymd_opt(1890, 1, 1).unwrap() + chrono::Duration::days(offset);
                let birth = birth.min(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
                let first17 = format!("{code}{}{seq:03}", birth.format("%Y%m%d"));
                let sex = if seq % 2 == 1 { Sex::Male } else { Sex::Female };
                (with_check(&first17), birth, sex)
            })
    }

    proptest! {
        #[test]
        fn prop_resident_id_every_generated_valid_number_parses_and_round_trips(
            (number, birth, sex) in valid_number()
        ) {
            let id = ResidentId::parse(&number, today()).unwrap();
            prop_assert_eq!(id.number(), number.as_str());
            prop_assert_eq!(id.birth_date(), birth);
            prop_assert_eq!(id.sex(), sex);
            prop_assert_eq!(&id.masked()[..6], &number[..6]);
            let lower = number.to_lowercase();
            prop_assert_eq!(ResidentId::parse(&lower, today()).unwrap(), id);
        }

        #[test]
        fn prop_resident_id_changing_any_single_character_makes_it_fail(
            (number, _, _) in valid_number(),
            pos in 0usize..18,
            replacement in proptest::sample::select(
                vec!['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X']
            ),
        ) {
            let mut chars: Vec<char> = number.chars().collect();
            prop_assume!(chars[pos] != replacement);
            chars[pos] = replacement;
            let changed: String = chars.into_iter().collect();
            prop_assert!(ResidentId::parse(&changed, today()).is_err());
        }

        #[test]
        fn prop_resident_id_parse_never_panics(s in "\\PC{0,24}") {
            let _ = ResidentId::parse(&s, today());
            let _ = mask_id_number(&s);
            let _ = mask_phone(&s);
        }

        #[test]
        fn prop_resident_id_parse_never_panics_on_digit_strings(s in "[0-9Xx]{17,19}") {
            let _ = ResidentId::parse(&s, today());
        }
    }
}
