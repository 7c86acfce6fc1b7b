-- +goose Up
-- Fleet-wide rate limits (internal/ratelimit) live in this table on
-- PostgreSQL. A SQLite database belongs to one process, which holds its
-- limits in memory: the table stays empty here and exists so that both
-- engines have one schema.
CREATE TABLE rate_limits (
    key     TEXT PRIMARY KEY,
    tat     INTEGER NOT NULL,
    seen    INTEGER NOT NULL,
    granted INTEGER NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE rate_limits;
