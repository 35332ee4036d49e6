-- Portable SQL: the same statements run on SQLite and PostgreSQL. Integers are BIGINT (i64 on
-- both), flags are BIGINT 0/1, timestamps are RFC 3339 UTC text, dates are YYYY-MM-DD text.
-- Every row carries its bureau so that one deployment can host several bureaus.

CREATE TABLE bureaus (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    organ_code TEXT NOT NULL,
    region_code TEXT NOT NULL,
    workday_end TEXT NOT NULL DEFAULT '17:30',
    created_at TEXT NOT NULL
);

CREATE TABLE units (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    region_code TEXT,
    active BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    UNIQUE (bureau_id, code)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    unit_id TEXT REFERENCES units(id),
    password_hash TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_attempts (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    at TEXT NOT NULL,
    success BIGINT NOT NULL
);
CREATE INDEX login_attempts_user_at ON login_attempts (username, at);

-- Gap-free numbering per bureau, name and year (petition numbers, document numbers).
CREATE TABLE sequences (
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    name TEXT NOT NULL,
    year BIGINT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (bureau_id, name, year)
);

CREATE TABLE petitions (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_no TEXT NOT NULL,
    query_code TEXT NOT NULL,
    channel TEXT NOT NULL,
    stage TEXT NOT NULL,
    acceptance TEXT,
    decision_reason TEXT,
    decision_note TEXT NOT NULL DEFAULT '',
    decided_at TEXT,
    decided_by TEXT,
    visited_at TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    registered_on TEXT NOT NULL,
    registered_by TEXT NOT NULL REFERENCES users(id),
    issue_region TEXT NOT NULL,
    summary TEXT NOT NULL,
    requests TEXT NOT NULL,
    proposal TEXT NOT NULL,
    purpose TEXT,
    category TEXT,
    petition_class TEXT,
    visitor_count BIGINT NOT NULL,
    people_involved BIGINT NOT NULL,
    collective BIGINT NOT NULL,
    anonymous BIGINT NOT NULL,
    consent_to_publish BIGINT NOT NULL,
    major_urgent BIGINT NOT NULL,
    confidential BIGINT NOT NULL,
    skip_level BIGINT NOT NULL,
    out_of_district BIGINT NOT NULL,
    repeat_of TEXT REFERENCES petitions(id),
    repeat_reason TEXT NOT NULL,
    accused_unit_id TEXT REFERENCES units(id),
    target_unit_id TEXT REFERENCES units(id),
    event_seq BIGINT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (bureau_id, petition_no)
);
CREATE INDEX petitions_bureau_registered ON petitions (bureau_id, registered_at);
CREATE INDEX petitions_bureau_registered_on ON petitions (bureau_id, registered_on);
CREATE INDEX petitions_bureau_stage ON petitions (bureau_id, stage);
CREATE INDEX petitions_query_code ON petitions (query_code);

CREATE TABLE petitioners (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
    ordinal BIGINT NOT NULL,
    name TEXT NOT NULL,
    id_type TEXT NOT NULL,
    id_number TEXT,
    birth_date TEXT,
    sex TEXT,
    age BIGINT,
    ethnicity TEXT,
    address TEXT NOT NULL,
    phone TEXT NOT NULL,
    occupation TEXT NOT NULL,
    is_representative BIGINT NOT NULL,
    id_region TEXT
);
CREATE INDEX petitioners_petition ON petitioners (petition_id);
CREATE INDEX petitioners_id_number ON petitioners (bureau_id, id_number);
CREATE INDEX petitioners_name_phone ON petitioners (bureau_id, name, phone);

-- The history: one hash chain per petition. Appended in the same transaction as the state.
CREATE TABLE petition_events (
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    at TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (petition_id, seq)
);
CREATE INDEX petition_events_bureau_at ON petition_events (bureau_id, at);

-- Periodic seals over the heads of all chains.
CREATE TABLE chain_checkpoints (
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    seq BIGINT NOT NULL,
    at TEXT NOT NULL,
    heads TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (bureau_id, seq)
);

CREATE TABLE interviews (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
    facts_and_requests TEXT NOT NULL,
    earlier_petitions TEXT NOT NULL,
    skip_or_repeat_reason TEXT NOT NULL,
    abnormal_behaviour TEXT NOT NULL,
    coordination TEXT NOT NULL,
    appointment_on TEXT,
    appointment_note TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users(id),
    recorded_at TEXT NOT NULL
);
CREATE INDEX interviews_petition ON interviews (petition_id);
CREATE INDEX interviews_appointment ON interviews (bureau_id, appointment_on);

-- Work items on a role's queue (e.g. an out-of-district visitor reported to the bureau head).
CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT REFERENCES petitions(id),
    kind TEXT NOT NULL,
    assignee_role TEXT NOT NULL,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    done_at TEXT,
    done_by TEXT
);
CREATE INDEX tasks_open ON tasks (bureau_id, assignee_role, done_at);

CREATE TABLE handling_records (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
    unit_id TEXT NOT NULL REFERENCES units(id),
    kind TEXT NOT NULL,
    lead BIGINT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX handling_records_unit ON handling_records (unit_id, state);
CREATE INDEX handling_records_petition ON handling_records (petition_id);

CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT REFERENCES petitions(id),
    kind TEXT NOT NULL,
    doc_no TEXT,
    state TEXT NOT NULL,
    template_version TEXT NOT NULL,
    data TEXT NOT NULL,
    pdf_hash TEXT,
    pdf_size BIGINT,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    issued_at TEXT
);
CREATE INDEX documents_petition ON documents (petition_id);

-- Every opening of a petition (rules §14).
CREATE TABLE access_log (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    at TEXT NOT NULL,
    action TEXT NOT NULL
);
CREATE INDEX access_log_petition ON access_log (petition_id, at);

-- 回避: a staff member's declared interest in a petition or a petitioner (by ID number or name).
CREATE TABLE recusals (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    petition_id TEXT REFERENCES petitions(id),
    petitioner_id_number TEXT,
    petitioner_name TEXT,
    reason TEXT NOT NULL,
    declared_at TEXT NOT NULL
);
CREATE INDEX recusals_user ON recusals (user_id);

-- Changes that are not about one petition: users, units, configuration.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    actor_id TEXT,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL
);
