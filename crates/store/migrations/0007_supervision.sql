-- Deadlines and supervision (督办): rules §2 and §5, lifecycle §2.
--
-- deadline_rules: every rule of rules §2 as data, per bureau, versioned. An administrator's edit
-- inserts version n+1; the current rule is the highest version. A running deadline stores the
-- (code, version) it started with, so an edit never moves it.
CREATE TABLE deadline_rules (
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    code TEXT NOT NULL,
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    starts TEXT NOT NULL,
    days BIGINT NOT NULL,
    mode TEXT NOT NULL,
    on_expiry TEXT NOT NULL,
    trigger_kind TEXT,
    responsible TEXT NOT NULL,
    pausable BIGINT NOT NULL,
    basis TEXT NOT NULL,
    per_petition BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT REFERENCES users(id),
    PRIMARY KEY (bureau_id, code, version)
);

-- Per bureau: the warning ladder's thresholds (percent of the period used), how many
-- supervisions without result escalate an item to the leaders, and "due soon" in days.
CREATE TABLE deadline_settings (
    bureau_id TEXT PRIMARY KEY REFERENCES bureaus(id),
    warning_pct BIGINT NOT NULL,
    alert_pct BIGINT NOT NULL,
    severe_pct BIGINT NOT NULL,
    escalate_after BIGINT NOT NULL,
    due_soon_days BIGINT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT REFERENCES users(id)
);

-- Running deadlines: one row per started rule. `due_on` is the stored, indexed due date
-- (YYYY-MM-DD, China Standard Time); "everything due by X" is one range scan of a partial index
-- over the running rows (with `id`, so the queues' ORDER BY due_on, id needs no sort). `role` is the queue it appears on (a role, or `unit` with unit_id).
CREATE TABLE deadlines (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
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
    updated_at TEXT NOT NULL
);
-- The daily scan reads only running deadlines whose expiry it has not handled yet: each expired
-- deadline is examined once, so the scan's range stays small however many lie overdue.
CREATE INDEX deadlines_expiry_scan ON deadlines (bureau_id, due_on, id) WHERE state = 'running' AND expiry_handled_at IS NULL;
CREATE INDEX deadlines_running_due ON deadlines (bureau_id, due_on, id) WHERE state = 'running';
CREATE INDEX deadlines_running_role_due ON deadlines (bureau_id, role, due_on, id) WHERE state = 'running';
CREATE INDEX deadlines_running_unit_due ON deadlines (unit_id, due_on, id) WHERE state = 'running';
CREATE INDEX deadlines_petition ON deadlines (petition_id, state);

-- Supervision items (督办事项). `trigger_key` makes automatic raising idempotent: the same
-- trigger on the same deadline or petition is raised once, whatever the number of instances.
CREATE TABLE supervision_items (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    petition_id TEXT NOT NULL REFERENCES petitions(id),
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
CREATE INDEX supervision_items_state ON supervision_items (bureau_id, state, opened_at);
CREATE INDEX supervision_items_unit ON supervision_items (unit_id, state);
CREATE INDEX supervision_items_petition ON supervision_items (petition_id);

-- Every supervision action (who, when, how, what was said, the answer due, the 督办函).
CREATE TABLE supervision_actions (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    item_id TEXT NOT NULL REFERENCES supervision_items(id),
    kind TEXT NOT NULL,
    method TEXT,
    note TEXT NOT NULL,
    actor_id TEXT NOT NULL REFERENCES users(id),
    actor_role TEXT NOT NULL,
    at TEXT NOT NULL,
    answer_due TEXT,
    document_id TEXT REFERENCES documents(id)
);
CREATE INDEX supervision_actions_item ON supervision_actions (item_id, at);

-- Scheduled jobs: one row per job, bureau and period. An instance runs a period's job only if
-- its INSERT … ON CONFLICT DO NOTHING created the row, or if it takes over a lease left
-- unfinished by a crashed instance (started_at older than the lease); the job itself is
-- idempotent, so running it again after a crash is safe.
CREATE TABLE job_runs (
    job TEXT NOT NULL,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    period TEXT NOT NULL,
    instance TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    attempts BIGINT NOT NULL DEFAULT 1,
    result TEXT,
    PRIMARY KEY (job, bureau_id, period)
);

-- Bureaus created before this migration get the shipped rules (the same data as
-- `xinfang_domain::deadline_rules::default_rules`, which seeds bureaus created later; a test in
-- `xinfang_store::deadlines` checks that the two agree) and the default settings.
INSERT INTO deadline_settings (bureau_id, warning_pct, alert_pct, severe_pct, escalate_after, due_soon_days, updated_at, updated_by)
SELECT id, 50, 75, 85, 3, 5, created_at, NULL FROM bureaus;

INSERT INTO deadline_rules (bureau_id, code, version, name, starts, days, mode, on_expiry, trigger_kind, responsible, pausable, basis, per_petition, created_at, created_by)
SELECT id, 'register_same_day', 1, '当日录入登记', '来访或收信', 0, 'working', 'overdue', NULL, 'office', 0, 'seed 一(一)3', 1, created_at, NULL FROM bureaus;
INSERT INTO deadline_rules (bureau_id, code, version, name, starts, days, mode, on_expiry, trigger_kind, responsible, pausable, basis, per_petition, created_at, created_by)
SELECT id, 'dispose_visit', 1, '确定办理方式（上报、交办、转送、协调）', '登记', 15, 'calendar', 'overdue', NULL, 'office', 0, 'seed 一(三)；2022 条例第22条', 1, created_at, NULL FROM bureaus;
INSERT INTO deadline_rules (bureau_id, code, version, name, starts, days, mode, on_expiry, trigger_kind, responsible, pausable, basis, per_petition, created_at, created_by)
SELECT id, 'notify_letter_writer', 1, '告知来信人是否受理', '收到来信', 15, 'calendar', 'overdue', NULL, 'letter_clerk', 0, 'seed 二(三)；2005 条例第21条', 1, created_at, NULL FROM bureaus;
INSERT INTO deadline_rules (bureau_id, code, version, name, starts, days, mode, on_expiry, trigger_kind, responsible, pausable, basis, per_petition, created_at, created_by)
SELECT id, 'unit_notify_petitioner', 1, '承办单位告知信访人是否受理', '承办单位收到转送、交办', 15, 'calendar', 'supervise', 'not_told', 'unit', 0, '2022 条例第23条', 1, created_at, NULL FROM bureaus;
INSERT INTO deadline_rules (bureau_id, code, version, name, starts, days, mode, on_expiry, trigger_kind, responsible, pausable, basis, per_petition, created_at, created_by)
SELECT id, 'unit_objection', 1, '承办单位对转送提出异议', '承办单位收到转送、交办', 5, 'working', 'window_closes', NULL, 'unit', 0, '2022 条例第23条', 1, created_at, NULL FROM bureaus;
INSERT INTO deadline_rules (bureau_id, code, version, name, starts, days, mode, on_expiry, trigger_kind, responsible, pausable, basis, per_petition, created_at, created_by)
SELECT id, 'handle_and_close', 1, '办理并办结', '受理', 60, 'calendar', 'supervise', 'overdue', 'unit', 0, '2005 条例第33条；2022 条例', 1, created_at, NULL FROM bureaus;
INSERT INTO deadline_rules (bureau_id, code, version, name, starts, days, mode, on_expiry, trigger_kind, responsible, pausable, basis, per_petition, created_at, created_by)
SELECT id, 'handling_report', 1, '报送办理情况汇报', '交办函送达承办单位', 60, 'calendar', 'supervise', 'report_missing', 'unit', 0, 'seed 一(三)4；rules §5', 1, created_at, NULL FROM bureaus;
INSERT INTO deadline_rules (bureau_id, code, version, name, starts, days, mode, on_expiry, trigger_kind, responsible, pausable, basis, per_petition, created_at, created_by)
SELECT id, 'extension', 1, '延期（最多一次）', '期满前经承办单位负责人批准', 30, 'calendar', 'overdue', NULL, 'unit', 0, 'seed 二(五)2；2005 条例第33条', 0, created_at, NULL FROM bureaus;
INSERT INTO deadline_rules (bureau_id, code, version, name, starts, days, mode, on_expiry, trigger_kind, responsible, pausable, basis, per_petition, created_at, created_by)
SELECT id, 'request_reexamination', 1, '信访人申请复查', '收到书面答复', 30, 'calendar', 'window_closes', NULL, 'petitioner', 0, '2005 条例第34条', 1, created_at, NULL FROM bureaus;
INSERT INTO deadline_rules (bureau_id, code, version, name, starts, days, mode, on_expiry, trigger_kind, responsible, pausable, basis, per_petition, created_at, created_by)
SELECT id, 'reexamination_decision', 1, '作出复查意见', '收到复查申请', 30, 'calendar', 'overdue', NULL, 'case_officer', 0, '2005 条例第34条', 1, created_at, NULL FROM bureaus;
INSERT INTO deadline_rules (bureau_id, code, version, name, starts, days, mode, on_expiry, trigger_kind, responsible, pausable, basis, per_petition, created_at, created_by)
SELECT id, 'request_recheck', 1, '信访人申请复核', '收到复查意见', 30, 'calendar', 'window_closes', NULL, 'petitioner', 0, '2005 条例第35条', 1, created_at, NULL FROM bureaus;
INSERT INTO deadline_rules (bureau_id, code, version, name, starts, days, mode, on_expiry, trigger_kind, responsible, pausable, basis, per_petition, created_at, created_by)
SELECT id, 'recheck_decision', 1, '作出复核意见（听证时间不计）', '收到复核申请', 30, 'calendar', 'overdue', NULL, 'case_officer', 1, '2005 条例第35条', 1, created_at, NULL FROM bureaus;
INSERT INTO deadline_rules (bureau_id, code, version, name, starts, days, mode, on_expiry, trigger_kind, responsible, pausable, basis, per_petition, created_at, created_by)
SELECT id, 'supervision_answer', 1, '承办单位书面答复督办', '督办通知', 30, 'calendar', 'overdue', NULL, 'unit', 0, '2005 条例第36条', 1, created_at, NULL FROM bureaus;
INSERT INTO deadline_rules (bureau_id, code, version, name, starts, days, mode, on_expiry, trigger_kind, responsible, pausable, basis, per_petition, created_at, created_by)
SELECT id, 'monthly_backup', 1, '电子档案每月备份', '月末', 0, 'calendar', 'overdue', NULL, 'office', 0, 'seed 一(八)4、5', 0, created_at, NULL FROM bureaus;
INSERT INTO deadline_rules (bureau_id, code, version, name, starts, days, mode, on_expiry, trigger_kind, responsible, pausable, basis, per_petition, created_at, created_by)
SELECT id, 'yearly_dossiers', 1, '案卷年底移交局办公室', '年末', 0, 'calendar', 'overdue', NULL, 'office', 0, 'seed 二 四', 0, created_at, NULL FROM bureaus;
