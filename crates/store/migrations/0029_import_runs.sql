-- Imports of old registers (issue 21): one run per file (by its SHA-256), the rows committed so
-- far, so that an interrupted import resumes after its last committed batch.
CREATE TABLE import_runs (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    file_sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    total_rows BIGINT NOT NULL,
    committed_rows BIGINT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    started_by TEXT NOT NULL REFERENCES users(id),
    UNIQUE (bureau_id, file_sha256)
);
