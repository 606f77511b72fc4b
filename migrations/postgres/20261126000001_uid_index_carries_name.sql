-- A search on UID or name lists a user who matches on both under the text
-- that comes first; the UID half reads the name from this index to tell,
-- and stays an index-only scan. (SQLite keeps (app, uid): given a wider
-- index there, its planner counted UID matches through the table.)
DROP INDEX users_active_by_uid;
CREATE INDEX users_active_by_uid ON users (app, uid) INCLUDE (id, name_lower) WHERE deactivated_at IS NULL;
