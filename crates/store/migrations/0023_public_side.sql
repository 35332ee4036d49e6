-- The public side (issue 20): online petitions as the public form submitted them, one-time phone
-- codes, what anonymous callers tried (for their limits), satisfaction ratings, and the outbox of
-- messages to petitioners with every sending attempt. On PostgreSQL the public instance's role
-- may only insert into the first five tables and the outbox (0024).

-- An online petition (kind `petition`) or an online 复查 request (kind `reexamination`), as
-- submitted; the staff side turns it into a petition, or an appeal of `petition_id`, and sets
-- `ingested_at`.
CREATE TABLE online_submissions (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    kind TEXT NOT NULL,
    query_code TEXT NOT NULL,
    id_last4 TEXT NOT NULL,
    phone_last4 TEXT NOT NULL,
    payload TEXT NOT NULL,
    petition_id TEXT REFERENCES petitions(id),
    submitted_at TEXT NOT NULL,
    ingested_at TEXT,
    outcome TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX online_submissions_code ON online_submissions (query_code, kind);
CREATE INDEX online_submissions_pending ON online_submissions (bureau_id, ingested_at);
CREATE INDEX online_submissions_petition ON online_submissions (petition_id);

-- Its attachments, checked like scans and stored by content hash.
CREATE TABLE online_submission_files (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    submission_id TEXT NOT NULL REFERENCES online_submissions(id),
    ordinal BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL
);
CREATE INDEX online_submission_files_submission ON online_submission_files (submission_id);

-- One-time codes sent to a phone (hashed); spent when used or after five wrong tries.
CREATE TABLE phone_codes (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    phone TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    tries BIGINT NOT NULL DEFAULT 0,
    used_at TEXT
);
CREATE INDEX phone_codes_phone ON phone_codes (phone, created_at);

-- Attempts of anonymous callers under a hashed key (an address, a query code …), counted in a
-- window by `domain::public::Limit`; old rows are pruned.
CREATE TABLE public_attempts (
    key_hash TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX public_attempts_key_at ON public_attempts (key_hash, at);

-- 满意度评价: one per petition and subject (the bureau, the handling unit), online or recorded
-- by staff from a call. `outcome` is empty until the staff side has written its event (and a
-- follow-up task for a dissatisfied one): `accepted`, or `refused` when it was not rateable.
CREATE TABLE ratings (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
    subject TEXT NOT NULL,
    unit_id TEXT,
    level TEXT NOT NULL,
    class TEXT NOT NULL,
    comment TEXT NOT NULL,
    channel TEXT NOT NULL,
    recorded_by TEXT,
    rated_at TEXT NOT NULL,
    outcome TEXT NOT NULL DEFAULT '',
    processed_at TEXT,
    UNIQUE (petition_id, subject)
);
CREATE INDEX ratings_pending ON ratings (bureau_id, outcome);

-- Messages to petitioners, written in the same transaction as the step that causes them.
CREATE TABLE outbox_messages (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT REFERENCES petitions(id),
    submission_id TEXT REFERENCES online_submissions(id),
    kind TEXT NOT NULL,
    medium TEXT NOT NULL,
    recipient TEXT NOT NULL,
    vars TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_messages_due ON outbox_messages (state, next_attempt_at);
CREATE INDEX outbox_messages_petition ON outbox_messages (petition_id);
CREATE INDEX outbox_messages_submission ON outbox_messages (submission_id);

-- Every attempt to send one, with what the gateway answered.
CREATE TABLE outbox_attempts (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES outbox_messages(id),
    at TEXT NOT NULL,
    ok BIGINT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX outbox_attempts_message ON outbox_attempts (message_id, at);

-- The bureau's wording of each kind of message (the shipped one until edited).
CREATE TABLE message_templates (
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT,
    PRIMARY KEY (bureau_id, kind)
);
