-- A deadline may be one person's (the administrator who keeps the backups) rather than only a
-- queue's, and the bureau's routines (rules kept per bureau, not per petition: the monthly
-- backup, the year-end transfer of dossiers) have one deadline per period.
ALTER TABLE deadlines ADD COLUMN assignee_user_id TEXT REFERENCES users(id);
CREATE UNIQUE INDEX deadlines_routine_period ON deadlines (bureau_id, rule_code, started_on)
    WHERE petition_id IS NULL;
