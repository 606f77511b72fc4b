-- The sending client's own id for a message (CometChat's `muid`), so that it
-- can match the stored message to the one it showed while sending.
ALTER TABLE messages ADD COLUMN muid TEXT;
