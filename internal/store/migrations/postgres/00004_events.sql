-- +goose Up
CREATE TABLE events (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dedup_key    TEXT NOT NULL UNIQUE,
    event_id     TEXT NOT NULL,
    source       TEXT NOT NULL,
    detail_type  TEXT NOT NULL,
    account      TEXT NOT NULL DEFAULT '',
    region       TEXT NOT NULL DEFAULT '',
    event_time   BIGINT NOT NULL,
    received_at  BIGINT NOT NULL,
    via          TEXT NOT NULL DEFAULT '',
    shape        TEXT NOT NULL DEFAULT '',
    raw          TEXT NOT NULL,
    matched      TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('stored', 'pending', 'done', 'failed')),
    run          BIGINT NOT NULL DEFAULT 0,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX events_received ON events(received_at);
CREATE INDEX events_source ON events(source, received_at);
CREATE INDEX events_pending ON events(updated_at) WHERE status = 'pending';

CREATE TABLE event_actions (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_ref   BIGINT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    run         BIGINT NOT NULL,
    rule        TEXT NOT NULL,
    idx         BIGINT NOT NULL,
    type        TEXT NOT NULL,
    spec        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    attempts    BIGINT NOT NULL DEFAULT 0,
    result      TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT '',
    updated_at  BIGINT NOT NULL,
    UNIQUE (event_ref, run, rule, idx)
);

CREATE TABLE event_rules (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    pattern     TEXT NOT NULL,
    actions     TEXT NOT NULL,
    enabled     BIGINT NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE event_rules;
DROP TABLE event_actions;
DROP TABLE events;
