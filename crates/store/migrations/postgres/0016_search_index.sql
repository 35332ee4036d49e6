-- The search index on PostgreSQL: one document per petition, its pre-segmented tokens as one
-- tsvector (weight A the numbers, B the matter, C what only viewers who may know the petitioner
-- may search) under a GIN index, the raw text beside it for phrases and snippets.
CREATE TABLE search_docs (
    petition_id TEXT PRIMARY KEY REFERENCES petitions(id),
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    matter TEXT NOT NULL,
    full_text TEXT NOT NULL,
    dictionary_version TEXT NOT NULL,
    doc tsvector NOT NULL
);
CREATE INDEX search_docs_version ON search_docs (bureau_id, dictionary_version);
CREATE INDEX search_docs_doc ON search_docs USING GIN (doc);
