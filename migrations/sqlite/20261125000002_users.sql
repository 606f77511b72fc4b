-- Users, roles, tags, auth tokens and friends. UIDs and role ids are stored
-- lowercase; names also as lowercase for prefix search.

CREATE TABLE roles (
    app         BIGINT NOT NULL REFERENCES apps (id),
    role        TEXT   NOT NULL,
    name        TEXT   NOT NULL,
    description TEXT   NOT NULL DEFAULT '',
    metadata    TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (app, role)
);

-- Every app has the default role.
INSERT INTO roles (app, role, name, created_at, updated_at)
SELECT id, 'default', 'Default', created_at, created_at FROM apps;

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    app            BIGINT NOT NULL REFERENCES apps (id),
    uid            TEXT   NOT NULL,
    name           TEXT   NOT NULL,
    name_lower     TEXT   NOT NULL,
    avatar         TEXT,
    link           TEXT,
    role           TEXT   NOT NULL,
    metadata       TEXT,
    status_message TEXT,
    status         TEXT   NOT NULL DEFAULT 'offline',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    last_active_at BIGINT,
    deactivated_at BIGINT,
    UNIQUE (app, uid),
    FOREIGN KEY (app, role) REFERENCES roles (app, role)
);
-- Keyset orders and prefix searches over active users (the default list),
-- each ending in uid, the tie-breaker. Partial indexes: both planners then
-- read them in order with `deactivated_at IS NULL`, where an index column
-- holding NULLs would not count as fixed for ordering in Postgres.
CREATE INDEX users_active_by_uid ON users (app, uid) WHERE deactivated_at IS NULL;
CREATE INDEX users_active_by_name ON users (app, name_lower, uid) WHERE deactivated_at IS NULL;
CREATE INDEX users_active_by_created ON users (app, created_at, uid) WHERE deactivated_at IS NULL;
CREATE INDEX users_active_by_role ON users (app, role, uid) WHERE deactivated_at IS NULL;
CREATE INDEX users_by_last_active ON users (app, last_active_at, uid);

-- How many users an app has, kept with every change to users, so the
-- unfiltered total of a list is one row read, not a count of millions.
CREATE TABLE user_counts (
    app         BIGINT PRIMARY KEY REFERENCES apps (id),
    active      BIGINT NOT NULL DEFAULT 0,
    deactivated BIGINT NOT NULL DEFAULT 0
);
INSERT INTO user_counts (app) SELECT id FROM apps;

CREATE TABLE user_tags (
    app     BIGINT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tag     TEXT   NOT NULL,
    PRIMARY KEY (user_id, tag)
);
CREATE INDEX user_tags_by_tag ON user_tags (app, tag, user_id);

CREATE TABLE auth_tokens (
    id           INTEGER PRIMARY KEY,
    app          BIGINT NOT NULL,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   TEXT   NOT NULL UNIQUE,
    prefix       TEXT   NOT NULL,
    platform     TEXT,
    user_agent   TEXT,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX auth_tokens_by_user ON auth_tokens (user_id, id);

CREATE TABLE friends (
    app        BIGINT NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    friend_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, friend_id)
);
