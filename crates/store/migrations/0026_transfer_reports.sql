-- The units' periodic reports on the matters transferred to them (seed 二(四)3, 一(五)1; V5.1,
-- L4.3): what each unit says became of them in one reporting period. Filing one meets the unit's
-- `transfer_report` deadline for that period.
CREATE TABLE transfer_reports (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    unit_id TEXT NOT NULL REFERENCES units(id),
    deadline_id TEXT NOT NULL REFERENCES deadlines(id),
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    -- The items transferred to the unit in the period, as counted when it filed.
    items BIGINT NOT NULL,
    reported_to_leaders BIGINT NOT NULL,
    assigned BIGINT NOT NULL,
    sent_to_departments BIGINT NOT NULL,
    handled_on_time BIGINT NOT NULL,
    note TEXT NOT NULL,
    filed_by TEXT NOT NULL REFERENCES users(id),
    filed_at TEXT NOT NULL,
    UNIQUE (bureau_id, unit_id, period_from)
);
CREATE INDEX transfer_reports_period ON transfer_reports (bureau_id, period_to);

-- A bureau's routine has one deadline per period; a unit's routine (this report) one per unit
-- and period.
DROP INDEX deadlines_routine_period;
CREATE UNIQUE INDEX deadlines_routine_period ON deadlines (bureau_id, rule_code, started_on)
    WHERE petition_id IS NULL AND unit_id IS NULL;
CREATE UNIQUE INDEX deadlines_unit_routine_period ON deadlines (bureau_id, rule_code, unit_id, started_on)
    WHERE petition_id IS NULL AND unit_id IS NOT NULL;

-- Reminders (催报) of a report not filed in time.
CREATE TABLE transfer_report_reminders (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    deadline_id TEXT NOT NULL REFERENCES deadlines(id),
    unit_id TEXT NOT NULL REFERENCES units(id),
    method TEXT NOT NULL,
    note TEXT NOT NULL,
    reminded_by TEXT NOT NULL REFERENCES users(id),
    reminded_at TEXT NOT NULL
);
CREATE INDEX transfer_report_reminders_deadline ON transfer_report_reminders (deadline_id);

INSERT INTO deadline_rules (bureau_id, code, version, name, starts, days, mode, on_expiry, trigger_kind, responsible, pausable, basis, per_petition, created_at, created_by, extendable)
SELECT id, 'transfer_report', 1, '承办单位定期报告转送事项办理情况', '报告期结束', 0, 'calendar', 'overdue', NULL, 'unit', 0, 'seed 二(四)3、一(五)1', 0, created_at, NULL, 0 FROM bureaus;
