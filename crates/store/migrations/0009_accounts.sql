-- Separated administrator powers and hardened sign-in (issue 14).

-- A grant (a new account's role, or a changed one) waits for the security administrator.
-- `role` is the role in effect; a new account awaiting its first grant cannot sign in.
ALTER TABLE users ADD COLUMN pending_role TEXT;
ALTER TABLE users ADD COLUMN pending_unit_id TEXT;
ALTER TABLE users ADD COLUMN granted_by TEXT;
ALTER TABLE users ADD COLUMN role_confirmed BIGINT NOT NULL DEFAULT 1;
-- The account signs in only through a one-time code until it has set its own password.
ALTER TABLE users ADD COLUMN must_set_password BIGINT NOT NULL DEFAULT 0;

CREATE TABLE password_history (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    password_hash TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX password_history_user ON password_history (user_id, at);

-- One-time sign-in codes, stored hashed; a code is used once and expires.
CREATE TABLE sign_in_codes (
    code_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    issued_by TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX sign_in_codes_user ON sign_in_codes (user_id);

-- Idle timeout: when the session was last used.
ALTER TABLE sessions ADD COLUMN last_seen_at TEXT;

-- Throttling by key (one account from one address; one address over all accounts): consecutive
-- failures and the earliest next attempt. A claim is one conditional UPDATE, so parallel
-- attempts cannot all pass.
CREATE TABLE sign_in_throttle (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL DEFAULT 0,
    next_allowed_at TEXT NOT NULL
);
ALTER TABLE login_attempts ADD COLUMN client TEXT;

-- Acting approvers: a leader names who approves in its place for a period.
CREATE TABLE acting_approvers (
    id TEXT PRIMARY KEY,
    bureau_id TEXT NOT NULL REFERENCES bureaus(id),
    leader_id TEXT NOT NULL REFERENCES users(id),
    acting_id TEXT NOT NULL REFERENCES users(id),
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX acting_approvers_acting ON acting_approvers (acting_id, starts_on);

-- Handover: the staff member who now carries an open petition, when it was handed over (NULL:
-- whoever registered and decided it, as before).
ALTER TABLE petitions ADD COLUMN carried_by TEXT;
