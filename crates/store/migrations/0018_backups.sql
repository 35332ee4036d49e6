-- Backups (archives and backups issue): one row per backup made by `serve`'s daily and monthly
-- jobs or by `xinfang backup`: where the file went, its size and SHA-256, what it holds, and
-- whether reading it back (restore into a scratch database, hashes, row counts, the audit
-- chains) passed. `removed_at` is set when retention deletes the file.
CREATE TABLE backups (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    kind TEXT NOT NULL,
    period TEXT NOT NULL,
    file TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    verified_at TEXT,
    verification TEXT NOT NULL,
    error TEXT,
    summary TEXT NOT NULL,
    removed_at TEXT
);
CREATE INDEX backups_bureau_started ON backups (bureau_id, started_at);
CREATE INDEX backups_kept ON backups (bureau_id, kind, removed_at);
