-- Whether clients may log in to the realtime gateway with an Auth Key and a
-- UID: on for development apps, off for production ones, until changed.
ALTER TABLE apps ADD COLUMN auth_key_login BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE apps SET auth_key_login = (environment = 'development');
