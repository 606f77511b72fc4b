-- Who has blocked whom (CometChat's blocked users): one direction per row;
-- messages between the two are refused either way while it stands.
CREATE TABLE blocked_users (
    app        BIGINT NOT NULL,
    blocker_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_at BIGINT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX blocked_users_by_blocked ON blocked_users (blocked_id, blocker_id);
