//! Messages to petitioners (issue 20): what each kind says, from templates the bureau edits,
//! by SMS or e-mail, and when a failed sending is tried again. A message is written to the
//! outbox in the same transaction as the step that causes it; sending happens afterwards.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// The one-time code that verifies a phone on the public form.
    PhoneCode,
    /// The query code of a new petition.
    QueryCode,
    /// The acceptance decision has been made (受理 / 不予受理 …).
    AcceptanceDecision,
    /// The handling opinion is ready to be read with the query code.
    ReplyReady,
    /// The petitioner is invited to rate the handling.
    RatingInvitation,
}

impl MessageKind {
    pub const ALL: [MessageKind; 5] = [
        MessageKind::PhoneCode,
        MessageKind::QueryCode,
        MessageKind::AcceptanceDecision,
        MessageKind::ReplyReady,
        MessageKind::RatingInvitation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::PhoneCode => "phone_code",
            MessageKind::QueryCode => "query_code",
            MessageKind::AcceptanceDecision => "acceptance_decision",
            MessageKind::ReplyReady => "reply_ready",
            MessageKind::RatingInvitation => "rating_invitation",
        }
    }

    pub fn parse(s: &str) -> Option<MessageKind> {
        MessageKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            MessageKind::PhoneCode => "短信验证码",
            MessageKind::QueryCode => "查询码",
            MessageKind::AcceptanceDecision => "受理决定",
            MessageKind::ReplyReady => "处理意见已出",
            MessageKind::RatingInvitation => "邀请评价",
        }
    }

    /// The placeholders its templates may use.
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            MessageKind::PhoneCode => &["bureau", "code", "minutes"],
            MessageKind::QueryCode => &["bureau", "query_code", "link"],
            MessageKind::AcceptanceDecision => {
                &["bureau", "query_code", "petition_no", "decision", "link"]
            }
            MessageKind::ReplyReady => &["bureau", "query_code", "petition_no", "link"],
            MessageKind::RatingInvitation => {
                &["bureau", "query_code", "petition_no", "until", "link"]
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Medium {
    Sms,
    Email,
}

impl Medium {
    pub fn as_str(self) -> &'static str {
        match self {
            Medium::Sms => "sms",
            Medium::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Medium> {
        [Medium::Sms, Medium::Email]
            .into_iter()
            .find(|m| m.as_str() == s.trim())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Medium::Sms => "短信",
            Medium::Email => "电子邮件",
        }
    }
}

/// A template: the e-mail's subject (SMS ignore it) and the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    pub subject: String,
    pub body: String,
}

/// The shipped wording of each kind.
pub fn default_template(kind: MessageKind) -> Template {
    let (subject, body) = match kind {
        MessageKind::PhoneCode => (
            "验证码",
            "【{bureau}】您的验证码为 {code}，{minutes} 分钟内有效。如非本人操作，请忽略本短信。",
        ),
        MessageKind::QueryCode => (
            "您的信访事项已收到",
            "【{bureau}】您提交的信访事项已收到，查询码 {query_code}，请妥善保存。凭查询码和身份证号或手机号后四位可查询办理情况：{link}",
        ),
        MessageKind::AcceptanceDecision => (
            "信访事项受理情况",
            "【{bureau}】您的信访事项（{petition_no}）已作出决定：{decision}。凭查询码 {query_code} 可查看告知书：{link}",
        ),
        MessageKind::ReplyReady => (
            "信访事项处理意见已出",
            "【{bureau}】您的信访事项（{petition_no}）处理意见已出，凭查询码 {query_code} 可查看：{link}",
        ),
        MessageKind::RatingInvitation => (
            "请对信访事项办理情况作出评价",
            "【{bureau}】您的信访事项（{petition_no}）已办结。请于 {until} 前凭查询码 {query_code} 对办理情况作出满意度评价：{link}",
        ),
    };
    Template {
        subject: subject.into(),
        body: body.into(),
    }
}

/// The `{name}`s a text uses.
fn names_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                out.push(after[..end].to_string());
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    out
}

/// Checks an edited template: not empty, not too long for its medium, only known placeholders.
pub fn check_template(kind: MessageKind, t: &Template) -> Result<Template, Vec<FieldError>> {
    let mut errors = Vec::new();
    let body = t.body.trim();
    let subject = t.subject.trim();
    if body.is_empty() {
        errors.push(FieldError::new("body", "required", "请填写通知内容"));
    }
    if body.chars().count() > 500 {
        errors.push(FieldError::new("body", "too_long", "通知内容不超过 500 字"));
    }
    if subject.chars().count() > 100 {
        errors.push(FieldError::new(
            "subject",
            "too_long",
            "邮件标题不超过 100 字",
        ));
    }
    for (field, text) in [("subject", subject), ("body", body)] {
        for name in names_in(text) {
            if !kind.placeholders().contains(&name.as_str()) {
                errors.push(FieldError::new(
                    field,
                    "unknown_placeholder",
                    format!(
                        "「{{{name}}}」不是可用的占位符，可用：{}",
                        kind.placeholders()
                            .iter()
                            .map(|p| format!("{{{p}}}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    ),
                ));
            }
        }
    }
    if kind == MessageKind::PhoneCode && !names_in(body).iter().any(|n| n == "code") {
        errors.push(FieldError::new(
            "body",
            "code_required",
            "验证码短信须含 {code}",
        ));
    }
    if errors.is_empty() {
        Ok(Template {
            subject: subject.into(),
            body: body.into(),
        })
    } else {
        Err(errors)
    }
}

/// Fills in the placeholders; an unknown one stays as written.
pub fn render(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match vars.get(name) {
                    Some(v) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Attempts made before a message is given up.
pub const MAX_ATTEMPTS: i64 = 6;

/// Minutes to wait after the `attempts`-th failed attempt (1, 2, 4, 8, 16); `None` once the
/// last attempt failed.
pub fn retry_after_minutes(attempts: i64) -> Option<i64> {
    (1..MAX_ATTEMPTS)
        .contains(&attempts)
        .then(|| 1_i64 << (attempts - 1).clamp(0, 20))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_their_placeholders_and_refuse_unknown_ones() {
        let t = default_template(MessageKind::QueryCode);
        let vars: BTreeMap<String, String> = [
            ("bureau", "阜康市信访局"),
            ("query_code", "ABCD2345"),
            ("link", "https://x/public/query"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let text = render(&t.body, &vars);
        assert!(text.starts_with("【阜康市信访局】"), "{text}");
        assert!(text.contains("ABCD2345") && !text.contains('{'), "{text}");
        assert_eq!(render("{a}{b}x{", &vars), "{a}{b}x{");
        for k in MessageKind::ALL {
            assert!(check_template(k, &default_template(k)).is_ok(), "{k:?}");
        }
        let e = check_template(
            MessageKind::ReplyReady,
            &Template {
                subject: "{name}".into(),
                body: "{code}".into(),
            },
        )
        .unwrap_err();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].code, "unknown_placeholder");
        let e = check_template(
            MessageKind::PhoneCode,
            &Template {
                subject: String::new(),
                body: "请查收".into(),
            },
        )
        .unwrap_err();
        assert_eq!(e[0].code, "code_required");
    }

    #[test]
    fn failed_sendings_are_retried_with_growing_pauses_then_given_up() {
        let waits: Vec<_> = (1..=MAX_ATTEMPTS).map(retry_after_minutes).collect();
        assert_eq!(waits, [Some(1), Some(2), Some(4), Some(8), Some(16), None]);
        assert_eq!(retry_after_minutes(0), None);
    }
}
