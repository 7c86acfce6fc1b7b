-- +goose Up
-- AWS Health records (docs/health.md): one row per Health event and
-- affected account, kept up to date from the aws.health events the
-- built-in rule aws-health feeds in. account is '' for a PUBLIC event (one
-- record for everyone; accounts lists the accounts that received it) and
-- the affected account (detail.affectedAccount, else the envelope's
-- account) for an ACCOUNT_SPECIFIC one: an organizational view delivers
-- the same event ARN once per affected account, each with its own
-- entities. last_updated_ms is detail.lastUpdatedTime of the update the
-- row shows: an older update never overwrites a newer one.
-- descriptions: JSON object language -> latest description.
-- entities: JSON list of {value, status, tags}.
CREATE TABLE health_events (
    id              INTEGER PRIMARY KEY,
    event_arn       TEXT NOT NULL,
    account         TEXT NOT NULL DEFAULT '',
    service         TEXT NOT NULL DEFAULT '',
    event_type_code TEXT NOT NULL DEFAULT '',
    category        TEXT NOT NULL DEFAULT '',
    scope           TEXT NOT NULL DEFAULT '',
    region          TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT '',
    start_ms        INTEGER NOT NULL DEFAULT 0,
    end_ms          INTEGER NOT NULL DEFAULT 0,
    last_updated_ms INTEGER NOT NULL DEFAULT 0,
    communication_id TEXT NOT NULL DEFAULT '',
    descriptions    TEXT NOT NULL DEFAULT '{}',
    accounts        TEXT NOT NULL DEFAULT '[]',
    entities        TEXT NOT NULL DEFAULT '[]',
    first_seen_at   INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (event_arn, account)
);
CREATE INDEX health_events_start ON health_events(start_ms);
CREATE INDEX health_events_updated ON health_events(last_updated_ms);

-- Every update a record received, in the order it arrived: applied is 0
-- for an update older than the record (out of order) and for a repeat.
-- One row per (record, stored event): running the event's action twice
-- adds nothing.
CREATE TABLE health_event_updates (
    id              INTEGER PRIMARY KEY,
    health_id       INTEGER NOT NULL,
    event_ref       INTEGER NOT NULL,
    status          TEXT NOT NULL DEFAULT '',
    last_updated_ms INTEGER NOT NULL DEFAULT 0,
    applied         INTEGER NOT NULL DEFAULT 0,
    description     TEXT NOT NULL DEFAULT '',
    received_at     INTEGER NOT NULL,
    UNIQUE (health_id, event_ref)
);

-- The built-in notifications (events.health): one row per record, status
-- change and destination. change is "<status>@<lastUpdatedTime ms>" of the
-- update that made the change, so a repeat of that update, a retry or a
-- second replica adds nothing. lang is the message's language
-- (events.health[].language; '' is English). status: pending, sent,
-- failed.
CREATE TABLE health_notices (
    id          INTEGER PRIMARY KEY,
    health_id   INTEGER NOT NULL,
    change      TEXT NOT NULL,
    destination TEXT NOT NULL,
    lang        TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT 'pending',
    attempts    INTEGER NOT NULL DEFAULT 0,
    result      TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (health_id, change, destination)
);
CREATE INDEX health_notices_pending ON health_notices(status, updated_at);

-- +goose Down
DROP TABLE health_notices;
DROP TABLE health_event_updates;
DROP TABLE health_events;
