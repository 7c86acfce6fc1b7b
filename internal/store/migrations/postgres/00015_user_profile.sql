-- +goose Up
-- Per-user console settings (the profile page) and account state (the
-- users page, opsdesk users disable). Every column has a default, so a
-- replica of the previous release that inserts a user during a rolling
-- upgrade makes an enabled user with the console's default language and
-- the server's time zone.
--
-- language: '' (the language switcher, then the browser's) or en, ja, zh, ko.
-- time_zone: '' (the server's zone) or an IANA name such as Asia/Tokyo.
-- disabled: true when the user may not log in (their sessions were ended).
-- last_login_at: Unix ms of the last successful login; NULL when unknown.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN last_login_at BIGINT;

-- +goose Down
ALTER TABLE users DROP COLUMN last_login_at;
ALTER TABLE users DROP COLUMN disabled;
ALTER TABLE users DROP COLUMN time_zone;
ALTER TABLE users DROP COLUMN language;
