-- +goose Up
-- Messages taken from Amazon SQS queues (aws.queues). A row claims a
-- message for one consumer while it is committed (claimed_by, a lease
-- until claimed_until), then records that it was committed (state done)
-- or dead-lettered (state dead). SQS delivers at least once: a message
-- received again — another replica after the visibility timeout, or after
-- a crash between the commit and DeleteMessage — finds its row done and
-- is only deleted, never committed twice. Rows are pruned a while after
-- SQS would have dropped the message anyway.
CREATE TABLE sqs_messages (
    queue         TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    state         TEXT NOT NULL,
    claimed_by    TEXT NOT NULL,
    claimed_until BIGINT NOT NULL,
    receives      BIGINT NOT NULL,
    outcome       TEXT NOT NULL DEFAULT '',
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (queue, message_id)
);
CREATE INDEX sqs_messages_updated ON sqs_messages(updated_at);

-- Dead letters: messages that could not be used (not a shape opsdesk
-- knows, a bad alarm) or that were received more than max_receives
-- times. Shown in the console (/queues) with the body and the error; one
-- row per message, whichever replica saw it first.
CREATE TABLE sqs_dead_letters (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue       TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    body        TEXT NOT NULL,
    error       TEXT NOT NULL,
    receives    BIGINT NOT NULL,
    disposition TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (queue, message_id)
);
CREATE INDEX sqs_dead_letters_created ON sqs_dead_letters(created_at);

-- +goose Down
DROP TABLE sqs_dead_letters;
DROP TABLE sqs_messages;
