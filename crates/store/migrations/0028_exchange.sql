-- Exchange with the national 信访信息系统 (issue 21).
-- The national number (信访件编号) and query code an imported petition keeps beside our own
-- gap-free petition_no; a bureau holds a national number once (NULLs do not collide).
ALTER TABLE petitions ADD COLUMN national_no TEXT;
ALTER TABLE petitions ADD COLUMN national_query_code TEXT;
CREATE UNIQUE INDEX petitions_national_no ON petitions (bureau_id, national_no);

-- The bureau's edits of the shipped code mapping (domain::exchange::DEFAULT_CODES).
CREATE TABLE exchange_codes (
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    field TEXT NOT NULL,
    ours TEXT NOT NULL,
    national TEXT NOT NULL,
    verified BIGINT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (bureau_id, field, ours)
);

-- What an imported petition brought that our tables do not hold: the organ that registered it
-- and its handling rows there (JSON), exported again with it. No personal data. `external_no`
-- is the other system's number (a 12345 order number), taken once per bureau and format.
CREATE TABLE exchange_records (
    petition_id TEXT PRIMARY KEY REFERENCES petitions(id),
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    format TEXT NOT NULL,
    external_no TEXT,
    origin TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL
);
CREATE UNIQUE INDEX exchange_records_external ON exchange_records (bureau_id, format, external_no);
