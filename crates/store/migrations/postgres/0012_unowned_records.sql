-- Deadlines, approvals and supervision items that belong to the bureau or to one person rather
-- than to a petition: the office's monthly backup and year-end transfer, the release of
-- statistics, the units' periodic reports. SQLite cannot drop a NOT NULL constraint, so this
-- migration exists once per backend (migrations/sqlite has the same change as a table rebuild).
ALTER TABLE deadlines ALTER COLUMN petition_id DROP NOT NULL;
ALTER TABLE approvals ALTER COLUMN petition_id DROP NOT NULL;
ALTER TABLE supervision_items ALTER COLUMN petition_id DROP NOT NULL;
