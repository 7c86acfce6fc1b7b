-- +goose Up
-- Alerts get an assignee (a console user, '' for nobody) and notes by
-- the people handling them (docs/alerts.md, Notes and assignee). A
-- column with a default only: a replica of the previous release keeps
-- writing alerts while a new one runs this.
ALTER TABLE alerts ADD COLUMN assignee TEXT NOT NULL DEFAULT '';

CREATE TABLE alert_notes (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id   BIGINT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    author     TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX alert_notes_alert ON alert_notes(alert_id, id);

-- +goose Down
DROP TABLE alert_notes;
ALTER TABLE alerts DROP COLUMN assignee;
