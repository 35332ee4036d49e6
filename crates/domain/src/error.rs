//! One error type for invalid input: which field, a stable code, and the Chinese message shown to
//! the user. Parsing happens once at the edge; everything after trusts the parsed value.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// JSON path of the offending field, e.g. `petitioners[0].id_number`; `None` for the whole request.
    pub field: Option<String>,
    /// Stable machine-readable code, e.g. `id_checksum`.
    pub code: &'static str,
    /// The message for the user, in Simplified Chinese.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            code,
            message: message.into(),
        }
    }

    pub fn general(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: None,
            code,
            message: message.into(),
        }
    }

    /// Re-roots the field path under `prefix`, e.g. `id_number` → `petitioners[2].id_number`.
    pub fn under(mut self, prefix: &str) -> Self {
        self.field = Some(match self.field {
            Some(f) if !f.is_empty() => format!("{prefix}.{f}"),
            _ => prefix.to_string(),
        });
        self
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for FieldError {}
