-- +goose Up
-- Maintenance windows (issue 13): alerts that arrive during one and match
-- it are stored and shown but notify nobody; with escalate_at_end, those
-- still open when it ends escalate then. system '' matches every system;
-- severities is a comma list ('' every severity); matchers a JSON array of
-- Alertmanager-style label matchers ("env=prod", "job=~db.*"). weekly: the
-- window repeats every 7 days (in time_zone) from starts_at.
CREATE TABLE maintenance_windows (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           TEXT NOT NULL,
    system         TEXT NOT NULL DEFAULT '',
    severities     TEXT NOT NULL DEFAULT '',
    matchers       TEXT NOT NULL DEFAULT '[]',
    starts_at      BIGINT NOT NULL,
    ends_at        BIGINT NOT NULL,
    weekly         BIGINT NOT NULL DEFAULT 0,
    time_zone      TEXT NOT NULL DEFAULT 'UTC',
    escalate_at_end BIGINT NOT NULL DEFAULT 0,
    created_by     TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    ended_at       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX maintenance_windows_open ON maintenance_windows(ended_at, ends_at);

-- +goose Down
DROP TABLE maintenance_windows;
