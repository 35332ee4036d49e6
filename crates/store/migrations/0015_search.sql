-- Search (issue 17). Petitions changed by a write: the write indexes them before it commits,
-- so the index and the change commit together; the table is empty between writes.
CREATE TABLE search_pending (
    petition_id TEXT PRIMARY KEY REFERENCES petitions(id)
);

-- The bureau's own words for segmentation, beside the dictionary shipped with the binary.
CREATE TABLE search_words (
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    word TEXT NOT NULL,
    added_by TEXT NOT NULL REFERENCES users(id),
    added_at TEXT NOT NULL,
    PRIMARY KEY (bureau_id, word)
);
