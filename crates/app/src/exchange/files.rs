//! The national file as JSON or XML. XML is read into the same JSON shape (every value text,
//! `xfr` and `blxx` repeated elements) and then typed by serde, so both formats are checked by
//! one set of rules.

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};
use serde_json::{Map, Value};
use xinfang_domain::FieldError;
use xinfang_domain::exchange::NationalFile;

use crate::error::{AppError, AppResult};

/// A file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "json" | "application/json" => Some(Format::Json),
            "xml" | "application/xml" | "text/xml" => Some(Format::Xml),
            _ => None,
        }
    }

    /// The named format, JSON when none is named.
    pub fn parse_or_json(s: Option<&str>) -> AppResult<Format> {
        match s.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(Format::Json),
            Some(f) => Format::parse(f).ok_or_else(|| {
                AppError::field(
                    "format",
                    "unknown_format",
                    format!("未知的文件格式「{f}」，应为 json 或 xml"),
                )
            }),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Xml => "application/xml",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Xml => "xml",
        }
    }
}

fn malformed(message: String) -> AppError {
    AppError::Invalid(vec![FieldError::new("file", "malformed_file", message)])
}

/// Reads a national file. A file that is not well-formed, or whose values have the wrong shape,
/// is refused as a whole, naming where.
pub fn read_file(bytes: &[u8], format: Format) -> AppResult<NationalFile> {
    let value = match format {
        Format::Json => serde_json::from_slice::<Value>(bytes).map_err(|e| {
            malformed(format!(
                "文件不是有效的 JSON：第 {} 行第 {} 列，{e}",
                e.line(),
                e.column()
            ))
        })?,
        Format::Xml => xml_to_value(bytes)?,
    };
    serde_json::from_value::<NationalFile>(value)
        .map_err(|e| malformed(format!("文件内容的结构不正确：{e}")))
}

/// The XML file as the JSON shape: root `xfjs`, its `xfj` elements each an object of text
/// fields, with `xfr` and `blxx` elements as arrays of such objects.
fn xml_to_value(bytes: &[u8]) -> AppResult<Value> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| malformed("XML 文件应为 UTF-8 编码".into()))?;
    let mut reader = Reader::from_str(text);
    // The open elements: name and the object being filled (text in "$text").
    let mut stack: Vec<(String, Map<String, Value>)> = Vec::new();
    let mut root: Option<Value> = None;
    let err = |reader: &Reader<&[u8]>, m: String| {
        malformed(format!(
            "XML 文件格式错误（第 {} 字节附近）：{m}",
            reader.buffer_position()
        ))
    };
    loop {
        let ev = reader.read_event().map_err(|e| {
            malformed(format!(
                "XML 文件格式错误（第 {} 字节附近）：{e}",
                reader.error_position()
            ))
        })?;
        match ev {
            Event::Start(s) => {
                let name = String::from_utf8_lossy(s.name().as_ref()).to_string();
                let mut m = Map::new();
                for a in s.attributes().flatten() {
                    let k = String::from_utf8_lossy(a.key.as_ref()).to_string();
                    let v = a
                        .unescape_value()
                        .map(|v| v.to_string())
                        .unwrap_or_default();
                    m.insert(k, Value::String(v));
                }
                if stack.len() > 4 {
                    return Err(malformed("XML 元素嵌套过深".into()));
                }
                stack.push((name, m));
            }
            Event::Empty(s) => {
                let name = String::from_utf8_lossy(s.name().as_ref()).to_string();
                if let Some((_, parent)) = stack.last_mut() {
                    insert(parent, name, Value::String(String::new()));
                }
            }
            Event::Text(t) => {
                let v = t
                    .decode()
                    .map_err(|e| malformed(format!("XML 文本无效：{e}")))?
                    .to_string();
                if let Some((_, m)) = stack.last_mut() {
                    append_text(m, &v);
                }
            }
            Event::CData(t) => {
                let v = String::from_utf8_lossy(&t).to_string();
                if let Some((_, m)) = stack.last_mut() {
                    append_text(m, &v);
                }
            }
            Event::GeneralRef(r) => {
                let v = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => {
                        let name = r.decode().map(|n| n.to_string()).unwrap_or_default();
                        match name.as_str() {
                            "lt" => "<".into(),
                            "gt" => ">".into(),
                            "amp" => "&".into(),
                            "apos" => "'".into(),
                            "quot" => "\"".into(),
                            _ => return Err(err(&reader, format!("未知的实体 &{name};"))),
                        }
                    }
                };
                if let Some((_, m)) = stack.last_mut() {
                    append_text(m, &v);
                }
            }
            Event::End(_) => {
                let Some((name, mut m)) = stack.pop() else {
                    return Err(err(&reader, "多余的结束标签".into()));
                };
                // A leaf element is its text; an element with children is an object.
                let value = if m.len() == 1 && m.contains_key("$text") {
                    match m.remove("$text") {
                        Some(Value::String(t)) if t.trim().is_empty() => {
                            Value::String(String::new())
                        }
                        other => other.unwrap_or(Value::Null),
                    }
                } else if m.is_empty() {
                    Value::String(String::new())
                } else {
                    m.remove("$text");
                    Value::Object(m)
                };
                match stack.last_mut() {
                    Some((_, parent)) => insert(parent, name, value),
                    None => root = Some(value),
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(malformed("XML 文件不完整：元素没有结束".into()));
    }
    let Some(mut root) = root else {
        return Err(malformed("XML 文件没有根元素".into()));
    };
    // The lists are lists even with one element.
    if let Value::Object(m) = &mut root {
        listify(m, "xfj");
        if let Some(Value::Array(records)) = m.get_mut("xfj") {
            for r in records {
                if let Value::Object(r) = r {
                    listify(r, "xfr");
                    listify(r, "blxx");
                }
            }
        }
    } else {
        root = Value::Object(Map::new());
    }
    Ok(root)
}

fn append_text(m: &mut Map<String, Value>, v: &str) {
    let old = m
        .get("$text")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    m.insert("$text".into(), Value::String(old + v));
}

/// Adds a child: a repeated name becomes an array.
fn insert(parent: &mut Map<String, Value>, name: String, value: Value) {
    match parent.get_mut(&name) {
        Some(Value::Array(a)) => a.push(value),
        Some(old) => {
            let first = old.take();
            *old = Value::Array(vec![first, value]);
        }
        None => {
            parent.insert(name, value);
        }
    }
}

fn listify(m: &mut Map<String, Value>, key: &str) {
    match m.get_mut(key) {
        Some(Value::Array(_)) | None => {}
        Some(Value::String(s)) if s.is_empty() => {
            m.insert(key.into(), Value::Array(Vec::new()));
        }
        Some(v) => {
            let one = v.take();
            *v = Value::Array(vec![one]);
        }
    }
}

/// Writes a national file.
pub fn write_file(file: &NationalFile, format: Format) -> AppResult<Vec<u8>> {
    let value =
        serde_json::to_value(file).map_err(|e| AppError::Internal(format!("export: {e}")))?;
    match format {
        Format::Json => serde_json::to_vec_pretty(&value)
            .map_err(|e| AppError::Internal(format!("export: {e}"))),
        Format::Xml => {
            let mut w = Writer::new_with_indent(Vec::new(), b' ', 1);
            let io = |e: std::io::Error| AppError::Internal(format!("export: {e}"));
            w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
                .map_err(io)?;
            let mut root = BytesStart::new("xfjs");
            root.push_attribute(("format", file.format.as_str()));
            w.write_event(Event::Start(root)).map_err(io)?;
            if let Some(Value::Array(records)) = value.get("xfj") {
                for r in records {
                    write_element(&mut w, "xfj", r).map_err(io)?;
                }
            }
            w.write_event(Event::End(BytesEnd::new("xfjs")))
                .map_err(io)?;
            Ok(w.into_inner())
        }
    }
}

fn write_element(w: &mut Writer<Vec<u8>>, name: &str, v: &Value) -> std::io::Result<()> {
    match v {
        Value::Object(m) => {
            w.write_event(Event::Start(BytesStart::new(name)))?;
            for (k, v) in m {
                if let Value::Array(items) = v {
                    for item in items {
                        write_element(w, k, item)?;
                    }
                } else {
                    write_element(w, k, v)?;
                }
            }
            w.write_event(Event::End(BytesEnd::new(name)))?;
        }
        Value::String(s) if s.is_empty() => {
            w.write_event(Event::Empty(BytesStart::new(name)))?;
        }
        other => {
            let text = match other {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            w.write_event(Event::Start(BytesStart::new(name)))?;
            w.write_event(Event::Text(BytesText::new(&text)))?;
            w.write_event(Event::End(BytesEnd::new(name)))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use xinfang_domain::exchange::{NationalHandling, NationalPetitioner, NationalRecord};

    fn file() -> NationalFile {
        NationalFile {
            format: "xinfang-national-1".into(),
            xfj: vec![NationalRecord {
                xfjbh: "X1".into(),
                gkxx: "反映 <拖欠> & 工资".into(),
                xfr: vec![NationalPetitioner {
                    xm: "张三".into(),
                    ..Default::default()
                }],
                blxx: vec![
                    NationalHandling {
                        blfs: "1".into(),
                        ..Default::default()
                    },
                    NationalHandling {
                        blfs: "2".into(),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }],
        }
    }

    #[test]
    fn both_formats_read_back_what_was_written() {
        for f in [Format::Json, Format::Xml] {
            let bytes = write_file(&file(), f).unwrap();
            assert_eq!(read_file(&bytes, f).unwrap(), file(), "{f:?}");
        }
    }

    #[test]
    fn a_malformed_file_is_refused_as_a_whole() {
        for (bytes, f) in [
            (&b"{\"xfj\": ["[..], Format::Json),
            (&b"<xfjs><xfj><xfjbh>1</xfj></xfjs>"[..], Format::Xml),
            (&b"<xfjs><xfj>"[..], Format::Xml),
        ] {
            let e = read_file(bytes, f).unwrap_err();
            assert_eq!(e.body().code, "malformed_file", "{f:?}");
        }
    }
}
