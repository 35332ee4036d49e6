//! 文稿办理 (seed 一(六), 二 二(六)): a document is drafted by the case officer, reviewed and
//! signed off by a bureau leader, numbered on sign-off, then issued. Pure: the state machine,
//! the editable fields and their validation, the text a draft starts from, and the data the
//! template receives.
//!
//! ```text
//! draft ──submit──▶ submitted ──sign_off──▶ signed_off ──issue──▶ issued
//!   ▲  edit            │ return (comment)                           │ correct
//!   └── returned ◀─────┘ (edit, submit again)                       ▼
//!                                                     a new draft that supersedes it
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::FieldError;
use crate::document::{DocumentKind, Layout, Numbering, Source};
use crate::role::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftState {
    Draft,
    Submitted,
    Returned,
    SignedOff,
    Issued,
}

impl DraftState {
    pub const ALL: [DraftState; 5] = [
        DraftState::Draft,
        DraftState::Submitted,
        DraftState::Returned,
        DraftState::SignedOff,
        DraftState::Issued,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DraftState::Draft => "draft",
            DraftState::Submitted => "submitted",
            DraftState::Returned => "returned",
            DraftState::SignedOff => "signed_off",
            DraftState::Issued => "issued",
        }
    }

    pub fn parse(s: &str) -> Option<DraftState> {
        DraftState::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            DraftState::Draft => "草稿",
            DraftState::Submitted => "待签发",
            DraftState::Returned => "已退回修改",
            DraftState::SignedOff => "已签发",
            DraftState::Issued => "已印发",
        }
    }

    /// Signed documents never change (a correction is a new document).
    pub fn is_immutable(self) -> bool {
        matches!(self, DraftState::SignedOff | DraftState::Issued)
    }

    pub fn is_editable(self) -> bool {
        matches!(self, DraftState::Draft | DraftState::Returned)
    }
}

/// What someone does to a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftCommand<'a> {
    Edit,
    Submit,
    Return {
        comment: &'a str,
    },
    SignOff,
    Issue,
    /// Start a new draft that supersedes this (signed) document.
    Correct,
}

impl DraftCommand<'_> {
    pub fn label_zh(&self) -> &'static str {
        match self {
            DraftCommand::Edit => "修改",
            DraftCommand::Submit => "送签",
            DraftCommand::Return { .. } => "退回",
            DraftCommand::SignOff => "签发",
            DraftCommand::Issue => "印发",
            DraftCommand::Correct => "更正",
        }
    }
}

/// The outcome of an allowed command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DraftStep {
    pub to: DraftState,
    /// The number is taken from the gap-free sequence now (on sign-off).
    pub assigns_number: bool,
    /// The final PDF and DOCX are rendered and stored now; afterwards nothing changes.
    pub renders_final: bool,
    /// The petition event recorded for it.
    pub event: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftingError {
    /// The role may not do this (403).
    Forbidden(String),
    /// Not in this state (409).
    WrongState(String),
    /// Bad input (422).
    Invalid(FieldError),
}

impl std::fmt::Display for DraftingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DraftingError::Forbidden(m) | DraftingError::WrongState(m) => f.write_str(m),
            DraftingError::Invalid(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for DraftingError {}

/// Who may issue a signed document: its drafters and whoever may sign it.
fn may_issue(kind: DocumentKind, role: Role) -> bool {
    kind.may_draft(role) || kind.spec().sign_off.may_sign(role) || role == Role::Office
}

/// The state machine: may `role` do `cmd` to a `kind` document in `state`?
pub fn step(
    kind: DocumentKind,
    state: DraftState,
    cmd: DraftCommand<'_>,
    role: Role,
) -> Result<DraftStep, DraftingError> {
    let spec = kind.spec();
    let forbidden = || {
        DraftingError::Forbidden(format!(
            "{}不能{}{}",
            role.label_zh(),
            cmd.label_zh(),
            spec.title_zh
        ))
    };
    let wrong = || {
        DraftingError::WrongState(format!(
            "{}当前为「{}」，不能{}",
            spec.title_zh,
            state.label_zh(),
            cmd.label_zh()
        ))
    };
    let ok = |to, assigns_number, renders_final, event| {
        Ok(DraftStep {
            to,
            assigns_number,
            renders_final,
            event,
        })
    };
    if !kind.needs_sign_off() {
        // Window slips and the 来信办理单 are issued by their own steps (services::issue_document).
        return Err(DraftingError::WrongState(format!(
            "{}由其办理环节直接出具，无需拟稿签发",
            spec.title_zh
        )));
    }
    match cmd {
        DraftCommand::Edit => {
            if !kind.may_draft(role) {
                return Err(forbidden());
            }
            if !state.is_editable() {
                return Err(wrong());
            }
            ok(state, false, false, "document_edited")
        }
        DraftCommand::Submit => {
            if !kind.may_draft(role) {
                return Err(forbidden());
            }
            if !state.is_editable() {
                return Err(wrong());
            }
            ok(DraftState::Submitted, false, false, "document_submitted")
        }
        DraftCommand::Return { comment } => {
            if !spec.sign_off.may_sign(role) {
                return Err(forbidden());
            }
            if state != DraftState::Submitted {
                return Err(wrong());
            }
            let n = comment.trim().chars().count();
            if n == 0 {
                return Err(DraftingError::Invalid(FieldError::new(
                    "comment",
                    "required",
                    "退回时请填写修改意见",
                )));
            }
            if n > 2000 {
                return Err(DraftingError::Invalid(FieldError::new(
                    "comment",
                    "too_long",
                    "修改意见不超过 2000 字",
                )));
            }
            ok(DraftState::Returned, false, false, "document_returned")
        }
        DraftCommand::SignOff => {
            if !spec.sign_off.may_sign(role) {
                return Err(DraftingError::Forbidden(format!(
                    "{}须由{}，{}不能签发",
                    spec.title_zh,
                    spec.sign_off.label_zh(),
                    role.label_zh()
                )));
            }
            if state != DraftState::Submitted {
                return Err(wrong());
            }
            ok(
                DraftState::SignedOff,
                kind.numbering() != Numbering::None,
                true,
                "document_signed_off",
            )
        }
        DraftCommand::Issue => {
            if !may_issue(kind, role) {
                return Err(forbidden());
            }
            if state != DraftState::SignedOff {
                return Err(wrong());
            }
            ok(DraftState::Issued, false, false, "document_issued")
        }
        DraftCommand::Correct => {
            if !kind.may_draft(role) {
                return Err(forbidden());
            }
            if !state.is_immutable() {
                return Err(DraftingError::WrongState(format!(
                    "{}尚未签发，可直接修改，无需更正",
                    spec.title_zh
                )));
            }
            ok(DraftState::Draft, false, false, "document_drafted")
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Editable fields

/// A free-text part of a draft that the case officer edits in the browser.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FieldSpec {
    pub key: &'static str,
    pub label_zh: &'static str,
    pub required: bool,
    pub max_chars: usize,
    pub multiline: bool,
}

const RECIPIENT: FieldSpec = FieldSpec {
    key: "recipient",
    label_zh: "主送",
    required: true,
    max_chars: 100,
    multiline: false,
};
const BODY: FieldSpec = FieldSpec {
    key: "body",
    label_zh: "正文",
    required: true,
    max_chars: 8000,
    multiline: true,
};
const CHAOSONG: FieldSpec = FieldSpec {
    key: "chaosong",
    label_zh: "抄送",
    required: false,
    max_chars: 200,
    multiline: false,
};
const SUBJECT: FieldSpec = FieldSpec {
    key: "subject",
    label_zh: "标题",
    required: true,
    max_chars: 60,
    multiline: false,
};

/// The editable fields of a kind.
pub fn fields_of(kind: DocumentKind) -> &'static [FieldSpec] {
    match kind.layout() {
        Layout::Wenjian | Layout::Xinhan => &[SUBJECT, RECIPIENT, BODY, CHAOSONG],
        Layout::Briefing => &[SUBJECT, BODY, CHAOSONG],
        Layout::Form => &[SUBJECT, BODY],
        Layout::Slip => &[],
    }
}

/// Parses edited fields: unknown keys are refused, required ones must be there, lengths are
/// bounded, and line breaks are normalised. The error names the field in Chinese.
pub fn parse_fields(
    kind: DocumentKind,
    input: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, FieldError> {
    let specs = fields_of(kind);
    if let Some(k) = input
        .keys()
        .find(|k| !specs.iter().any(|s| s.key == k.as_str()))
    {
        return Err(FieldError::new(
            format!("fields.{k}"),
            "unknown_field",
            format!("{}没有可编辑的「{k}」栏目", kind.title_zh()),
        ));
    }
    let mut out = BTreeMap::new();
    for s in specs {
        let raw = input.get(s.key).map(String::as_str).unwrap_or("");
        let v = raw.replace("\r\n", "\n").trim().to_string();
        if s.required && v.is_empty() {
            return Err(FieldError::new(
                format!("fields.{}", s.key),
                "required",
                format!("「{}」不能为空", s.label_zh),
            ));
        }
        if v.chars().count() > s.max_chars {
            return Err(FieldError::new(
                format!("fields.{}", s.key),
                "too_long",
                format!("「{}」不超过 {} 字", s.label_zh, s.max_chars),
            ));
        }
        if !s.multiline && v.contains('\n') {
            return Err(FieldError::new(
                format!("fields.{}", s.key),
                "single_line",
                format!("「{}」只能填写一行", s.label_zh),
            ));
        }
        if let Some(c) = v
            .chars()
            .find(|c| c.is_control() && *c != '\n' && *c != '\t')
        {
            return Err(FieldError::new(
                format!("fields.{}", s.key),
                "control_character",
                format!("「{}」含有不可见控制字符 U+{:04X}", s.label_zh, c as u32),
            ));
        }
        out.insert(s.key.to_string(), v);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Context and prefill

/// A petition as a draft sees it (names already as they should be printed).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PetitionFacts {
    pub petition_no: String,
    pub petitioner: String,
    pub address: String,
    pub phone: String,
    /// The date it was registered, YYYY-MM-DD.
    pub registered_on: String,
    pub channel_zh: String,
    pub summary: String,
    pub requests: String,
    pub category: String,
    pub region: String,
    /// The petitioner's query code, printed only on what goes to the petitioner; never part of
    /// the stored data of bulletins built from many petitions.
    #[serde(skip)]
    pub query_code: String,
}

/// What a kind may show of its petition. The 督办函 goes to a unit that may be the one accused:
/// no identity, and no matter of a confidential petition.
pub fn facts_for(
    kind: DocumentKind,
    mut facts: PetitionFacts,
    confidential: bool,
) -> PetitionFacts {
    if kind == DocumentKind::SupervisionLetter {
        facts.petitioner.clear();
        facts.address.clear();
        facts.phone.clear();
        facts.query_code.clear();
        if confidential {
            facts.summary.clear();
            facts.requests.clear();
        }
    }
    facts
}

/// Everything a draft is filled from (stored with the draft, read back at sign-off).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DraftContext {
    pub bureau_name: String,
    /// Today's date (China Standard Time), YYYY-MM-DD.
    pub today: String,
    /// The drafter's name.
    pub officer: String,
    /// One petition, or a selection for bulletins and circulars.
    pub petitions: Vec<PetitionFacts>,
    /// The unit that handles or receives it, when known.
    pub unit: Option<String>,
    /// A due date for a reply or report (交办函, 延期告知书, 督办函), YYYY-MM-DD.
    pub due_on: Option<String>,
    /// Why: the reason of a 不予受理 / 不再受理 decision, or what a 督办函 supervises (its trigger).
    pub reason: Option<String>,
    /// The legal text a non-accepting decision rests on and the way it points to.
    pub legal_basis: Option<String>,
    /// 督办函: what the supervising officer found or asked for.
    pub note: Option<String>,
    /// 督办函: the how-manieth supervision of this matter this is (1 for the first).
    pub count: u32,
    /// 信访情况通报: the period's figures it reports.
    pub briefing: Option<crate::statistics::Briefing>,
}

fn cn_date(s: &str) -> String {
    let mut it = s.split('-').map(|p| p.parse::<u32>().unwrap_or(0));
    match (it.next(), it.next(), it.next()) {
        (Some(y), Some(m), Some(d)) => format!("{y}年{m}月{d}日"),
        _ => s.to_string(),
    }
}

fn strip_end(s: &str) -> &str {
    s.trim().trim_end_matches(['。', '；', ';', '.'])
}

/// A summary as the object of a sentence: "反映…" stays, anything else gets "反映".
fn matter(p: &PetitionFacts) -> String {
    let s = strip_end(&p.summary);
    if s.starts_with("反映") {
        s.to_string()
    } else {
        format!("反映{s}")
    }
}

/// The text a new draft starts from, filled from the petition (or the selection).
pub fn prefill(kind: DocumentKind, ctx: &DraftContext) -> BTreeMap<String, String> {
    let empty = PetitionFacts::default();
    let p = ctx.petitions.first().unwrap_or(&empty);
    let unit = ctx.unit.clone().unwrap_or_else(|| "有关单位".into());
    let due = ctx
        .due_on
        .as_deref()
        .map(cn_date)
        .unwrap_or_else(|| "规定期限".into());
    let reg = cn_date(&p.registered_on);
    let name = &p.petitioner;
    let no = &p.petition_no;
    let m = matter(p);
    let (subject, recipient, body, chaosong): (String, String, String, String) = match kind {
        DocumentKind::ExtensionNotice => (
            "信访事项延期办理告知书".into(),
            name.clone(),
            format!(
                "你于{reg}{m}的信访事项（编号{no}），因情况复杂，需要进一步调查核实，不能在六十日内办结。\n\
                 根据《信访工作条例》的规定，经本机关负责人批准，办理期限延长至{due}。延长期限不超过三十日。\n\
                 特此告知。"
            ),
            String::new(),
        ),
        DocumentKind::AssignmentLetter => (
            format!("关于交办{name}信访事项的函"),
            unit.clone(),
            format!(
                "现将{name}{m}的信访事项（编号{no}）交由你单位办理。\n\
                 请你单位依法依规调查处理，将处理意见书面答复信访人，并于{due}前将办理结果书面报送我局。逾期未报的，我局将予以督办。\n\
                 附件：信访材料（编号{no}）"
            ),
            String::new(),
        ),
        DocumentKind::TransferLetter => (
            format!("关于转送{name}信访事项的函"),
            unit.clone(),
            format!(
                "现将{name}{m}的信访事项（编号{no}）转送你单位，请依照《信访工作条例》的规定办理。\n\
                 请你单位自收到之日起15日内决定是否受理并书面告知信访人。\n\
                 附件：信访材料（编号{no}）"
            ),
            String::new(),
        ),
        DocumentKind::HandlingOpinion => (
            "信访事项处理意见书".into(),
            name.clone(),
            format!(
                "你于{reg}{m}的信访事项（编号{no}），本机关已依法受理。经调查核实，现答复如下：\n\
                 一、基本情况\n\
                 经调查核实，（此处写明调查核实的事实）。\n\
                 二、处理意见\n\
                 （此处写明处理意见及其依据）。\n\
                 如对本处理意见不服，可自收到本意见书之日起30日内向本机关的上一级机关请求复查。"
            ),
            String::new(),
        ),
        DocumentKind::QueryReplyNotice => (
            "信访事项书面告知单".into(),
            name.clone(),
            format!(
                "你查询的信访事项（编号{no}，{reg}登记）{m}。现将查询结果告知如下：该事项已依法受理，目前正在办理中，办理结果将书面答复你。"
            ),
            String::new(),
        ),
        DocumentKind::ClosingReport => (
            format!("关于{name}信访事项的结案报告"),
            "局领导".into(),
            format!(
                "一、基本情况\n\
                 {name}于{reg}{m}（编号{no}）。\n\
                 二、办理过程\n\
                 我局依法受理后，交由{unit}调查处理，承办单位已按期报送办理结果，并书面答复信访人。\n\
                 三、处理结果\n\
                 （此处写明处理、复查、复核意见及信访人的意见）。\n\
                 四、结案意见\n\
                 该信访事项事实清楚、手续完备，已书面答复信访人，符合结案标准，建议予以结案。\n\
                 妥否，请审示。"
            ),
            String::new(),
        ),
        DocumentKind::ClosingApprovalForm => (
            "信访事项办结审批单".into(),
            String::new(),
            format!(
                "{name}{m}（编号{no}），经{unit}办理，已书面答复信访人。经审查，材料齐全，手续完备，拟予结案。"
            ),
            String::new(),
        ),
        DocumentKind::RequestReport => (
            format!("关于{name}反映问题的请示"),
            String::new(),
            format!(
                "{name}于{reg}{m}（编号{no}）。该问题涉及群众切身利益，需要区领导协调解决，特此请示。\n\
                 妥否，请批示。"
            ),
            String::new(),
        ),
        DocumentKind::DailyBulletin | DocumentKind::SpecialBulletin | DocumentKind::Circular => {
            let n = ctx.petitions.len();
            let mut body = match kind {
                DocumentKind::DailyBulletin => match &ctx.briefing {
                    Some(b) => bulletin_figures(b, &ctx.today),
                    None => format!(
                        "一、总体情况\n{}，我局共登记信访事项{n}件。主要情况如下：\n二、主要事项\n",
                        cn_date(&ctx.today)
                    ),
                },
                DocumentKind::SpecialBulletin => format!(
                    "一、基本情况\n近期我局接待办理的信访事项中，以下{n}件需要领导阅知：\n二、具体事项\n"
                ),
                _ => match &ctx.briefing {
                    Some(b) => {
                        let mut t = circular_figures(b);
                        if n > 0 {
                            t.push_str(&format!(
                                "四、典型事项\n现将{n}件典型信访事项及其办理情况通报如下：\n"
                            ));
                        }
                        t
                    }
                    None => format!(
                        "一、基本情况\n现将近期群众来信来访反映的{n}件信访事项及其办理情况通报如下：\n二、事项及办理情况\n"
                    ),
                },
            };
            for (i, q) in ctx.petitions.iter().enumerate() {
                body.push_str(&format!(
                    "（{}）{}{}。（编号{}）\n",
                    chinese_numeral(i + 1),
                    q.petitioner,
                    strip_end(&matter(q)),
                    q.petition_no
                ));
            }
            body.push_str(match kind {
                DocumentKind::Circular if ctx.briefing.is_some() => {
                    "五、工作要求\n请各单位对照通报的情况，认真分析本单位信访工作存在的问题，对逾期未办结的事项限期办结，并将办理情况书面报送我局。"
                }
                DocumentKind::Circular => {
                    "三、工作要求\n请各单位对照通报的事项，按期办结，并将办理情况书面报送我局。"
                }
                _ => "三、工作建议\n建议有关单位及时研究处理，防止矛盾激化。",
            });
            let subject = match kind {
                DocumentKind::Circular => match &ctx.briefing {
                    Some(b) => format!("关于{}全区信访情况的通报", b.label),
                    None => "关于近期信访事项办理情况的通报".to_string(),
                },
                _ => "信访信息".to_string(),
            };
            (
                subject,
                String::new(),
                body,
                "区委办公室，区政府办公室".into(),
            )
        }
        DocumentKind::AcceptanceNotice
        | DocumentKind::NonAcceptanceNotice
        | DocumentKind::NoLongerAcceptedNotice => {
            let decision = match kind {
                DocumentKind::AcceptanceNotice => {
                    "经审查，该信访事项属于本机关受理范围，本机关决定予以受理，并将依法按程序办理，办理结果将另行书面答复你。".to_string()
                }
                DocumentKind::NonAcceptanceNotice => format!(
                    "经审查，{}，本机关决定不予受理。",
                    ctx.reason
                        .as_deref()
                        .map(strip_end)
                        .unwrap_or("该事项不属于本机关受理范围")
                ),
                _ => format!(
                    "经审查，你反映的事项已经依法办理并经复查、复核终结，你以同一事实和理由再次提出信访请求，{}，本机关不再受理。",
                    ctx.reason
                        .as_deref()
                        .map(strip_end)
                        .unwrap_or("根据《信访工作条例》的规定")
                ),
            };
            let mut body =
                format!("你于{reg}{m}的信访事项（编号{no}），本机关已收悉。\n{decision}\n");
            if let Some(l) = ctx
                .legal_basis
                .as_deref()
                .map(str::trim)
                .filter(|l| !l.is_empty())
            {
                body.push_str(l);
                body.push('\n');
            }
            if kind == DocumentKind::AcceptanceNotice && !p.query_code.is_empty() {
                body.push_str(&format!(
                    "你可凭信访件编号{no}和查询码{}查询办理进度。\n",
                    p.query_code
                ));
            }
            body.push_str("特此告知。");
            (
                kind.title_zh().to_string(),
                name.clone(),
                body,
                String::new(),
            )
        }
        DocumentKind::SupervisionLetter => {
            // Never the petitioner's name: the unit supervised may be the one accused. The
            // matter only when the caller left the summary in (not for confidential petitions).
            let what = if p.summary.trim().is_empty() {
                String::new()
            } else {
                format!("{m}的")
            };
            let mut body = format!(
                "我局于{reg}登记的{what}信访事项（编号{no}）已转交你单位办理。经查，该事项存在以下情形：{}。",
                ctx.reason
                    .as_deref()
                    .map(strip_end)
                    .unwrap_or("尚未按期办结")
            );
            if ctx.count > 1 {
                body.push_str(&format!("这是我局就该事项第{}次督办。", ctx.count));
            }
            body.push('\n');
            if let Some(n) = ctx.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                body.push_str(n);
                body.push('\n');
            }
            body.push_str(&format!(
                "请你单位接此函后认真研究，依法依规办理，并于{due}前将办理情况书面报送我局。\n特此函告。"
            ));
            (
                format!("关于督促办理{no}号信访事项的函"),
                unit.clone(),
                body,
                String::new(),
            )
        }
        // Issued directly by their own steps (window, mailroom), not drafted here.
        DocumentKind::VisitNoticeSlip
        | DocumentKind::VisitTransferSlip
        | DocumentKind::LetterHandlingForm => {
            (String::new(), String::new(), String::new(), String::new())
        }
    };
    let mut out = BTreeMap::new();
    for f in fields_of(kind) {
        let v = match f.key {
            "subject" => subject.clone(),
            "recipient" => recipient.clone(),
            "body" => body.clone(),
            "chaosong" => chaosong.clone(),
            _ => String::new(),
        };
        out.insert(f.key.to_string(), v);
    }
    out
}

/// 1 → 一, 12 → 十二 (for （一） numbering up to 99).
/// The figures part of a 信访情况通报: 一、总体情况, 二、反映的主要问题, 三、各单位办理情况.
fn circular_figures(b: &crate::statistics::Briefing) -> String {
    use crate::statistics::{rate_zh, trend_zh};
    let list = |v: &[(String, i64)], unit: &str| -> String {
        v.iter()
            .take(5)
            .map(|(name, n)| format!("{name}{n}{unit}"))
            .collect::<Vec<_>>()
            .join("，")
    };
    let mut t = format!(
        "一、总体情况\n{}，我局共登记信访事项{}件{}人次，{}，{}。其中来信{}件，来访{}批{}人次，网上和电话信访{}件；集体访{}批{}人次；重复信访{}件。受理{}件，办结{}件，其中按期办结{}件；及时受理率{}，按期办结率{}。\n",
        b.label,
        b.petitions,
        b.persons,
        trend_zh(b.petitions, b.previous, "上期", &b.previous_label),
        trend_zh(b.petitions, b.year_before, "去年同期", &b.year_before_label),
        b.letters,
        b.visit_batches,
        b.visit_persons,
        b.network,
        b.collective_batches,
        b.collective_persons,
        b.repeat,
        b.accepted,
        b.closed,
        b.closed_on_time,
        rate_zh(b.timely_acceptance_rate),
        rate_zh(b.on_time_closure_rate),
    );
    t.push_str("二、反映的主要问题\n");
    if b.categories.is_empty() {
        t.push_str("本期无登记事项。\n");
    } else {
        t.push_str(&format!("按内容分类，{}。", list(&b.categories, "件")));
        if !b.townships.is_empty() {
            t.push_str(&format!("按问题属地，{}。", list(&b.townships, "件")));
        }
        t.push('\n');
    }
    t.push_str("三、各单位办理情况\n");
    if b.units.is_empty() {
        t.push_str("本期未向承办单位交办、转送信访事项。\n");
    } else {
        let units: Vec<String> = b
            .units
            .iter()
            .map(|(name, received, overdue)| {
                if *overdue > 0 {
                    format!("{name}收到交办、转送{received}件，逾期{overdue}件")
                } else {
                    format!("{name}收到交办、转送{received}件，无逾期")
                }
            })
            .collect();
        t.push_str(&format!("（按收到件数排列）{}。\n", units.join("；")));
    }
    if b.transfer_items > 0 || b.transfer_times > 0 {
        let per: Vec<String> = b
            .transfers
            .iter()
            .map(|(name, times, items)| format!("{name}{times}次{items}件"))
            .collect();
        t.push_str(&format!(
            "本期向有关单位转送信访事项{}次{}件，其中{}。",
            b.transfer_times,
            b.transfer_items,
            per.join("，")
        ));
    }
    let (due, filed, late) = b.transfer_reports;
    if due > 0 {
        t.push_str(&format!(
            "应报送转送事项办理情况报告{due}份，已报送{filed}份，逾期{late}份。"
        ));
    }
    if b.transfer_items > 0 || b.transfer_times > 0 || due > 0 {
        t.push('\n');
    }
    t
}

/// The figures part of a 每日信访信息 (V3.2): the day's volumes by channel, collective visits
/// and the matters raised most, then the selected petitions as its key matters.
fn bulletin_figures(b: &crate::statistics::Briefing, today: &str) -> String {
    let mut t = format!(
        "一、总体情况\n{}，我局共登记信访事项{}件{}人次。其中来信{}件，来访{}批{}人次，网上和电话信访{}件；集体访{}批{}人次；重复信访{}件。",
        cn_date(if b.label.is_empty() { today } else { &b.label }),
        b.petitions,
        b.persons,
        b.letters,
        b.visit_batches,
        b.visit_persons,
        b.network,
        b.collective_batches,
        b.collective_persons,
        b.repeat,
    );
    if !b.categories.is_empty() {
        let top: Vec<String> = b
            .categories
            .iter()
            .take(3)
            .map(|(name, n)| format!("{name}{n}件"))
            .collect();
        t.push_str(&format!("反映较多的问题：{}。", top.join("，")));
    }
    t.push_str("\n二、主要事项\n");
    t
}

pub fn chinese_numeral(n: usize) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n].to_string(),
        10 => "十".into(),
        11..=19 => format!("十{}", D[n % 10]),
        _ if n.is_multiple_of(10) && n < 100 => format!("{}十", D[n / 10]),
        _ if n < 100 => format!("{}十{}", D[n / 10], D[n % 10]),
        _ => n.to_string(),
    }
}

/// The data the template receives (the contract of `crates/docs/templates/*.typ` for drafted
/// kinds, see the docs crate README). `doc_no` is `None` before sign-off; the draft flag prints
/// a 草稿 mark.
pub fn template_data(
    kind: DocumentKind,
    ctx: &DraftContext,
    fields: &BTreeMap<String, String>,
    doc_no: Option<&str>,
    dated: &str,
    draft: bool,
) -> Value {
    let spec = kind.spec();
    let f = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let p = ctx.petitions.first();
    let rows: Vec<Value> = match (spec.layout, p) {
        (Layout::Form, Some(p)) => vec![
            json!(["信访件编号", p.petition_no]),
            json!(["信访人", p.petitioner]),
            json!(["住址", p.address]),
            json!(["登记日期", cn_date(&p.registered_on)]),
            json!(["信访形式", p.channel_zh]),
            json!(["反映问题", p.summary]),
        ],
        _ => Vec::new(),
    };
    let approvals: Vec<&str> = match kind {
        DocumentKind::ClosingApprovalForm => vec!["经办人意见", "承办科室意见", "分管领导审批"],
        DocumentKind::RequestReport => vec!["拟办意见", "局领导意见", "区领导批示"],
        DocumentKind::QueryReplyNotice => vec![],
        _ => vec![],
    };
    let year = dated.get(..4).unwrap_or("").to_string();
    json!({
        "kind": spec.code,
        "title": spec.title_zh,
        "layout": spec.layout,
        "bureau_name": ctx.bureau_name,
        "doc_no": doc_no,
        "numbered": spec.numbering != Numbering::None,
        "draft": draft,
        "year": year,
        "issued_on": dated,
        "subject": f("subject"),
        "recipient": f("recipient"),
        "body": f("body"),
        "chaosong": f("chaosong"),
        "officer": ctx.officer,
        "petitioner": {"name": p.map(|p| p.petitioner.clone()).unwrap_or_default()},
        "petition_no": p.map(|p| p.petition_no.clone()),
        "rows": rows,
        "approvals": approvals,
        "items": if spec.source == Source::Selection { serde_json::to_value(&ctx.petitions).unwrap_or_default() } else { json!([]) },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> DraftContext {
        DraftContext {
            bureau_name: "阜康市信访局".into(),
            today: "2026-11-27".into(),
            officer: "李明".into(),
            petitions: vec![PetitionFacts {
                petition_no: "F2026-000012".into(),
                petitioner: "王秀兰".into(),
                registered_on: "2026-11-20".into(),
                summary: "小区供暖不达标".into(),
                ..Default::default()
            }],
            unit: Some("城关镇人民政府".into()),
            due_on: Some("2026-12-27".into()),
            ..Default::default()
        }
    }

    #[test]
    fn the_full_path_draft_submit_return_submit_sign_issue() {
        use DraftCommand::*;
        let k = DocumentKind::AssignmentLetter;
        let mut s = DraftState::Draft;
        s = step(k, s, Submit, Role::CaseOfficer).unwrap().to;
        assert_eq!(s, DraftState::Submitted);
        s = step(
            k,
            s,
            Return {
                comment: "期限写明",
            },
            Role::DeputyDirector,
        )
        .unwrap()
        .to;
        assert_eq!(s, DraftState::Returned);
        assert_eq!(step(k, s, Edit, Role::CaseOfficer).unwrap().to, s);
        s = step(k, s, Submit, Role::CaseOfficer).unwrap().to;
        let signed = step(k, s, SignOff, Role::DeputyDirector).unwrap();
        assert!(signed.assigns_number && signed.renders_final);
        s = signed.to;
        s = step(k, s, Issue, Role::CaseOfficer).unwrap().to;
        assert_eq!(s, DraftState::Issued);
        assert_eq!(
            step(k, s, Correct, Role::CaseOfficer).unwrap().to,
            DraftState::Draft
        );
    }

    #[test]
    fn only_the_right_leader_signs_and_signed_documents_do_not_change() {
        use DraftCommand::*;
        let k = DocumentKind::AssignmentLetter;
        assert!(matches!(
            step(k, DraftState::Submitted, SignOff, Role::CaseOfficer),
            Err(DraftingError::Forbidden(_))
        ));
        assert!(matches!(
            step(k, DraftState::Submitted, SignOff, Role::Director),
            Err(DraftingError::Forbidden(_))
        ));
        assert!(
            step(
                DocumentKind::ExtensionNotice,
                DraftState::Submitted,
                SignOff,
                Role::Director
            )
            .is_ok()
        );
        for s in [DraftState::SignedOff, DraftState::Issued] {
            assert!(matches!(
                step(k, s, Edit, Role::CaseOfficer),
                Err(DraftingError::WrongState(_))
            ));
            assert!(step(k, s, Return { comment: "x" }, Role::DeputyDirector).is_err());
        }
        assert!(matches!(
            step(k, DraftState::Draft, SignOff, Role::DeputyDirector),
            Err(DraftingError::WrongState(_))
        ));
        assert!(matches!(
            step(
                k,
                DraftState::Submitted,
                Return { comment: "  " },
                Role::DeputyDirector
            ),
            Err(DraftingError::Invalid(_))
        ));
        assert!(
            step(
                DocumentKind::VisitNoticeSlip,
                DraftState::Draft,
                Submit,
                Role::Receptionist
            )
            .is_err()
        );
    }

    #[test]
    fn unnumbered_forms_take_no_number_on_sign_off() {
        let s = step(
            DocumentKind::ClosingApprovalForm,
            DraftState::Submitted,
            DraftCommand::SignOff,
            Role::Director,
        )
        .unwrap();
        assert!(!s.assigns_number);
    }

    #[test]
    fn prefill_names_the_petitioner_unit_and_due_date() {
        let f = prefill(DocumentKind::AssignmentLetter, &ctx());
        assert_eq!(f["recipient"], "城关镇人民政府");
        assert!(
            f["body"]
                .contains("王秀兰反映小区供暖不达标的信访事项（编号F2026-000012）交由你单位办理")
        );
        assert!(f["body"].contains("2026年12月27日前"));
        assert!(parse_fields(DocumentKind::AssignmentLetter, &f).is_ok());
        for k in DocumentKind::all().filter(|k| k.needs_sign_off()) {
            let f = prefill(k, &ctx());
            assert!(parse_fields(k, &f).is_ok(), "{k:?}");
        }
    }

    #[test]
    fn letter_notices_state_the_decision_its_reason_and_the_way_to_query() {
        let mut c = ctx();
        c.petitions[0].query_code = "K7Q2M9".into();
        let f = prefill(DocumentKind::AcceptanceNotice, &c);
        assert_eq!(f["recipient"], "王秀兰");
        assert!(f["body"].contains("本机关决定予以受理"), "{}", f["body"]);
        assert!(f["body"].contains("查询码K7Q2M9"), "{}", f["body"]);
        c.reason = Some("该事项属于劳动争议，应当通过劳动仲裁解决。".into());
        c.legal_basis = Some("依据《信访工作条例》第三十一条。".into());
        let f = prefill(DocumentKind::NonAcceptanceNotice, &c);
        assert!(
            f["body"]
                .contains("经审查，该事项属于劳动争议，应当通过劳动仲裁解决，本机关决定不予受理。"),
            "{}",
            f["body"]
        );
        assert!(f["body"].contains("第三十一条"));
        assert!(
            !f["body"].contains("查询码"),
            "only the acceptance points to the query"
        );
        let f = prefill(DocumentKind::NoLongerAcceptedNotice, &c);
        assert!(f["body"].contains("复查、复核终结") && f["body"].contains("本机关不再受理"));
    }

    #[test]
    fn the_supervision_letter_never_names_the_petitioner() {
        let mut c = ctx();
        c.reason = Some("超过办理期限未办结".into());
        c.note = Some("请说明逾期原因。".into());
        c.count = 2;
        c.due_on = Some("2027-01-14".into());
        let f = prefill(DocumentKind::SupervisionLetter, &c);
        assert_eq!(f["recipient"], "城关镇人民政府");
        assert_eq!(f["subject"], "关于督促办理F2026-000012号信访事项的函");
        let body = &f["body"];
        assert!(!body.contains("王秀兰"), "{body}");
        assert!(
            body.contains("存在以下情形：超过办理期限未办结。这是我局就该事项第2次督办。"),
            "{body}"
        );
        assert!(body.contains("请说明逾期原因。") && body.contains("2027年1月14日前"));
        // What the unit may see of the petition: no identity; no matter when confidential.
        let kept = facts_for(
            DocumentKind::SupervisionLetter,
            c.petitions[0].clone(),
            false,
        );
        assert!(kept.petitioner.is_empty() && !kept.summary.is_empty());
        let other = facts_for(DocumentKind::AssignmentLetter, c.petitions[0].clone(), true);
        assert_eq!(other.petitioner, "王秀兰");
        c.petitions[0] = facts_for(
            DocumentKind::SupervisionLetter,
            c.petitions[0].clone(),
            true,
        );
        assert!(c.petitions[0].summary.is_empty());
        let f = prefill(DocumentKind::SupervisionLetter, &c);
        assert!(
            f["body"].contains("登记的信访事项（编号F2026-000012）"),
            "{}",
            f["body"]
        );
    }

    #[test]
    fn fields_are_validated_with_chinese_messages() {
        let k = DocumentKind::ExtensionNotice;
        let mut f = prefill(k, &ctx());
        f.insert("body".into(), "  ".into());
        let e = parse_fields(k, &f).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("fields.body"));
        assert!(e.message.contains("正文"));
        let mut f = prefill(k, &ctx());
        f.insert("stamp".into(), "x".into());
        assert_eq!(parse_fields(k, &f).unwrap_err().code, "unknown_field");
        let mut f = prefill(k, &ctx());
        f.insert("recipient".into(), "甲\n乙".into());
        assert_eq!(parse_fields(k, &f).unwrap_err().code, "single_line");
    }

    #[test]
    fn numerals() {
        assert_eq!(chinese_numeral(1), "一");
        assert_eq!(chinese_numeral(10), "十");
        assert_eq!(chinese_numeral(12), "十二");
        assert_eq!(chinese_numeral(30), "三十");
        assert_eq!(chinese_numeral(47), "四十七");
    }
}
