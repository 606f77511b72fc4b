-- Lists sort on last activity with users never seen at time zero, so that
-- both engines order them the same way and the sort reads from an index.
DROP INDEX users_by_last_active;
CREATE INDEX users_active_by_last_active ON users (app, (COALESCE(last_active_at, 0)), uid) WHERE deactivated_at IS NULL;
