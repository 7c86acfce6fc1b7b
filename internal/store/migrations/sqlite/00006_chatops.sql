-- +goose Up
-- Chat-ops (DingTalk robot, Slack slash command). Times are Unix
-- milliseconds (UTC).

-- Signed requests already used, so a captured one cannot be replayed on
-- any replica; kept until its timestamp stops verifying.
CREATE TABLE chat_nonces (
    key        TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX chat_nonces_expires ON chat_nonces(expires_at);

-- Every command received: who, where, what, and the result. The row is
-- also the command's record of progress: effect says whether its call to
-- AWS (CreateCase, AddCommunicationToCase, ResolveCase) started or ended,
-- so a retried job never repeats it.
CREATE TABLE chat_audit (
    id                 INTEGER PRIMARY KEY,
    platform           TEXT NOT NULL CHECK (platform IN ('dingtalk', 'slack')),
    msg_id             TEXT NOT NULL,
    received_at        INTEGER NOT NULL,
    sender_id          TEXT NOT NULL DEFAULT '',
    sender_name        TEXT NOT NULL DEFAULT '',
    conversation_id    TEXT NOT NULL DEFAULT '',
    conversation_title TEXT NOT NULL DEFAULT '',
    kind               TEXT NOT NULL DEFAULT '',
    text               TEXT NOT NULL DEFAULT '',
    result             TEXT NOT NULL DEFAULT 'running' CHECK (result IN ('running', 'ok', 'invalid', 'forbidden', 'failed')),
    detail             TEXT NOT NULL DEFAULT '',
    case_id            TEXT NOT NULL DEFAULT '',
    effect             TEXT NOT NULL DEFAULT '' CHECK (effect IN ('', 'started', 'done')),
    effect_at          INTEGER,
    effect_result      TEXT NOT NULL DEFAULT '',
    finished_at        INTEGER,
    UNIQUE (platform, msg_id)
);
CREATE INDEX chat_audit_received ON chat_audit(received_at);

-- Messages to send: replies, case updates. A queue is sent in order; a
-- bucket (one robot webhook) is limited per minute, see chat_rate_log.
CREATE TABLE chat_outbox (
    id          INTEGER PRIMARY KEY,
    queue       TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('dingtalk', 'slack_response', 'destination')),
    target      TEXT NOT NULL,
    payload     TEXT NOT NULL,
    dedup       TEXT NOT NULL UNIQUE,
    audit_ref   INTEGER REFERENCES chat_audit(id) ON DELETE SET NULL,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  INTEGER NOT NULL,
    claimed_at  INTEGER,
    sent_at     INTEGER,
    route       TEXT NOT NULL DEFAULT '',
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE INDEX chat_outbox_queue ON chat_outbox(queue, id) WHERE status IN ('pending', 'sending');
CREATE INDEX chat_outbox_audit ON chat_outbox(audit_ref);
CREATE INDEX chat_outbox_failed ON chat_outbox(id) WHERE status = 'failed';

-- One row per message sent to a bucket: the sliding window of the rate
-- limit.
CREATE TABLE chat_rate_log (
    id     INTEGER PRIMARY KEY,
    bucket TEXT NOT NULL,
    at     INTEGER NOT NULL
);
CREATE INDEX chat_rate_log_bucket ON chat_rate_log(bucket, at);

-- Rows to lock (SELECT … FOR UPDATE on PostgreSQL) so that replicas take
-- a queue's next message and a bucket's next slot one at a time.
CREATE TABLE chat_locks (
    key TEXT PRIMARY KEY
);

-- The latest sessionWebhook of each conversation, and its title.
CREATE TABLE chat_conversations (
    platform           TEXT NOT NULL,
    conversation_id    TEXT NOT NULL,
    title              TEXT NOT NULL DEFAULT '',
    session_webhook    TEXT NOT NULL DEFAULT '',
    session_expires_at INTEGER NOT NULL DEFAULT 0,
    updated_at         INTEGER NOT NULL,
    PRIMARY KEY (platform, conversation_id)
);

-- Cases created from chat, and the conversation their updates go to.
CREATE TABLE chat_cases (
    account            TEXT NOT NULL,
    case_id            TEXT NOT NULL,
    platform           TEXT NOT NULL,
    conversation_id    TEXT NOT NULL DEFAULT '',
    conversation_title TEXT NOT NULL DEFAULT '',
    created_by         TEXT NOT NULL DEFAULT '',
    audit_ref          INTEGER,
    created_at         INTEGER NOT NULL,
    PRIMARY KEY (account, case_id)
);

-- What was last announced of a case: updates are what differs from it.
CREATE TABLE chat_case_state (
    account    TEXT NOT NULL,
    case_id    TEXT NOT NULL,
    status     TEXT NOT NULL,
    comm_count INTEGER NOT NULL,
    comm_mark  INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account, case_id)
);

-- +goose Down
DROP TABLE chat_case_state;
DROP TABLE chat_cases;
DROP TABLE chat_conversations;
DROP TABLE chat_locks;
DROP TABLE chat_rate_log;
DROP TABLE chat_outbox;
DROP TABLE chat_audit;
DROP TABLE chat_nonces;
