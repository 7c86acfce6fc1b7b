-- +goose Up
-- On-call schedules (issue 12, docs/oncall.md). Times are Unix
-- milliseconds, UTC.
--
-- A schedule: layers combined by priority, plus overrides. origin is
-- 'config' while the row follows oncall.schedules in the config file,
-- 'console' once edited in the console or through the API.
CREATE TABLE oncall_schedules (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    time_zone   TEXT NOT NULL,
    origin      TEXT NOT NULL CHECK (origin IN ('config', 'console')),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    updated_by  TEXT NOT NULL DEFAULT ''
);

-- One rotation of a schedule. participants: JSON array of user names;
-- shift: "12h", "1d", "1w"; hand_off: the instant participants[0]'s first
-- shift starts; time_zone: '' for the schedule's; restrictions: JSON array
-- of {"days": ["mon", …], "from": "09:00", "to": "18:00"}.
CREATE TABLE oncall_layers (
    id            INTEGER PRIMARY KEY,
    schedule_id   INTEGER NOT NULL REFERENCES oncall_schedules(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    name          TEXT NOT NULL,
    participants  TEXT NOT NULL,
    shift         TEXT NOT NULL,
    hand_off      INTEGER NOT NULL,
    priority      INTEGER NOT NULL DEFAULT 0,
    time_zone     TEXT NOT NULL DEFAULT '',
    restrictions  TEXT NOT NULL DEFAULT '[]',
    UNIQUE (schedule_id, position)
);

-- Someone on call instead of the rotation from start_at (inclusive) to
-- end_at (exclusive); covers '' replaces whoever is on call. Applied in id
-- order: the latest-created wins where several overlap. created_by is
-- 'config' for the overrides of the config file.
CREATE TABLE oncall_overrides (
    id          INTEGER PRIMARY KEY,
    schedule_id INTEGER NOT NULL REFERENCES oncall_schedules(id) ON DELETE CASCADE,
    who         TEXT NOT NULL,
    covers      TEXT NOT NULL DEFAULT '',
    start_at    INTEGER NOT NULL,
    end_at      INTEGER NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE INDEX oncall_overrides_schedule ON oncall_overrides(schedule_id, end_at);

-- Secret iCal feed URLs: one schedule's shifts (user_name '') or one
-- user's shifts in every schedule (schedule ''). Only the token's SHA-256
-- is kept; revoked_at 0 while the URL works.
CREATE TABLE oncall_feeds (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    schedule    TEXT NOT NULL DEFAULT '',
    user_name   TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE oncall_feeds;
DROP TABLE oncall_overrides;
DROP TABLE oncall_layers;
DROP TABLE oncall_schedules;
