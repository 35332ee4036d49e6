-- Drafted documents (rules §13, seed 一(六)): draft → submitted → returned → signed off → issued.
-- `data` keeps the template data of the latest rendering; `draft` the context and the editable
-- fields; `version` guards against concurrent changes; a correction supersedes the old document
-- (both kept).
ALTER TABLE documents ADD COLUMN draft TEXT;
ALTER TABLE documents ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE documents ADD COLUMN docx_hash TEXT;
ALTER TABLE documents ADD COLUMN docx_size BIGINT;
ALTER TABLE documents ADD COLUMN supersedes TEXT;
ALTER TABLE documents ADD COLUMN superseded_by TEXT;
ALTER TABLE documents ADD COLUMN signed_off_by TEXT;
ALTER TABLE documents ADD COLUMN signed_off_at TEXT;
ALTER TABLE documents ADD COLUMN updated_at TEXT;
ALTER TABLE documents ADD COLUMN font_warnings TEXT;

CREATE INDEX documents_bureau_state ON documents (bureau_id, state);

-- Every step of a document's workflow, with the leader's comments when it is returned.
CREATE TABLE document_steps (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    document_id TEXT NOT NULL REFERENCES documents(id),
    action TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    comment TEXT NOT NULL,
    actor_id TEXT NOT NULL REFERENCES users(id),
    actor_role TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX document_steps_document ON document_steps (document_id, at);
