-- Statistics kept (issue 18): each petition's contributions to the figures
-- (`domain::statistics::dated_contributions`) and their totals per day, kept current in the
-- transaction of every change of a petition's facts, so that a period's figures are a sum over
-- its days and a drill-down an index range. The triggers below mark a petition whenever a row
-- its facts come from changes; the committing write (`WriteTx::commit`) recomputes the marked
-- petitions and adjusts the day totals by the difference. `xinfang statistics recount` rebuilds.
CREATE TABLE statistics_kept (
    bureau_id TEXT NOT NULL,
    petition_id TEXT NOT NULL,
    key TEXT NOT NULL,
    anchor_on TEXT NOT NULL,
    effective_on TEXT NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (petition_id, key)
);
-- A drill-down: the petitions of one figure anchored in a range, in order, a page at a time.
CREATE INDEX statistics_kept_members ON statistics_kept (bureau_id, key, anchor_on, petition_id, effective_on);

-- Petitions whose facts changed in the open transaction; empty between writes.
CREATE TABLE statistics_pending (
    petition_id TEXT PRIMARY KEY
);

-- The definition (`domain::statistics::KEPT_VERSION`) the kept rows were computed with;
-- missing or older, start recounts them.
CREATE TABLE statistics_version (
    id BIGINT PRIMARY KEY,
    version BIGINT NOT NULL
);

-- A period's sum: the days of its range, each figure, what was true by the period's end.
CREATE TABLE statistics_days (
    bureau_id TEXT NOT NULL,
    anchor_on TEXT NOT NULL,
    key TEXT NOT NULL,
    effective_on TEXT NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (bureau_id, anchor_on, key, effective_on)
) WITHOUT ROWID;

-- The rows a petition's facts are read from (`Store::statistics_rows`).
CREATE TRIGGER statistics_mark_letters_insert AFTER INSERT ON letters WHEN NEW.petition_id IS NOT NULL BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (NEW.petition_id); END;
CREATE TRIGGER statistics_mark_letters_update AFTER UPDATE ON letters WHEN NEW.petition_id IS NOT NULL BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (NEW.petition_id); END;
CREATE TRIGGER statistics_mark_letters_delete AFTER DELETE ON letters WHEN OLD.petition_id IS NOT NULL BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (OLD.petition_id); END;
CREATE TRIGGER statistics_mark_dispositions_insert AFTER INSERT ON dispositions WHEN NEW.petition_id IS NOT NULL BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (NEW.petition_id); END;
CREATE TRIGGER statistics_mark_dispositions_update AFTER UPDATE ON dispositions WHEN NEW.petition_id IS NOT NULL BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (NEW.petition_id); END;
CREATE TRIGGER statistics_mark_dispositions_delete AFTER DELETE ON dispositions WHEN OLD.petition_id IS NOT NULL BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (OLD.petition_id); END;
CREATE TRIGGER statistics_mark_handling_records_insert AFTER INSERT ON handling_records WHEN NEW.petition_id IS NOT NULL BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (NEW.petition_id); END;
CREATE TRIGGER statistics_mark_handling_records_update AFTER UPDATE ON handling_records WHEN NEW.petition_id IS NOT NULL BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (NEW.petition_id); END;
CREATE TRIGGER statistics_mark_handling_records_delete AFTER DELETE ON handling_records WHEN OLD.petition_id IS NOT NULL BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (OLD.petition_id); END;
CREATE TRIGGER statistics_mark_deadlines_insert AFTER INSERT ON deadlines WHEN NEW.petition_id IS NOT NULL BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (NEW.petition_id); END;
CREATE TRIGGER statistics_mark_deadlines_update AFTER UPDATE ON deadlines WHEN NEW.petition_id IS NOT NULL BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (NEW.petition_id); END;
CREATE TRIGGER statistics_mark_deadlines_delete AFTER DELETE ON deadlines WHEN OLD.petition_id IS NOT NULL BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (OLD.petition_id); END;
CREATE TRIGGER statistics_mark_handling_reports_insert AFTER INSERT ON handling_reports WHEN NEW.petition_id IS NOT NULL BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (NEW.petition_id); END;
CREATE TRIGGER statistics_mark_handling_reports_update AFTER UPDATE ON handling_reports WHEN NEW.petition_id IS NOT NULL BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (NEW.petition_id); END;
CREATE TRIGGER statistics_mark_handling_reports_delete AFTER DELETE ON handling_reports WHEN OLD.petition_id IS NOT NULL BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (OLD.petition_id); END;
CREATE TRIGGER statistics_mark_report_reviews_insert AFTER INSERT ON report_reviews WHEN NEW.petition_id IS NOT NULL BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (NEW.petition_id); END;
CREATE TRIGGER statistics_mark_report_reviews_update AFTER UPDATE ON report_reviews WHEN NEW.petition_id IS NOT NULL BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (NEW.petition_id); END;
CREATE TRIGGER statistics_mark_report_reviews_delete AFTER DELETE ON report_reviews WHEN OLD.petition_id IS NOT NULL BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (OLD.petition_id); END;
CREATE TRIGGER statistics_mark_petitions_insert AFTER INSERT ON petitions BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (NEW.id); END;
CREATE TRIGGER statistics_mark_petitions_update AFTER UPDATE ON petitions BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (NEW.id); END;
-- Ratings the public site records wait (outcome '') until taken in; only then they count.
CREATE TRIGGER statistics_mark_ratings_insert AFTER INSERT ON ratings WHEN NEW.outcome <> '' BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (NEW.petition_id); END;
CREATE TRIGGER statistics_mark_ratings_update AFTER UPDATE ON ratings BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (NEW.petition_id); END;
CREATE TRIGGER statistics_mark_ratings_delete AFTER DELETE ON ratings BEGIN INSERT OR IGNORE INTO statistics_pending (petition_id) VALUES (OLD.petition_id); END;
