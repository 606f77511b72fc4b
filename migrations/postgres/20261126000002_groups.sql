-- Groups, their members and their bans. Searched and sorted ids use the "C"
-- collation, as users do. A member row repeats the GUID and
-- the UID (neither ever changes) so that a group's members page by UID and
-- a user's groups page by GUID, each from one index, however large; whether
-- a user is in a group (or banned from it) is one lookup on its key.

CREATE TABLE groups (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app           BIGINT NOT NULL REFERENCES apps (id),
    guid          TEXT COLLATE "C" NOT NULL,
    name          TEXT   NOT NULL,
    name_lower    TEXT COLLATE "C" NOT NULL,
    type          TEXT   NOT NULL,
    password_hash TEXT,
    icon          TEXT,
    description   TEXT,
    metadata      TEXT,
    owner_id      BIGINT REFERENCES users (id) ON DELETE SET NULL,
    members_count BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (app, guid)
);
CREATE INDEX groups_by_name ON groups (app, name_lower, guid);
CREATE INDEX groups_by_created ON groups (app, created_at, guid);

-- How many groups an app has, kept with every group made or deleted, so the
-- total of the whole list is one row read.
CREATE TABLE group_counts (
    app   BIGINT PRIMARY KEY REFERENCES apps (id),
    total BIGINT NOT NULL DEFAULT 0
);
INSERT INTO group_counts (app) SELECT id FROM apps;

CREATE TABLE group_tags (
    app      BIGINT NOT NULL,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    tag      TEXT   NOT NULL,
    PRIMARY KEY (group_id, tag)
);
CREATE INDEX group_tags_by_tag ON group_tags (app, tag, group_id);

CREATE TABLE group_members (
    group_id  BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    guid      TEXT COLLATE "C" NOT NULL,
    uid       TEXT COLLATE "C" NOT NULL,
    scope     TEXT   NOT NULL,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE UNIQUE INDEX group_members_by_uid ON group_members (group_id, uid);
CREATE INDEX group_members_by_scope ON group_members (group_id, scope, uid);
CREATE INDEX group_members_by_user ON group_members (user_id, guid);

CREATE TABLE group_bans (
    group_id  BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    uid       TEXT COLLATE "C" NOT NULL,
    banned_by TEXT   NOT NULL,
    banned_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE UNIQUE INDEX group_bans_by_uid ON group_bans (group_id, uid);
CREATE INDEX group_bans_by_user ON group_bans (user_id);
