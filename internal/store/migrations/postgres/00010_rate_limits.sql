-- +goose Up
-- Fleet-wide rate limits (internal/ratelimit): one row per limited key
-- ("intake:203.0.113.5", "login:user:admin", "connect:<instance id>")
-- holding the GCRA's theoretical arrival time of the key's next event.
-- Times are microseconds since the Unix epoch on the database's clock, so
-- the replicas' clocks do not matter. A row whose tat has passed is a full
-- bucket, the same as no row: replicas delete such rows once a minute.
--
-- UNLOGGED: every request limited here updates its row, and none of it is
-- worth a WAL record. After a crash (or on a promoted standby) the table
-- is empty, which only means every bucket starts full. No index besides
-- the key, so that updates stay HOT; fillfactor leaves them room.
CREATE UNLOGGED TABLE rate_limits (
    key     TEXT PRIMARY KEY,
    tat     BIGINT NOT NULL,
    seen    BIGINT NOT NULL,
    granted INTEGER NOT NULL
) WITH (fillfactor = 50);

-- +goose Down
DROP TABLE rate_limits;
