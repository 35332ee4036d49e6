-- The mailroom (seed 二 二(一)–(四), 五(一)). A letter is a petition from the moment it is signed
-- for (stage `received`); this table holds what only letters have: the receipt register, the
-- opening record, the letter-specific registration details, the 来信办理单 and the deputy
-- director's instruction, and the 15-day notice obligation.

CREATE TABLE letters (
    petition_id TEXT PRIMARY KEY REFERENCES petitions(id),
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    delivery_mode TEXT NOT NULL,
    tracking_no TEXT NOT NULL,
    sender TEXT NOT NULL,
    sender_address TEXT NOT NULL,
    postmark_on TEXT,
    urgency TEXT NOT NULL,
    open_immediately BIGINT NOT NULL,
    received_at TEXT NOT NULL,
    received_by TEXT NOT NULL REFERENCES users(id),
    -- opening: disinfection, distribution, what was kept intact
    opened_at TEXT,
    opened_by TEXT REFERENCES users(id),
    disinfected_by TEXT NOT NULL DEFAULT '',
    disinfected_at TEXT,
    distributed_to TEXT NOT NULL DEFAULT '',
    distributed_at TEXT,
    stamps_kept BIGINT NOT NULL DEFAULT 0,
    postmark_kept BIGINT NOT NULL DEFAULT 0,
    postcode_kept BIGINT NOT NULL DEFAULT 0,
    address_kept BIGINT NOT NULL DEFAULT 0,
    opening_notes TEXT NOT NULL DEFAULT '',
    return_reason TEXT NOT NULL DEFAULT '',
    -- registration details
    joint BIGINT NOT NULL DEFAULT 0,
    signatory_count BIGINT NOT NULL DEFAULT 0,
    contact_name TEXT NOT NULL DEFAULT '',
    forwarded_by_organ TEXT NOT NULL DEFAULT '',
    forwarded_doc_no TEXT NOT NULL DEFAULT '',
    forwarded_on TEXT,
    forwarded_deadline TEXT,
    leader_name TEXT NOT NULL DEFAULT '',
    leader_instructed_on TEXT,
    leader_instruction TEXT NOT NULL DEFAULT '',
    -- 来信办理单 and the deputy director's 批示
    form_summary TEXT NOT NULL DEFAULT '',
    form_proposal TEXT NOT NULL DEFAULT '',
    form_document_id TEXT REFERENCES documents(id),
    form_sent_at TEXT,
    instruction TEXT NOT NULL DEFAULT '',
    instructed_by TEXT REFERENCES users(id),
    instructed_at TEXT,
    -- the notice to the writer: due 15 days from receipt; open while notice_method is NULL
    notice_due TEXT NOT NULL,
    notice_method TEXT,
    notice_at TEXT,
    notice_by TEXT REFERENCES users(id),
    notice_detail TEXT NOT NULL DEFAULT '',
    notice_document_id TEXT REFERENCES documents(id)
);
CREATE INDEX letters_notice_open ON letters (bureau_id, notice_method, notice_due);

-- Scanned pages, stored once by content hash; ordered main document → attachments → envelope.
CREATE TABLE letter_scans (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
    part TEXT NOT NULL,
    ordinal BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users(id),
    uploaded_at TEXT NOT NULL
);
CREATE INDEX letter_scans_petition ON letter_scans (petition_id);

-- Money, securities, books, paintings and other things enclosed: kept in custody, handed on only
-- against a recorded signature, never disposed of by the clerk.
CREATE TABLE letter_enclosures (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    amount_fen BIGINT,
    quantity BIGINT NOT NULL,
    state TEXT NOT NULL,
    registered_by TEXT NOT NULL REFERENCES users(id),
    registered_at TEXT NOT NULL,
    handed_to TEXT NOT NULL DEFAULT '',
    handed_signature TEXT NOT NULL DEFAULT '',
    handed_note TEXT NOT NULL DEFAULT '',
    handed_by TEXT REFERENCES users(id),
    handed_at TEXT
);
CREATE INDEX letter_enclosures_petition ON letter_enclosures (petition_id);
