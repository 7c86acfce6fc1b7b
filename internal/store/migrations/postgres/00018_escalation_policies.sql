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
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    rounds      BIGINT NOT NULL,
    origin      TEXT NOT NULL CHECK (origin IN ('config', 'console')),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL DEFAULT ''
);

-- targets: a JSON array of {"type": "user"|"schedule"|"chat", "name": "..."}.
-- after_ms: how long this step waits before the next one.
-- reescalate_ms: 0, or how long an acknowledged (not resolved) alert at
-- this step waits before its escalation continues.
CREATE TABLE escalation_policy_steps (
    policy_id     BIGINT NOT NULL REFERENCES escalation_policies(id) ON DELETE CASCADE,
    position      BIGINT NOT NULL,
    after_ms      BIGINT NOT NULL,
    targets       TEXT NOT NULL,
    reescalate_ms BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (policy_id, position)
);

-- A system's routes: a JSON array of {"severities": [...], "hours": "...",
-- "policy": "..."}; the first that matches an alert chooses its policy
-- ("" for record only). '' or '[]': the call list, as before.
ALTER TABLE alert_systems ADD COLUMN routes TEXT NOT NULL DEFAULT '';

-- The engine's states gain 'page': run step `position` of round `round`
-- of the policy named in `policy`.
ALTER TABLE alert_escalations DROP CONSTRAINT alert_escalations_state_check;
ALTER TABLE alert_escalations ADD CONSTRAINT alert_escalations_state_check CHECK (state IN ('call', 'place', 'poll', 'page'));

-- One row per notification a policy step makes: the claim that keeps it
-- from being made twice (alert, round, step, target, method). method_id is
-- the contact method (0 for a chat channel). status: pending (due at
-- due_at), sending (a request is out: at most once, it is never sent
-- again), ringing (a call placed, polled at due_at), sent, failed,
-- cancelled (the alert ended first), unknown (the process stopped while
-- sending; not repeated).
CREATE TABLE alert_pages (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id      BIGINT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    round         BIGINT NOT NULL,
    step          BIGINT NOT NULL,
    target        TEXT NOT NULL,
    user_name     TEXT NOT NULL DEFAULT '',
    method_id     BIGINT NOT NULL DEFAULT 0,
    kind          TEXT NOT NULL CHECK (kind IN ('voice', 'sms', 'email', 'chat', 'channel')),
    address       TEXT NOT NULL DEFAULT '',
    destination   TEXT NOT NULL DEFAULT '',
    language      TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'ringing', 'sent', 'failed', 'cancelled', 'unknown')),
    due_at        BIGINT NOT NULL,
    claimed_until BIGINT NOT NULL DEFAULT 0,
    claimed_by    TEXT NOT NULL DEFAULT '',
    attempts      BIGINT NOT NULL DEFAULT 0,
    ref           TEXT NOT NULL DEFAULT '',
    outcome       TEXT NOT NULL DEFAULT '',
    error         TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    sent_at       BIGINT NOT NULL DEFAULT 0,
    updated_at    BIGINT NOT NULL,
    UNIQUE (alert_id, round, step, target, method_id)
);
CREATE INDEX alert_pages_due ON alert_pages(status, due_at) WHERE status IN ('pending', 'sending', 'ringing');
CREATE INDEX alert_pages_alert ON alert_pages(alert_id, id);
CREATE INDEX alert_pages_ref ON alert_pages(ref) WHERE ref <> '';

-- +goose Down
DROP TABLE alert_pages;
DELETE FROM alert_escalations WHERE state = 'page';
ALTER TABLE alert_escalations DROP CONSTRAINT alert_escalations_state_check;
ALTER TABLE alert_escalations ADD CONSTRAINT alert_escalations_state_check CHECK (state IN ('call', 'place', 'poll'));
ALTER TABLE alert_systems DROP COLUMN routes;
DROP TABLE escalation_policy_steps;
DROP TABLE escalation_policies;
