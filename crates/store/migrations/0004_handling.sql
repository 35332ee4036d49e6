-- Dispositions, handling units, approvals, review, closing, appeals (issue 4).

-- A handling record's running facts (lifecycle §2).
ALTER TABLE handling_records ADD COLUMN disposition_id TEXT;
ALTER TABLE handling_records ADD COLUMN received_at TEXT;
ALTER TABLE handling_records ADD COLUMN received_by TEXT;
ALTER TABLE handling_records ADD COLUMN notify_due TEXT;
ALTER TABLE handling_records ADD COLUMN object_due TEXT;
ALTER TABLE handling_records ADD COLUMN objection_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE handling_records ADD COLUMN petitioner_told_at TEXT;
ALTER TABLE handling_records ADD COLUMN petitioner_told_how TEXT NOT NULL DEFAULT '';
ALTER TABLE handling_records ADD COLUMN period_days BIGINT NOT NULL DEFAULT 60;
ALTER TABLE handling_records ADD COLUMN due_on TEXT;
ALTER TABLE handling_records ADD COLUMN extended_days BIGINT NOT NULL DEFAULT 0;
ALTER TABLE handling_records ADD COLUMN extension_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX handling_records_due ON handling_records (bureau_id, state, due_on);

-- The way of handling chosen for a petition (rules §4), one row per proposal that took effect.
CREATE TABLE dispositions (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
    disposition TEXT NOT NULL,
    -- 上报: 每日信访信息 / 信访信息专报 / 请示报告单 (letters: original / summary / consolidated)
    carrier TEXT NOT NULL DEFAULT '',
    requirements TEXT NOT NULL DEFAULT '',
    period_days BIGINT,
    urgent BIGINT NOT NULL DEFAULT 0,
    urgent_method TEXT NOT NULL DEFAULT '',
    -- 协调处理: the office's plan and the level that coordinates
    plan TEXT NOT NULL DEFAULT '',
    coordination_level TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    proposed_by TEXT NOT NULL REFERENCES users(id),
    approved_by TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX dispositions_petition ON dispositions (petition_id);

-- Approval requests (lifecycle §5): a gated action waits here for its approver.
CREATE TABLE approvals (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
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
CREATE INDEX approvals_pending ON approvals (bureau_id, state, gate);
CREATE INDEX approvals_petition ON approvals (petition_id);

-- Who approves each gate, when a bureau changes the defaults.
CREATE TABLE gate_approvers (
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    gate TEXT NOT NULL,
    roles TEXT NOT NULL,
    PRIMARY KEY (bureau_id, gate)
);

-- 汇报材料: a unit's handling report, or the bureau's own result (handling_record_id NULL).
CREATE TABLE handling_reports (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
    handling_record_id TEXT REFERENCES handling_records(id),
    unit_id TEXT REFERENCES units(id),
    findings TEXT NOT NULL,
    decision TEXT NOT NULL,
    reply TEXT NOT NULL,
    reply_served_on TEXT,
    petitioner_signed BIGINT NOT NULL,
    refusal_note TEXT NOT NULL,
    settlement_note TEXT NOT NULL,
    signed_off_by TEXT NOT NULL,
    submitted_by TEXT NOT NULL REFERENCES users(id),
    submitted_at TEXT NOT NULL
);
CREATE INDEX handling_reports_petition ON handling_reports (petition_id);

-- 审阅: ten findings per report (rules §6).
CREATE TABLE report_reviews (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
    handling_report_id TEXT NOT NULL REFERENCES handling_reports(id),
    findings TEXT NOT NULL,
    outcome TEXT NOT NULL,
    opinion TEXT NOT NULL,
    new_period_days BIGINT,
    reviewed_by TEXT NOT NULL REFERENCES users(id),
    reviewed_at TEXT NOT NULL
);
CREATE INDEX report_reviews_petition ON report_reviews (petition_id);

-- Open items that keep a petition from closing (lifecycle §4).
CREATE TABLE obligations (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    due_on TEXT,
    opened_at TEXT NOT NULL,
    fulfilled_at TEXT,
    fulfilled_by TEXT REFERENCES users(id),
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX obligations_petition ON obligations (petition_id);
CREATE INDEX obligations_open ON obligations (bureau_id, fulfilled_at, due_on);

-- 批示: a local leader's instruction on reported material.
CREATE TABLE instructions (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
    leader TEXT NOT NULL,
    given_on TEXT NOT NULL,
    text TEXT NOT NULL,
    required_action TEXT NOT NULL,
    due_on TEXT,
    supervisor TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users(id),
    recorded_at TEXT NOT NULL
);
CREATE INDEX instructions_petition ON instructions (petition_id);

-- 复查 / 复核 (lifecycle §3).
CREATE TABLE appeals (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
    level TEXT NOT NULL,
    requested_on TEXT NOT NULL,
    contested_received_on TEXT NOT NULL,
    organ TEXT NOT NULL,
    handled_here BIGINT NOT NULL,
    reason TEXT NOT NULL,
    due_on TEXT NOT NULL,
    hearing_days BIGINT NOT NULL DEFAULT 0,
    opinion TEXT,
    opinion_on TEXT,
    opinion_served_on TEXT,
    registered_by TEXT NOT NULL REFERENCES users(id),
    registered_at TEXT NOT NULL
);
CREATE INDEX appeals_petition ON appeals (petition_id);

-- 答复查询 (seed 一(九), 二(八)).
CREATE TABLE query_replies (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
    method TEXT NOT NULL,
    asked_on TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    state TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users(id),
    recorded_at TEXT NOT NULL
);
CREATE INDEX query_replies_petition ON query_replies (petition_id);

-- 异常情况处置 (seed 一 4, rules §10).
CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT REFERENCES petitions(id),
    petitioner_id TEXT REFERENCES petitioners(id),
    kind TEXT NOT NULL,
    measures TEXT NOT NULL,
    note TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users(id),
    recorded_at TEXT NOT NULL
);
CREATE INDEX incidents_petition ON incidents (petition_id);

-- 协调处理: meetings held under a coordination plan (V3.6, V3.7).
CREATE TABLE coordination_meetings (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
    held_on TEXT NOT NULL,
    place TEXT NOT NULL,
    participants TEXT NOT NULL,
    outcome TEXT NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users(id),
    recorded_at TEXT NOT NULL
);
CREATE INDEX coordination_meetings_petition ON coordination_meetings (petition_id);

-- 暂存件销毁登记 (L4.4): what was destroyed, when, and by whose approval.
CREATE TABLE destruction_register (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
    description TEXT NOT NULL,
    approval_id TEXT NOT NULL REFERENCES approvals(id),
    approved_by TEXT NOT NULL REFERENCES users(id),
    destroyed_at TEXT NOT NULL
);
CREATE INDEX destruction_register_bureau ON destruction_register (bureau_id, destroyed_at);
