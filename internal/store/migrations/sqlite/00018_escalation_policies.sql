-- +goose Up
-- Escalation policies (issue 12): ordered steps, each notifying its
-- targets (users, schedules, chat channels) in parallel, repeated for a
-- number of rounds. A system chooses a policy per severity through its
-- routes; a system without routes keeps its call list (alert_contacts),
-- which the engine runs exactly as before.
--
-- origin is 'config' while the row follows oncall.policies in the config
-- file, 'console' once edited in the console or through the API.
CREATE TABLE escalation_policies (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    rounds      INTEGER NOT NULL,
    origin      TEXT NOT NULL CHECK (origin IN ('config', 'console')),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    updated_by  TEXT NOT NULL DEFAULT ''
);

-- targets: a JSON array of {"type": "user"|"schedule"|"chat", "name": "..."}.
-- after_ms: how long this step waits before the next one.
-- reescalate_ms: 0, or how long an acknowledged (not resolved) alert at
-- this step waits before its escalation continues.
CREATE TABLE escalation_policy_steps (
    policy_id     INTEGER NOT NULL REFERENCES escalation_policies(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    after_ms      INTEGER NOT NULL,
    targets       TEXT NOT NULL,
    reescalate_ms INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (policy_id, position)
);

-- A system's routes: a JSON array of {"severities": [...], "hours": "...",
-- "policy": "..."}; the first that matches an alert chooses its policy
-- ("" for record only). '' or '[]': the call list, as before.
ALTER TABLE alert_systems ADD COLUMN routes TEXT NOT NULL DEFAULT '';

-- The engine's states gain 'page': run step `position` of round `round`
-- of the policy named in `policy`. SQLite cannot change a CHECK in place.
CREATE TABLE alert_escalations_new (
    alert_id       INTEGER PRIMARY KEY REFERENCES alerts(id) ON DELETE CASCADE,
    policy         TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('call', 'place', 'poll', 'page')),
    round          INTEGER NOT NULL DEFAULT 1,
    position       INTEGER NOT NULL DEFAULT 0,
    step           INTEGER NOT NULL DEFAULT 0,
    call_id        INTEGER NOT NULL DEFAULT 0,
    attempts       INTEGER NOT NULL DEFAULT 0,
    next_at        INTEGER NOT NULL,
    claimed_until  INTEGER NOT NULL DEFAULT 0,
    placing_until  INTEGER NOT NULL DEFAULT 0,
    updated_at     INTEGER NOT NULL,
    claimed_by     TEXT NOT NULL DEFAULT ''
);
INSERT INTO alert_escalations_new (alert_id, policy, state, round, position, step, call_id, attempts, next_at, claimed_until, placing_until, updated_at, claimed_by)
    SELECT alert_id, policy, state, round, position, step, call_id, attempts, next_at, claimed_until, placing_until, updated_at, claimed_by FROM alert_escalations;
DROP TABLE alert_escalations;
ALTER TABLE alert_escalations_new RENAME TO alert_escalations;
CREATE INDEX alert_escalations_due ON alert_escalations(state, next_at);
CREATE INDEX alert_escalations_claimed ON alert_escalations(claimed_until) WHERE claimed_until > 0;

-- One row per notification a policy step makes: the claim that keeps it
-- from being made twice (alert, round, step, target, method). method_id is
-- the contact method (0 for a chat channel). status: pending (due at
-- due_at), sending (a request is out: at most once, it is never sent
-- again), ringing (a call placed, polled at due_at), sent, failed,
-- cancelled (the alert ended first), unknown (the process stopped while
-- sending; not repeated).
CREATE TABLE alert_pages (
    id            INTEGER PRIMARY KEY,
    alert_id      INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    round         INTEGER NOT NULL,
    step          INTEGER NOT NULL,
    target        TEXT NOT NULL,
    user_name     TEXT NOT NULL DEFAULT '',
    method_id     INTEGER NOT NULL DEFAULT 0,
    kind          TEXT NOT NULL CHECK (kind IN ('voice', 'sms', 'email', 'chat', 'channel')),
    address       TEXT NOT NULL DEFAULT '',
    destination   TEXT NOT NULL DEFAULT '',
    language      TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'ringing', 'sent', 'failed', 'cancelled', 'unknown')),
    due_at        INTEGER NOT NULL,
    claimed_until INTEGER NOT NULL DEFAULT 0,
    claimed_by    TEXT NOT NULL DEFAULT '',
    attempts      INTEGER NOT NULL DEFAULT 0,
    ref           TEXT NOT NULL DEFAULT '',
    outcome       TEXT NOT NULL DEFAULT '',
    error         TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    sent_at       INTEGER NOT NULL DEFAULT 0,
    updated_at    INTEGER NOT NULL,
    UNIQUE (alert_id, round, step, target, method_id)
);
CREATE INDEX alert_pages_due ON alert_pages(status, due_at) WHERE status IN ('pending', 'sending', 'ringing');
CREATE INDEX alert_pages_alert ON alert_pages(alert_id, id);
CREATE INDEX alert_pages_ref ON alert_pages(ref) WHERE ref <> '';

-- +goose Down
DROP TABLE alert_pages;
DELETE FROM alert_escalations WHERE state = 'page';
CREATE TABLE alert_escalations_old (
    alert_id       INTEGER PRIMARY KEY REFERENCES alerts(id) ON DELETE CASCADE,
    policy         TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('call', 'place', 'poll')),
    round          INTEGER NOT NULL DEFAULT 1,
    position       INTEGER NOT NULL DEFAULT 0,
    step           INTEGER NOT NULL DEFAULT 0,
    call_id        INTEGER NOT NULL DEFAULT 0,
    attempts       INTEGER NOT NULL DEFAULT 0,
    next_at        INTEGER NOT NULL,
    claimed_until  INTEGER NOT NULL DEFAULT 0,
    placing_until  INTEGER NOT NULL DEFAULT 0,
    updated_at     INTEGER NOT NULL,
    claimed_by     TEXT NOT NULL DEFAULT ''
);
INSERT INTO alert_escalations_old SELECT * FROM alert_escalations;
DROP TABLE alert_escalations;
ALTER TABLE alert_escalations_old RENAME TO alert_escalations;
CREATE INDEX alert_escalations_due ON alert_escalations(state, next_at);
CREATE INDEX alert_escalations_claimed ON alert_escalations(claimed_until) WHERE claimed_until > 0;
ALTER TABLE alert_systems DROP COLUMN routes;
DROP TABLE escalation_policy_steps;
DROP TABLE escalation_policies;
