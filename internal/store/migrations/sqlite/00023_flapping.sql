-- +goose Up
-- Flap detection (alerts.flapping) counts the alerts of a key resolved in
-- the last minutes: an index on the resolved ones' time keeps that a
-- short range scan however long the history.
CREATE INDEX alerts_resolved_at ON alerts(resolved_at) WHERE status = 'resolved';

-- +goose Down
DROP INDEX alerts_resolved_at;
