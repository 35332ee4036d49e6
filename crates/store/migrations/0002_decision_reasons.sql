-- The reasons offered for each acceptance decision, with the legal explanation printed on the
-- slip (rules §3). Configurable per bureau; seeded from the shipped defaults.
CREATE TABLE decision_reasons (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    acceptance TEXT NOT NULL,
    code TEXT NOT NULL,
    reason TEXT NOT NULL,
    legal_text TEXT NOT NULL,
    position BIGINT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    UNIQUE (bureau_id, acceptance, code)
);
