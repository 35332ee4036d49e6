//! Where files live: scanned letters, report attachments, issued PDFs and DOCX. Each is stored
//! once under its SHA-256 (`ab/cdef…`), never changed, and checked against it when read back.
//!
//! The store behind it is an [`object_store::ObjectStore`]: a local directory by default (the
//! county bureau's one machine), any S3-compatible store when several instances must share the
//! files (`s3://bucket/prefix`, credentials and endpoint from the usual `AWS_*` variables).
//! Heavy (an HTTP client and TLS), so it is a workspace member of its own.

use std::path::Path;
use std::sync::Arc;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The store could not be reached or refused the operation.
    #[error("blob store: {0}")]
    Store(#[from] object_store::Error),
    /// A stored blob no longer has the hash it was stored under.
    #[error("blob {0} altered")]
    Altered(String),
    /// The blob location given in the configuration is not one this version can use.
    #[error("{0}")]
    Location(String),
}

pub type Result<T, E = BlobError> = std::result::Result<T, E>;

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The content-addressed blob store of one bureau.
#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    /// Where the blobs are, as the operator configured it (for `/readyz` and the logs; no
    /// credentials: those never come in the URL).
    location: String,
}

impl std::fmt::Debug for Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blobs")
            .field("location", &self.location)
            .finish()
    }
}

fn object_path(hash: &str) -> Option<ObjectPath> {
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(ObjectPath::from(format!("{}/{}", &hash[..2], &hash[2..])))
}

impl Blobs {
    /// Blobs in a local directory (created if missing). Writes go to a temporary file renamed
    /// into place, so a half-written blob cannot be read.
    pub fn local(root: &Path) -> Result<Blobs> {
        std::fs::create_dir_all(root)
            .map_err(|e| BlobError::Location(format!("cannot create {}: {e}", root.display())))?;
        let fs = LocalFileSystem::new_with_prefix(root)?;
        Ok(Blobs {
            store: Arc::new(fs),
            location: root.display().to_string(),
        })
    }

    /// Blobs where `url` says: `s3://bucket[/prefix]` or `file:///path`. An S3 store takes
    /// its endpoint, region and credentials from `options` (object_store's names:
    /// `aws_endpoint`, `aws_region`, `aws_access_key_id`, `aws_secret_access_key`,
    /// `aws_allow_http` for a plain-HTTP endpoint on the intranet …), then from the usual
    /// `AWS_*` variables.
    pub fn from_url(url: &str, options: &[(String, String)]) -> Result<Blobs> {
        let url = url.trim();
        if let Some(path) = url.strip_prefix("file://") {
            return Blobs::local(Path::new(path));
        }
        let Some(rest) = url.strip_prefix("s3://") else {
            return Err(BlobError::Location(format!(
                "unsupported blob location {url:?}: use s3://bucket/prefix or file:///path"
            )));
        };
        let (bucket, prefix) = match rest.split_once('/') {
            Some((b, p)) => (b, p.trim_matches('/')),
            None => (rest, ""),
        };
        if bucket.is_empty() {
            return Err(BlobError::Location(format!("no bucket in {url:?}")));
        }
        // A request waits for its file: a store that is down fails it within seconds, not the
        // library's default of minutes of retries.
        let retry = object_store::RetryConfig {
            max_retries: 3,
            retry_timeout: std::time::Duration::from_secs(15),
            ..Default::default()
        };
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_retry(retry);
        for (k, v) in options {
            let key = k.parse::<AmazonS3ConfigKey>().map_err(|_| {
                BlobError::Location(format!(
                    "unknown S3 option {k:?} (see object_store's AmazonS3ConfigKey)"
                ))
            })?;
            builder = builder.with_config(key, v);
        }
        let s3 = builder.build()?;
        let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
            Arc::new(s3)
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(s3, prefix))
        };
        Ok(Blobs {
            store,
            location: format!("s3://{bucket}/{prefix}"),
        })
    }

    pub fn location(&self) -> &str {
        &self.location
    }

    /// Stores the bytes and returns their SHA-256. A blob already there is not written again
    /// (the same hash is the same content).
    pub async fn put(&self, bytes: &[u8]) -> Result<String> {
        let hash = sha256_hex(bytes);
        let path = object_path(&hash).expect("a sha256 hex is a valid blob name");
        match self.store.head(&path).await {
            Ok(_) => return Ok(hash),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        self.store
            .put(
                &path,
                PutPayload::from(bytes::Bytes::copy_from_slice(bytes)),
            )
            .await?;
        Ok(hash)
    }

    /// The bytes stored under a hash, checked against it; `None` for a hash never stored (or
    /// not a hash at all).
    pub async fn get(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        let Some(path) = object_path(hash) else {
            return Ok(None);
        };
        let bytes = match self.store.get(&path).await {
            Ok(r) => r.bytes().await?,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if sha256_hex(&bytes) != hash {
            return Err(BlobError::Altered(hash.into()));
        }
        Ok(Some(bytes.to_vec()))
    }

    /// Removes a blob (a dossier moved to the offline machine takes its files with it). A hash
    /// never stored is not an error.
    pub async fn delete(&self, hash: &str) -> Result<()> {
        let Some(path) = object_path(hash) else {
            return Ok(());
        };
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every blob in the store, by hash, with its size (for a backup). Objects that are not
    /// blobs (the readiness probe, anything else under the prefix) are left out.
    pub async fn list(&self) -> Result<Vec<(String, u64)>> {
        use futures::TryStreamExt;
        let objects: Vec<object_store::ObjectMeta> = self.store.list(None).try_collect().await?;
        let mut out: Vec<(String, u64)> = objects
            .into_iter()
            .filter_map(|o| {
                let (dir, rest) = o.location.as_ref().split_once('/')?;
                let hash = format!("{dir}{rest}");
                object_path(&hash)
                    .filter(|p| *p == o.location)
                    .map(|_| (hash, o.size))
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Writes, reads back and removes a probe: whether the store takes writes now (`/readyz`).
    pub async fn check_writable(&self) -> Result<()> {
        let path = ObjectPath::from(format!("probe/{}", uuid::Uuid::new_v4().simple()));
        let probe = bytes::Bytes::from_static(b"xinfang readiness probe");
        self.store
            .put(&path, PutPayload::from(probe.clone()))
            .await?;
        let back = self.store.get(&path).await?.bytes().await?;
        self.store.delete(&path).await?;
        if back != probe {
            return Err(BlobError::Altered("probe".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> std::path::PathBuf {
        std::env::temp_dir().join(format!("xinfang-blobs-{}", uuid::Uuid::new_v4().simple()))
    }

    #[tokio::test]
    async fn a_local_blob_is_stored_once_by_hash_and_checked_when_read() {
        let dir = temp_dir();
        let b = Blobs::local(&dir).unwrap();
        let hash = b.put(b"%PDF-1.7 letter").await.unwrap();
        assert_eq!(hash, sha256_hex(b"%PDF-1.7 letter"));
        assert_eq!(b.put(b"%PDF-1.7 letter").await.unwrap(), hash, "idempotent");
        // The layout the earlier local store used: ab/cdef…
        let file = dir.join(&hash[..2]).join(&hash[2..]);
        assert!(file.exists());
        assert_eq!(
            b.get(&hash).await.unwrap().as_deref(),
            Some(&b"%PDF-1.7 letter"[..])
        );
        assert_eq!(b.get(&"0".repeat(64)).await.unwrap(), None);
        assert_eq!(b.get("../../etc/passwd").await.unwrap(), None, "not a hash");
        // A blob changed on disk is refused, not served.
        std::fs::write(&file, b"tampered").unwrap();
        assert!(matches!(b.get(&hash).await, Err(BlobError::Altered(_))));
        b.check_writable().await.unwrap();
        let other = b.put(b"second").await.unwrap();
        std::fs::write(dir.join("stray.txt"), b"not a blob").unwrap();
        // Sizes as stored (the first one was tampered with above).
        let mut want = vec![(hash.clone(), 8u64), (other, 6)];
        want.sort();
        assert_eq!(b.list().await.unwrap(), want, "blobs only, by hash");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_blob_location_must_be_s3_or_file() {
        assert!(matches!(
            Blobs::from_url("ftp://host/x", &[]),
            Err(BlobError::Location(_))
        ));
        assert!(matches!(
            Blobs::from_url("s3://", &[]),
            Err(BlobError::Location(_))
        ));
        let unknown = [("aws_colour".to_string(), "blue".to_string())];
        assert!(matches!(
            Blobs::from_url("s3://bucket", &unknown),
            Err(BlobError::Location(_))
        ));
    }
}
