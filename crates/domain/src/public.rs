//! The petitioner's side (rules §1, §9; notes/public-side.md): the online petition as the
//! public form types it, the query code and the last four characters that open a petition's
//! public status, the stage in words a citizen understands, what of a petition is meant for its
//! petitioner, the satisfaction rating, and the limits on anonymous callers. Pure: the callers
//! pass the time, the calendar and the stored facts.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::appeal;
use crate::calendar::OfficialCalendar;
use crate::document::DocumentKind;
use crate::error::FieldError;
use crate::registration::{PetitionerInput, Registration, RegistrationInput, parse_registration};
use crate::words::{Acceptance, Stage};

// ---------------------------------------------------------------------------------------------
// Query code and the last four characters

/// Query codes: 8 characters without 0/O and 1/I (they are read out on the phone).
pub const QUERY_CODE_ALPHABET: &str = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
pub const QUERY_CODE_LEN: usize = 8;

/// A query code as typed: spaces and dashes dropped, letters upper-cased.
pub fn parse_query_code(s: &str) -> Result<String, FieldError> {
    let code: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if code.is_empty() {
        return Err(FieldError::new("query_code", "required", "请输入查询码"));
    }
    if code.chars().count() != QUERY_CODE_LEN
        || !code.chars().all(|c| QUERY_CODE_ALPHABET.contains(c))
    {
        return Err(FieldError::new(
            "query_code",
            "invalid_query_code",
            "查询码应为 8 位字母或数字（不含 0、O、1、I）",
        ));
    }
    Ok(code)
}

/// The last four characters of the ID number or the phone, as typed.
pub fn parse_last4(s: &str) -> Result<String, FieldError> {
    let v: String = s.trim().chars().map(|c| c.to_ascii_uppercase()).collect();
    if v.is_empty() {
        return Err(FieldError::new(
            "last4",
            "required",
            "请输入身份证号码或手机号码的后四位",
        ));
    }
    if v.chars().count() != 4 || !v.chars().all(|c| c.is_ascii_digit() || c == 'X') {
        return Err(FieldError::new(
            "last4",
            "invalid_last4",
            "后四位应为 4 位数字（身份证末位可为 X）",
        ));
    }
    Ok(v)
}

/// The last four characters of a stored ID number or phone, as a query compares them.
pub fn last4_of(s: &str) -> Option<String> {
    let chars: Vec<char> = s
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (chars.len() >= 4).then(|| chars[chars.len() - 4..].iter().collect())
}

// ---------------------------------------------------------------------------------------------
// The online petition (网上信访)

/// At most this many attachments to one online petition, each checked like a scan.
pub const MAX_ATTACHMENTS: usize = 5;

/// The public form, as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct OnlinePetitionInput {
    pub name: String,
    /// resident_id | hk_macao_residence_permit | taiwan_residence_permit |
    /// foreign_permanent_resident | passport
    pub id_type: String,
    pub id_number: String,
    /// The mobile number the one-time code was sent to.
    pub phone: String,
    /// The one-time code sent to the phone.
    pub phone_code: String,
    /// Optional: notices also by e-mail.
    pub email: String,
    pub address: String,
    /// The township or street office of the matter (9-digit code or a township unit's id).
    pub township: String,
    /// GB/T 2260 code of the place of the matter; empty: the bureau's own county.
    pub issue_region: String,
    pub summary: String,
    pub requests: String,
    /// 是否同意公开: personal details may be shown if the reply is published.
    pub consent_to_publish: bool,
    /// The petitioner confirms the form raises one matter (一事一诉).
    pub one_matter: bool,
}

/// A checked online petition: its registration (channel online) and how to reach its writer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OnlinePetition {
    pub registration: Registration,
    pub phone: String,
    pub email: Option<String>,
}

/// An e-mail address, loosely: one `@`, a dot in the domain, no spaces.
pub fn parse_email(field: &str, s: &str) -> Result<Option<String>, FieldError> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let ok = t.len() <= 200
        && !t
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
        && t.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if ok {
        Ok(Some(t.to_string()))
    } else {
        Err(FieldError::new(
            field,
            "invalid_email",
            format!("电子邮箱「{t}」格式不正确"),
        ))
    }
}

/// A mainland mobile number (11 digits from 13–19): the one-time code goes to it by SMS.
pub fn parse_mobile(field: &str, s: &str) -> Result<String, FieldError> {
    let t: String = s
        .trim()
        .chars()
        .filter(|c| *c != ' ' && *c != '-')
        .collect();
    let ok = t.len() == 11
        && t.chars().all(|c| c.is_ascii_digit())
        && t.starts_with('1')
        && matches!(t.as_bytes()[1], b'3'..=b'9');
    if ok {
        Ok(t)
    } else if t.is_empty() {
        Err(FieldError::new(field, "required", "请填写手机号码"))
    } else {
        Err(FieldError::new(
            field,
            "invalid_mobile",
            format!("手机号码「{}」格式不正确，应为 11 位手机号", s.trim()),
        ))
    }
}

/// The one-time code: 6 digits.
pub const PHONE_CODE_LEN: usize = 6;
/// Minutes a code stays valid, and wrong tries before it is spent.
pub const PHONE_CODE_MINUTES: i64 = 10;
pub const PHONE_CODE_TRIES: i64 = 5;

pub fn parse_phone_code(s: &str) -> Result<String, FieldError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(FieldError::new(
            "phone_code",
            "required",
            "请填写短信验证码",
        ));
    }
    if t.len() != PHONE_CODE_LEN || !t.chars().all(|c| c.is_ascii_digit()) {
        return Err(FieldError::new(
            "phone_code",
            "invalid_phone_code",
            "短信验证码应为 6 位数字",
        ));
    }
    Ok(t.to_string())
}

/// The public form's field for a registration field (`petitioners[0].id_number` → `id_number`).
fn online_field(field: Option<String>) -> Option<String> {
    field.map(|f| {
        f.strip_prefix("petitioners[0].")
            .map(str::to_string)
            .unwrap_or(f)
    })
}

/// Checks the public form as the window checks a registration (ID number by GB 11643, region,
/// township, lengths), plus what the public form requires: a real name with an ID document, a
/// mobile phone, and the petitioner's word that the form raises one matter. `default_region`
/// is the bureau's county, used when the form names none. The phone code is checked apart
/// (it is spent by the check).
pub fn parse_online_petition(
    input: &OnlinePetitionInput,
    default_region: &str,
    now: chrono::NaiveDateTime,
) -> Result<OnlinePetition, Vec<FieldError>> {
    let mut errors = Vec::new();
    if input.id_type.trim() == "none" || input.id_number.trim().is_empty() {
        errors.push(FieldError::new(
            "id_number",
            "required",
            "网上信访须实名：请填写证件号码",
        ));
    }
    let phone = match parse_mobile("phone", &input.phone) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let email = match parse_email("email", &input.email) {
        Ok(e) => e,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    if input.address.trim().is_empty() {
        errors.push(FieldError::new("address", "required", "请填写住址"));
    }
    if input.requests.trim().is_empty() {
        errors.push(FieldError::new("requests", "required", "请填写诉求"));
    }
    if !input.one_matter {
        errors.push(FieldError::new(
            "one_matter",
            "one_matter_required",
            "一事一诉：请确认本表只反映一件事项，其他事项请另行提交",
        ));
    }
    let region = if input.issue_region.trim().is_empty() {
        default_region.to_string()
    } else {
        input.issue_region.trim().to_string()
    };
    let reg_input = RegistrationInput {
        channel: "online".into(),
        visited_at: String::new(),
        petitioners: vec![PetitionerInput {
            name: input.name.clone(),
            id_type: if input.id_type.trim().is_empty() {
                "resident_id".into()
            } else {
                input.id_type.clone()
            },
            id_number: input.id_number.clone(),
            address: input.address.clone(),
            phone: input.phone.clone(),
            ..Default::default()
        }],
        issue_region: region,
        summary: input.summary.clone(),
        requests: input.requests.clone(),
        consent_to_publish: input.consent_to_publish,
        township: input.township.clone(),
        ..Default::default()
    };
    let registration = match parse_registration(&reg_input, now) {
        Ok(r) => Some(r),
        Err(e) => {
            for mut x in e {
                x.field = online_field(x.field);
                // The phone was checked above, with the public form's own words.
                if x.field.as_deref() != Some("phone") && !errors.iter().any(|y| y.field == x.field)
                {
                    errors.push(x);
                }
            }
            None
        }
    };
    match (registration, phone) {
        (Some(registration), Some(phone)) if errors.is_empty() => Ok(OnlinePetition {
            registration,
            phone,
            email,
        }),
        _ => Err(errors),
    }
}

// ---------------------------------------------------------------------------------------------
// Limits on anonymous callers

/// A limit: at most `max` counted attempts under one key within `window_minutes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// The key's prefix: what is counted per what.
    pub prefix: &'static str,
    pub window_minutes: i64,
    pub max: i64,
}

impl Limit {
    pub fn key(&self, value: &str) -> String {
        format!("{}:{}", self.prefix, value)
    }

    /// Whether `counted` attempts within the window leave room for one more.
    pub fn allows(&self, counted: i64) -> bool {
        counted < self.max
    }
}

/// Queries from one address in 10 minutes, whatever their outcome.
pub const QUERIES_PER_ADDRESS: Limit = Limit {
    prefix: "query_addr",
    window_minutes: 10,
    max: 30,
};
/// Wrong combinations from one address in an hour.
pub const WRONG_QUERIES_PER_ADDRESS: Limit = Limit {
    prefix: "query_addr_wrong",
    window_minutes: 60,
    max: 10,
};
/// Wrong last-four tries on one query code in an hour, from anywhere.
pub const WRONG_QUERIES_PER_CODE: Limit = Limit {
    prefix: "query_code_wrong",
    window_minutes: 60,
    max: 5,
};
/// Online petitions from one address in a day.
pub const SUBMISSIONS_PER_ADDRESS: Limit = Limit {
    prefix: "submit_addr",
    window_minutes: 24 * 60,
    max: 10,
};
/// One-time codes to one phone in an hour, and from one address.
pub const CODES_PER_PHONE: Limit = Limit {
    prefix: "code_phone",
    window_minutes: 60,
    max: 5,
};
pub const CODES_PER_ADDRESS: Limit = Limit {
    prefix: "code_addr",
    window_minutes: 60,
    max: 20,
};

pub const THROTTLED: &str = "尝试次数过多，请稍后再试";

// ---------------------------------------------------------------------------------------------
// What a petitioner sees

/// The stage in words a citizen understands (never the bureau's internal names).
pub fn public_stage(stage: Stage, acceptance: Option<Acceptance>) -> &'static str {
    match stage {
        Stage::Received => "已收到，等待登记",
        Stage::ReturnedUnopened => "已退回",
        Stage::Registered | Stage::AwaitingInstruction => "已登记，正在审查是否受理",
        Stage::Decided => match acceptance {
            Some(Acceptance::NotAccepted) => "不予受理",
            Some(Acceptance::NoLongerAccepted) => "不再受理",
            _ => "已作出受理决定",
        },
        Stage::Disposing | Stage::ReportedUp | Stage::Coordinating | Stage::DirectReply => {
            "已受理，正在办理"
        }
        Stage::Assigned | Stage::Transferred => match acceptance {
            Some(Acceptance::ReferredToDepartment) => "已转送有关部门办理",
            _ => "已交有关单位办理",
        },
        Stage::SetAside | Stage::AwaitingCircular => "已受理，正在办理",
        Stage::Reviewing => "办理单位已报送办理结果，正在审核",
        Stage::AwaitingClosure => "已办理完毕，正在办结",
        Stage::Closed | Stage::Deregistered | Stage::Archived | Stage::Destroyed => {
            match acceptance {
                Some(Acceptance::NotAccepted) => "不予受理，已告知",
                Some(Acceptance::NoLongerAccepted) => "不再受理，已告知",
                Some(Acceptance::ReferredToLocality) => "已告知向当地反映",
                _ => "已办结",
            }
        }
    }
}

/// The documents meant for the petitioner, once issued: the window slips, the 告知书 of the
/// acceptance decision, the extension notice, the written query reply and the handling opinion.
pub fn for_petitioner(kind: DocumentKind) -> bool {
    matches!(
        kind,
        DocumentKind::VisitNoticeSlip
            | DocumentKind::VisitTransferSlip
            | DocumentKind::ExtensionNotice
            | DocumentKind::HandlingOpinion
            | DocumentKind::QueryReplyNotice
            | DocumentKind::AcceptanceNotice
            | DocumentKind::NonAcceptanceNotice
            | DocumentKind::NoLongerAcceptedNotice
    )
}

/// An issued document of the petition, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactDocument {
    pub id: String,
    pub kind: String,
    pub doc_no: Option<String>,
    /// RFC 3339 UTC.
    pub issued_at: Option<String>,
}

/// A handling report whose review passed: the bureau accepted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactOpinion {
    /// The handling unit's name; none for the bureau's own result.
    pub unit: Option<String>,
    pub unit_id: Option<String>,
    pub decision: String,
    pub reply: String,
    /// The day the petitioner received the written reply.
    pub served_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactAppeal {
    pub level: String,
    pub requested_on: NaiveDate,
    pub opinion: Option<String>,
    pub opinion_on: Option<NaiveDate>,
    pub opinion_served_on: Option<NaiveDate>,
}

/// What the store hands over about one petition found by its code (or an online petition not
/// yet registered): no name, no staff, no internal note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicFacts {
    /// None while an online petition waits to become a petition.
    pub petition_id: Option<String>,
    pub petition_no: Option<String>,
    pub channel: String,
    pub stage: Stage,
    pub acceptance: Option<Acceptance>,
    /// The day it was received (submitted, registered at the window).
    pub received_on: NaiveDate,
    pub decided_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub documents: Vec<FactDocument>,
    pub opinions: Vec<FactOpinion>,
    pub appeals: Vec<FactAppeal>,
    /// Subjects already rated (`bureau`, `unit`).
    pub rated: Vec<String>,
}

/// A document as the petitioner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicDocument {
    pub id: String,
    pub title: String,
    pub doc_no: Option<String>,
    pub issued_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicOpinion {
    pub unit: Option<String>,
    /// 支持 / 解释 / 不予支持
    pub decision: String,
    pub reply: String,
    pub served_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicAppeal {
    /// 复查 / 复核
    pub level: String,
    pub requested_on: String,
    pub opinion: Option<String>,
    pub opinion_on: Option<String>,
}

/// What may be rated now, until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RatingOffer {
    pub until: String,
    /// `bureau`, and `unit` when a unit handled it.
    pub subjects: Vec<String>,
    pub unit: Option<String>,
    pub levels: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicStatus {
    pub petition_no: Option<String>,
    pub channel: String,
    pub stage: String,
    /// The stage in a citizen's words.
    pub stage_label: String,
    pub received_on: String,
    pub decided_on: Option<String>,
    pub closed_on: Option<String>,
    pub documents: Vec<PublicDocument>,
    pub opinions: Vec<PublicOpinion>,
    pub appeals: Vec<PublicAppeal>,
    pub rating: Option<RatingOffer>,
    pub rated: bool,
    /// The last day a 复查 may be requested online, while it may.
    pub reexamination_until: Option<String>,
}

fn decision_zh(code: &str) -> String {
    match code {
        "support" => "支持",
        "explain" => "解释",
        "reject" => "不予支持",
        other => other,
    }
    .to_string()
}

/// When the handling opinion reached the petitioner: the first day on which an accepted report's
/// written reply was served.
pub fn opinion_served_on(f: &PublicFacts) -> Option<NaiveDate> {
    f.opinions.iter().filter_map(|o| o.served_on).min()
}

/// The subjects a petitioner rates: the bureau, and the handling unit when one handled it.
pub fn rating_subjects(f: &PublicFacts) -> (Vec<String>, Option<String>) {
    let unit = f.opinions.iter().find_map(|o| o.unit.clone());
    let mut subjects = vec!["bureau".to_string()];
    if unit.is_some() {
        subjects.push("unit".into());
    }
    (subjects, unit)
}

/// The public status of a petition: only what is meant for its petitioner.
pub fn public_status(
    f: &PublicFacts,
    today: NaiveDate,
    cal: &OfficialCalendar,
    scale: &RatingScale,
    rating_window_days: u32,
) -> PublicStatus {
    let documents = f
        .documents
        .iter()
        .filter_map(|d| {
            let kind = DocumentKind::parse(&d.kind)?;
            for_petitioner(kind).then(|| PublicDocument {
                id: d.id.clone(),
                title: kind.title_zh().to_string(),
                doc_no: d.doc_no.clone(),
                issued_on: d
                    .issued_at
                    .as_deref()
                    .and_then(|t| t.get(..10))
                    .map(str::to_string),
            })
        })
        .collect();
    let opinions = f
        .opinions
        .iter()
        .filter(|o| !o.reply.trim().is_empty())
        .map(|o| PublicOpinion {
            unit: o.unit.clone(),
            decision: decision_zh(&o.decision),
            reply: o.reply.clone(),
            served_on: o.served_on.map(|d| d.to_string()),
        })
        .collect();
    let appeals = f
        .appeals
        .iter()
        .map(|a| PublicAppeal {
            level: crate::appeal::AppealLevel::parse(&a.level)
                .map(|l| l.label_zh().to_string())
                .unwrap_or_default(),
            requested_on: a.requested_on.to_string(),
            opinion: a.opinion.clone(),
            opinion_on: a.opinion_on.map(|d| d.to_string()),
        })
        .collect();
    let served = opinion_served_on(f);
    let (subjects, unit) = rating_subjects(f);
    let rated = subjects.iter().all(|s| f.rated.contains(s));
    let rating = served.and_then(|on| {
        let until = rating_closes(on, rating_window_days);
        (today <= until && !rated && f.petition_id.is_some()).then(|| RatingOffer {
            until: until.to_string(),
            subjects: subjects.clone(),
            unit: unit.clone(),
            levels: scale.levels.iter().map(|l| l.label.clone()).collect(),
        })
    });
    let closed = matches!(
        f.stage,
        Stage::Closed | Stage::Deregistered | Stage::Archived
    );
    let reexamination_until = served.and_then(|on| {
        let until = appeal::window_closes(cal, on);
        let asked = f.appeals.iter().any(|a| a.level == "reexamination");
        (closed && !asked && today <= until).then(|| until.to_string())
    });
    PublicStatus {
        petition_no: f.petition_no.clone(),
        channel: f.channel.clone(),
        stage: f.stage.as_str().into(),
        stage_label: public_stage(f.stage, f.acceptance).into(),
        received_on: f.received_on.to_string(),
        decided_on: f.decided_on.map(|d| d.to_string()),
        closed_on: f.closed_on.map(|d| d.to_string()),
        documents,
        opinions,
        appeals,
        rating,
        rated: served.is_some() && rated,
        reexamination_until,
    }
}

// ---------------------------------------------------------------------------------------------
// Satisfaction ratings (满意度评价)

/// Days after the handling opinion's delivery within which it may be rated, unless configured.
pub const DEFAULT_RATING_WINDOW_DAYS: u32 = 30;

/// The last day a rating is taken: `days` after the opinion reached the petitioner.
pub fn rating_closes(served_on: NaiveDate, days: u32) -> NaiveDate {
    served_on + chrono::Duration::days(i64::from(days))
}

/// How a level counts: satisfied levels make 满意率; a dissatisfied one opens a follow-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatingClass {
    Satisfied,
    Neutral,
    Dissatisfied,
}

impl RatingClass {
    pub fn as_str(self) -> &'static str {
        match self {
            RatingClass::Satisfied => "satisfied",
            RatingClass::Neutral => "neutral",
            RatingClass::Dissatisfied => "dissatisfied",
        }
    }

    pub fn parse(s: &str) -> Option<RatingClass> {
        [
            RatingClass::Satisfied,
            RatingClass::Neutral,
            RatingClass::Dissatisfied,
        ]
        .into_iter()
        .find(|c| c.as_str() == s.trim())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RatingLevel {
    pub label: String,
    pub class: RatingClass,
}

/// The bureau's scale, best first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RatingScale {
    pub levels: Vec<RatingLevel>,
}

/// The national default: 满意 / 基本满意 / 不满意.
pub const DEFAULT_RATING_SCALE: &str = "满意:satisfied,基本满意:satisfied,不满意:dissatisfied";

impl Default for RatingScale {
    fn default() -> Self {
        RatingScale::parse(DEFAULT_RATING_SCALE).unwrap_or(RatingScale { levels: Vec::new() })
    }
}

impl RatingScale {
    /// `label:class` pairs separated by commas; 2–7 levels, labels unique, at least one
    /// dissatisfied level (it is what opens a follow-up).
    pub fn parse(s: &str) -> Result<RatingScale, String> {
        let mut levels: Vec<RatingLevel> = Vec::new();
        for item in s
            .split([',', '，'])
            .map(str::trim)
            .filter(|x| !x.is_empty())
        {
            let (label, class) = item
                .split_once([':', '：'])
                .ok_or_else(|| format!("「{item}」应写作 等级:类别，如 满意:satisfied"))?;
            let label = label.trim();
            let class = RatingClass::parse(class).ok_or_else(|| {
                format!(
                    "「{}」不是类别：应为 satisfied、neutral 或 dissatisfied",
                    class.trim()
                )
            })?;
            if label.is_empty() || label.chars().count() > 10 {
                return Err("等级名称应为 1 至 10 个字".into());
            }
            if levels.iter().any(|l| l.label == label) {
                return Err(format!("等级「{label}」重复"));
            }
            levels.push(RatingLevel {
                label: label.to_string(),
                class,
            });
        }
        if !(2..=7).contains(&levels.len()) {
            return Err("评价等级应为 2 至 7 个".into());
        }
        if !levels.iter().any(|l| l.class == RatingClass::Dissatisfied) {
            return Err("至少要有一个 dissatisfied（不满意）等级".into());
        }
        Ok(RatingScale { levels })
    }

    pub fn level(&self, label: &str) -> Option<&RatingLevel> {
        self.levels.iter().find(|l| l.label == label.trim())
    }
}

/// A rating as given: a level for the bureau, one for the handling unit, a comment.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct RatingInput {
    pub bureau: String,
    pub unit: String,
    pub comment: String,
}

/// One subject's rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rating {
    /// `bureau` or `unit`.
    pub subject: String,
    pub level: RatingLevel,
    pub comment: String,
}

/// Checks a rating against the scale and the subjects still to rate; the unit is rated only
/// when a unit handled the matter.
pub fn parse_rating(
    input: &RatingInput,
    scale: &RatingScale,
    subjects: &[String],
) -> Result<Vec<Rating>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let comment = input.comment.trim().to_string();
    if comment.chars().count() > 1000 {
        errors.push(FieldError::new(
            "comment",
            "too_long",
            "评价意见不超过 1000 字",
        ));
    }
    let mut out = Vec::new();
    for (subject, value, what) in [
        ("bureau", &input.bureau, "信访部门"),
        ("unit", &input.unit, "办理单位"),
    ] {
        if !subjects.iter().any(|s| s == subject) {
            continue;
        }
        match scale.level(value) {
            Some(level) => out.push(Rating {
                subject: subject.into(),
                level: level.clone(),
                comment: comment.clone(),
            }),
            None if value.trim().is_empty() => errors.push(FieldError::new(
                subject,
                "required",
                format!("请对{what}作出评价"),
            )),
            None => errors.push(FieldError::new(
                subject,
                "unknown_level",
                format!(
                    "「{}」不是评价等级，应为 {}",
                    value.trim(),
                    scale
                        .levels
                        .iter()
                        .map(|l| l.label.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            )),
        }
    }
    if out.is_empty() && errors.is_empty() {
        errors.push(FieldError::general("nothing_to_rate", "没有待评价的事项"));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The kind of the follow-up task a dissatisfied rating opens for the office.
pub const RATING_FOLLOW_UP_TASK: &str = "rating_follow_up";

/// The follow-up task's title: the petition and what was rated dissatisfied.
pub fn follow_up_title(
    petition_no: &str,
    ratings: &[Rating],
    unit: Option<&str>,
) -> Option<String> {
    let bad: Vec<String> = ratings
        .iter()
        .filter(|r| r.level.class == RatingClass::Dissatisfied)
        .map(|r| match r.subject.as_str() {
            "unit" => format!("办理单位{}「{}」", unit.unwrap_or(""), r.level.label),
            _ => format!("信访部门「{}」", r.level.label),
        })
        .collect();
    (!bad.is_empty()).then(|| format!("{petition_no} 满意度评价：{}，请回访", bad.join("、")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now() -> chrono::NaiveDateTime {
        "2026-11-27T10:00:00".parse().unwrap()
    }

    fn form() -> OnlinePetitionInput {
        OnlinePetitionInput {
            name: "王五".into(),
            id_type: "resident_id".into(),
            id_number: "11010519491231002X".into(),
            phone: "13912345678".into(),
            phone_code: "123456".into(),
            address: "阜康市城关镇东风村3组12号".into(),
            township: "652302100".into(),
            summary: "反映小区供暖不达标。".into(),
            requests: "要求物业整改。".into(),
            one_matter: true,
            ..Default::default()
        }
    }

    #[test]
    fn an_online_petition_is_checked_as_at_the_window_and_names_the_public_fields() {
        let p = parse_online_petition(&form(), "652302", now()).unwrap();
        assert_eq!(p.registration.channel, crate::words::Channel::Online);
        assert_eq!(p.registration.source, crate::source::Source::Online);
        assert_eq!(p.phone, "13912345678");
        assert_eq!(p.registration.issue_region, "652302");
        let mut bad = form();
        bad.id_number = "110105194912310021".into();
        bad.phone = "12345".into();
        bad.one_matter = false;
        bad.email = "a@b".into();
        let e = parse_online_petition(&bad, "652302", now()).unwrap_err();
        let fields: Vec<_> = e.iter().filter_map(|x| x.field.clone()).collect();
        for f in ["id_number", "phone", "one_matter", "email"] {
            assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
        }
        assert!(e.iter().any(|x| x.code == "id_checksum"), "{e:?}");
        let mut anonymous = form();
        anonymous.id_type = "none".into();
        anonymous.id_number = String::new();
        let e = parse_online_petition(&anonymous, "652302", now()).unwrap_err();
        assert!(e.iter().any(|x| x.message.contains("实名")), "{e:?}");
    }

    #[test]
    fn codes_and_last_fours_are_read_as_typed() {
        assert_eq!(parse_query_code(" abcd-2345 ").unwrap(), "ABCD2345");
        assert_eq!(
            parse_query_code("ABCD234O").unwrap_err().code,
            "invalid_query_code"
        );
        assert_eq!(parse_query_code("").unwrap_err().code, "required");
        assert_eq!(parse_last4("002x").unwrap(), "002X");
        assert_eq!(parse_last4("12345").unwrap_err().code, "invalid_last4");
        assert_eq!(last4_of("11010519491231002x").as_deref(), Some("002X"));
        assert_eq!(last4_of("0994-1234567").as_deref(), Some("4567"));
        assert_eq!(last4_of("123"), None);
    }

    proptest! {
        #[test]
        fn a_generated_code_always_parses_to_itself(idx in proptest::collection::vec(0usize..32, 8)) {
            let code: String = idx.iter().map(|i| QUERY_CODE_ALPHABET.as_bytes()[*i] as char).collect();
            prop_assert_eq!(parse_query_code(&code.to_lowercase()).unwrap(), code);
        }

        #[test]
        fn anything_else_is_refused_not_panicked_on(s in "\\PC{0,20}") {
            let _ = parse_query_code(&s);
            let _ = parse_last4(&s);
            let _ = parse_email("email", &s);
            let _ = parse_mobile("phone", &s);
        }
    }

    #[test]
    fn the_stage_is_told_in_citizen_words() {
        assert_eq!(public_stage(Stage::Received, None), "已收到，等待登记");
        assert_eq!(
            public_stage(Stage::AwaitingInstruction, None),
            "已登记，正在审查是否受理"
        );
        assert_eq!(
            public_stage(Stage::Closed, Some(Acceptance::NotAccepted)),
            "不予受理，已告知"
        );
        // No stage is told in the bureau's own jargon.
        for s in Stage::ALL {
            for a in [None, Some(Acceptance::Accepted)] {
                let words = public_stage(s, a);
                for jargon in [
                    "拟办", "交办", "审阅", "结案", "签收", "批示", "暂存", "通报", "销案",
                ] {
                    assert!(!words.contains(jargon), "{s:?}: {words}");
                }
            }
        }
    }

    fn facts() -> PublicFacts {
        PublicFacts {
            petition_id: Some("p".into()),
            petition_no: Some("W2026-000001".into()),
            channel: "online".into(),
            stage: Stage::Closed,
            acceptance: Some(Acceptance::Accepted),
            received_on: "2026-11-01".parse().unwrap(),
            decided_on: Some("2026-11-05".parse().unwrap()),
            closed_on: Some("2026-11-27".parse().unwrap()),
            documents: vec![
                FactDocument {
                    id: "d1".into(),
                    kind: "acceptance_notice".into(),
                    doc_no: Some("阜信受告〔2026〕1号".into()),
                    issued_at: Some("2026-11-06T02:00:00Z".into()),
                },
                FactDocument {
                    id: "d2".into(),
                    kind: "assignment_letter".into(),
                    doc_no: Some("阜信交〔2026〕1号".into()),
                    issued_at: Some("2026-11-07T02:00:00Z".into()),
                },
            ],
            opinions: vec![FactOpinion {
                unit: Some("城关镇".into()),
                unit_id: Some("u".into()),
                decision: "support".into(),
                reply: "已督促整改。".into(),
                served_on: Some("2026-11-20".parse().unwrap()),
            }],
            appeals: Vec::new(),
            rated: Vec::new(),
        }
    }

    #[test]
    fn the_petitioner_sees_only_what_is_meant_for_them_and_may_rate_within_the_window() {
        let cal = OfficialCalendar::default();
        let scale = RatingScale::default();
        let today: NaiveDate = "2026-11-27".parse().unwrap();
        let s = public_status(&facts(), today, &cal, &scale, 30);
        assert_eq!(
            s.documents.len(),
            1,
            "the 交办函 is internal: {:?}",
            s.documents
        );
        assert_eq!(s.documents[0].title, "受理告知书");
        assert_eq!(s.opinions[0].decision, "支持");
        let offer = s.rating.clone().expect("rating open");
        assert_eq!(offer.until, "2026-12-20");
        assert_eq!(offer.subjects, ["bureau", "unit"]);
        assert_eq!(offer.levels, ["满意", "基本满意", "不满意"]);
        assert!(s.reexamination_until.is_some());
        // After the window, or once rated, no offer.
        let late = public_status(&facts(), "2026-12-21".parse().unwrap(), &cal, &scale, 30);
        assert!(late.rating.is_none());
        let mut done = facts();
        done.rated = vec!["bureau".into(), "unit".into()];
        let s = public_status(&done, today, &cal, &scale, 30);
        assert!(s.rating.is_none() && s.rated);
        // No opinion yet: nothing to rate.
        let mut open = facts();
        open.opinions.clear();
        assert!(
            public_status(&open, today, &cal, &scale, 30)
                .rating
                .is_none()
        );
    }

    #[test]
    fn ratings_follow_the_scale_and_a_dissatisfied_one_opens_a_follow_up() {
        let scale = RatingScale::default();
        let subjects = vec!["bureau".to_string(), "unit".to_string()];
        let r = parse_rating(
            &RatingInput {
                bureau: "满意".into(),
                unit: "不满意".into(),
                comment: "拖了很久".into(),
            },
            &scale,
            &subjects,
        )
        .unwrap();
        assert_eq!(r.len(), 2);
        let title = follow_up_title("W2026-000001", &r, Some("城关镇")).unwrap();
        assert!(title.contains("办理单位城关镇「不满意」"), "{title}");
        assert!(follow_up_title("W2026-000001", &r[..1], None).is_none());
        let e = parse_rating(
            &RatingInput {
                bureau: "很好".into(),
                ..Default::default()
            },
            &scale,
            &subjects,
        )
        .unwrap_err();
        assert_eq!(e[0].code, "unknown_level");
        assert_eq!(e[1].field.as_deref(), Some("unit"));
        assert!(RatingScale::parse("好:satisfied").is_err());
        assert!(RatingScale::parse("好:satisfied,一般:neutral").is_err());
        let five = RatingScale::parse("非常满意:satisfied,满意:satisfied,一般:neutral,不满意:dissatisfied,非常不满意:dissatisfied").unwrap();
        assert_eq!(five.levels.len(), 5);
    }

    #[test]
    fn limits_count_per_key() {
        assert!(WRONG_QUERIES_PER_CODE.allows(4));
        assert!(!WRONG_QUERIES_PER_CODE.allows(5));
        assert_eq!(QUERIES_PER_ADDRESS.key("1.2.3.4"), "query_addr:1.2.3.4");
    }
}
