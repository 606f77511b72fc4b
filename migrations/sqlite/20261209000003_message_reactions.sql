-- Reactions to messages (CometChat's reactions): one row per user, message
-- and reaction; a message's counts are read per page, by message.
CREATE TABLE message_reactions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    app        BIGINT NOT NULL,
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reaction   TEXT   NOT NULL,
    reacted_at BIGINT NOT NULL,
    UNIQUE (message_id, reaction, user_id)
);
CREATE INDEX message_reactions_by_user ON message_reactions (user_id);
