-- Statistics (issue 18). A period's figures leave the bureau only with a leader's approval
-- (seed 二 五(二)): each approved release, for the period's exact dates, with its purpose.
CREATE TABLE statistics_releases (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    approval_id TEXT NOT NULL REFERENCES approvals(id),
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    label TEXT NOT NULL,
    purpose TEXT NOT NULL,
    approved_by TEXT NOT NULL REFERENCES users(id),
    approved_at TEXT NOT NULL
);
CREATE INDEX statistics_releases_period ON statistics_releases (bureau_id, period_from, period_to);

