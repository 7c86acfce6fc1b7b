-- +goose Up
-- How many alerts each maintenance window held back (issue 13, the
-- console's list): counted by the intake in the transaction that stores
-- the alerts, so the list needs no scan of alert_log. The timeline entry
-- of a held alert names its window in actor ("maintenance window #N").
ALTER TABLE maintenance_windows ADD COLUMN held INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE maintenance_windows DROP COLUMN held;
