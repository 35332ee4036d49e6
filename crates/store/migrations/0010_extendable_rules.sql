-- Which deadlines may be extended (L5.2): the handling period, and what a bureau marks so.
ALTER TABLE deadline_rules ADD COLUMN extendable BIGINT NOT NULL DEFAULT 0;
UPDATE deadline_rules SET extendable = 1 WHERE code = 'handle_and_close';
