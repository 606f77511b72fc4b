-- Each sign-in holds the epoch its operator's credentials were at; a
-- password reset draws a new one, and the sessions signed in before it end.
ALTER TABLE operators ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
