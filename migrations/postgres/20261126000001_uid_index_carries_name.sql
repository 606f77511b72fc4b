-- A search on UID or name lists a user who matches on both under the key
-- that comes first; the UID half reads the name from this index to tell.
DROP INDEX users_active_by_uid;
CREATE INDEX users_active_by_uid ON users (app, uid) INCLUDE (id, name_lower) WHERE deactivated_at IS NULL;
