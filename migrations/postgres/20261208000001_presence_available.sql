-- A connected user's presence is called `available`, as CometChat calls it.
UPDATE users SET status = 'available' WHERE status = 'online';
