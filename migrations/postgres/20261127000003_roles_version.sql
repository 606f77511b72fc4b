-- Changes with every change to an app's roles, so that a process may keep
-- the roles it read and know from the app's row alone whether they still
-- hold (see `roles::list`).
ALTER TABLE apps ADD COLUMN roles_version BIGINT NOT NULL DEFAULT 0;
