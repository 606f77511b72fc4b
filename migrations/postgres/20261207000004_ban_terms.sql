-- Why a member was banned, and until when: a ban with an end stops
-- counting once it has passed.
ALTER TABLE group_bans ADD COLUMN reason TEXT;
ALTER TABLE group_bans ADD COLUMN until BIGINT;
