-- +goose Up
-- Phone escalation (seed 004). Times are Unix milliseconds, UTC.

-- A system's escalation policy: who is called, how often, and what
-- happens when nobody answers. origin is 'config' while the row follows
-- alerts.systems in the config file, 'console' once edited there.
CREATE TABLE alert_systems (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    rounds      BIGINT NOT NULL,
    wait_ms     BIGINT NOT NULL,
    quiet_ms    BIGINT NOT NULL,
    notify      TEXT NOT NULL DEFAULT '',
    origin      TEXT NOT NULL CHECK (origin IN ('config', 'console')),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE alert_contacts (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    system_id  BIGINT NOT NULL REFERENCES alert_systems(id) ON DELETE CASCADE,
    position   BIGINT NOT NULL,
    name       TEXT NOT NULL,
    phone      TEXT NOT NULL,
    language   TEXT NOT NULL DEFAULT '',
    hours      TEXT NOT NULL DEFAULT '',
    UNIQUE (system_id, position)
);

-- One row per alert. While it is not resolved, (system, dedup_key) is
-- unique: a repeat of an open alert is absorbed into it (repeats + 1).
CREATE TABLE alerts (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    system       TEXT NOT NULL,
    policy       TEXT NOT NULL,
    source       TEXT NOT NULL,
    dedup_key    TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'quiet', 'resolved', 'unacknowledged')),
    summary      TEXT NOT NULL,
    details      TEXT NOT NULL DEFAULT '',
    severity     TEXT NOT NULL DEFAULT '',
    host         TEXT NOT NULL DEFAULT '',
    service      TEXT NOT NULL DEFAULT '',
    labels       TEXT NOT NULL DEFAULT '{}',
    started_at   BIGINT NOT NULL DEFAULT 0,
    received_at  BIGINT NOT NULL,
    via          TEXT NOT NULL DEFAULT '',
    repeats      BIGINT NOT NULL DEFAULT 0,
    last_seen_at BIGINT NOT NULL,
    acked_at     BIGINT NOT NULL DEFAULT 0,
    acked_by     TEXT NOT NULL DEFAULT '',
    resolved_at  BIGINT NOT NULL DEFAULT 0,
    resolved_by  TEXT NOT NULL DEFAULT '',
    updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX alerts_active ON alerts(system, dedup_key) WHERE status <> 'resolved';
CREATE INDEX alerts_status ON alerts(status, id);
CREATE INDEX alerts_system ON alerts(system, id);

-- The escalation engine's state: one row per alert being escalated, with
-- the next thing to do (state) and when (next_at). A runner claims due
-- rows (claimed_until) and advances step on every transition, so a stale
-- job or a second runner changes nothing. placing_until (wall clock, on
-- PostgreSQL) says a call is being requested right now: an
-- acknowledgement waits for it instead of committing under it.
CREATE TABLE alert_escalations (
    alert_id       BIGINT PRIMARY KEY REFERENCES alerts(id) ON DELETE CASCADE,
    policy         TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('call', 'place', 'poll')),
    round          BIGINT NOT NULL DEFAULT 1,
    position       BIGINT NOT NULL DEFAULT 0,
    step           BIGINT NOT NULL DEFAULT 0,
    call_id        BIGINT NOT NULL DEFAULT 0,
    attempts       BIGINT NOT NULL DEFAULT 0,
    next_at        BIGINT NOT NULL,
    claimed_until  BIGINT NOT NULL DEFAULT 0,
    placing_until  BIGINT NOT NULL DEFAULT 0,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX alert_escalations_due ON alert_escalations(state, next_at);
CREATE INDEX alert_escalations_claimed ON alert_escalations(claimed_until) WHERE claimed_until > 0;

-- Every call placed (or about to be): the seed's call history. One row per
-- (alert, round, position): the claim that keeps a call from being placed
-- twice; client_token is derived from the same three.
CREATE TABLE alert_calls (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id          BIGINT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    round             BIGINT NOT NULL,
    position          BIGINT NOT NULL,
    callee            TEXT NOT NULL,
    phone             TEXT NOT NULL,
    language          TEXT NOT NULL DEFAULT '',
    client_token      TEXT NOT NULL,
    contact_id        TEXT NOT NULL DEFAULT '',
    state             TEXT NOT NULL CHECK (state IN ('placing', 'ringing', 'connected', 'ended', 'failed', 'cancelled')),
    requested_at      BIGINT NOT NULL,
    initiated_at      BIGINT NOT NULL DEFAULT 0,
    answered_at       BIGINT NOT NULL DEFAULT 0,
    ended_at          BIGINT NOT NULL DEFAULT 0,
    disconnect_reason TEXT NOT NULL DEFAULT '',
    key_pressed       TEXT NOT NULL DEFAULT '',
    outcome           TEXT NOT NULL DEFAULT '',
    error             TEXT NOT NULL DEFAULT '',
    polls             BIGINT NOT NULL DEFAULT 0,
    updated_at        BIGINT NOT NULL,
    UNIQUE (alert_id, round, position)
);
CREATE INDEX alert_calls_contact ON alert_calls(contact_id);
CREATE INDEX alert_calls_phone ON alert_calls(phone, requested_at);
CREATE INDEX alert_calls_active ON alert_calls(state) WHERE state IN ('placing', 'ringing', 'connected');

-- The timeline of an alert: received, calls, skips, ack, quiet, resolve.
CREATE TABLE alert_log (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id  BIGINT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    at        BIGINT NOT NULL,
    kind      TEXT NOT NULL,
    actor     TEXT NOT NULL DEFAULT '',
    detail    TEXT NOT NULL DEFAULT '',
    call_id   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX alert_log_alert ON alert_log(alert_id, id);

-- Quiet periods: no calls for the system from starts_at until ends_at
-- (key 2 on a call, or the console). Ending one early sets ended_at.
CREATE TABLE alert_quiets (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    system      TEXT NOT NULL,
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT NOT NULL,
    alert_id    BIGINT NOT NULL DEFAULT 0,
    set_by      TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    ended_at    BIGINT NOT NULL DEFAULT 0,
    ended_by    TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE INDEX alert_quiets_system ON alert_quiets(system, ends_at);
CREATE INDEX alert_quiets_ends ON alert_quiets(ends_at);

-- Messages to chat destinations when an escalation gives up; written in
-- the transaction that gives up, sent by a job (idempotency key per row).
CREATE TABLE alert_notifications (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id     BIGINT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    destination  TEXT NOT NULL,
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts     BIGINT NOT NULL DEFAULT 0,
    result       TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (alert_id, destination, reason)
);
CREATE INDEX alert_notifications_pending ON alert_notifications(updated_at) WHERE status = 'pending';

-- +goose Down
DROP TABLE alert_notifications;
DROP TABLE alert_quiets;
DROP TABLE alert_log;
DROP TABLE alert_calls;
DROP TABLE alert_escalations;
DROP TABLE alerts;
DROP TABLE alert_contacts;
DROP TABLE alert_systems;
