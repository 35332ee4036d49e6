//! The mailroom (seed 二 二(一)–(四), 五(一)): signing for letters, opening and binding them,
//! scanned pages, enclosures in custody, the letter-specific registration details (joint,
//! forwarded, a local leader's instruction), the 来信办理单, the deputy director's instruction and
//! the 15-day notice to the writer. Pure validation: the callers pass the time.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::document::DocumentKind;
use crate::error::FieldError;
use crate::words::{Acceptance, parse_date, parse_datetime};

/// The writer is told within 15 days of receipt (rules §2; 2005 Art. 21).
pub const NOTICE_DAYS: u32 = 15;

/// Default size limit of one scanned file.
pub const DEFAULT_MAX_SCAN_BYTES: usize = 20 * 1024 * 1024;

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

fn too_long(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) {
    if value.trim().chars().count() > max {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("内容过长：不超过 {max} 个字"),
        ));
    }
}

fn required(field: &str, value: &str, message: &str, errors: &mut Vec<FieldError>) {
    if blank(value) {
        errors.push(FieldError::new(field, "required", message));
    }
}

/// Macro for the small code enums of this module: code, Chinese label.
macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => ($code:literal, $label:literal)),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s.trim())
            }
        }
    };
}

code_enum!(
    /// How a letter came in; the channel stays 来信 (rules §12).
    Delivery {
        Post => ("post", "邮寄"),
        Express => ("express", "快递"),
        Telegram => ("telegram", "电报"),
        HandDelivery => ("hand_delivery", "当面递交"),
        Fax => ("fax", "传真"),
        Email => ("email", "电子邮件"),
        ForwardedByHigherOrgan => ("forwarded_by_higher_organ", "上级机关转交"),
    }
);

impl Delivery {
    /// Telegrams and express items are opened at once (seed 二 二(一)).
    pub fn opens_immediately(self) -> bool {
        matches!(self, Delivery::Telegram | Delivery::Express)
    }
}

code_enum!(
    Urgency {
        Normal => ("normal", "普通"),
        Urgent => ("urgent", "急件"),
        VeryUrgent => ("very_urgent", "特急"),
    }
);

code_enum!(
    /// Binding order: main document → attachments → envelope (seed 二 二(二)).
    ScanPart {
        MainDocument => ("main_document", "正文"),
        Attachment => ("attachment", "附件"),
        Envelope => ("envelope", "信封"),
    }
);

impl ScanPart {
    pub fn binding_rank(self) -> i64 {
        match self {
            ScanPart::MainDocument => 0,
            ScanPart::Attachment => 1,
            ScanPart::Envelope => 2,
        }
    }
}

code_enum!(
    /// Things enclosed with a letter (seed 二 五(一)).
    EnclosureKind {
        Money => ("money", "现金"),
        Securities => ("securities", "有价证券"),
        Books => ("books", "书籍"),
        Paintings => ("paintings", "字画"),
        Other => ("other", "其他物品"),
    }
);

code_enum!(
    NoticeMethod {
        Phone => ("phone", "电话告知"),
        Written => ("written", "书面告知"),
        CannotNotify => ("cannot_notify", "无法告知"),
    }
);

// ---------------------------------------------------------------------------------------------
// LetterReceipt

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct LetterReceiptInput {
    pub delivery_mode: String,
    /// China Standard Time, `YYYY-MM-DDTHH:MM`; empty = now.
    pub received_at: String,
    pub tracking_no: String,
    /// The sender as written on the envelope.
    pub sender: String,
    pub sender_address: String,
    /// `YYYY-MM-DD`, optional.
    pub postmark_date: String,
    /// normal | urgent | very_urgent (default normal)
    pub urgency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LetterReceipt {
    pub delivery_mode: Delivery,
    pub received_at: NaiveDateTime,
    pub tracking_no: String,
    pub sender: String,
    pub sender_address: String,
    pub postmark_date: Option<NaiveDate>,
    pub urgency: Urgency,
    pub open_immediately: bool,
}

pub fn parse_receipt(
    input: &LetterReceiptInput,
    now: NaiveDateTime,
) -> Result<LetterReceipt, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mode = if blank(&input.delivery_mode) {
        errors.push(FieldError::new(
            "delivery_mode",
            "required",
            "请选择来信方式",
        ));
        None
    } else {
        let m = Delivery::parse(&input.delivery_mode);
        if m.is_none() {
            errors.push(FieldError::new(
                "delivery_mode",
                "unknown_delivery_mode",
                format!("未知的来信方式：{}", input.delivery_mode.trim()),
            ));
        }
        m
    };
    let received_at = if blank(&input.received_at) {
        Some(now)
    } else {
        match parse_datetime("received_at", &input.received_at) {
            Ok(t) if t > now + chrono::Duration::minutes(5) => {
                errors.push(FieldError::new(
                    "received_at",
                    "future_datetime",
                    "签收时间不能晚于当前时间",
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
    let postmark_date = if blank(&input.postmark_date) {
        None
    } else {
        match parse_date("postmark_date", &input.postmark_date) {
            Ok(d) if received_at.is_some_and(|r| d > r.date()) => {
                errors.push(FieldError::new(
                    "postmark_date",
                    "after_receipt",
                    "邮戳日期不能晚于签收日期",
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
    if mode == Some(Delivery::Express) && blank(&input.tracking_no) {
        errors.push(FieldError::new(
            "tracking_no",
            "required",
            "快递请填写运单号",
        ));
    }
    too_long("tracking_no", &input.tracking_no, 64, &mut errors);
    too_long("sender", &input.sender, 100, &mut errors);
    too_long("sender_address", &input.sender_address, 200, &mut errors);
    let urgency = if blank(&input.urgency) {
        Some(Urgency::Normal)
    } else {
        let u = Urgency::parse(&input.urgency);
        if u.is_none() {
            errors.push(FieldError::new(
                "urgency",
                "unknown_urgency",
                format!("未知的紧急程度：{}", input.urgency.trim()),
            ));
        }
        u
    };
    match (mode, received_at, urgency) {
        (Some(delivery_mode), Some(received_at), Some(urgency)) if errors.is_empty() => {
            Ok(LetterReceipt {
                delivery_mode,
                received_at,
                tracking_no: input.tracking_no.trim().to_string(),
                sender: input.sender.trim().to_string(),
                sender_address: input.sender_address.trim().to_string(),
                postmark_date,
                urgency,
                open_immediately: delivery_mode.opens_immediately() || urgency != Urgency::Normal,
            })
        }
        _ => Err(errors),
    }
}

// ---------------------------------------------------------------------------------------------
// Opening: disinfection, distribution, what was kept intact

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct OpeningInput {
    /// Who disinfected the letter (name).
    pub disinfected_by: String,
    /// `YYYY-MM-DDTHH:MM`; empty = now.
    pub disinfected_at: String,
    /// To whom it was distributed for opening (name).
    pub distributed_to: String,
    pub distributed_at: String,
    pub stamps_kept: bool,
    pub postmark_kept: bool,
    pub postcode_kept: bool,
    pub address_kept: bool,
    pub notes: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Opening {
    pub disinfected_by: String,
    pub disinfected_at: NaiveDateTime,
    pub distributed_to: String,
    pub distributed_at: NaiveDateTime,
    pub stamps_kept: bool,
    pub postmark_kept: bool,
    pub postcode_kept: bool,
    pub address_kept: bool,
    pub notes: String,
}

fn time_or_now(
    field: &str,
    s: &str,
    now: NaiveDateTime,
    not_before: Option<NaiveDateTime>,
    errors: &mut Vec<FieldError>,
) -> Option<NaiveDateTime> {
    if blank(s) {
        return Some(now);
    }
    match parse_datetime(field, s) {
        Ok(t) if t > now + chrono::Duration::minutes(5) => {
            errors.push(FieldError::new(
                field,
                "future_datetime",
                "时间不能晚于当前时间",
            ));
            None
        }
        Ok(t) if not_before.is_some_and(|b| t < b) => {
            errors.push(FieldError::new(
                field,
                "before_receipt",
                "时间不能早于签收时间",
            ));
            None
        }
        Ok(t) => Some(t),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

pub fn parse_opening(
    input: &OpeningInput,
    received_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<Opening, Vec<FieldError>> {
    let mut errors = Vec::new();
    required(
        "disinfected_by",
        &input.disinfected_by,
        "请填写消毒人",
        &mut errors,
    );
    required(
        "distributed_to",
        &input.distributed_to,
        "请填写分发（拆阅）人",
        &mut errors,
    );
    too_long("disinfected_by", &input.disinfected_by, 50, &mut errors);
    too_long("distributed_to", &input.distributed_to, 50, &mut errors);
    too_long("notes", &input.notes, 1000, &mut errors);
    let dis = time_or_now(
        "disinfected_at",
        &input.disinfected_at,
        now,
        Some(received_at),
        &mut errors,
    );
    let dist = time_or_now(
        "distributed_at",
        &input.distributed_at,
        now,
        Some(received_at),
        &mut errors,
    );
    let all_kept =
        input.stamps_kept && input.postmark_kept && input.postcode_kept && input.address_kept;
    if !all_kept && blank(&input.notes) {
        errors.push(FieldError::new(
            "notes",
            "required",
            "邮票、邮戳、邮编、地址未全部保持完整的，请在备注中说明",
        ));
    }
    match (dis, dist) {
        (Some(disinfected_at), Some(distributed_at)) if errors.is_empty() => Ok(Opening {
            disinfected_by: input.disinfected_by.trim().into(),
            disinfected_at,
            distributed_to: input.distributed_to.trim().into(),
            distributed_at,
            stamps_kept: input.stamps_kept,
            postmark_kept: input.postmark_kept,
            postcode_kept: input.postcode_kept,
            address_kept: input.address_kept,
            notes: input.notes.trim().into(),
        }),
        _ => Err(errors),
    }
}

/// Returning a letter unopened needs the reason (outside the bureau's remit, seed 二 二(一)).
pub fn parse_return_reason(reason: &str) -> Result<String, FieldError> {
    if blank(reason) {
        return Err(FieldError::new(
            "reason",
            "required",
            "请填写退回原因（如：不属本机关受理范围）",
        ));
    }
    if reason.trim().chars().count() > 500 {
        return Err(FieldError::new(
            "reason",
            "too_long",
            "内容过长：不超过 500 个字",
        ));
    }
    Ok(reason.trim().into())
}

// ---------------------------------------------------------------------------------------------
// Scanned files

/// File types accepted for scans, recognised by their first bytes, never by their name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ScanType {
    Pdf,
    Jpeg,
    Png,
    Tiff,
}

impl ScanType {
    pub fn content_type(self) -> &'static str {
        match self {
            ScanType::Pdf => "application/pdf",
            ScanType::Jpeg => "image/jpeg",
            ScanType::Png => "image/png",
            ScanType::Tiff => "image/tiff",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ScanType::Pdf => "pdf",
            ScanType::Jpeg => "jpg",
            ScanType::Png => "png",
            ScanType::Tiff => "tif",
        }
    }
}

/// The type by magic bytes: `%PDF-`, JPEG SOI `FF D8 FF`, the PNG signature, TIFF `II*\0` or
/// `MM\0*`.
pub fn sniff(bytes: &[u8]) -> Option<ScanType> {
    if bytes.starts_with(b"%PDF-") {
        Some(ScanType::Pdf)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ScanType::Jpeg)
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(ScanType::Png)
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        Some(ScanType::Tiff)
    } else {
        None
    }
}

fn mb(n: usize) -> String {
    let m = n as f64 / (1024.0 * 1024.0);
    if (m - m.round()).abs() < 0.05 {
        format!("{} MB", m.round() as u64)
    } else {
        format!("{m:.1} MB")
    }
}

/// The message for a file over the limit (also used when the upload is cut off while reading).
pub fn too_large(limit: usize) -> FieldError {
    FieldError::new(
        "file",
        "file_too_large",
        format!("文件超过 {} 的上限，请压缩或分页后上传", mb(limit)),
    )
}

/// Checks a scanned file: not empty, within the limit, and really a PDF, JPEG, PNG or TIFF.
pub fn check_scan(bytes: &[u8], limit: usize) -> Result<ScanType, FieldError> {
    if bytes.is_empty() {
        return Err(FieldError::new("file", "required", "请选择要上传的扫描件"));
    }
    if bytes.len() > limit {
        return Err(too_large(limit));
    }
    sniff(bytes).ok_or_else(|| {
        FieldError::new(
            "file",
            "unsupported_file_type",
            "文件内容不是 PDF、JPEG、PNG 或 TIFF 格式（按文件内容识别，与文件名无关），已拒绝",
        )
    })
}

/// A file name as shown, without path and control characters.
pub fn clean_file_name(name: &str, kind: ScanType) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>'))
        .take(120)
        .collect();
    if cleaned.trim().is_empty() {
        format!("scan.{}", kind.extension())
    } else {
        cleaned.trim().to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// Enclosures (seed 二 五(一)): registered, kept, handed on with a signature, never disposed of

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct EnclosureInput {
    pub kind: String,
    pub description: String,
    /// Yuan, e.g. `200` or `200.50`; required for money and securities.
    pub amount: String,
    pub quantity: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enclosure {
    pub kind: EnclosureKind,
    pub description: String,
    /// In fen (0.01 yuan).
    pub amount_fen: Option<i64>,
    pub quantity: i64,
}

/// Parses an amount in yuan with at most two decimals into fen.
pub fn parse_amount(field: &str, s: &str) -> Result<i64, FieldError> {
    let bad = || {
        FieldError::new(
            field,
            "invalid_amount",
            format!("金额「{}」无效，应为元，最多两位小数", s.trim()),
        )
    };
    let t = s.trim().trim_end_matches('元');
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty()
        || int.len() > 12
        || !int.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let yuan: i64 = int.parse().map_err(|_| bad())?;
    let fen: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    Ok(yuan * 100 + fen)
}

pub fn format_fen(fen: i64) -> String {
    format!("{}.{:02} 元", fen / 100, fen % 100)
}

pub fn parse_enclosure(input: &EnclosureInput) -> Result<Enclosure, Vec<FieldError>> {
    let mut errors = Vec::new();
    let kind = EnclosureKind::parse(&input.kind);
    if kind.is_none() {
        errors.push(FieldError::new(
            "kind",
            "unknown_enclosure_kind",
            "请选择随信物品类别（现金、有价证券、书籍、字画、其他物品）",
        ));
    }
    required(
        "description",
        &input.description,
        "请描述随信物品",
        &mut errors,
    );
    too_long("description", &input.description, 500, &mut errors);
    let needs_amount = matches!(kind, Some(EnclosureKind::Money | EnclosureKind::Securities));
    let amount_fen = if blank(&input.amount) {
        if needs_amount {
            errors.push(FieldError::new(
                "amount",
                "required",
                "现金、有价证券须登记金额",
            ));
        }
        None
    } else {
        match parse_amount("amount", &input.amount) {
            Ok(a) => Some(a),
            Err(e) => {
                errors.push(e);
                None
            }
        }
    };
    let quantity = input.quantity.unwrap_or(1);
    if !(1..=100_000).contains(&quantity) {
        errors.push(FieldError::new(
            "quantity",
            "invalid_count",
            "数量应为正整数",
        ));
    }
    match kind {
        Some(kind) if errors.is_empty() => Ok(Enclosure {
            kind,
            description: input.description.trim().into(),
            amount_fen,
            quantity,
        }),
        _ => Err(errors),
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct HandOverInput {
    /// Who receives it (person and unit).
    pub handed_to: String,
    /// The receiver's signature as recorded (name signed, or the reference of the signed receipt).
    pub signature: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandOver {
    pub handed_to: String,
    pub signature: String,
    pub note: String,
}

pub fn parse_hand_over(input: &HandOverInput) -> Result<HandOver, Vec<FieldError>> {
    let mut errors = Vec::new();
    required("handed_to", &input.handed_to, "请填写接收人", &mut errors);
    required(
        "signature",
        &input.signature,
        "随信物品须由接收人签字后方可移交",
        &mut errors,
    );
    too_long("handed_to", &input.handed_to, 100, &mut errors);
    too_long("signature", &input.signature, 100, &mut errors);
    too_long("note", &input.note, 500, &mut errors);
    if errors.is_empty() {
        Ok(HandOver {
            handed_to: input.handed_to.trim().into(),
            signature: input.signature.trim().into(),
            note: input.note.trim().into(),
        })
    } else {
        Err(errors)
    }
}

// ---------------------------------------------------------------------------------------------
// Letter details at registration: joint, forwarded by a higher organ, a local leader's instruction

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct LetterDetailsInput {
    /// 联名信: the signatories are the registered petitioners.
    pub joint: bool,
    /// How many signed (may exceed the signatories registered by name); default: those registered.
    pub signatory_count: Option<i64>,
    /// The named contact of a joint letter; default: the first signatory.
    pub contact_name: String,
    /// Forwarded or assigned by a higher organ.
    pub forwarded_by_organ: String,
    pub forwarded_doc_no: String,
    /// `YYYY-MM-DD`
    pub forwarded_on: String,
    /// `YYYY-MM-DD`, the higher organ's deadline.
    pub forwarded_deadline: String,
    /// A local leader's instruction on the letter (市领导批示来信).
    pub leader_name: String,
    pub leader_instructed_on: String,
    pub leader_instruction: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Forwarding {
    pub organ: String,
    pub doc_no: String,
    pub on: NaiveDate,
    pub deadline: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaderInstruction {
    pub leader: String,
    pub on: NaiveDate,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LetterDetails {
    pub joint: bool,
    pub signatory_count: i64,
    pub contact_name: String,
    pub forwarded: Option<Forwarding>,
    pub leader_instruction: Option<LeaderInstruction>,
}

fn date_not_future(
    field: &str,
    s: &str,
    today: NaiveDate,
    errors: &mut Vec<FieldError>,
) -> Option<NaiveDate> {
    match parse_date(field, s) {
        Ok(d) if d > today => {
            errors.push(FieldError::new(field, "future_date", "日期不能晚于今天"));
            None
        }
        Ok(d) => Some(d),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

/// `signatories` is the names of the petitioners registered with the letter, in order.
pub fn parse_letter_details(
    input: &LetterDetailsInput,
    signatories: &[String],
    anonymous: bool,
    today: NaiveDate,
) -> Result<LetterDetails, Vec<FieldError>> {
    let mut errors = Vec::new();
    let named = signatories.iter().filter(|s| !blank(s)).count() as i64;
    let mut signatory_count = named.max(if anonymous { 0 } else { 1 });
    if input.joint {
        if anonymous {
            errors.push(FieldError::new(
                "joint",
                "joint_anonymous",
                "联名信须有署名的签名人，不能同时登记为匿名信",
            ));
        }
        if named == 0 {
            errors.push(FieldError::new(
                "petitioners",
                "joint_without_signatory",
                "联名信须登记签名人（至少一人，首位签名人作为联系人）",
            ));
        }
        let count = input.signatory_count.unwrap_or(named);
        if count < named.max(2) {
            errors.push(FieldError::new(
                "signatory_count",
                "joint_count",
                "联名信的签名人数至少为 2 人，且不少于已登记的签名人数",
            ));
        }
        signatory_count = count;
    }
    too_long("contact_name", &input.contact_name, 50, &mut errors);
    let contact_name = if !blank(&input.contact_name) {
        input.contact_name.trim().to_string()
    } else {
        signatories.first().cloned().unwrap_or_default()
    };
    let forwarded = if [
        &input.forwarded_by_organ,
        &input.forwarded_doc_no,
        &input.forwarded_on,
        &input.forwarded_deadline,
    ]
    .iter()
    .all(|s| blank(s))
    {
        None
    } else {
        required(
            "forwarded_by_organ",
            &input.forwarded_by_organ,
            "请填写转交（交办）来信的上级机关",
            &mut errors,
        );
        too_long(
            "forwarded_by_organ",
            &input.forwarded_by_organ,
            100,
            &mut errors,
        );
        too_long("forwarded_doc_no", &input.forwarded_doc_no, 64, &mut errors);
        let on = if blank(&input.forwarded_on) {
            errors.push(FieldError::new(
                "forwarded_on",
                "required",
                "请填写上级机关转交日期",
            ));
            None
        } else {
            date_not_future("forwarded_on", &input.forwarded_on, today, &mut errors)
        };
        let deadline = if blank(&input.forwarded_deadline) {
            None
        } else {
            match parse_date("forwarded_deadline", &input.forwarded_deadline) {
                Ok(d) if on.is_some_and(|o| d < o) => {
                    errors.push(FieldError::new(
                        "forwarded_deadline",
                        "before_start",
                        "上级机关的办理期限不能早于转交日期",
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
        on.map(|on| Forwarding {
            organ: input.forwarded_by_organ.trim().into(),
            doc_no: input.forwarded_doc_no.trim().into(),
            on,
            deadline,
        })
    };
    let leader_instruction = if [
        &input.leader_name,
        &input.leader_instructed_on,
        &input.leader_instruction,
    ]
    .iter()
    .all(|s| blank(s))
    {
        None
    } else {
        required(
            "leader_name",
            &input.leader_name,
            "请填写作出批示的领导",
            &mut errors,
        );
        required(
            "leader_instruction",
            &input.leader_instruction,
            "请填写领导批示内容",
            &mut errors,
        );
        too_long("leader_name", &input.leader_name, 50, &mut errors);
        too_long(
            "leader_instruction",
            &input.leader_instruction,
            2000,
            &mut errors,
        );
        let on = if blank(&input.leader_instructed_on) {
            errors.push(FieldError::new(
                "leader_instructed_on",
                "required",
                "请填写批示日期",
            ));
            None
        } else {
            date_not_future(
                "leader_instructed_on",
                &input.leader_instructed_on,
                today,
                &mut errors,
            )
        };
        on.map(|on| LeaderInstruction {
            leader: input.leader_name.trim().into(),
            on,
            text: input.leader_instruction.trim().into(),
        })
    };
    if errors.is_empty() {
        Ok(LetterDetails {
            joint: input.joint,
            signatory_count,
            contact_name,
            forwarded,
            leader_instruction,
        })
    } else {
        Err(errors)
    }
}

// ---------------------------------------------------------------------------------------------
// 来信办理单 and the deputy director's instruction (批示)

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct HandlingFormInput {
    /// The clerk's summary of the letter (摘要); default: the registered main problem.
    pub summary: String,
    /// The clerk's proposed opinion (拟办意见).
    pub proposal: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HandlingForm {
    pub summary: String,
    pub proposal: String,
}

pub fn parse_handling_form(
    input: &HandlingFormInput,
    registered_summary: &str,
) -> Result<HandlingForm, Vec<FieldError>> {
    let mut errors = Vec::new();
    let summary = if blank(&input.summary) {
        registered_summary.trim().to_string()
    } else {
        input.summary.trim().to_string()
    };
    if summary.is_empty() {
        errors.push(FieldError::new("summary", "required", "请填写来信摘要"));
    }
    required("proposal", &input.proposal, "请填写拟办意见", &mut errors);
    too_long("summary", &summary, 5000, &mut errors);
    too_long("proposal", &input.proposal, 2000, &mut errors);
    if errors.is_empty() {
        Ok(HandlingForm {
            summary,
            proposal: input.proposal.trim().into(),
        })
    } else {
        Err(errors)
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct InstructionInput {
    /// accepted | not_accepted | no_longer_accepted
    pub acceptance: String,
    /// The instruction as written on the form (批示意见).
    pub instruction: String,
    /// A reason code of the configured list for a non-accepting decision.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instruction {
    pub acceptance: Acceptance,
    pub text: String,
}

pub fn parse_instruction(input: &InstructionInput) -> Result<Instruction, Vec<FieldError>> {
    let mut errors = Vec::new();
    let acceptance = match Acceptance::parse(input.acceptance.trim()) {
        Some(
            a @ (Acceptance::Accepted | Acceptance::NotAccepted | Acceptance::NoLongerAccepted),
        ) => Some(a),
        _ => {
            errors.push(FieldError::new(
                "acceptance",
                "unknown_acceptance",
                "请选择批示的受理决定：受理、不予受理或不再受理",
            ));
            None
        }
    };
    required(
        "instruction",
        &input.instruction,
        "请填写领导批示意见",
        &mut errors,
    );
    too_long("instruction", &input.instruction, 2000, &mut errors);
    match acceptance {
        Some(acceptance) if errors.is_empty() => Ok(Instruction {
            acceptance,
            text: input.instruction.trim().into(),
        }),
        _ => Err(errors),
    }
}

// ---------------------------------------------------------------------------------------------
// The 15-day notice to the writer (seed 二 二(三); 2005 Art. 21, 22)

/// A 告知书 must be the one the decision calls for; the error names `field` and the right kind.
pub fn check_notice_kind(
    kind: DocumentKind,
    acceptance: Acceptance,
    field: &str,
) -> Result<(), FieldError> {
    let expected = notice_kind(acceptance);
    if kind == expected {
        return Ok(());
    }
    Err(FieldError::new(
        field,
        "wrong_notice",
        format!(
            "该信访件的决定为「{}」，应出具{}，不是{}",
            acceptance.label_zh(),
            expected.title_zh(),
            kind.title_zh()
        ),
    ))
}

/// The written notice for a decision.
pub fn notice_kind(acceptance: Acceptance) -> DocumentKind {
    match acceptance {
        Acceptance::Accepted => DocumentKind::AcceptanceNotice,
        Acceptance::NoLongerAccepted => DocumentKind::NoLongerAcceptedNotice,
        _ => DocumentKind::NonAcceptanceNotice,
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct NoticeInput {
    /// phone | written | cannot_notify
    pub method: String,
    /// Phone: who called (defaults to the clerk).
    pub called_by: String,
    /// Phone: when, `YYYY-MM-DDTHH:MM`; empty = now.
    pub called_at: String,
    /// Phone: what was said.
    pub content: String,
    /// Cannot notify: why (anonymous, no usable address).
    pub reason: String,
    /// Written: the issued 告知书 sent (drafted, signed off by a leader, issued).
    pub document_id: String,
}

/// What the notice rules need to know about the letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeFacts {
    pub anonymous: bool,
    /// The person to notify has an address a letter can be sent to.
    pub has_address: bool,
    pub has_phone: bool,
    pub received_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub method: NoticeMethod,
    pub called_by: String,
    pub called_at: Option<NaiveDateTime>,
    pub content: String,
    pub reason: String,
}

pub fn parse_notice(
    input: &NoticeInput,
    facts: &NoticeFacts,
    now: NaiveDateTime,
) -> Result<Notice, Vec<FieldError>> {
    let mut errors = Vec::new();
    let Some(method) = NoticeMethod::parse(&input.method) else {
        return Err(vec![FieldError::new(
            "method",
            "unknown_notice_method",
            "请选择告知方式：电话告知、书面告知或无法告知",
        )]);
    };
    let mut called_at = None;
    match method {
        NoticeMethod::Phone => {
            if facts.anonymous || !facts.has_phone {
                errors.push(FieldError::new(
                    "method",
                    "no_phone",
                    "来信人没有登记联系电话，不能电话告知",
                ));
            }
            required(
                "content",
                &input.content,
                "请记录电话告知的内容",
                &mut errors,
            );
            too_long("content", &input.content, 2000, &mut errors);
            too_long("called_by", &input.called_by, 50, &mut errors);
            called_at = time_or_now(
                "called_at",
                &input.called_at,
                now,
                Some(facts.received_at),
                &mut errors,
            );
        }
        NoticeMethod::Written => {
            if facts.anonymous || !facts.has_address {
                errors.push(FieldError::new(
                    "method",
                    "no_address",
                    "匿名信或没有可用通信地址的来信不能书面告知，请选择「无法告知」并说明原因",
                ));
            } else {
                required(
                    "document_id",
                    &input.document_id,
                    "请选择已签发并印发的告知书（告知书须先起草、经局领导签发）",
                    &mut errors,
                );
            }
        }
        NoticeMethod::CannotNotify => {
            if !facts.anonymous && facts.has_address {
                errors.push(FieldError::new(
                    "method",
                    "can_notify",
                    "来信人有通信地址，应当告知；仅匿名信或无可用地址的来信可登记为无法告知",
                ));
            }
            required("reason", &input.reason, "请填写无法告知的原因", &mut errors);
            too_long("reason", &input.reason, 500, &mut errors);
        }
    }
    if errors.is_empty() {
        Ok(Notice {
            method,
            called_by: input.called_by.trim().into(),
            called_at,
            content: input.content.trim().into(),
            reason: input.reason.trim().into(),
        })
    } else {
        Err(errors)
    }
}

/// Days left until the notice deadline (negative: overdue).
pub fn days_left(due: NaiveDate, today: NaiveDate) -> i64 {
    (due - today).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 27)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
    }

    #[test]
    fn letter_receipt_in_the_future_is_refused() {
        let e = parse_receipt(
            &LetterReceiptInput {
                delivery_mode: "post".into(),
                received_at: "2026-11-28T09:00".into(),
                ..Default::default()
            },
            now(),
        )
        .unwrap_err();
        assert_eq!(e[0].field.as_deref(), Some("received_at"));
        assert_eq!(e[0].code, "future_datetime");
    }

    #[test]
    fn letter_express_and_telegram_open_at_once() {
        for (mode, immediate) in [("express", true), ("telegram", true), ("post", false)] {
            let r = parse_receipt(
                &LetterReceiptInput {
                    delivery_mode: mode.into(),
                    tracking_no: "SF1234".into(),
                    ..Default::default()
                },
                now(),
            )
            .unwrap();
            assert_eq!(r.open_immediately, immediate, "{mode}");
            assert_eq!(r.received_at, now());
        }
        let e = parse_receipt(
            &LetterReceiptInput {
                delivery_mode: "express".into(),
                ..Default::default()
            },
            now(),
        )
        .unwrap_err();
        assert_eq!(e[0].field.as_deref(), Some("tracking_no"));
    }

    #[test]
    fn letter_postmark_after_receipt_is_refused() {
        let e = parse_receipt(
            &LetterReceiptInput {
                delivery_mode: "post".into(),
                received_at: "2026-11-26T09:00".into(),
                postmark_date: "2026-11-27".into(),
                ..Default::default()
            },
            now(),
        )
        .unwrap_err();
        assert_eq!(e[0].field.as_deref(), Some("postmark_date"));
    }

    #[test]
    fn letter_sniff_by_content_not_name() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some(ScanType::Pdf));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0]), Some(ScanType::Jpeg));
        assert_eq!(
            sniff(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]),
            Some(ScanType::Png)
        );
        assert_eq!(sniff(b"II*\0...."), Some(ScanType::Tiff));
        assert_eq!(sniff(b"MM\0*...."), Some(ScanType::Tiff));
        // An ELF or Windows executable, whatever its name.
        assert_eq!(sniff(b"\x7fELF\x02\x01"), None);
        assert_eq!(sniff(b"MZ\x90\0"), None);
        let e = check_scan(b"MZ\x90\0rest", 100).unwrap_err();
        assert_eq!(e.code, "unsupported_file_type");
        let e = check_scan(&[b'%'; 101], 100).unwrap_err();
        assert_eq!(e.code, "file_too_large");
        assert!(too_large(DEFAULT_MAX_SCAN_BYTES).message.contains("20 MB"));
    }

    #[test]
    fn letter_amounts_in_fen() {
        assert_eq!(parse_amount("a", "200").unwrap(), 20000);
        assert_eq!(parse_amount("a", "200.5").unwrap(), 20050);
        assert_eq!(parse_amount("a", "0.05元").unwrap(), 5);
        assert!(parse_amount("a", "-3").is_err());
        assert!(parse_amount("a", "1.234").is_err());
        assert!(parse_amount("a", "abc").is_err());
        assert_eq!(format_fen(20050), "200.50 元");
    }

    #[test]
    fn letter_money_needs_an_amount_and_hand_over_needs_a_signature() {
        let e = parse_enclosure(&EnclosureInput {
            kind: "money".into(),
            description: "人民币现金".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e[0].field.as_deref(), Some("amount"));
        let e = parse_hand_over(&HandOverInput {
            handed_to: "局办公室 刘海燕".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e[0].field.as_deref(), Some("signature"));
        assert!(
            parse_hand_over(&HandOverInput {
                handed_to: "局办公室".into(),
                signature: "刘海燕".into(),
                note: String::new()
            })
            .is_ok()
        );
    }

    #[test]
    fn letter_joint_needs_signatories() {
        let today = now().date();
        let joint = LetterDetailsInput {
            joint: true,
            ..Default::default()
        };
        let e = parse_letter_details(&joint, &[], false, today).unwrap_err();
        assert!(e.iter().any(|e| e.code == "joint_without_signatory"));
        let names = vec!["张三".to_string(), "李四".to_string()];
        let d = parse_letter_details(&joint, &names, false, today).unwrap();
        assert_eq!(d.signatory_count, 2);
        assert_eq!(d.contact_name, "张三");
        let d = parse_letter_details(
            &LetterDetailsInput {
                joint: true,
                signatory_count: Some(37),
                contact_name: "李四".into(),
                ..Default::default()
            },
            &names,
            false,
            today,
        )
        .unwrap();
        assert_eq!((d.signatory_count, d.contact_name.as_str()), (37, "李四"));
    }

    #[test]
    fn letter_forwarded_and_leader_instruction_are_complete() {
        let today = now().date();
        let e = parse_letter_details(
            &LetterDetailsInput {
                forwarded_doc_no: "昌信转〔2026〕5号".into(),
                ..Default::default()
            },
            &["张三".into()],
            false,
            today,
        )
        .unwrap_err();
        let fields: Vec<_> = e.iter().filter_map(|e| e.field.as_deref()).collect();
        assert_eq!(fields, ["forwarded_by_organ", "forwarded_on"]);
        let d = parse_letter_details(
            &LetterDetailsInput {
                forwarded_by_organ: "昌吉州信访局".into(),
                forwarded_on: "2026-11-20".into(),
                forwarded_deadline: "2026-12-20".into(),
                leader_name: "王市长".into(),
                leader_instructed_on: "2026-11-25".into(),
                leader_instruction: "请信访局督促办理。".into(),
                ..Default::default()
            },
            &["张三".into()],
            false,
            today,
        )
        .unwrap();
        assert_eq!(d.forwarded.unwrap().organ, "昌吉州信访局");
        assert_eq!(d.leader_instruction.unwrap().leader, "王市长");
    }

    #[test]
    fn letter_notice_rules() {
        let facts = NoticeFacts {
            anonymous: true,
            has_address: false,
            has_phone: false,
            received_at: now(),
        };
        let e = parse_notice(
            &NoticeInput {
                method: "written".into(),
                ..Default::default()
            },
            &facts,
            now(),
        )
        .unwrap_err();
        assert_eq!(e[0].code, "no_address");
        let e = parse_notice(
            &NoticeInput {
                method: "cannot_notify".into(),
                ..Default::default()
            },
            &facts,
            now(),
        )
        .unwrap_err();
        assert_eq!(e[0].field.as_deref(), Some("reason"));
        assert!(
            parse_notice(
                &NoticeInput {
                    method: "cannot_notify".into(),
                    reason: "匿名信，无署名和地址".into(),
                    ..Default::default()
                },
                &facts,
                now()
            )
            .is_ok()
        );
        let named = NoticeFacts {
            anonymous: false,
            has_address: true,
            has_phone: true,
            received_at: now(),
        };
        let e = parse_notice(
            &NoticeInput {
                method: "cannot_notify".into(),
                reason: "不想告知".into(),
                ..Default::default()
            },
            &named,
            now(),
        )
        .unwrap_err();
        assert_eq!(e[0].code, "can_notify");
        // In writing: only with the issued 告知书.
        let e = parse_notice(
            &NoticeInput {
                method: "written".into(),
                ..Default::default()
            },
            &named,
            now(),
        )
        .unwrap_err();
        assert_eq!(e[0].field.as_deref(), Some("document_id"));
        assert!(
            parse_notice(
                &NoticeInput {
                    method: "written".into(),
                    document_id: "d1".into(),
                    ..Default::default()
                },
                &named,
                now()
            )
            .is_ok()
        );
        let n = parse_notice(
            &NoticeInput {
                method: "phone".into(),
                content: "告知已受理".into(),
                ..Default::default()
            },
            &named,
            now(),
        )
        .unwrap();
        assert_eq!(n.called_at, Some(now()));
        assert_eq!(
            notice_kind(Acceptance::NoLongerAccepted),
            DocumentKind::NoLongerAcceptedNotice
        );
        assert!(
            check_notice_kind(DocumentKind::AcceptanceNotice, Acceptance::Accepted, "kind").is_ok()
        );
        let e = check_notice_kind(
            DocumentKind::AcceptanceNotice,
            Acceptance::NotAccepted,
            "document_id",
        )
        .unwrap_err();
        assert_eq!(
            (e.field.as_deref(), e.code),
            (Some("document_id"), "wrong_notice")
        );
        assert!(e.message.contains("不予受理告知书"), "{}", e.message);
    }

    #[test]
    fn letter_instruction_needs_decision_and_text() {
        let e = parse_instruction(&InstructionInput {
            acceptance: "referred_to_locality".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.len(), 2);
        assert!(
            parse_instruction(&InstructionInput {
                acceptance: "accepted".into(),
                instruction: "同意受理，请转市住建局办理。".into(),
                reason: String::new()
            })
            .is_ok()
        );
    }
}
