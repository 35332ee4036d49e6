-- Which deadlines may be extended (L5.2): the handling period, and what a bureau marks so.
ALTER TABLE deadline_rules ADD COLUMN extendable BIGINT NOT NULL DEFAULT 0;
UPDATE deadline_rules SET extendable = 1 WHERE code = 'handle_and_close';

-- How a letter went up (V3.1, L4.1): 原信, 摘要 or 综合 (`original`, `digest`, `summary`), beside
-- the carrier; empty for visits and older rows.
ALTER TABLE dispositions ADD COLUMN report_mode TEXT NOT NULL DEFAULT '';
