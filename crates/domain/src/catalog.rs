//! Code tables shipped as defaults (rules §12, §3). Bureaus may extend the configurable ones;
//! these are the values a fresh bureau starts with.

use crate::words::Acceptance;

/// 信访目的 (table, national codes).
pub const PURPOSES: &[(&str, &str)] = &[
    ("01", "求决"),
    ("02", "申诉"),
    ("03", "意见建议"),
    ("04", "揭发控告"),
    ("05", "咨询"),
    ("99", "其他"),
];

/// The 2022 three-way class (建议意见类 / 检举控告类 / 申诉求决类).
pub const PETITION_CLASSES: &[(&str, &str)] = &[
    ("suggestion", "建议意见类"),
    ("accusation", "检举控告类"),
    ("claim", "申诉求决类"),
];

/// 内容分类: three levels with 6-digit codes (two digits a level). First level from one city's
/// published list (rules §12); second and third levels a shipped selection.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("010000", "政治综合"),
    ("020000", "经济综合"),
    ("030000", "宣传舆论"),
    ("040000", "纪检监察"),
    ("040100", "违反政治纪律"),
    ("040200", "违反廉洁纪律"),
    ("050000", "政法"),
    ("050100", "公安"),
    ("050200", "司法行政"),
    ("050300", "涉法涉诉"),
    ("060000", "劳动社保"),
    ("060100", "劳动保障"),
    ("060101", "拖欠工资"),
    ("060102", "劳动合同"),
    ("060200", "社会保险"),
    ("060201", "养老保险"),
    ("060202", "医疗保险"),
    ("070000", "教育"),
    ("080000", "卫生计生"),
    ("090000", "科技文体"),
    ("100000", "组织人事"),
    ("110000", "交通能源环保"),
    ("110100", "环境保护"),
    ("110101", "大气污染"),
    ("110102", "噪声污染"),
    ("110103", "水污染"),
    ("110200", "交通运输"),
    ("120000", "民政"),
    ("120100", "社会救助"),
    ("120101", "最低生活保障"),
    ("130000", "农村农业"),
    ("130100", "村务管理"),
    ("130101", "村务公开"),
    ("130102", "村级财务"),
    ("130200", "土地承包"),
    ("140000", "国土资源水利林业"),
    ("140100", "土地征收"),
    ("140101", "征地补偿"),
    ("150000", "城乡建设"),
    ("150100", "国有土地上房屋征收与补偿"),
    ("150200", "物业管理"),
    ("150201", "物业收费"),
    ("150300", "住房保障"),
    ("150400", "城市管理"),
    ("160000", "信息产业"),
    ("170000", "商贸旅游"),
    ("990000", "其他"),
];

/// Identity documents a petitioner can show (GB 11643 numbers and others).
pub const ID_TYPES: &[(&str, &str)] = &[
    ("resident_id", "居民身份证"),
    ("hk_macao_residence_permit", "港澳居民居住证"),
    ("taiwan_residence_permit", "台湾居民居住证"),
    ("foreign_permanent_resident", "外国人永久居留身份证"),
    ("passport", "护照"),
    ("none", "未出示证件"),
];

/// Standard reasons for each decision (rules §3), with the legal explanation printed on the slip.
/// `(acceptance, code, reason, legal explanation)`.
pub const DECISION_REASONS: &[(Acceptance, &str, &str, &str)] = &[
    (
        Acceptance::Accepted,
        "in_remit",
        "属本机关职责范围，依法受理",
        "",
    ),
    (
        Acceptance::NotAccepted,
        "legal_channel",
        "应当通过诉讼、仲裁、行政复议等法定途径解决",
        "根据《信访工作条例》第三十一条，对依法应当通过诉讼、仲裁、行政复议等法定途径解决的，应当导入相应程序处理。请您依照有关法律、行政法规规定的程序向有关机关提出。",
    ),
    (
        Acceptance::NotAccepted,
        "congress_court_procuratorate",
        "属于人大、法院、检察院职权范围",
        "根据《信访条例》第十五条，对依法应当由各级人民代表大会以及县级以上各级人民代表大会常务委员会、人民法院、人民检察院处理的事项，应当分别向有关的人民代表大会及其常务委员会、人民法院、人民检察院提出。",
    ),
    (
        Acceptance::NotAccepted,
        "already_in_progress",
        "同一信访事项已受理或正在办理",
        "根据《信访条例》第十六条，信访人采用走访形式提出信访事项的，应当向依法有权处理的本级或者上一级机关提出；信访事项已经受理或者正在办理的，信访人在规定期限内向受理、办理机关的上级机关又提出同一信访事项的，该上级机关不予受理。",
    ),
    (
        Acceptance::NotAccepted,
        "no_representatives",
        "多人采用走访形式提出共同信访事项，拒不推选代表",
        "根据《信访条例》第十八条，多人采用走访形式提出共同的信访事项的，应当推选代表，代表人数不超过5人。",
    ),
    (
        Acceptance::NoLongerAccepted,
        "final_after_recheck",
        "已经复查、复核，仍以同一事实和理由提出",
        "根据《信访条例》第三十五条，信访人对复核意见不服，仍然以同一事实和理由提出投诉请求的，各级人民政府信访工作机构和其他行政机关不再受理。",
    ),
    (
        Acceptance::ReferredToLocality,
        "township_matter",
        "属乡镇（街道）职责范围",
        "根据属地管理、分级负责，谁主管、谁负责的原则，您反映的问题属事发地乡镇人民政府（街道办事处）职责范围，请持本告知单回当地向其反映。",
    ),
    (
        Acceptance::ReferredToDepartment,
        "department_matter",
        "属本级有关部门职责范围",
        "根据《信访工作条例》第二十二条，您反映的问题属下列主管部门职责范围，现转送该部门依法处理，该部门将书面告知您是否受理。",
    ),
];

pub fn label(table: &[(&'static str, &'static str)], code: &str) -> Option<&'static str> {
    table.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

pub fn decision_reason(
    acceptance: Acceptance,
    code: &str,
) -> Option<&'static (Acceptance, &'static str, &'static str, &'static str)> {
    DECISION_REASONS
        .iter()
        .find(|(a, c, _, _)| *a == acceptance && *c == code)
}

pub fn reasons_for(
    acceptance: Acceptance,
) -> impl Iterator<Item = &'static (Acceptance, &'static str, &'static str, &'static str)> {
    DECISION_REASONS
        .iter()
        .filter(move |(a, _, _, _)| *a == acceptance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_codes_are_three_levels_of_two_digits() {
        for (code, _) in CATEGORIES {
            assert_eq!(code.len(), 6);
            let (l1, rest) = code.split_at(2);
            assert_ne!(l1, "00");
            // A lower level exists only under a listed parent.
            if rest != "0000" {
                let parent = if &rest[2..] == "00" {
                    format!("{l1}0000")
                } else {
                    format!("{}00", &code[..4])
                };
                assert!(label(CATEGORIES, &parent).is_some(), "{code} has no parent");
            }
        }
    }

    #[test]
    fn every_non_accepting_decision_has_a_reason_with_legal_text() {
        for a in Acceptance::ALL {
            let reasons: Vec<_> = reasons_for(a).collect();
            assert!(!reasons.is_empty(), "{a:?}");
            if a != Acceptance::Accepted {
                assert!(reasons.iter().all(|r| !r.3.is_empty()));
            }
        }
    }
}
