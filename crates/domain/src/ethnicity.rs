//! GB/T 3304-1991 民族 codes: the 56 ethnic groups (01 汉族 … 56 基诺族) plus 97 其他 and
//! 98 外国血统 (外国血统中国籍人士). Current names: 36 毛南族, 46 德昂族.

use crate::error::FieldError;

const TABLE: [(&str, &str); 58] = [
    ("01", "汉族"),
    ("02", "蒙古族"),
    ("03", "回族"),
    ("04", "藏族"),
    ("05", "维吾尔族"),
    ("06", "苗族"),
    ("07", "彝族"),
    ("08", "壮族"),
    ("09", "布依族"),
    ("10", "朝鲜族"),
    ("11", "满族"),
    ("12", "侗族"),
    ("13", "瑶族"),
    ("14", "白族"),
    ("15", "土家族"),
    ("16", "哈尼族"),
    ("17", "哈萨克族"),
    ("18", "傣族"),
    ("19", "黎族"),
    ("20", "傈僳族"),
    ("21", "佤族"),
    ("22", "畲族"),
    ("23", "高山族"),
    ("24", "拉祜族"),
    ("25", "水族"),
    ("26", "东乡族"),
    ("27", "纳西族"),
    ("28", "景颇族"),
    ("29", "柯尔克孜族"),
    ("30", "土族"),
    ("31", "达斡尔族"),
    ("32", "仫佬族"),
    ("33", "羌族"),
    ("34", "布朗族"),
    ("35", "撒拉族"),
    ("36", "毛南族"),
    ("37", "仡佬族"),
    ("38", "锡伯族"),
    ("39", "阿昌族"),
    ("40", "普米族"),
    ("41", "塔吉克族"),
    ("42", "怒族"),
    ("43", "乌孜别克族"),
    ("44", "俄罗斯族"),
    ("45", "鄂温克族"),
    ("46", "德昂族"),
    ("47", "保安族"),
    ("48", "裕固族"),
    ("49", "京族"),
    ("50", "塔塔尔族"),
    ("51", "独龙族"),
    ("52", "鄂伦春族"),
    ("53", "赫哲族"),
    ("54", "门巴族"),
    ("55", "珞巴族"),
    ("56", "基诺族"),
    ("97", "其他"),
    ("98", "外国血统"),
];

/// Former names still found in old records, mapped to the current code. Accepted on input only;
/// output always uses the current name.
const FORMER_NAMES: [(&str, &str); 3] = [
    ("毛难族", "36"),
    ("崩龙族", "46"),
    ("外国血统中国籍人士", "98"),
];

/// All codes with their current names, in code order (58 entries).
pub fn all() -> &'static [(&'static str, &'static str)] {
    &TABLE
}

/// The current name for a two-digit code, e.g. `01` → `汉族`.
pub fn name(code: &str) -> Option<&'static str> {
    TABLE.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// Parses a code (`01`, also `1`) or a name (`汉族`, also `汉`, or a former name such as `毛难族`)
/// into the two-digit code.
pub fn parse(code_or_name: &str) -> Result<&'static str, FieldError> {
    let s = code_or_name.trim();
    if s.is_empty() {
        return Err(FieldError::new(
            "ethnicity",
            "ethnicity_required",
            "请填写民族",
        ));
    }
    if s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit()) {
        let padded = format!("{s:0>2}");
        if let Some((c, _)) = TABLE.iter().find(|(c, _)| *c == padded) {
            return Ok(c);
        }
    } else if let Some((c, _)) = TABLE
        .iter()
        .find(|(_, n)| *n == s || (n.ends_with('族') && n.trim_end_matches('族') == s))
    {
        return Ok(c);
    } else if let Some((_, c)) = FORMER_NAMES.iter().find(|(n, _)| *n == s) {
        return Ok(c);
    }
    Err(FieldError::new(
        "ethnicity",
        "ethnicity_unknown",
        format!("民族“{s}”不在 GB/T 3304 民族代码表中，请填写代码（如 01）或名称（如 汉族）"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ethnicity_table_has_56_groups_plus_other_and_foreign_origin() {
        assert_eq!(all().len(), 58);
        for (i, (code, _)) in all().iter().take(56).enumerate() {
            assert_eq!(*code, format!("{:02}", i + 1));
        }
        assert_eq!(name("01"), Some("汉族"));
        assert_eq!(name("56"), Some("基诺族"));
        assert_eq!(name("97"), Some("其他"));
        assert_eq!(name("98"), Some("外国血统"));
        assert_eq!(name("57"), None);
    }

    #[test]
    fn ethnicity_uses_current_names_maonan_and_deang() {
        assert_eq!(name("36"), Some("毛南族"));
        assert_eq!(name("46"), Some("德昂族"));
        assert!(
            all()
                .iter()
                .all(|(_, n)| !["毛难族", "崩龙族", "傈傈族", "姜族"].contains(n))
        );
    }

    #[test]
    fn ethnicity_names_are_unique() {
        let mut names: Vec<_> = all().iter().map(|(_, n)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 58);
    }

    #[test]
    fn ethnicity_parse_accepts_code_name_short_name_and_former_name() {
        assert_eq!(parse("01"), Ok("01"));
        assert_eq!(parse("1"), Ok("01"));
        assert_eq!(parse(" 汉族 "), Ok("01"));
        assert_eq!(parse("汉"), Ok("01"));
        assert_eq!(parse("蒙古"), Ok("02"));
        assert_eq!(parse("毛难族"), Ok("36"));
        assert_eq!(parse("崩龙族"), Ok("46"));
        assert_eq!(parse("98"), Ok("98"));
        assert_eq!(parse("其他"), Ok("97"));
    }

    #[test]
    fn ethnicity_parse_refuses_unknown_with_field_and_code() {
        for bad in ["57", "00", "099", "火星族", "abc"] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("ethnicity"));
            assert_eq!(e.code, "ethnicity_unknown", "{bad}");
        }
        assert_eq!(parse("  ").unwrap_err().code, "ethnicity_required");
    }
}
