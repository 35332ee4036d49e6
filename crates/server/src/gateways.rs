//! The gateways messages to petitioners leave through (`xinfang_app::outbox::Gateway`): an SMS
//! gateway over HTTP (each message POSTed as JSON `{"to", "text"}`, a 2xx answer is success) and
//! a mail server over SMTP (lettre). Without a configured gateway a message of that medium fails
//! its attempt with the reason, and is retried like any other failure.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use xinfang_app::context::Config;
use xinfang_app::outbox::{Gateway, Outgoing};
use xinfang_domain::outbox::Medium;

pub struct Gateways {
    http: reqwest::Client,
    sms_url: Option<String>,
    sms_token: Option<String>,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    smtp_error: Option<String>,
    from: String,
}

impl Gateways {
    pub fn from_config(c: &Config) -> Gateways {
        let (smtp, smtp_error) = match c.smtp_url.as_deref() {
            None => (None, None),
            Some(url) => match AsyncSmtpTransport::<Tokio1Executor>::from_url(url) {
                Ok(b) => (Some(b.timeout(Some(Duration::from_secs(20))).build()), None),
                Err(e) => (None, Some(format!("邮件服务器地址无效：{e}"))),
            },
        };
        Gateways {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap_or_default(),
            sms_url: c.sms_gateway_url.clone(),
            sms_token: c.sms_gateway_token.clone(),
            smtp,
            smtp_error,
            from: c.smtp_from.clone(),
        }
    }

    async fn sms(&self, m: &Outgoing) -> Result<String, String> {
        let url = self
            .sms_url
            .as_deref()
            .ok_or_else(|| "未配置短信网关（sms_gateway_url）".to_string())?;
        let mut req = self
            .http
            .post(url)
            .json(&serde_json::json!({"to": m.to, "text": m.body}));
        if let Some(t) = &self.sms_token {
            req = req.bearer_auth(t);
        }
        let r = req
            .send()
            .await
            .map_err(|e| format!("短信网关无法连接：{e}"))?;
        let status = r.status();
        let text: String = r
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect();
        if status.is_success() {
            Ok(format!("短信网关 HTTP {} {text}", status.as_u16()))
        } else {
            Err(format!("短信网关 HTTP {} {text}", status.as_u16()))
        }
    }

    async fn email(&self, m: &Outgoing) -> Result<String, String> {
        let Some(smtp) = &self.smtp else {
            return Err(self
                .smtp_error
                .clone()
                .unwrap_or_else(|| "未配置邮件服务器（smtp_url）".into()));
        };
        let message = Message::builder()
            .from(
                self.from
                    .parse()
                    .map_err(|e| format!("发件人地址无效：{e}"))?,
            )
            .to(m.to.parse().map_err(|e| format!("收件人地址无效：{e}"))?)
            .subject(m.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(m.body.clone())
            .map_err(|e| format!("邮件无法生成：{e}"))?;
        let r = smtp
            .send(message)
            .await
            .map_err(|e| format!("邮件服务器：{e}"))?;
        Ok(format!(
            "SMTP {} {}",
            r.code(),
            r.message().collect::<Vec<_>>().join(" ")
        ))
    }
}

impl Gateway for Gateways {
    fn send<'a>(
        &'a self,
        m: &'a Outgoing,
    ) -> Pin<Box<dyn Future<Output = Result<String, String>> + Send + 'a>> {
        Box::pin(async move {
            match m.medium {
                Medium::Sms => self.sms(m).await,
                Medium::Email => self.email(m).await,
            }
        })
    }
}
