-- Sign-in attempts are counted against buckets: an account, a client
-- address (an IPv6 client's /64) or a browser an operator signed in on
-- before. Each attempt is counted before its password is checked, in one
-- statement that also refuses it while the bucket is blocked, so attempts
-- made at once cannot get past the limit together (see `sign_in`).
DROP TABLE sign_in_failures;

CREATE TABLE sign_in_throttle (
    bucket        TEXT   PRIMARY KEY,   -- 'account:EMAIL', 'address:NET', 'device:HASH'
    failures      BIGINT NOT NULL,      -- since window_start; an attempt counts until it succeeds
    window_start  BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL       -- no attempt before this
);

-- Browsers an operator signed in on: the cookie holds the token, this the
-- SHA-256 of it. Known browsers are spared the account's and the address's
-- limits, so that nobody locks an operator out by guessing at their account.
CREATE TABLE known_devices (
    token_hash   TEXT   PRIMARY KEY,
    operator_id  BIGINT NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL
);
CREATE INDEX known_devices_operator ON known_devices (operator_id);
