-- +goose Up
-- Notices to the person whose on-call shift is about to start
-- (oncall.shift_notice). One row per (schedule, person, shift start): the
-- claim that keeps a notice from being sent twice, by a retry or by
-- another replica. outcome: '' while it is being sent, then sent, failed
-- or skipped (no way to reach the person).
CREATE TABLE oncall_shift_notices (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    schedule    TEXT NOT NULL,
    who         TEXT NOT NULL,
    shift_start BIGINT NOT NULL,
    shift_end   BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    outcome     TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    UNIQUE (schedule, who, shift_start)
);
CREATE INDEX oncall_shift_notices_created ON oncall_shift_notices(created_at);

-- +goose Down
DROP TABLE oncall_shift_notices;
