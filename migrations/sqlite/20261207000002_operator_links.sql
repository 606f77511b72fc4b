-- One-time links that let someone set an operator's password, made by an
-- owner or admin: the link holds a random token, this its SHA-256.
CREATE TABLE operator_links (
    token_hash  TEXT   PRIMARY KEY,
    operator_id BIGINT NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX operator_links_operator ON operator_links (operator_id);
