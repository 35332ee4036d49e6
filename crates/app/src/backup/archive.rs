//! The backup file: a tar archive, compressed with zstd, encrypted with age to the bureau's
//! backup keys (x25519 recipients) — so that, keys in hand, `age -d | zstd -d | tar x` opens it
//! without this program. Inside, in this order:
//!
//! - `xinfang-backup.json`: the [`Header`] (format version, the snapshot's time, the source
//!   backend, the schema's migrations, the tables in load order with their columns);
//! - `db/<table>/<n>.jsonl`: rows, one JSON array per line in the header's column order;
//! - `blobs/<sha256>`: every file of the blob store under its hash;
//! - `manifest.json`, last: the [`Manifest`] (rows and SHA-256 per table, the files).
//!
//! age authenticates every 64 KiB chunk and marks the last one, so a changed byte or a cut
//! file fails to decrypt, and [`read`] says where. The manifest checks the rest: that every
//! table and file the writer read arrived whole.
//!
//! Plain blocking I/O: the use cases run both ends on a blocking thread.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufReader, Read, Write};
use std::rc::Rc;
use std::str::FromStr;

use age::secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What the first entry says the file is.
pub const FORMAT: &str = "xinfang-backup";
/// This program writes, and reads up to, this version of the format.
pub const VERSION: u32 = 1;
const HEADER_ENTRY: &str = "xinfang-backup.json";
const MANIFEST_ENTRY: &str = "manifest.json";
/// zstd's level: its default, fast enough to keep up with the database on two cores.
const ZSTD_LEVEL: i32 = 3;

/// The first entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    /// The program that wrote it.
    pub program: String,
    /// When the snapshot was taken (RFC 3339).
    pub snapshot_at: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// The migrations the database had, by version.
    pub migrations: Vec<i64>,
    /// The tables, in the order their rows are loaded.
    pub tables: Vec<TableHeader>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableHeader {
    pub name: String,
    pub columns: Vec<String>,
}

/// The last entry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub finished_at: String,
    pub tables: Vec<TableManifest>,
    pub blobs: Vec<BlobManifest>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct TableManifest {
    pub name: String,
    pub rows: u64,
    /// SHA-256 over the table's row entries, in order.
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BlobManifest {
    pub sha256: String,
    pub size: u64,
}

impl Manifest {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
    pub fn blob_bytes(&self) -> u64 {
        self.blobs.iter().map(|b| b.size).sum()
    }
}

/// What went wrong, for the operator (Chinese).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ArchiveError(pub String);

fn err(message: impl Into<String>) -> ArchiveError {
    ArchiveError(message.into())
}

// ---------------------------------------------------------------------------------------------
// Keys

// Classic X25519 keys (`age1…`, `AGE-SECRET-KEY-1…`), which age 0.13 marks deprecated in favour
// of its post-quantum hybrid keys: the bureau's keys are what the configuration names, and any
// age build (Debian's `age` included) opens such a file by hand.
#[allow(deprecated)]
pub type Recipient = age::x25519::Recipient;
#[allow(deprecated)]
pub type Identity = age::x25519::Identity;

/// The bureau's backup keys as the configuration gives them (`age1…`).
pub fn parse_recipient(text: &str) -> Result<Recipient, String> {
    Recipient::from_str(text.trim()).map_err(|_| {
        format!(
            "「{}」不是 age 公钥：应为以 age1 开头的一串字符（由 `xinfang backup keygen` 或 age-keygen 生成）",
            text.trim()
        )
    })
}

/// The private keys in an identity file (`AGE-SECRET-KEY-1…` lines; `#` comments).
pub fn parse_identities(text: &str) -> Result<Vec<Identity>, String> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(Identity::from_str(line).map_err(|_| {
            "私钥文件中有一行不是 age 私钥（应以 AGE-SECRET-KEY-1 开头）".to_string()
        })?);
    }
    if out.is_empty() {
        return Err("私钥文件中没有 age 私钥（应有一行以 AGE-SECRET-KEY-1 开头）".into());
    }
    Ok(out)
}

/// The public key that encrypts to `identity`.
pub fn public_key(identity: &Identity) -> String {
    identity.to_public().to_string()
}

/// A new key pair: the identity file's text (with its public key in a comment) and the
/// public key.
#[allow(deprecated)]
pub fn generate(created_at: &str) -> (String, String) {
    let identity = Identity::generate();
    let public = public_key(&identity);
    let text = format!(
        "# xinfang backup key, created {created_at}\n# public key: {public}\n{}\n",
        identity.to_string().expose_secret()
    );
    (text, public)
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Counts and hashes what reaches the file.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

type Sink<W> = zstd::Encoder<'static, age::stream::StreamWriter<Hashing<W>>>;

/// Writes one backup file, entry by entry.
pub struct Writer<W: Write> {
    tar: tar::Builder<Sink<W>>,
    manifest: Manifest,
    /// Per table: the running hash over its entries, and the entries written.
    tables: BTreeMap<String, (Sha256, u64)>,
    order: Vec<String>,
}

/// The file as written: its size and SHA-256.
pub struct Written<W> {
    pub out: W,
    pub size: u64,
    pub sha256: String,
    pub manifest: Manifest,
}

fn append<W: Write>(tar: &mut tar::Builder<W>, path: &str, data: &[u8]) -> io::Result<()> {
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o600);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    tar.append_data(&mut h, path, data)
}

impl<W: Write> Writer<W> {
    pub fn new(out: W, recipients: &[Recipient], header: &Header) -> io::Result<Self> {
        let encryptor =
            age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
                .map_err(|e| io::Error::other(e.to_string()))?;
        let hashing = Hashing {
            inner: out,
            hasher: Sha256::new(),
            bytes: 0,
        };
        let sink = zstd::Encoder::new(encryptor.wrap_output(hashing)?, ZSTD_LEVEL)?;
        let mut tar = tar::Builder::new(sink);
        let json = serde_json::to_vec_pretty(header).map_err(io::Error::other)?;
        append(&mut tar, HEADER_ENTRY, &json)?;
        Ok(Writer {
            tar,
            manifest: Manifest {
                format: FORMAT.into(),
                version: VERSION,
                ..Default::default()
            },
            tables: header
                .tables
                .iter()
                .map(|t| (t.name.clone(), (Sha256::new(), 0)))
                .collect(),
            order: header.tables.iter().map(|t| t.name.clone()).collect(),
        })
    }

    /// Some rows of `table`: JSON lines.
    pub fn rows(&mut self, table: &str, jsonl: &[u8], rows: u64) -> io::Result<()> {
        let Some((hasher, chunks)) = self.tables.get_mut(table) else {
            return Err(io::Error::other(format!("table {table} not in the header")));
        };
        *chunks += 1;
        hasher.update(jsonl);
        let path = format!("db/{table}/{:06}.jsonl", *chunks);
        append(&mut self.tar, &path, jsonl)?;
        match self.manifest.tables.iter_mut().find(|t| t.name == table) {
            Some(t) => t.rows += rows,
            None => self.manifest.tables.push(TableManifest {
                name: table.into(),
                rows,
                sha256: String::new(),
            }),
        }
        Ok(())
    }

    /// One file of the blob store.
    pub fn blob(&mut self, sha256: &str, bytes: &[u8]) -> io::Result<()> {
        append(&mut self.tar, &format!("blobs/{sha256}"), bytes)?;
        self.manifest.blobs.push(BlobManifest {
            sha256: sha256.into(),
            size: bytes.len() as u64,
        });
        Ok(())
    }

    /// Writes the manifest and closes every layer; the caller syncs the file.
    pub fn finish(mut self, finished_at: &str) -> io::Result<Written<W>> {
        let mut tables = Vec::with_capacity(self.order.len());
        for name in &self.order {
            let (hasher, _) = self.tables.remove(name).unwrap_or_default();
            let rows = self
                .manifest
                .tables
                .iter()
                .find(|t| &t.name == name)
                .map(|t| t.rows)
                .unwrap_or(0);
            tables.push(TableManifest {
                name: name.clone(),
                rows,
                sha256: hex::encode(hasher.finalize()),
            });
        }
        self.manifest.tables = tables;
        self.manifest.finished_at = finished_at.into();
        let json = serde_json::to_vec_pretty(&self.manifest).map_err(io::Error::other)?;
        append(&mut self.tar, MANIFEST_ENTRY, &json)?;
        let sink = self.tar.into_inner()?;
        let mut hashing = sink.finish()?.finish()?;
        hashing.flush()?;
        Ok(Written {
            size: hashing.bytes,
            sha256: hex::encode(hashing.hasher.finalize()),
            out: hashing.inner,
            manifest: self.manifest,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

/// What the reader hands over, in the file's order.
pub enum Item {
    Header(Header),
    Rows {
        table: String,
        rows: Vec<Vec<serde_json::Value>>,
    },
    Blob {
        sha256: String,
        bytes: Vec<u8>,
    },
}

/// Where reading stopped and why, seen from below the decompressor.
#[derive(Default)]
struct Track {
    /// Bytes of the file read so far.
    offset: u64,
    /// The whole file has been read.
    eof: bool,
    file_hasher: Option<Sha256>,
    /// The first error the decryption reported.
    failure: Option<(io::ErrorKind, String)>,
}

struct FileSide<R> {
    inner: R,
    track: Rc<RefCell<Track>>,
}

impl<R: Read> Read for FileSide<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut t = self.track.borrow_mut();
        t.offset += n as u64;
        t.eof |= n == 0 && !buf.is_empty();
        if let Some(h) = t.file_hasher.as_mut() {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

struct PlainSide<R> {
    inner: R,
    track: Rc<RefCell<Track>>,
}

impl<R: Read> Read for PlainSide<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            let mut t = self.track.borrow_mut();
            if t.failure.is_none() {
                t.failure = Some((e.kind(), e.to_string()));
            }
        })
    }
}

/// The file read whole: its manifest, size and SHA-256.
#[derive(Debug, Clone)]
pub struct Contents {
    pub header: Header,
    pub manifest: Manifest,
    pub size: u64,
    pub sha256: String,
}

fn explain(track: &Rc<RefCell<Track>>, e: &io::Error) -> ArchiveError {
    let t = track.borrow();
    match &t.failure {
        // Cut on a chunk's boundary, or inside the last chunk read (which then fails to decrypt
        // as the last one).
        Some((io::ErrorKind::UnexpectedEof, _)) => err(format!(
            "备份文件不完整：文件在第 {} 字节处结束，缺少结尾（文件被截断：备份过程被中断，或复制不完整）",
            t.offset
        )),
        Some(_) if t.eof => err(format!(
            "备份文件不完整：文件在第 {} 字节处结束，最后一段无法解密（文件被截断：备份过程被中断、复制不完整，或结尾已损坏）",
            t.offset
        )),
        Some((_, m)) if m.contains("decryption") || m.contains("chunk") => err(format!(
            "备份文件已损坏：约第 {} 字节处的数据未通过校验（文件内容被改动或存储介质损坏）",
            t.offset
        )),
        Some((_, m)) => err(format!("读取备份文件时出错（约第 {} 字节）：{m}", t.offset)),
        None => err(format!(
            "备份文件内容无法解析（约第 {} 字节）：{e}",
            t.offset
        )),
    }
}

fn header_error(e: age::DecryptError) -> ArchiveError {
    match e {
        age::DecryptError::NoMatchingKeys => err(
            "私钥与此备份不匹配：备份是用其他公钥加密的（检查 backup_identity 或 --identity 指定的私钥文件）",
        ),
        age::DecryptError::InvalidMac => err("备份文件头已被改动（校验码不符），无法解密"),
        age::DecryptError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            err("备份文件不完整：文件为空，或在文件头处被截断")
        }
        age::DecryptError::DecryptionFailed | age::DecryptError::KeyDecryptionFailed => {
            err("无法用给定私钥解密备份文件头（文件头已损坏，或私钥不对）")
        }
        _ => err("不是 xinfang 备份文件（不是 age 加密文件，或文件头已损坏）"),
    }
}

/// Decrypts and reads the whole file, handing each item to `visit` as it comes, and checks
/// it against its manifest. An error from `visit` stops the reading and is returned.
pub fn read<R: Read>(
    input: R,
    identities: &[Identity],
    mut visit: impl FnMut(Item) -> Result<(), ArchiveError>,
) -> Result<Contents, ArchiveError> {
    let track = Rc::new(RefCell::new(Track {
        file_hasher: Some(Sha256::new()),
        ..Default::default()
    }));
    let file = BufReader::with_capacity(
        1 << 16,
        FileSide {
            inner: input,
            track: track.clone(),
        },
    );
    let decryptor = age::Decryptor::new_buffered(file).map_err(header_error)?;
    if decryptor.is_scrypt() {
        return Err(err(
            "此文件用口令加密，不是用本局备份公钥加密的 xinfang 备份",
        ));
    }
    let plain = decryptor
        .decrypt(identities.iter().map(|i| i as &dyn age::Identity))
        .map_err(header_error)?;
    let plain = PlainSide {
        inner: plain,
        track: track.clone(),
    };
    let zstd = zstd::Decoder::new(plain).map_err(|e| explain(&track, &e))?;
    let mut archive = tar::Archive::new(zstd);
    let entries = archive.entries().map_err(|e| explain(&track, &e))?;

    let mut header: Option<Header> = None;
    let mut manifest: Option<Manifest> = None;
    let mut tables: BTreeMap<String, (Sha256, u64)> = BTreeMap::new();
    let mut blobs: Vec<BlobManifest> = Vec::new();
    let mut seen_blobs = BTreeSet::new();
    for entry in entries {
        let mut entry = entry.map_err(|e| explain(&track, &e))?;
        let path = entry
            .path()
            .map_err(|e| explain(&track, &e))?
            .to_string_lossy()
            .into_owned();
        let mut data = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0).min(1 << 26));
        entry
            .read_to_end(&mut data)
            .map_err(|e| explain(&track, &e))?;
        if manifest.is_some() {
            return Err(err(format!(
                "备份文件在清单之后还有内容（{path}）：文件被改动"
            )));
        }
        if header.is_none() {
            if path != HEADER_ENTRY {
                return Err(err("不是 xinfang 备份文件（缺少 xinfang-backup.json）"));
            }
            let h: Header = serde_json::from_slice(&data)
                .map_err(|e| err(format!("备份说明（xinfang-backup.json）无法解析：{e}")))?;
            if h.format != FORMAT {
                return Err(err("不是 xinfang 备份文件（格式标记不符）"));
            }
            if h.version > VERSION {
                return Err(err(format!(
                    "备份格式版本 {} 比本程序（{VERSION}）新：请用更新版本的 xinfang 校验或恢复",
                    h.version
                )));
            }
            tables = h
                .tables
                .iter()
                .map(|t| (t.name.clone(), (Sha256::new(), 0)))
                .collect();
            header = Some(h.clone());
            visit(Item::Header(h))?;
            continue;
        }
        if path == MANIFEST_ENTRY {
            manifest = Some(
                serde_json::from_slice(&data)
                    .map_err(|e| err(format!("备份清单（manifest.json）无法解析：{e}")))?,
            );
        } else if let Some(rest) = path.strip_prefix("db/") {
            let table = rest.split('/').next().unwrap_or_default().to_string();
            let Some((hasher, count)) = tables.get_mut(&table) else {
                return Err(err(format!("备份中有未在说明中列出的表 {table}")));
            };
            hasher.update(&data);
            let mut rows = Vec::new();
            for (i, line) in data.split(|b| *b == b'\n').enumerate() {
                if line.is_empty() {
                    continue;
                }
                rows.push(serde_json::from_slice(line).map_err(|e| {
                    err(format!(
                        "备份中表 {table} 的数据（{path} 第 {} 行）无法解析：{e}",
                        i + 1
                    ))
                })?);
            }
            *count += rows.len() as u64;
            visit(Item::Rows { table, rows })?;
        } else if let Some(hash) = path.strip_prefix("blobs/") {
            let actual = hex::encode(Sha256::digest(&data));
            if actual != hash {
                return Err(err(format!("备份中的文件 {hash} 内容与其 SHA-256 不符")));
            }
            if seen_blobs.insert(hash.to_string()) {
                blobs.push(BlobManifest {
                    sha256: hash.to_string(),
                    size: data.len() as u64,
                });
            }
            visit(Item::Blob {
                sha256: hash.to_string(),
                bytes: data,
            })?;
        } else {
            return Err(err(format!("备份中有不认识的内容 {path}")));
        }
    }
    // The decryption may have stopped the archive early without an error from tar.
    if let Some(e) = track.borrow().failure.clone() {
        return Err(explain(&track, &io::Error::new(e.0, e.1)));
    }
    let header = header.ok_or_else(|| err("备份文件是空的（没有任何内容）"))?;
    let manifest = manifest.ok_or_else(|| {
        err("备份文件不完整：缺少结尾的清单（manifest.json），备份过程可能被中断")
    })?;
    // Everything read must be what the writer says it wrote.
    for t in &header.tables {
        let (hasher, rows) = tables.remove(&t.name).unwrap_or_default();
        let listed = manifest.tables.iter().find(|m| m.name == t.name);
        let Some(listed) = listed else {
            return Err(err(format!("备份清单中缺少表 {}", t.name)));
        };
        if listed.rows != rows {
            return Err(err(format!(
                "表 {} 的行数不符：清单记载 {} 行，实际读到 {rows} 行",
                t.name, listed.rows
            )));
        }
        if listed.sha256 != hex::encode(hasher.finalize()) {
            return Err(err(format!("表 {} 的数据与清单中的 SHA-256 不符", t.name)));
        }
    }
    let mut listed = manifest.blobs.clone();
    listed.sort_by(|a, b| a.sha256.cmp(&b.sha256));
    blobs.sort_by(|a, b| a.sha256.cmp(&b.sha256));
    if listed != blobs {
        let missing = listed.iter().filter(|b| !blobs.contains(b)).count();
        return Err(err(format!(
            "备份中的文件与清单不符：清单记载 {} 个，实际读到 {} 个，{missing} 个缺失或大小不符",
            listed.len(),
            blobs.len()
        )));
    }
    // Drain what follows the archive's end so that the file's hash covers all of it.
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|e| explain(&track, &e))?;
    let mut t = track.borrow_mut();
    Ok(Contents {
        header,
        manifest,
        size: t.offset,
        sha256: hex::encode(t.file_hasher.take().unwrap_or_default().finalize()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            format: FORMAT.into(),
            version: VERSION,
            program: "test".into(),
            snapshot_at: "2026-12-07T02:00:00Z".into(),
            backend: "sqlite".into(),
            migrations: vec![1, 2],
            tables: vec![TableHeader {
                name: "petitions".into(),
                columns: vec!["id".into(), "summary".into()],
            }],
        }
    }

    fn keys() -> (Identity, Recipient) {
        let (text, public) = generate("now");
        let id = parse_identities(&text).unwrap().remove(0);
        (id, parse_recipient(&public).unwrap())
    }

    /// A file with `rows` rows of 2 KB of text each and one file.
    fn write(rows: usize, to: &Recipient) -> (Vec<u8>, String) {
        let mut w = Writer::new(Vec::new(), std::slice::from_ref(to), &header()).unwrap();
        let mut jsonl = Vec::new();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for i in 0..rows {
            // Random text (xorshift), so that compression leaves many age chunks.
            let text: String = (0..700)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    char::from_u32(0x4e00 + (seed % 20_000) as u32).unwrap()
                })
                .collect();
            jsonl.extend(serde_json::to_vec(&serde_json::json!([format!("p{i}"), text])).unwrap());
            jsonl.push(b'\n');
        }
        w.rows("petitions", &jsonl, rows as u64).unwrap();
        let blob = b"%PDF-1.7 scan".to_vec();
        let hash = hex::encode(Sha256::digest(&blob));
        w.blob(&hash, &blob).unwrap();
        let written = w.finish("2026-12-07T02:01:00Z").unwrap();
        assert_eq!(written.size as usize, written.out.len());
        (written.out, written.sha256)
    }

    fn read_all(bytes: &[u8], id: &Identity) -> Result<(Contents, u64, usize), ArchiveError> {
        let (mut rows, mut blobs) = (0u64, 0usize);
        let r = read(bytes, std::slice::from_ref(id), |item| {
            match item {
                Item::Rows { rows: r, .. } => rows += r.len() as u64,
                Item::Blob { .. } => blobs += 1,
                Item::Header(_) => {}
            }
            Ok(())
        })?;
        Ok((r, rows, blobs))
    }

    #[test]
    fn a_backup_reads_back_whole_with_its_manifest_and_hash() {
        let (id, to) = keys();
        let (bytes, sha) = write(50, &to);
        let (r, rows, blobs) = read_all(&bytes, &id).unwrap();
        assert_eq!((rows, blobs), (50, 1));
        assert_eq!(r.manifest.rows(), 50);
        assert_eq!(
            r.sha256, sha,
            "the reader hashes the same bytes the writer wrote"
        );
        assert_eq!(r.size as usize, bytes.len());
        assert_eq!(r.header.migrations, vec![1, 2]);
    }

    #[test]
    fn a_cut_a_changed_or_a_foreign_file_is_refused_with_what_is_wrong() {
        let (id, to) = keys();
        let (bytes, _) = write(300, &to);
        assert!(bytes.len() > 200_000, "several age chunks: {}", bytes.len());
        // Cut anywhere after the header: the end is missing.
        for cut in [bytes.len() - 1, bytes.len() / 2, 70_000] {
            let e = read_all(&bytes[..cut], &id).unwrap_err();
            assert!(e.0.contains("不完整"), "cut at {cut}: {e}");
        }
        // One byte changed in the middle.
        let mut changed = bytes.clone();
        let at = changed.len() / 2;
        changed[at] ^= 0x01;
        let e = read_all(&changed, &id).unwrap_err();
        assert!(e.0.contains("已损坏") && e.0.contains("字节"), "{e}");
        // Another bureau's key.
        let (other, _) = keys();
        let e = read_all(&bytes, &other).unwrap_err();
        assert!(e.0.contains("私钥与此备份不匹配"), "{e}");
        // Not a backup at all.
        let e = read_all(b"%PDF-1.7 not a backup", &id).unwrap_err();
        assert!(e.0.contains("不是 xinfang 备份文件"), "{e}");
        let e = read_all(b"", &id).unwrap_err();
        assert!(e.0.contains("为空"), "{e}");
    }

    #[test]
    fn keys_are_checked_and_explained() {
        let (text, public) = generate("now");
        assert!(text.contains(&public));
        assert_eq!(public_key(&parse_identities(&text).unwrap()[0]), public);
        assert!(
            parse_recipient("age1nonsense")
                .unwrap_err()
                .contains("不是 age 公钥")
        );
        assert!(
            parse_identities("# only a comment\n")
                .err()
                .unwrap()
                .contains("没有 age 私钥")
        );
        assert!(
            parse_identities("AGE-SECRET-KEY-1XYZ\n")
                .err()
                .unwrap()
                .contains("不是 age 私钥")
        );
    }
}
