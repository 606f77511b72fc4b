-- Each dashboard session of an operator, to list and end: the session
-- holds a random key, this row its SHA-256. A session without a row signs
-- no one in, so the row replaces the session epoch.
CREATE TABLE operator_sessions (
    id           INTEGER PRIMARY KEY,
    key_hash     TEXT    NOT NULL UNIQUE,
    operator_id  BIGINT  NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    created_at   BIGINT  NOT NULL,
    last_seen_at BIGINT  NOT NULL,
    address      TEXT,
    user_agent   TEXT,
    -- Signed in with a second factor, not a password alone.
    two_factor   BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX operator_sessions_operator ON operator_sessions (operator_id);
ALTER TABLE operators DROP COLUMN session_epoch;

-- An operator's TOTP secret (RFC 6238). Until a first code confirms it,
-- it is only being set up and asks nothing at sign-in. `last_step` is the
-- newest time step a code was used for: no code works twice.
CREATE TABLE operator_totp (
    operator_id  BIGINT PRIMARY KEY REFERENCES operators (id) ON DELETE CASCADE,
    secret       TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    confirmed_at BIGINT,
    last_step    BIGINT NOT NULL DEFAULT 0
);

-- One-time recovery codes, shown once when two-factor is turned on.
CREATE TABLE operator_recovery_codes (
    code_hash   TEXT   PRIMARY KEY,
    operator_id BIGINT NOT NULL REFERENCES operators (id) ON DELETE CASCADE
);
CREATE INDEX operator_recovery_codes_operator ON operator_recovery_codes (operator_id);

-- Roles whose operators must sign in with a second factor.
CREATE TABLE two_factor_roles (
    role TEXT PRIMARY KEY
);
