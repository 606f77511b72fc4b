-- Times are unix seconds (UTC). Every row below the app level carries `app`.

CREATE TABLE operators (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,            -- stored lowercase
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'support', 'viewer')),
    password_hash TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    disabled_at   BIGINT
);

CREATE TABLE sign_in_failures (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email      TEXT   NOT NULL,
    ip         TEXT   NOT NULL,
    failed_at  BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_email ON sign_in_failures (email, failed_at);
CREATE INDEX sign_in_failures_ip ON sign_in_failures (ip, failed_at);

CREATE TABLE apps (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_id      TEXT   NOT NULL UNIQUE,
    name        TEXT   NOT NULL,
    environment TEXT   NOT NULL CHECK (environment IN ('development', 'production')),
    region      TEXT   NOT NULL CHECK (region IN ('us', 'eu', 'in')),
    created_by  TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE INDEX apps_live ON apps (deleted_at, created_at);

CREATE TABLE api_keys (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app          BIGINT NOT NULL REFERENCES apps (id),
    name         TEXT   NOT NULL,
    scope        TEXT   NOT NULL CHECK (scope IN ('authOnly', 'fullAccess')),
    key_hash     TEXT   NOT NULL UNIQUE,              -- SHA-256 of the key, hex
    prefix       TEXT   NOT NULL,
    created_by   TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_keys_app ON api_keys (app, id);

CREATE TABLE audit_log (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app        BIGINT REFERENCES apps (id),           -- NULL for team-wide changes
    actor      TEXT   NOT NULL,
    action     TEXT   NOT NULL,
    object     TEXT   NOT NULL,
    details    TEXT   NOT NULL,                       -- JSON object
    ip         TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_app ON audit_log (app, id);
