//! Registering a petition (V1.1, L3): the raw input as typed at the window or sent to the API,
//! parsed once into a `Registration` that the rest of the system trusts.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::catalog;
use crate::error::FieldError;
use crate::resident_id::{ResidentId, ResidentIdKind, Sex};
use crate::role::Role;
use crate::source::{Source, SourceInput, parse_source};
use crate::township::{TownshipRef, parse_township};
use crate::words::Channel;
pub use crate::words::{parse_date, parse_datetime};

/// 5 or more people make a visit collective; at most 5 representatives (2005 Art. 18).
pub const COLLECTIVE_THRESHOLD: i64 = 5;
pub const MAX_REPRESENTATIVES: usize = 5;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct PetitionerInput {
    pub name: String,
    pub id_type: String,
    pub id_number: String,
    /// Only when no ID number says it: "male" / "female".
    pub sex: String,
    /// Only when no ID number says it.
    pub age: Option<i64>,
    pub ethnicity: String,
    pub address: String,
    pub phone: String,
    pub occupation: String,
    pub is_representative: bool,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct RegistrationInput {
    pub channel: String,
    /// China Standard Time, `YYYY-MM-DDTHH:MM` (seconds optional); empty = now.
    pub visited_at: String,
    pub petitioners: Vec<PetitionerInput>,
    pub visitor_count: Option<i64>,
    pub people_involved: Option<i64>,
    pub issue_region: String,
    pub summary: String,
    pub requests: String,
    pub proposal: String,
    pub purpose: String,
    pub category: String,
    pub petition_class: String,
    pub anonymous: bool,
    pub consent_to_publish: bool,
    pub major_urgent: bool,
    pub confidential: bool,
    pub skip_level: bool,
    pub out_of_district: bool,
    pub repeat_of: Option<String>,
    pub repeat_reason: String,
    /// 检举控告: the handling unit accused, so that it never sees the accuser (2005 Art. 23).
    pub accused_unit_id: Option<String>,
    /// Where the matter came from; an empty kind means the petitioner's own accord (online
    /// for the online channel).
    pub source: SourceInput,
    /// The township or street office of the matter: one of the bureau's township units, or a
    /// 9-digit township statistical code (`township::parse_township`).
    pub township: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Petitioner {
    pub name: String,
    pub id_type: String,
    pub id_number: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<Sex>,
    pub age: Option<i64>,
    pub ethnicity: Option<String>,
    pub address: String,
    pub phone: String,
    pub occupation: String,
    pub is_representative: bool,
    /// Region where the ID number was issued (GB 11643 address code), if an ID was checked.
    pub id_region: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registration {
    pub channel: Channel,
    pub visited_at: NaiveDateTime,
    pub petitioners: Vec<Petitioner>,
    pub visitor_count: i64,
    pub people_involved: i64,
    pub collective: bool,
    pub issue_region: String,
    pub summary: String,
    pub requests: String,
    pub proposal: String,
    pub purpose: Option<String>,
    pub category: Option<String>,
    pub petition_class: Option<String>,
    pub anonymous: bool,
    pub consent_to_publish: bool,
    pub major_urgent: bool,
    pub confidential: bool,
    pub skip_level: bool,
    pub out_of_district: bool,
    pub repeat_of: Option<String>,
    pub repeat_reason: String,
    pub accused_unit_id: Option<String>,
    pub source: Source,
    pub township: TownshipRef,
}

impl Registration {
    pub fn representatives(&self) -> usize {
        self.petitioners
            .iter()
            .filter(|p| p.is_representative)
            .count()
    }
}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

fn limit(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) {
    if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("内容过长：不超过 {max} 个字"),
        ));
    }
}

/// Mainland mobile (11 digits from 1) or a landline with its area code.
pub fn validate_phone(field: &str, s: &str) -> Result<String, FieldError> {
    let t: String = s.trim().chars().filter(|c| *c != ' ').collect();
    let digits = t.chars().filter(|c| c.is_ascii_digit()).count();
    let ok = t
        .chars()
        .all(|c| c.is_ascii_digit() || c == '-' || c == '+')
        && (7..=20).contains(&digits)
        && (!t.starts_with('1') || t.len() != 11 || matches!(t.as_bytes()[1], b'3'..=b'9'));
    if ok {
        Ok(t)
    } else {
        Err(FieldError::new(
            field,
            "invalid_phone",
            format!("联系电话「{}」格式不正确", s.trim()),
        ))
    }
}

fn parse_petitioner(
    p: &PetitionerInput,
    today: NaiveDate,
    errors: &mut Vec<FieldError>,
    prefix: &str,
) -> Option<Petitioner> {
    let start = errors.len();
    let name = p.name.trim().to_string();
    if name.is_empty() {
        errors.push(FieldError::new(
            format!("{prefix}.name"),
            "required",
            "请填写姓名",
        ));
    }
    limit(&format!("{prefix}.name"), &name, 50, errors);
    let id_type = if blank(&p.id_type) {
        if blank(&p.id_number) {
            "none"
        } else {
            "resident_id"
        }
    } else {
        p.id_type.trim()
    };
    if catalog::label(catalog::ID_TYPES, id_type).is_none() {
        errors.push(FieldError::new(
            format!("{prefix}.id_type"),
            "unknown_id_type",
            format!("未知的证件类型：{id_type}"),
        ));
    }
    let mut id_number = None;
    let mut birth_date = None;
    let mut sex = None;
    let mut age = p.age;
    let mut id_region = None;
    let number = p.id_number.trim();
    match id_type {
        "none" if !number.is_empty() => {
            errors.push(FieldError::new(
                format!("{prefix}.id_type"),
                "id_type_required",
                "填写了证件号码，请选择证件类型",
            ));
        }
        "passport" => {
            let ok = (5..=20).contains(&number.len())
                && number.chars().all(|c| c.is_ascii_alphanumeric());
            if ok {
                id_number = Some(number.to_ascii_uppercase());
            } else {
                errors.push(FieldError::new(
                    format!("{prefix}.id_number"),
                    "passport_format",
                    "护照号码应为 5 至 20 位字母或数字",
                ));
            }
        }
        "resident_id"
        | "hk_macao_residence_permit"
        | "taiwan_residence_permit"
        | "foreign_permanent_resident" => match ResidentId::parse(number, today) {
            Ok(id) => {
                let expected = match id.kind() {
                    ResidentIdKind::Mainland => "resident_id",
                    ResidentIdKind::HongKongResidencePermit
                    | ResidentIdKind::MacaoResidencePermit => "hk_macao_residence_permit",
                    ResidentIdKind::TaiwanResidencePermit => "taiwan_residence_permit",
                    ResidentIdKind::ForeignPermanentResident => "foreign_permanent_resident",
                };
                if expected != id_type {
                    errors.push(FieldError::new(
                        format!("{prefix}.id_type"),
                        "id_type_mismatch",
                        format!(
                            "证件号码属于「{}」，与所选证件类型不符",
                            catalog::label(catalog::ID_TYPES, expected).unwrap_or(expected)
                        ),
                    ));
                }
                id_number = Some(id.number().to_string());
                birth_date = Some(id.birth_date());
                sex = Some(id.sex());
                age = Some(i64::from(id.age_on(today)));
                if id.kind() == ResidentIdKind::Mainland {
                    id_region = Some(id.address_code().to_string());
                }
            }
            Err(e) => errors.push(e.under(prefix)),
        },
        _ => {}
    }
    if sex.is_none() && !blank(&p.sex) {
        sex = match p.sex.trim() {
            "male" | "男" => Some(Sex::Male),
            "female" | "女" => Some(Sex::Female),
            other => {
                errors.push(FieldError::new(
                    format!("{prefix}.sex"),
                    "invalid_sex",
                    format!("性别「{other}」无效"),
                ));
                None
            }
        };
    }
    if let Some(a) = age
        && !(0..=130).contains(&a)
    {
        errors.push(FieldError::new(
            format!("{prefix}.age"),
            "invalid_age",
            "年龄应在 0 至 130 之间",
        ));
    }
    let ethnicity = if blank(&p.ethnicity) {
        None
    } else {
        match crate::ethnicity::parse(p.ethnicity.trim()) {
            Ok(code) => Some(code.to_string()),
            Err(e) => {
                errors.push(e.under(prefix));
                None
            }
        }
    };
    let phone = if blank(&p.phone) {
        String::new()
    } else {
        match validate_phone(&format!("{prefix}.phone"), &p.phone) {
            Ok(p) => p,
            Err(e) => {
                errors.push(e);
                String::new()
            }
        }
    };
    limit(&format!("{prefix}.address"), &p.address, 200, errors);
    limit(&format!("{prefix}.occupation"), &p.occupation, 100, errors);
    if errors.len() > start {
        return None;
    }
    Some(Petitioner {
        name,
        id_type: id_type.to_string(),
        id_number,
        birth_date,
        sex,
        age,
        ethnicity,
        address: p.address.trim().to_string(),
        phone,
        occupation: p.occupation.trim().to_string(),
        is_representative: p.is_representative,
        id_region,
    })
}

/// Parses and checks a registration. `now` is the injected clock's local (CST) time.
pub fn parse_registration(
    input: &RegistrationInput,
    now: NaiveDateTime,
) -> Result<Registration, Vec<FieldError>> {
    let mut errors = Vec::new();
    let today = now.date();
    let channel = if blank(&input.channel) {
        Some(Channel::Visit)
    } else {
        let c = Channel::parse(input.channel.trim());
        if c.is_none() {
            errors.push(FieldError::new(
                "channel",
                "unknown_channel",
                format!("未知的信访形式：{}", input.channel.trim()),
            ));
        }
        c
    };
    let visited_at = if blank(&input.visited_at) {
        Some(now)
    } else {
        match parse_datetime("visited_at", &input.visited_at) {
            Ok(t) if t > now + chrono::Duration::minutes(5) => {
                errors.push(FieldError::new(
                    "visited_at",
                    "future_datetime",
                    "来访（收信）时间不能晚于当前时间",
                ));
                None
            }
            Ok(t) => Some(t),
            Err(e) => {
                errors.push(e);
                None
            }
        }
    };
    if input.petitioners.is_empty() && !input.anonymous {
        errors.push(FieldError::new(
            "petitioners",
            "required",
            "请至少登记一名信访人",
        ));
    }
    if input.petitioners.len() > 200 {
        errors.push(FieldError::new(
            "petitioners",
            "too_many",
            "一次登记的信访人不超过 200 人",
        ));
    }
    let mut petitioners = Vec::new();
    for (i, p) in input.petitioners.iter().enumerate() {
        if let Some(p) = parse_petitioner(p, today, &mut errors, &format!("petitioners[{i}]")) {
            petitioners.push(p);
        }
    }
    let representatives = input
        .petitioners
        .iter()
        .filter(|p| p.is_representative)
        .count();
    if representatives > MAX_REPRESENTATIVES {
        errors.push(FieldError::new(
            "petitioners",
            "too_many_representatives",
            format!(
                "集体访推选的代表不得超过 {MAX_REPRESENTATIVES} 人，当前为 {representatives} 人"
            ),
        ));
    }
    let visitor_count = input
        .visitor_count
        .unwrap_or(input.petitioners.len().max(1) as i64);
    if !(1..=100_000).contains(&visitor_count) {
        errors.push(FieldError::new(
            "visitor_count",
            "invalid_count",
            "信访人数应为正整数",
        ));
    }
    if (visitor_count as usize) < input.petitioners.len() {
        errors.push(FieldError::new(
            "visitor_count",
            "count_below_registered",
            "信访人数不能少于已登记的信访人数",
        ));
    }
    // A call is registered with the same form and checks as a visit, and the number it came
    // from (issue 20).
    if channel == Some(Channel::Phone)
        && !input.petitioners.is_empty()
        && input.petitioners.iter().all(|p| p.phone.trim().is_empty())
    {
        errors.push(FieldError::new(
            "petitioners[0].phone",
            "caller_number_required",
            "电话信访须登记来电号码",
        ));
    }
    let people_involved = input.people_involved.unwrap_or(visitor_count);
    if people_involved < visitor_count.min(1) || people_involved > 10_000_000 {
        errors.push(FieldError::new(
            "people_involved",
            "invalid_count",
            "涉及人数应为正整数",
        ));
    }
    let issue_region = match crate::region::parse_issue_region(input.issue_region.trim()) {
        Ok(r) => Some(r.code.to_string()),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    if blank(&input.summary) {
        errors.push(FieldError::new(
            "summary",
            "required",
            "请填写反映的主要问题",
        ));
    }
    limit("summary", &input.summary, 5000, &mut errors);
    limit("requests", &input.requests, 2000, &mut errors);
    limit("proposal", &input.proposal, 2000, &mut errors);
    let code_field = |field: &str,
                      table: &[(&'static str, &'static str)],
                      v: &str,
                      what: &str,
                      errors: &mut Vec<FieldError>| {
        if blank(v) {
            None
        } else if catalog::label(table, v.trim()).is_some() {
            Some(v.trim().to_string())
        } else {
            errors.push(FieldError::new(
                field,
                "unknown_code",
                format!("未知的{what}代码：{}", v.trim()),
            ));
            None
        }
    };
    let purpose = code_field(
        "purpose",
        catalog::PURPOSES,
        &input.purpose,
        "信访目的",
        &mut errors,
    );
    let category = code_field(
        "category",
        catalog::CATEGORIES,
        &input.category,
        "内容分类",
        &mut errors,
    );
    let petition_class = code_field(
        "petition_class",
        catalog::PETITION_CLASSES,
        &input.petition_class,
        "信访事项类别",
        &mut errors,
    );
    let repeat_of = input
        .repeat_of
        .as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if repeat_of.is_some() && blank(&input.repeat_reason) {
        errors.push(FieldError::new(
            "repeat_reason",
            "required",
            "重复访（信）请填写重复信访的原因",
        ));
    }
    let source = {
        let mut source = input.source.clone();
        if blank(&source.kind) {
            source.kind = match channel {
                Some(Channel::Online) => "online",
                _ => "own_accord",
            }
            .into();
        }
        match parse_source(&source, today) {
            Ok(s) => Some(s),
            Err(mut e) => {
                e.field = e.field.map(|f| format!("source.{f}"));
                errors.push(e);
                None
            }
        }
    };
    let township = match parse_township(&input.township) {
        Ok(t) => Some(t),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let (Some(channel), Some(visited_at), Some(issue_region), Some(source), Some(township)) =
        (channel, visited_at, issue_region, source, township)
    else {
        return Err(errors);
    };
    Ok(Registration {
        channel,
        visited_at,
        collective: visitor_count >= COLLECTIVE_THRESHOLD,
        petitioners,
        visitor_count,
        people_involved,
        issue_region,
        summary: input.summary.trim().to_string(),
        requests: input.requests.trim().to_string(),
        proposal: input.proposal.trim().to_string(),
        purpose,
        category,
        petition_class,
        anonymous: input.anonymous,
        consent_to_publish: input.consent_to_publish,
        major_urgent: input.major_urgent,
        confidential: input.confidential,
        skip_level: input.skip_level,
        out_of_district: input.out_of_district,
        repeat_of,
        repeat_reason: input.repeat_reason.trim().to_string(),
        accused_unit_id: input
            .accused_unit_id
            .clone()
            .filter(|s| !s.trim().is_empty()),
        source,
        township,
    })
}

/// Which of the seed's registration fields are present (V1.1), for the same-day completeness
/// check (V1.3). Built from stored rows by the storage layer.
#[derive(Debug, Clone, Default)]
pub struct SeedFieldPresence {
    pub name: bool,
    pub id_checked: bool,
    pub age: bool,
    pub ethnicity: bool,
    pub address: bool,
    pub contact: bool,
    pub issue_region: bool,
    pub occupation: bool,
    pub summary: bool,
    pub requests: bool,
    pub proposal: bool,
    pub interview: bool,
    pub decision: bool,
}

/// The labels of what is still missing, in the seed's order.
pub fn missing_seed_fields(p: &SeedFieldPresence) -> Vec<&'static str> {
    [
        (p.name, "姓名"),
        (p.id_checked, "证件核对"),
        (p.age, "年龄"),
        (p.ethnicity, "民族"),
        (p.address, "住址"),
        (p.contact, "联系方式"),
        (p.issue_region, "事发地"),
        (p.occupation, "职业或单位"),
        (p.summary, "主要问题"),
        (p.requests, "诉求"),
        (p.proposal, "拟办意见"),
        (p.interview, "接谈记录"),
        (p.decision, "受理决定"),
    ]
    .into_iter()
    .filter(|(present, _)| !present)
    .map(|(_, label)| label)
    .collect()
}

/// The kind of the task an entry left incomplete at the end of its day becomes (V1.3).
pub const COMPLETENESS_TASK: &str = "complete_registration";

/// Same-day completeness (V1.3: 当日登记情况应做到记录完整、资料齐全，并在工作日结束前录入):
/// the title of the task an entry still incomplete at the end of its working day becomes, for
/// the staff who registered it (`completeness_task_role`). `missing` is what
/// [`missing_seed_fields`] lists; the caller makes a task only when it is not empty.
pub fn completeness_task_title(petition_no: &str, missing: &[&str]) -> String {
    format!(
        "{} 登记信息未在当日录入完整，请补录：{}",
        petition_no.trim(),
        missing.join("、")
    )
}

/// Who registers, and so completes, an entry (lifecycle §5): the receptionist for visits, the
/// letter clerk for letters.
pub fn completeness_task_role(channel: Channel) -> Role {
    if channel.follows_letter_procedure() {
        Role::LetterClerk
    } else {
        Role::Receptionist
    }
}

/// The completeness task an entry needs at the end of its working day, if any: its title when
/// something is missing, `None` when the entry is complete.
pub fn completeness_task(petition_no: &str, presence: &SeedFieldPresence) -> Option<String> {
    let missing = missing_seed_fields(presence);
    (!missing.is_empty()).then(|| completeness_task_title(petition_no, &missing))
}

/// The interview record (接谈, V2.1): the five things the seed lists.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct InterviewInput {
    pub facts_and_requests: String,
    pub earlier_petitions: String,
    pub skip_or_repeat_reason: String,
    pub abnormal_behaviour: String,
    pub coordination: String,
    /// Unfinished interviews become an appointment (约谈, V2.2).
    pub finished: Option<bool>,
    pub appointment_on: String,
    pub appointment_note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interview {
    pub facts_and_requests: String,
    pub earlier_petitions: String,
    pub skip_or_repeat_reason: String,
    pub abnormal_behaviour: String,
    pub coordination: String,
    pub appointment_on: Option<NaiveDate>,
    pub appointment_note: String,
}

pub fn parse_interview(
    input: &InterviewInput,
    today: NaiveDate,
) -> Result<Interview, Vec<FieldError>> {
    let mut errors = Vec::new();
    if blank(&input.facts_and_requests) {
        errors.push(FieldError::new(
            "facts_and_requests",
            "required",
            "请记录来访反映问题的主要情节和要求",
        ));
    }
    for (field, v) in [
        ("facts_and_requests", &input.facts_and_requests),
        ("earlier_petitions", &input.earlier_petitions),
        ("skip_or_repeat_reason", &input.skip_or_repeat_reason),
        ("abnormal_behaviour", &input.abnormal_behaviour),
        ("coordination", &input.coordination),
        ("appointment_note", &input.appointment_note),
    ] {
        limit(field, v, 5000, &mut errors);
    }
    let finished = input.finished.unwrap_or(true);
    let appointment_on = if finished {
        None
    } else if blank(&input.appointment_on) {
        errors.push(FieldError::new(
            "appointment_on",
            "required",
            "未谈完的来访须约定约谈日期",
        ));
        None
    } else {
        match parse_date("appointment_on", &input.appointment_on) {
            Ok(d) if d < today => {
                errors.push(FieldError::new(
                    "appointment_on",
                    "past_date",
                    "约谈日期不能早于今天",
                ));
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                errors.push(e);
                None
            }
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Interview {
        facts_and_requests: input.facts_and_requests.trim().into(),
        earlier_petitions: input.earlier_petitions.trim().into(),
        skip_or_repeat_reason: input.skip_or_repeat_reason.trim().into(),
        abnormal_behaviour: input.abnormal_behaviour.trim().into(),
        coordination: input.coordination.trim().into(),
        appointment_on,
        appointment_note: input.appointment_note.trim().into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> SeedFieldPresence {
        SeedFieldPresence {
            name: true,
            id_checked: true,
            age: true,
            ethnicity: true,
            address: true,
            contact: true,
            issue_region: true,
            occupation: true,
            summary: true,
            requests: true,
            proposal: true,
            interview: true,
            decision: true,
        }
    }

    #[test]
    fn an_entry_incomplete_at_the_end_of_the_day_becomes_a_task_for_who_registered_it() {
        assert_eq!(completeness_task("V2026-0001", &complete()), None);
        let mut p = complete();
        p.ethnicity = false;
        p.occupation = false;
        assert_eq!(missing_seed_fields(&p), ["民族", "职业或单位"]);
        assert_eq!(
            completeness_task(" V2026-0001 ", &p).as_deref(),
            Some("V2026-0001 登记信息未在当日录入完整，请补录：民族、职业或单位")
        );
        assert_eq!(
            completeness_task_title("L2026-0002", &["接谈记录"]),
            "L2026-0002 登记信息未在当日录入完整，请补录：接谈记录"
        );
        assert_eq!(missing_seed_fields(&SeedFieldPresence::default()).len(), 13);
        assert_eq!(completeness_task_role(Channel::Visit), Role::Receptionist);
        assert_eq!(completeness_task_role(Channel::Online), Role::LetterClerk);
        assert_eq!(completeness_task_role(Channel::Phone), Role::Receptionist);
        assert_eq!(completeness_task_role(Channel::Letter), Role::LetterClerk);
    }

    fn visit_input() -> RegistrationInput {
        RegistrationInput {
            petitioners: vec![PetitionerInput {
                name: "张三".into(),
                id_type: "none".into(),
                ..Default::default()
            }],
            issue_region: "652302".into(),
            summary: "反映欠薪".into(),
            township: "652302100".into(),
            ..Default::default()
        }
    }

    fn now() -> NaiveDateTime {
        "2026-11-27T10:00:00".parse().unwrap()
    }

    #[test]
    fn the_source_defaults_by_channel_and_its_errors_name_the_source_field() {
        let r = parse_registration(&visit_input(), now()).unwrap();
        assert_eq!(r.source, Source::OwnAccord);
        assert_eq!(
            r.township,
            TownshipRef::Code {
                code: "652302100".into()
            }
        );
        let mut online = visit_input();
        online.channel = "online".into();
        assert_eq!(
            parse_registration(&online, now()).unwrap().source,
            Source::Online
        );
        let mut assigned = visit_input();
        assigned.source = SourceInput {
            kind: "assigned_by_higher_organ".into(),
            organ: "市信访局".into(),
            issued_on: "2026-11-20".into(),
            ..Default::default()
        };
        let e = parse_registration(&assigned, now()).unwrap_err();
        assert_eq!(e[0].field.as_deref(), Some("source.deadline"));
        assigned.source.deadline = "2026-12-20".into();
        let r = parse_registration(&assigned, now()).unwrap();
        assert_eq!(r.source.higher_organ_deadline(), "2026-12-20".parse().ok());
    }

    #[test]
    fn a_call_is_registered_with_the_number_it_came_from() {
        let mut call = visit_input();
        call.channel = "phone".into();
        let e = parse_registration(&call, now()).unwrap_err();
        assert_eq!(
            (e[0].field.as_deref(), e[0].code),
            (Some("petitioners[0].phone"), "caller_number_required")
        );
        call.petitioners[0].phone = "0994-3221234".into();
        let r = parse_registration(&call, now()).unwrap();
        assert_eq!(r.channel, Channel::Phone);
        assert!(!r.channel.follows_letter_procedure());
    }

    #[test]
    fn the_township_is_required_at_every_intake() {
        let mut none = visit_input();
        none.township = " ".into();
        let e = parse_registration(&none, now()).unwrap_err();
        assert_eq!(
            (e[0].field.as_deref(), e[0].code),
            (Some("township"), "required")
        );
        // Errors are collected: a bad source and a bad township are both reported.
        let mut both = visit_input();
        both.township = "652302000".into();
        both.source.kind = "nowhere".into();
        let fields: Vec<_> = parse_registration(&both, now())
            .unwrap_err()
            .into_iter()
            .filter_map(|e| e.field)
            .collect();
        assert_eq!(fields, ["source.kind", "township"]);
    }
}
