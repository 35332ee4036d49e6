//! The search index kept current: every write indexes the petitions it changed before it
//! commits (`Write::commit`), with the segmenter of the bureau's dictionary. Shared by the
//! write path and the `search` feature, which queries it and rebuilds it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use xinfang_store::search::{CONFIDENTIAL_TOKEN, SearchDoc, SearchSource};
use xinfang_store::{Store, WriteTx};
use xinfang_text::{Segmenter, name_key, normalize};

use crate::error::AppResult;

/// The segmenter in use, replaced when the bureau's dictionary changes.
pub struct Index {
    current: RwLock<Arc<Segmenter>>,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("version", &self.segmenter().version().to_string())
            .finish()
    }
}

impl Index {
    /// The index with the bureau's words as stored.
    pub async fn load(store: &Store, bureau_id: &str) -> anyhow::Result<Index> {
        let words = bureau_words(store, bureau_id).await?;
        Ok(Index {
            current: RwLock::new(segmenter_with(words).await?),
        })
    }

    /// The shipped dictionary alone.
    pub async fn without_words() -> anyhow::Result<Index> {
        Ok(Index {
            current: RwLock::new(segmenter_with(Vec::new()).await?),
        })
    }

    pub fn segmenter(&self) -> Arc<Segmenter> {
        match self.current.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub(crate) fn set(&self, s: Arc<Segmenter>) {
        match self.current.write() {
            Ok(mut g) => *g = s,
            Err(poisoned) => *poisoned.into_inner() = s,
        }
    }
}

pub(crate) async fn bureau_words(store: &Store, bureau_id: &str) -> anyhow::Result<Vec<String>> {
    Ok(store
        .search_words(bureau_id)
        .await?
        .into_iter()
        .map(|(w, _, _)| w)
        .collect())
}

/// A segmenter for these words, built once per process for each set of words (loading jieba's
/// dictionary takes a fraction of a second; every test's application shares one).
pub(crate) async fn segmenter_with(words: Vec<String>) -> anyhow::Result<Arc<Segmenter>> {
    static CACHE: OnceLock<Mutex<HashMap<Vec<String>, Arc<Segmenter>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut key = words;
    key.sort();
    if let Some(s) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(s);
    }
    let k = key.clone();
    let s = Arc::new(tokio::task::spawn_blocking(move || Segmenter::new(&k)).await?);
    if let Ok(mut c) = cache.lock() {
        c.insert(key, s.clone());
    }
    Ok(s)
}

/// A petition's document: its number as one token, the matter's tokens, and — for viewers who
/// may know who raised it — everything else, with each petitioner's name (and its pinyin, for a
/// misspelt name), ID number, phone and address.
pub fn document(seg: &Segmenter, src: &SearchSource) -> SearchDoc {
    let matter_raw = src
        .matter
        .iter()
        .filter(|t| !t.trim().is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    let mut full: Vec<String> = src.narrative.clone();
    let mut restricted = seg.index_tokens(&src.narrative.join("\n"));
    for p in &src.people {
        restricted.extend(seg.index_tokens(&p.name));
        restricted.extend(name_key(&p.name));
        if let Some(n) = p.id_number.as_deref().and_then(normalize) {
            restricted.push(n);
        }
        restricted.extend(normalize(&p.phone));
        restricted.extend(seg.index_tokens(&p.address));
        full.push(
            [p.name.as_str(), p.address.as_str()]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    let mut matter_tokens: Vec<String> = seg.token_set(&matter_raw).into_iter().collect();
    matter_tokens.sort();
    SearchDoc {
        petition_id: src.petition_id.clone(),
        bureau_id: src.bureau_id.clone(),
        number: number_token(&src.petition_no)
            .into_iter()
            .chain(src.national_no.as_deref().and_then(number_token))
            .chain(src.confidential.then(|| CONFIDENTIAL_TOKEN.to_string()))
            .collect(),
        matter: seg.index_tokens(&matter_raw),
        matter_tokens: matter_tokens.join(" "),
        restricted,
        matter_raw,
        full_raw: full
            .into_iter()
            .filter(|t| !t.trim().is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
        dictionary_version: version(seg),
    }
}

/// What the index's documents are tagged with: the dictionary's version and the format of what
/// a document holds (2: the confidential mark and the matter's token set), so that a change of
/// either rebuilds them.
pub fn version(seg: &Segmenter) -> String {
    format!("{}.2", seg.version())
}

/// A petition number as one token (`2026-F-0001` → `2026f0001`), typed with or without its
/// dashes.
pub fn number_token(no: &str) -> Option<String> {
    normalize(no)
}

/// Indexes the petitions this write changed, inside its transaction.
pub(crate) async fn refresh_pending(
    store: &Store,
    index: &Index,
    tx: &mut WriteTx,
) -> AppResult<()> {
    let ids = store.take_search_pending(tx).await?;
    if ids.is_empty() {
        return Ok(());
    }
    let seg = index.segmenter();
    let docs: Vec<SearchDoc> = store
        .search_sources_in(tx, &ids)
        .await?
        .iter()
        .map(|src| document(&seg, src))
        .collect();
    store.put_search_docs(tx, &docs).await?;
    Ok(())
}
