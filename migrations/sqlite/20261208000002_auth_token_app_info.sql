-- What a device's app said of itself (its version, say), as CometChat's
-- auth-token update sets it: a JSON object.
ALTER TABLE auth_tokens ADD COLUMN app_info TEXT;
