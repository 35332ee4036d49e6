//! A small `multipart/form-data` reader (RFC 7578) for the scan upload form: the body is read
//! whole (within the upload limit) and split at the boundary.

/// One field of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub file_name: Option<String>,
    pub data: Vec<u8>,
}

/// The boundary of a `multipart/form-data` content type, if it is one.
pub fn boundary(content_type: &str) -> Option<String> {
    let mut parts = content_type.split(';');
    if !parts
        .next()?
        .trim()
        .eq_ignore_ascii_case("multipart/form-data")
    {
        return None;
    }
    parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_string())
            .filter(|b| !b.is_empty() && b.len() <= 200)
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

/// The value of `key="…"` in a Content-Disposition header.
fn param(header: &str, key: &str) -> Option<String> {
    let lower = header.to_ascii_lowercase();
    let pat = format!("{key}=\"");
    let mut search = 0;
    while let Some(pos) = lower[search..].find(&pat) {
        let start = search + pos;
        // Not the tail of another parameter (`filename=` contains `name=`).
        let before = lower[..start].chars().last();
        if matches!(before, Some(';' | ' ' | '\t')) {
            let value_start = start + pat.len();
            let end = header[value_start..].find('"')?;
            return Some(header[value_start..value_start + end].to_string());
        }
        search = start + pat.len();
    }
    None
}

/// Splits the body into fields; `None` when it is not well-formed.
pub fn parse(body: &[u8], boundary: &str) -> Option<Vec<Field>> {
    let delim = format!("--{boundary}").into_bytes();
    let mut fields = Vec::new();
    let mut pos = find(body, &delim, 0)? + delim.len();
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            return Some(fields);
        }
        if body.get(pos..pos + 2) != Some(b"\r\n") {
            return None;
        }
        pos += 2;
        let headers_end = find(body, b"\r\n\r\n", pos)?;
        let headers = std::str::from_utf8(&body[pos..headers_end]).ok()?;
        let data_start = headers_end + 4;
        let mut next_delim = b"\r\n".to_vec();
        next_delim.extend_from_slice(&delim);
        let data_end = find(body, &next_delim, data_start)?;
        let disposition = headers
            .split("\r\n")
            .find(|h| h.to_ascii_lowercase().starts_with("content-disposition:"))?;
        fields.push(Field {
            name: param(disposition, "name")?,
            file_name: param(disposition, "filename"),
            data: body[data_start..data_end].to_vec(),
        });
        pos = data_end + next_delim.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_reads_fields_and_files() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"part\"\r\n\r\nattachment\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"page 1.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\r\n\r\nbinary\r\n--XyZ--\r\n";
        let b = boundary("multipart/form-data; boundary=XyZ").unwrap();
        let f = parse(body, &b).unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].name, "part");
        assert_eq!(f[0].data, b"attachment");
        assert_eq!(f[1].name, "file");
        assert_eq!(f[1].file_name.as_deref(), Some("page 1.pdf"));
        assert_eq!(f[1].data, b"%PDF-1.4\r\n\r\nbinary");
        assert!(boundary("application/json").is_none());
        assert!(parse(b"garbage", "XyZ").is_none());
    }
}
