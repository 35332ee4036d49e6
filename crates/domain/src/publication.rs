//! Internet publication of replies (seed 一(八)4, 二(七)4; rules §11): which petitions may be
//! published, which leader approves, and the redaction applied before anyone sees a preview.
//!
//! House style (notes on 来信选登): a person's name keeps its surname and becomes 张某; an ID
//! number keeps its first 2 and last 3 characters; a phone its first 3 and last 4 digits; an
//! address is cut after its township or street office; house, building, unit and room numbers
//! become ×. Scans are never published.

use serde::{Deserialize, Serialize};

use crate::approval::Gate;
use crate::error::FieldError;
use crate::words::{Channel, Stage};

/// What the rules need to know about a petition to be published.
#[derive(Debug, Clone, Default)]
pub struct PublishFacts {
    pub stage: Option<Stage>,
    pub consent_to_publish: bool,
    pub confidential: bool,
    /// 检举控告 (purpose 揭发控告 or class 检举控告类).
    pub accusation: bool,
    /// Moved to the offline machine.
    pub offline: bool,
}

/// Only closed petitions whose petitioner consented; never confidential ones or accusations.
pub fn check_publishable(f: &PublishFacts) -> Result<(), FieldError> {
    if !matches!(
        f.stage,
        Some(Stage::Closed | Stage::Deregistered | Stage::Archived)
    ) {
        return Err(FieldError::general(
            "not_closed",
            "只有已办结的信访事项可以在互联网公布",
        ));
    }
    if !f.consent_to_publish {
        return Err(FieldError::general(
            "no_consent",
            "信访人未同意公开，不能在互联网公布",
        ));
    }
    if f.confidential || f.offline {
        return Err(FieldError::general(
            "confidential",
            "保密信访事项不在互联网公布",
        ));
    }
    if f.accusation {
        return Err(FieldError::general(
            "accusation",
            "检举控告类信访事项不在互联网公布",
        ));
    }
    Ok(())
}

/// The gate a publication passes: a bureau leader for visits (seed 一(八)4: 局领导), the director
/// for letters (seed 二(七)4: 局主要领导).
pub fn gate_for(channel: Channel) -> Gate {
    if channel.follows_letter_procedure() {
        Gate::PublicationLetter
    } else {
        Gate::PublicationVisit
    }
}

/// The personal data of a petition that redaction must catch wherever it appears.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Personal {
    pub names: Vec<String>,
    pub id_numbers: Vec<String>,
    pub phones: Vec<String>,
    pub addresses: Vec<String>,
}

/// Two-character surnames kept whole (欧阳某, 司马某).
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "令狐", "夏侯",
    "端木", "宇文", "司徒", "澹台", "轩辕", "呼延", "万俟", "西门", "独孤", "南宫", "申屠", "闻人",
];

/// 张三 → 张某, 欧阳修 → 欧阳某, 阿依古丽 → 阿某 (a minority name keeps its first character).
pub fn pseudonym(name: &str) -> String {
    let name = name.trim();
    let surname = COMPOUND_SURNAMES
        .iter()
        .find(|s| name.starts_with(*s) && name.chars().count() > 2)
        .map(|s| s.to_string())
        .unwrap_or_else(|| name.chars().take(1).collect());
    format!("{surname}某")
}

/// An address cut after its township or street office (…乡, …镇, …街道), else after its county
/// or city; nothing more precise is published.
pub fn coarse_address(address: &str) -> String {
    let a = address.trim();
    for marker in ["街道", "镇", "乡"] {
        if let Some(i) = a.find(marker) {
            return a[..i + marker.len()].to_string();
        }
    }
    for marker in ["县", "区", "市"] {
        if let Some(i) = a.rfind(marker) {
            return a[..i + marker.len()].to_string();
        }
    }
    "××".to_string()
}

fn mask_keep(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// What follows a number that makes it a house, building, unit or room number.
const HOUSE_MARKERS: &[&str] = &[
    "号楼", "号院", "号", "栋", "幢", "单元", "室", "楼", "弄", "巷",
];

/// Redacts `text`: the petition's own names, ID numbers, phones and addresses wherever they
/// occur, then any other ID number, phone number or house number by its shape.
pub fn redact(text: &str, personal: &Personal) -> String {
    let mut out = text.to_string();
    // Longest first, so that a full address is cut before a part of it is met.
    let mut addresses: Vec<&String> = personal
        .addresses
        .iter()
        .filter(|a| a.trim().chars().count() >= 4)
        .collect();
    addresses.sort_by_key(|a| std::cmp::Reverse(a.len()));
    for a in addresses {
        out = out.replace(a.trim(), &coarse_address(a));
    }
    let mut names: Vec<&String> = personal
        .names
        .iter()
        .filter(|n| n.trim().chars().count() >= 2)
        .collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    for n in names {
        out = out.replace(n.trim(), &pseudonym(n));
    }
    mask_numbers(&out)
}

/// Digit runs by shape: an 18-character ID (17 digits and a check character) or a 15-digit one
/// keeps 2 + 3; a mobile number (11 digits from 1) keeps 3 + 4; any other run of 7 or more digits
/// keeps its last 4; a number followed by 号 / 栋 / 单元 / 室 … becomes ×, unless it is a document
/// number's (〔2026〕12号).
fn mask_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        // An ID number's check character.
        if i - start == 17 && i < chars.len() && matches!(chars[i], 'X' | 'x') {
            i += 1;
        }
        let run: String = chars[start..i].iter().collect();
        let len = i - start;
        let rest: String = chars[i..].iter().take(3).collect();
        let after_doc_bracket = start > 0 && chars[start - 1] == '〕';
        if len == 18 || len == 15 {
            out.push_str(&mask_keep(&run, 2, 3));
        } else if len == 11 && run.starts_with('1') {
            out.push_str(&mask_keep(&run, 3, 4));
        } else if len >= 7 {
            out.push_str(&mask_keep(&run, 0, 4));
        } else if !after_doc_bracket && HOUSE_MARKERS.iter().any(|m| rest.starts_with(m)) {
            out.push('×');
        } else {
            out.push_str(&run);
        }
    }
    out
}

/// What a text still holds of the petitioner (an edited preview is checked again): the kinds
/// found, in Chinese, for the refusal message.
pub fn leaks(text: &str, personal: &Personal) -> Vec<&'static str> {
    let mut found = Vec::new();
    if personal
        .names
        .iter()
        .any(|n| n.trim().chars().count() >= 2 && text.contains(n.trim()))
    {
        found.push("姓名");
    }
    let digits = |s: &str| {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
    };
    let compact = digits(text);
    if personal
        .id_numbers
        .iter()
        .any(|n| n.trim().len() >= 15 && compact.contains(&digits(n)))
    {
        found.push("身份证件号码");
    }
    if personal
        .phones
        .iter()
        .any(|p| digits(p).len() >= 7 && compact.contains(&digits(p)))
    {
        found.push("联系电话");
    }
    if personal.addresses.iter().any(|a| {
        let a = a.trim();
        a.chars().count() >= 4 && coarse_address(a) != a && text.contains(a)
    }) {
        found.push("详细住址");
    }
    if mask_numbers(text) != text {
        found.push("证件号码、电话或门牌号");
    }
    found
}

/// Checks the texts of a publication (after the proposer's edits): present, not too long, and
/// holding nothing of the petitioner.
pub fn check_texts(
    title: &str,
    matter: &str,
    result: &str,
    personal: &Personal,
) -> Result<(), FieldError> {
    for (field, text, max, label) in [
        ("title", title, 100, "标题"),
        ("matter", matter, 5000, "反映问题"),
        ("result", result, 10000, "办理结果"),
    ] {
        let n = text.trim().chars().count();
        if n == 0 || n > max {
            return Err(FieldError::new(
                field,
                "required",
                format!("请填写{label}（不超过 {max} 字）"),
            ));
        }
        let found = leaks(text, personal);
        if !found.is_empty() {
            return Err(FieldError::new(
                field,
                "personal_data",
                format!(
                    "{label}中仍含有个人信息（{}），请删除后再提交",
                    found.join("、")
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn zhang() -> Personal {
        Personal {
            names: vec!["张三".into(), "欧阳春花".into()],
            id_numbers: vec!["11010519491231002X".into()],
            phones: vec!["13899112233".into()],
            addresses: vec!["阜康市城关镇博峰街88号3栋2单元501室".into()],
        }
    }

    #[test]
    fn a_reply_loses_every_personal_detail() {
        let text = "张三（身份证号11010519491231002X，电话13899112233，住阜康市城关镇博峰街88号3栋2单元501室）\
                    与欧阳春花反映工资拖欠。经查，阜康信〔2026〕12号文件已答复；办公电话0994-3221188。";
        let r = redact(text, &zhang());
        assert!(r.contains("张某"), "{r}");
        assert!(r.contains("欧阳某"), "{r}");
        assert!(r.contains("11*************02X"), "{r}");
        assert!(r.contains("138****2233"), "{r}");
        assert!(r.contains("住阜康市城关镇）"), "{r}");
        assert!(r.contains("〔2026〕12号"), "a document number stays: {r}");
        assert!(!r.contains("3221188"), "{r}");
        assert!(
            leaks(&r, &zhang()).is_empty(),
            "{:?} in {r}",
            leaks(&r, &zhang())
        );
    }

    #[test]
    fn house_numbers_are_masked_when_the_address_is_not_known() {
        assert_eq!(
            redact("家住幸福路12号3栋501室", &Personal::default()),
            "家住幸福路×号×栋×室"
        );
    }

    #[test]
    fn an_edited_text_that_still_names_the_petitioner_is_refused() {
        let e = check_texts("关于张三反映工资问题", "工资", "已支付", &zhang()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("title"));
        assert!(e.message.contains("姓名"));
        assert!(check_texts("关于张某反映工资问题", "工资", "已支付", &zhang()).is_ok());
        let e = check_texts("标题", "电话 138 9911 2233", "已支付", &zhang()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("matter"));
    }

    #[test]
    fn only_closed_consented_open_matters_are_published() {
        let ok = PublishFacts {
            stage: Some(Stage::Archived),
            consent_to_publish: true,
            ..PublishFacts::default()
        };
        assert!(check_publishable(&ok).is_ok());
        for (f, code) in [
            (
                PublishFacts {
                    stage: Some(Stage::Reviewing),
                    ..ok.clone()
                },
                "not_closed",
            ),
            (
                PublishFacts {
                    consent_to_publish: false,
                    ..ok.clone()
                },
                "no_consent",
            ),
            (
                PublishFacts {
                    confidential: true,
                    ..ok.clone()
                },
                "confidential",
            ),
            (
                PublishFacts {
                    accusation: true,
                    ..ok.clone()
                },
                "accusation",
            ),
        ] {
            assert_eq!(check_publishable(&f).unwrap_err().code, code);
        }
        assert_eq!(gate_for(Channel::Letter), Gate::PublicationLetter);
        assert_eq!(gate_for(Channel::Visit), Gate::PublicationVisit);
    }

    proptest! {
        /// Whatever the text around them, the petitioner's name, ID number and phone never
        /// survive redaction.
        #[test]
        fn redaction_never_leaves_a_known_identifier(
            before in "[\\u{4e00}-\\u{4e2f}a-z0-9，。 ]{0,30}",
            after in "[\\u{4e00}-\\u{4e2f}a-z0-9，。 ]{0,30}",
            given in "[\\u{4e30}-\\u{4e5f}]{1,2}",
            digits in "[0-9]{8}",
        ) {
            let name = format!("王{given}");
            let id = format!("6523021985{digits}");
            let phone = format!("139{digits}");
            let personal = Personal {
                names: vec![name.clone()],
                id_numbers: vec![id.clone()],
                phones: vec![phone.clone()],
                addresses: vec![],
            };
            let text = format!("{before}{name}{after}{id}，{phone}{before}");
            let r = redact(&text, &personal);
            prop_assert!(!r.contains(&name), "{}", r);
            prop_assert!(!r.contains(&id), "{}", r);
            prop_assert!(!r.contains(&phone), "{}", r);
        }
    }
}
