-- +goose Up
-- Alert lifecycle in chat (issue 13, docs/alerts.md "Following alerts in
-- chat"): one row per alert and following destination. The follow worker
-- claims a row, renders the alert's current state and posts it (Slack:
-- one message, chat.postMessage then chat.update; robots: one message per
-- lifecycle stage), then records what it showed.
--
-- state: new (nothing posted), sending (chat.postMessage is being called:
-- a crash leaves it so, and it becomes unknown), posted (channel and ts
-- name the Slack message), unknown (a post may or may not have arrived:
-- never posted again), failed (refused for good).
-- seen_log, seen_repeats, seen_status: what the last rendering showed (the
-- alert's newest timeline entry, its repeats and status); a row whose
-- alert moved past them is due. digest: a hash of the last rendering, so
-- an unchanged message is not sent again. stage: robots' last lifecycle
-- stage posted (0 none, 1 opened, 2 acknowledged, 3 resolved). note_id: the
-- newest note handed to the Slack thread. done: 1 once the alert is
-- resolved and shown so.
CREATE TABLE alert_chat_posts (
    id            INTEGER PRIMARY KEY,
    alert_id      INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    destination   TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'sending', 'posted', 'unknown', 'failed')),
    channel       TEXT NOT NULL DEFAULT '',
    ts            TEXT NOT NULL DEFAULT '',
    seen_log      INTEGER NOT NULL DEFAULT 0,
    seen_repeats  INTEGER NOT NULL DEFAULT -1,
    seen_status   TEXT NOT NULL DEFAULT '',
    digest        TEXT NOT NULL DEFAULT '',
    stage         INTEGER NOT NULL DEFAULT 0,
    note_id       INTEGER NOT NULL DEFAULT 0,
    done          INTEGER NOT NULL DEFAULT 0,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       INTEGER NOT NULL DEFAULT 0,
    claimed_until INTEGER NOT NULL DEFAULT 0,
    claim         TEXT NOT NULL DEFAULT '',
    error         TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (alert_id, destination)
);
CREATE INDEX alert_chat_posts_open ON alert_chat_posts(done, next_at);
CREATE INDEX alert_chat_posts_dest ON alert_chat_posts(destination, alert_id);

-- +goose Down
DROP TABLE alert_chat_posts;
