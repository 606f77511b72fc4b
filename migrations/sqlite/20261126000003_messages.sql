-- Messages, the conversations they make up, and the app's daily figures.
--
-- A message's conversation is `group:<guid>` or `user:<uid>:<uid>` (the two
-- UIDs in order); "the latest N of a conversation" is one range of
-- (app, conversation, id). Ids only grow, so newest first is id order.

ALTER TABLE roles ADD COLUMN list_users TEXT NOT NULL DEFAULT 'all';
ALTER TABLE roles ADD COLUMN send_messages_to TEXT NOT NULL DEFAULT 'all';

CREATE TABLE messages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    app           BIGINT NOT NULL REFERENCES apps (id),
    conversation  TEXT   NOT NULL,
    sender        TEXT   NOT NULL,
    receiver      TEXT   NOT NULL,
    receiver_type TEXT   NOT NULL,
    category      TEXT   NOT NULL,
    type          TEXT   NOT NULL,
    data          TEXT   NOT NULL,
    metadata      TEXT,
    parent_id     BIGINT,
    replies_count BIGINT NOT NULL DEFAULT 0,
    sent_at       BIGINT NOT NULL,
    edited_at     BIGINT,
    deleted_at    BIGINT,
    deleted_by    TEXT
);
CREATE INDEX messages_by_app ON messages (app, id);
CREATE INDEX messages_by_conversation ON messages (app, conversation, id);
CREATE INDEX messages_by_sender ON messages (app, sender, id);
CREATE INDEX messages_by_receiver ON messages (app, receiver_type, receiver, id);
CREATE INDEX messages_by_category ON messages (app, category, id);
CREATE INDEX messages_by_time ON messages (app, sent_at, id);
CREATE INDEX messages_by_parent ON messages (parent_id, id) WHERE parent_id IS NOT NULL;

CREATE TABLE message_tags (
    app        BIGINT NOT NULL,
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    tag        TEXT   NOT NULL,
    PRIMARY KEY (message_id, tag)
);
CREATE INDEX message_tags_by_tag ON message_tags (app, tag, message_id);

-- A user's side of each conversation with another user: where it stands
-- and how far they have read. A user's group conversations keep the same
-- in `groups.last_message_id` and `group_members.last_read_id`, so a group
-- message moves one row, however many members the group has.
CREATE TABLE user_conversations (
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation    TEXT   NOT NULL,
    peer_uid        TEXT   NOT NULL,
    last_message_id BIGINT NOT NULL,
    last_read_id    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, conversation)
);
CREATE INDEX user_conversations_by_last ON user_conversations (user_id, last_message_id);

ALTER TABLE groups ADD COLUMN last_message_id BIGINT;
ALTER TABLE group_members ADD COLUMN last_read_id BIGINT NOT NULL DEFAULT 0;

-- How many messages an app holds, kept with every message written or
-- removed for good.
CREATE TABLE message_counts (
    app   BIGINT PRIMARY KEY REFERENCES apps (id),
    total BIGINT NOT NULL DEFAULT 0
);
INSERT INTO message_counts (app) SELECT id FROM apps;

-- New users and messages per app per day (days since 1970, UTC), kept as
-- they are written, for the overview's charts.
CREATE TABLE daily_counts (
    app      BIGINT NOT NULL REFERENCES apps (id),
    day      BIGINT NOT NULL,
    users    BIGINT NOT NULL DEFAULT 0,
    messages BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (app, day)
);

-- REST requests per API key per day.
CREATE TABLE key_requests (
    key_id   BIGINT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    day      BIGINT NOT NULL,
    requests BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, day)
);
