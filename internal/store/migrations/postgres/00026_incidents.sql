-- +goose Up
-- Incidents (issue 13): alerts of one system that share a group key
-- (Alertmanager's groupKey, or the values of alerts.systems[].group_by)
-- within the system's group_window form one incident. Only its first
-- alert (leader_alert_id) escalates. While an incident is open and
-- joinable (sealed = 0), (system, group_key) is unique: replicas that
-- ingest alerts of one group at once meet on this index (INSERT ... ON
-- CONFLICT) and agree on one incident and one leader. An incident whose
-- window has passed is sealed: it stays open until its alerts resolve,
-- but a new alert of the group opens a new incident.
CREATE TABLE alert_incidents (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    system          TEXT NOT NULL,
    group_key       TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
    leader_alert_id BIGINT NOT NULL,
    sealed          BIGINT NOT NULL DEFAULT 0,
    first_alert_at  BIGINT NOT NULL,
    last_alert_at   BIGINT NOT NULL,
    acked_at        BIGINT NOT NULL DEFAULT 0,
    acked_by        TEXT NOT NULL DEFAULT '',
    resolved_at     BIGINT NOT NULL DEFAULT 0,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX alert_incidents_joinable ON alert_incidents(system, group_key) WHERE status <> 'resolved' AND sealed = 0;
CREATE INDEX alert_incidents_status ON alert_incidents(status, id);

ALTER TABLE alerts ADD COLUMN incident_id BIGINT NOT NULL DEFAULT 0;
CREATE INDEX alerts_incident ON alerts(incident_id) WHERE incident_id > 0;

-- +goose Down
DROP INDEX alerts_incident;
ALTER TABLE alerts DROP COLUMN incident_id;
DROP TABLE alert_incidents;
