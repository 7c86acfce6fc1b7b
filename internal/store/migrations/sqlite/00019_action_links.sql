-- +goose Up
-- Secrets the whole fleet shares, generated once by whichever replica
-- starts first (INSERT … ON CONFLICT DO NOTHING, then read): the key that
-- signs the one-tap action links of alert messages is "action_links".
-- value is base64; created_at Unix ms.
CREATE TABLE server_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- One row per action link that was used (internal/actionlink): a link
-- works once. token_hash is the hex SHA-256 of the link's token; the
-- token itself is not kept. used_at is when the use was claimed and
-- done_at when its action completed (0 while it runs: a claim older than
-- a minute without done_at was interrupted and may be taken over).
-- used_from is the client address.
CREATE TABLE action_link_uses (
    token_hash TEXT PRIMARY KEY,
    alert_id   INTEGER NOT NULL,
    action     TEXT NOT NULL CHECK (action IN ('ack', 'resolve', 'escalate')),
    used_at    INTEGER NOT NULL,
    used_from  TEXT NOT NULL DEFAULT '',
    done_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX action_link_uses_alert ON action_link_uses(alert_id);

-- +goose Down
DROP TABLE action_link_uses;
DROP TABLE server_secrets;
