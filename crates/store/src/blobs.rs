//! File storage by content hash (issued PDFs, later scanned letters). A narrow trait so that an
//! S3-compatible object store can serve multi-instance deployments; the local directory is the
//! default.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::Result;

/// Blobs under `<data-dir>/blobs/ab/cdef…`, written once, never changed.
#[derive(Debug, Clone)]
pub struct LocalBlobs {
    root: PathBuf,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl LocalBlobs {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, hash: &str) -> Option<PathBuf> {
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(self.root.join(&hash[..2]).join(&hash[2..]))
    }

    /// Stores the bytes and returns their SHA-256. Writing to a temporary file and renaming
    /// makes a half-written blob impossible.
    pub async fn put(&self, bytes: &[u8]) -> Result<String> {
        let hash = sha256_hex(bytes);
        let path = self.path(&hash).expect("sha256 hex is a valid blob name");
        if tokio::fs::try_exists(&path).await? {
            return Ok(hash);
        }
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let tmp = path.with_extension(format!("tmp{}", uuid::Uuid::new_v4().simple()));
        tokio::fs::write(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, &path).await?;
        Ok(hash)
    }

    /// Reads a blob back and checks it still has the hash it was stored under.
    pub async fn get(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        let Some(path) = self.path(hash) else {
            return Ok(None);
        };
        match tokio::fs::read(&path).await {
            Ok(bytes) => {
                if sha256_hex(&bytes) != hash {
                    return Err(crate::StoreError::Corrupt(format!("blob {hash} altered")));
                }
                Ok(Some(bytes))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
