-- How far each user's conversations reached their devices, told by the
-- realtime `delivered` frame, beside how far they read (`last_read_id`):
-- what lies past both is undelivered.
ALTER TABLE user_conversations ADD COLUMN last_delivered_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE group_members ADD COLUMN last_delivered_id BIGINT NOT NULL DEFAULT 0;
