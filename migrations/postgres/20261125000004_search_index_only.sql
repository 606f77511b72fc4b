-- A search picks its page from these indexes alone (index-only scans, the
-- user's id carried in the index), then reads just the page's rows. SQLite
-- indexes carry the row id already.
DROP INDEX users_active_by_uid;
CREATE INDEX users_active_by_uid ON users (app, uid) INCLUDE (id) WHERE deactivated_at IS NULL;
DROP INDEX users_active_by_name;
CREATE INDEX users_active_by_name ON users (app, name_lower, uid) INCLUDE (id) WHERE deactivated_at IS NULL;
