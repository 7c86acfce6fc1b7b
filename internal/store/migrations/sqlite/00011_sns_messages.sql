-- +goose Up
-- SNS messages already taken in on /api/v1/alerts/cloudwatch, so that a
-- signed message posted again (a replay, or SNS retrying after its answer
-- was lost) is absorbed. A row is kept until the message's signature
-- would fail the time window anyway; the alerts sweep deletes it then.
CREATE TABLE alert_sns_messages (
    message_id TEXT PRIMARY KEY,
    topic_arn  TEXT NOT NULL,
    seen_at    INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX alert_sns_messages_expires ON alert_sns_messages(expires_at);

-- +goose Down
DROP TABLE alert_sns_messages;
