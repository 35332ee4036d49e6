-- The search index on SQLite: one document per petition, its pre-segmented tokens in an FTS5
-- table (numbers; the matter; what only viewers who may know the petitioner may search), the
-- raw text beside it for phrases and snippets.
CREATE TABLE search_docs (
    doc_id INTEGER PRIMARY KEY,
    petition_id TEXT NOT NULL UNIQUE REFERENCES petitions(id),
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    matter TEXT NOT NULL,
    full_text TEXT NOT NULL,
    dictionary_version TEXT NOT NULL
);
CREATE INDEX search_docs_version ON search_docs (bureau_id, dictionary_version);
CREATE VIRTUAL TABLE search_fts USING fts5(
    number, matter, restricted,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0'
);
