-- Where a petition came from (`domain::source::Source` as JSON, its kind beside it for counting)
-- and the township of the matter (a township unit's id or a 9-digit statistical code). Empty on
-- rows registered before they were recorded: a letter's receipt still tells its source.
ALTER TABLE petitions ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE petitions ADD COLUMN source_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE petitions ADD COLUMN township TEXT NOT NULL DEFAULT '';
CREATE INDEX petitions_township ON petitions (bureau_id, township, registered_on);

-- A date a deadline never runs past, whatever the calendar or an extension does: the higher
-- organ's deadline, fixed on its own deadline and capping the unit's handling deadline.
ALTER TABLE deadlines ADD COLUMN fixed_due TEXT;

INSERT INTO deadline_rules (bureau_id, code, version, name, starts, days, mode, on_expiry, trigger_kind, responsible, pausable, basis, per_petition, created_at, created_by, extendable)
SELECT id, 'higher_organ_deadline', 1, '上级机关要求的办结期限', '上级机关来文', 0, 'calendar', 'supervise', 'overdue', 'office', 0, 'seed 一(三)4、二(七)3；lifecycle §1', 1, created_at, NULL, 0 FROM bureaus;

-- A task may be meant for one person (the end-of-day completeness task for its receptionist),
-- and is made once per cause (`cause`, unique per bureau when set).
ALTER TABLE tasks ADD COLUMN assignee_user_id TEXT REFERENCES users(id);
ALTER TABLE tasks ADD COLUMN cause TEXT;
CREATE UNIQUE INDEX tasks_cause ON tasks (bureau_id, cause);

-- Special situations (V10.1, V10.2): the emergency that made a hand-over to the police
-- immediate, beside the kind and the measures already recorded.
ALTER TABLE incidents ADD COLUMN emergency TEXT NOT NULL DEFAULT '';
