-- Archives (seed 一 5, 二 四; rules §8), internet publication (seed 一(八)4, 二(七)4) and the
-- offline store for confidential dossiers (网机隔离).

-- A dossier per archived petition: 一案一卷, read-only once made.
CREATE TABLE dossiers (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
    kind TEXT NOT NULL,
    content_list TEXT NOT NULL,
    archival_no TEXT NOT NULL,
    year BIGINT NOT NULL,
    retention TEXT NOT NULL,
    expires_on TEXT,
    title TEXT NOT NULL,
    items BIGINT NOT NULL,
    pages BIGINT NOT NULL,
    -- 备考表: 情况说明 (absences, supplements), 整理人 / 日期, 检查人 / 日期.
    note TEXT NOT NULL,
    arranged_by TEXT NOT NULL REFERENCES users(id),
    arranged_on TEXT NOT NULL,
    checked_by TEXT NOT NULL,
    checked_on TEXT NOT NULL,
    pdf_hash TEXT NOT NULL,
    pdf_size BIGINT NOT NULL,
    -- archived → transferred (to the bureau office at year end) → destroyed; offline when its
    -- content left for the offline machine.
    state TEXT NOT NULL,
    transfer_id TEXT,
    archived_at TEXT NOT NULL,
    UNIQUE (bureau_id, archival_no),
    UNIQUE (petition_id)
);
CREATE INDEX dossiers_bureau_year ON dossiers (bureau_id, year, state);

-- 卷内目录: one line per piece, in archival order.
CREATE TABLE dossier_items (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    dossier_id TEXT NOT NULL REFERENCES dossiers(id),
    ordinal BIGINT NOT NULL,
    item_kind TEXT NOT NULL,
    entry_label TEXT NOT NULL,
    doc_no TEXT NOT NULL,
    responsible TEXT NOT NULL,
    title TEXT NOT NULL,
    dated TEXT NOT NULL,
    pages BIGINT NOT NULL,
    note TEXT NOT NULL,
    source TEXT NOT NULL,
    media_type TEXT NOT NULL,
    blob_hash TEXT,
    size_bytes BIGINT NOT NULL
);
CREATE INDEX dossier_items_dossier ON dossier_items (dossier_id, ordinal);

-- Before archiving: a piece the archivist supplies (a scan of a paper original), or the reason
-- a required piece is absent.
CREATE TABLE dossier_supplements (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
    item_kind TEXT NOT NULL,
    title TEXT NOT NULL,
    doc_no TEXT NOT NULL,
    responsible TEXT NOT NULL,
    dated TEXT,
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    blob_hash TEXT,
    size_bytes BIGINT NOT NULL,
    absence_reason TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users(id),
    recorded_at TEXT NOT NULL
);
CREATE INDEX dossier_supplements_petition ON dossier_supplements (petition_id);

-- The bureau's retention table (保管期限表), by dossier kind and content category prefix.
CREATE TABLE retention_rules (
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    kind TEXT NOT NULL,
    category_prefix TEXT NOT NULL,
    retention TEXT NOT NULL,
    PRIMARY KEY (bureau_id, kind, category_prefix)
);

-- The year-end transfer to the bureau office (seed 二 四: 年底转局办公室保管): a list signed by
-- the archivist who hands over and the office that receives.
CREATE TABLE dossier_transfers (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    year BIGINT NOT NULL,
    dossiers BIGINT NOT NULL,
    pages BIGINT NOT NULL,
    handed_by TEXT NOT NULL REFERENCES users(id),
    handed_at TEXT NOT NULL,
    received_by TEXT REFERENCES users(id),
    received_at TEXT,
    pdf_hash TEXT NOT NULL,
    state TEXT NOT NULL
);
CREATE INDEX dossier_transfers_bureau ON dossier_transfers (bureau_id, year);

-- Lending (seed 一 5): a request, a leader's approval, a return date.
CREATE TABLE dossier_loans (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    dossier_id TEXT NOT NULL REFERENCES dossiers(id),
    borrower_id TEXT NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL,
    return_on TEXT NOT NULL,
    approval_id TEXT NOT NULL REFERENCES approvals(id),
    state TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    returned_at TEXT
);
CREATE INDEX dossier_loans_dossier ON dossier_loans (dossier_id);
CREATE INDEX dossier_loans_borrower ON dossier_loans (borrower_id, state);

-- The destruction register keeps both set-aside letters (L4.4) and dossiers destroyed after
-- appraisal.
ALTER TABLE destruction_register ADD COLUMN register_kind TEXT NOT NULL DEFAULT 'set_aside';

-- Internet publication: the redacted texts, the approval, the register.
CREATE TABLE publications (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
    title TEXT NOT NULL,
    matter TEXT NOT NULL,
    result TEXT NOT NULL,
    channel_label TEXT NOT NULL,
    closed_on TEXT NOT NULL,
    approval_id TEXT NOT NULL REFERENCES approvals(id),
    state TEXT NOT NULL,
    proposed_by TEXT NOT NULL REFERENCES users(id),
    proposed_at TEXT NOT NULL,
    published_at TEXT,
    withdrawn_by TEXT REFERENCES users(id),
    withdrawn_at TEXT,
    withdraw_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX publications_public ON publications (bureau_id, state, published_at);
CREATE INDEX publications_petition ON publications (petition_id);

-- 网机隔离: where a confidential dossier went, who carried it, the package's hash.
CREATE TABLE offline_moves (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
    dossier_id TEXT NOT NULL REFERENCES dossiers(id),
    destination TEXT NOT NULL,
    carrier TEXT NOT NULL,
    package_sha256 TEXT NOT NULL,
    package_size BIGINT NOT NULL,
    approval_id TEXT NOT NULL REFERENCES approvals(id),
    state TEXT NOT NULL,
    proposed_by TEXT NOT NULL REFERENCES users(id),
    proposed_at TEXT NOT NULL,
    moved_at TEXT
);
CREATE INDEX offline_moves_petition ON offline_moves (petition_id);
