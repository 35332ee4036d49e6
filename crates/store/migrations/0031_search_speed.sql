-- Search speed (issue 17). Each document's matter as its distinct tokens, so that repeat
-- candidates are compared without segmenting them again (empty for a document indexed before:
-- it is segmented at lookup until `xinfang reindex` rebuilds it).
ALTER TABLE search_docs ADD COLUMN matter_tokens TEXT NOT NULL DEFAULT '';

-- How many documents' matters hold each token, counted by every rebuild of the index: the
-- repeat lookup searches a matter's rarest words. A token added since is missing, which only
-- makes it a later choice.
CREATE TABLE search_terms (
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    term TEXT NOT NULL,
    docs BIGINT NOT NULL,
    PRIMARY KEY (bureau_id, term)
);
