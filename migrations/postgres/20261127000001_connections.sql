-- The realtime gateway's live connections, so that presence is right
-- across every server process of the database.

-- Each running `switchboard serve`, and when it last said it was alive. A
-- server silent for long is gone, and its connections with it.
CREATE TABLE gateway_servers (
    id      TEXT   PRIMARY KEY,
    seen_at BIGINT NOT NULL
);

CREATE TABLE connections (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app          BIGINT NOT NULL,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    server       TEXT   NOT NULL REFERENCES gateway_servers (id) ON DELETE CASCADE,
    token_id     BIGINT NOT NULL,
    connected_at BIGINT NOT NULL
);
CREATE INDEX connections_by_user ON connections (user_id);
CREATE INDEX connections_by_app ON connections (app, user_id);
CREATE INDEX connections_by_server ON connections (server);
