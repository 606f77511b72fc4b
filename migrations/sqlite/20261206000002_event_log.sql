-- Every announced event, written in the transaction of the change it
-- announces. Notifications carry its id; a process that may have missed
-- some (its listener fell behind) reads on from the last id it handled.
-- Kept for minutes: long enough to catch up, not a history. AUTOINCREMENT:
-- ids never go back, even when every row has been swept.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    payload    TEXT    NOT NULL,  -- a JSON array of events (service::events)
    created_at BIGINT  NOT NULL
);
CREATE INDEX events_created ON events (created_at);
