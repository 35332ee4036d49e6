-- no-transaction
-- Deadlines, approvals and supervision items that belong to the bureau or to one person rather
-- than to a petition (see migrations/postgres/0012). SQLite cannot drop a NOT NULL constraint:
-- each table is rebuilt as SQLite's ALTER TABLE documentation prescribes, with foreign keys off
-- (which only works outside a transaction, hence no-transaction and our own BEGIN … COMMIT).
-- Run again after a crash before sqlx records it, it does the same again.
PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE deadlines_rebuilt (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT REFERENCES petitions(id),
    handling_record_id TEXT REFERENCES handling_records(id),
    unit_id TEXT REFERENCES units(id),
    role TEXT NOT NULL,
    rule_code TEXT NOT NULL,
    rule_version BIGINT NOT NULL,
    started_on TEXT NOT NULL,
    period_days BIGINT NOT NULL,
    mode TEXT NOT NULL,
    due_on TEXT NOT NULL,
    shortened_by TEXT,
    extended_days BIGINT NOT NULL DEFAULT 0,
    extension_reason TEXT,
    paused_days BIGINT NOT NULL DEFAULT 0,
    paused_since TEXT,
    state TEXT NOT NULL,
    met_at TEXT,
    expiry_handled_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    fixed_due TEXT
);
INSERT INTO deadlines_rebuilt (id, bureau_id, petition_id, handling_record_id, unit_id, role, rule_code, rule_version, started_on, period_days, mode, due_on, shortened_by, extended_days, extension_reason, paused_days, paused_since, state, met_at, expiry_handled_at, created_at, updated_at, fixed_due)
SELECT id, bureau_id, petition_id, handling_record_id, unit_id, role, rule_code, rule_version, started_on, period_days, mode, due_on, shortened_by, extended_days, extension_reason, paused_days, paused_since, state, met_at, expiry_handled_at, created_at, updated_at, fixed_due FROM deadlines;
DROP TABLE deadlines;
ALTER TABLE deadlines_rebuilt RENAME TO deadlines;
CREATE INDEX deadlines_expiry_scan ON deadlines (bureau_id, due_on, id) WHERE state = 'running' AND expiry_handled_at IS NULL;
CREATE INDEX deadlines_running_due ON deadlines (bureau_id, due_on, id) WHERE state = 'running';
CREATE INDEX deadlines_running_role_due ON deadlines (bureau_id, role, due_on, id) WHERE state = 'running';
CREATE INDEX deadlines_running_unit_due ON deadlines (unit_id, due_on, id) WHERE state = 'running';
CREATE INDEX deadlines_petition ON deadlines (petition_id, state);

CREATE TABLE approvals_rebuilt (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT REFERENCES petitions(id),
    handling_record_id TEXT REFERENCES handling_records(id),
    -- the unit whose head approves (extensions)
    unit_id TEXT REFERENCES units(id),
    gate TEXT NOT NULL,
    summary TEXT NOT NULL,
    payload TEXT NOT NULL,
    proposed_by TEXT NOT NULL REFERENCES users(id),
    proposed_role TEXT NOT NULL,
    proposed_at TEXT NOT NULL,
    state TEXT NOT NULL,
    decided_by TEXT REFERENCES users(id),
    decided_at TEXT,
    comment TEXT NOT NULL DEFAULT ''
);
INSERT INTO approvals_rebuilt (id, bureau_id, petition_id, handling_record_id, unit_id, gate, summary, payload, proposed_by, proposed_role, proposed_at, state, decided_by, decided_at, comment)
SELECT id, bureau_id, petition_id, handling_record_id, unit_id, gate, summary, payload, proposed_by, proposed_role, proposed_at, state, decided_by, decided_at, comment FROM approvals;
DROP TABLE approvals;
ALTER TABLE approvals_rebuilt RENAME TO approvals;
CREATE INDEX approvals_pending ON approvals (bureau_id, state, gate);
CREATE INDEX approvals_petition ON approvals (petition_id);

CREATE TABLE supervision_items_rebuilt (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT REFERENCES petitions(id),
    handling_record_id TEXT REFERENCES handling_records(id),
    unit_id TEXT REFERENCES units(id),
    deadline_id TEXT REFERENCES deadlines(id),
    trigger_kind TEXT NOT NULL,
    automatic BIGINT NOT NULL,
    trigger_key TEXT,
    state TEXT NOT NULL,
    note TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    opened_by TEXT REFERENCES users(id),
    action_count BIGINT NOT NULL DEFAULT 0,
    answer_due TEXT,
    answer TEXT,
    answered_at TEXT,
    answered_by TEXT REFERENCES users(id),
    escalated_at TEXT,
    project_approved_by TEXT REFERENCES users(id),
    project_approved_at TEXT,
    resolved_at TEXT,
    resolved_by TEXT REFERENCES users(id),
    updated_at TEXT NOT NULL,
    UNIQUE (bureau_id, trigger_key)
);
INSERT INTO supervision_items_rebuilt (id, bureau_id, petition_id, handling_record_id, unit_id, deadline_id, trigger_kind, automatic, trigger_key, state, note, opened_at, opened_by, action_count, answer_due, answer, answered_at, answered_by, escalated_at, project_approved_by, project_approved_at, resolved_at, resolved_by, updated_at)
SELECT id, bureau_id, petition_id, handling_record_id, unit_id, deadline_id, trigger_kind, automatic, trigger_key, state, note, opened_at, opened_by, action_count, answer_due, answer, answered_at, answered_by, escalated_at, project_approved_by, project_approved_at, resolved_at, resolved_by, updated_at FROM supervision_items;
DROP TABLE supervision_items;
ALTER TABLE supervision_items_rebuilt RENAME TO supervision_items;
CREATE INDEX supervision_items_state ON supervision_items (bureau_id, state, opened_at);
CREATE INDEX supervision_items_unit ON supervision_items (unit_id, state);
CREATE INDEX supervision_items_petition ON supervision_items (petition_id);

COMMIT;
PRAGMA foreign_keys = ON;
