-- Files a handling unit (or the bureau) attaches to its handling report (汇报材料): the signed
-- written reply, the petitioner's receipt, investigation records. Stored by content hash in the
-- blob store, like the mailroom's scans; the report itself never changes once reviewed.
CREATE TABLE handling_report_attachments (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
    report_id TEXT NOT NULL REFERENCES handling_reports(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users(id),
    uploaded_at TEXT NOT NULL
);
CREATE INDEX handling_report_attachments_petition ON handling_report_attachments (petition_id);
