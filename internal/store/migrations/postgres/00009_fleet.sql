-- +goose Up
-- Replicas of one installation and how they hand work to each other.
-- Times are Unix milliseconds (UTC). Additive: a replica of the previous
-- release keeps working beside it.

-- Every running opsdesk process, heartbeating every second. A replica not
-- seen for a few seconds is declared dead by the others, which release
-- what it held (its running jobs, its claimed escalation steps) at once
-- instead of waiting for leases to run out.
CREATE TABLE replicas (
    id         TEXT PRIMARY KEY,
    host       TEXT NOT NULL DEFAULT '',
    pid        BIGINT NOT NULL DEFAULT 0,
    version    TEXT NOT NULL DEFAULT '',
    addr       TEXT NOT NULL DEFAULT '',
    started_at BIGINT NOT NULL,
    seen_at    BIGINT NOT NULL
);

-- Which replica holds an escalation's claim.
ALTER TABLE alert_escalations ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';

-- A delivery's attempt is counted before it is made (no indexed column
-- changes): room on each page lets PostgreSQL update the row in place.
ALTER TABLE deliveries SET (fillfactor = 80);

-- The deliveries not yet queued were once found through this index; no
-- query uses it any more, and every change of a delivery paid for it.
DROP INDEX deliveries_unenqueued;

-- +goose Down
CREATE INDEX deliveries_unenqueued ON deliveries(created_at) WHERE enqueued = 0;
ALTER TABLE deliveries RESET (fillfactor);
ALTER TABLE alert_escalations DROP COLUMN claimed_by;
DROP TABLE replicas;
