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
    PRIMARY KEY (bureau_id, anchor_on, key, effective_on) INCLUDE (amount)
);

-- The rows a petition's facts are read from (`Store::statistics_rows`).
CREATE FUNCTION statistics_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.petition_id IS NOT NULL THEN
            INSERT INTO statistics_pending (petition_id) VALUES (OLD.petition_id) ON CONFLICT DO NOTHING;
        END IF;
        RETURN OLD;
    END IF;
    IF NEW.petition_id IS NOT NULL THEN
        INSERT INTO statistics_pending (petition_id) VALUES (NEW.petition_id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION statistics_mark_petition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO statistics_pending (petition_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    RETURN NEW;
END $$;

CREATE TRIGGER statistics_mark AFTER INSERT OR UPDATE OR DELETE ON letters FOR EACH ROW EXECUTE FUNCTION statistics_mark();
CREATE TRIGGER statistics_mark AFTER INSERT OR UPDATE OR DELETE ON dispositions FOR EACH ROW EXECUTE FUNCTION statistics_mark();
CREATE TRIGGER statistics_mark AFTER INSERT OR UPDATE OR DELETE ON handling_records FOR EACH ROW EXECUTE FUNCTION statistics_mark();
CREATE TRIGGER statistics_mark AFTER INSERT OR UPDATE OR DELETE ON deadlines FOR EACH ROW EXECUTE FUNCTION statistics_mark();
CREATE TRIGGER statistics_mark AFTER INSERT OR UPDATE OR DELETE ON handling_reports FOR EACH ROW EXECUTE FUNCTION statistics_mark();
CREATE TRIGGER statistics_mark AFTER INSERT OR UPDATE OR DELETE ON report_reviews FOR EACH ROW EXECUTE FUNCTION statistics_mark();
CREATE TRIGGER statistics_mark AFTER INSERT OR UPDATE ON petitions FOR EACH ROW EXECUTE FUNCTION statistics_mark_petition();
-- Ratings the public site records wait (outcome '') until taken in; only then they count (and
-- the public role, which may not write here, never fires it).
CREATE TRIGGER statistics_mark_recorded AFTER INSERT ON ratings FOR EACH ROW WHEN (NEW.outcome <> '') EXECUTE FUNCTION statistics_mark();
CREATE TRIGGER statistics_mark AFTER UPDATE OR DELETE ON ratings FOR EACH ROW EXECUTE FUNCTION statistics_mark();
