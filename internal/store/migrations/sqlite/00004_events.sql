-- +goose Up
CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    dedup_key    TEXT NOT NULL UNIQUE,
    event_id     TEXT NOT NULL,
    source       TEXT NOT NULL,
    detail_type  TEXT NOT NULL,
    account      TEXT NOT NULL DEFAULT '',
    region       TEXT NOT NULL DEFAULT '',
    event_time   INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    via          TEXT NOT NULL DEFAULT '',
    shape        TEXT NOT NULL DEFAULT '',
    raw          TEXT NOT NULL,
    matched      TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('stored', 'pending', 'done', 'failed')),
    run          INTEGER NOT NULL DEFAULT 0,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX events_received ON events(received_at);
CREATE INDEX events_source ON events(source, received_at);
CREATE INDEX events_pending ON events(updated_at) WHERE status = 'pending';

CREATE TABLE event_actions (
    id          INTEGER PRIMARY KEY,
    event_ref   INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    run         INTEGER NOT NULL,
    rule        TEXT NOT NULL,
    idx         INTEGER NOT NULL,
    type        TEXT NOT NULL,
    spec        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    result      TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT '',
    updated_at  INTEGER NOT NULL,
    UNIQUE (event_ref, run, rule, idx)
);

CREATE TABLE event_rules (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    pattern     TEXT NOT NULL,
    actions     TEXT NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    updated_by  TEXT NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE event_rules;
DROP TABLE event_actions;
DROP TABLE events;
