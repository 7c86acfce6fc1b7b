-- +goose Up
CREATE TABLE cases (
    id             INTEGER PRIMARY KEY,
    account        TEXT NOT NULL,
    case_id        TEXT NOT NULL,
    display_id     TEXT NOT NULL DEFAULT '',
    subject        TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT '',
    severity       TEXT NOT NULL DEFAULT '',
    service_code   TEXT NOT NULL DEFAULT '',
    category_code  TEXT NOT NULL DEFAULT '',
    language       TEXT NOT NULL DEFAULT '',
    submitted_by   TEXT NOT NULL DEFAULT '',
    cc             TEXT NOT NULL DEFAULT '',
    time_created   INTEGER NOT NULL,
    first_seen_at  INTEGER NOT NULL,
    changed_at     INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL,
    resolved_at    INTEGER,
    gone_at        INTEGER,
    last_comm_at   INTEGER,
    comm_count     INTEGER NOT NULL DEFAULT 0,
    needs_comms    INTEGER NOT NULL DEFAULT 0,
    comms_after    INTEGER,
    UNIQUE (account, case_id)
);
CREATE INDEX cases_created ON cases(time_created);
CREATE INDEX cases_status ON cases(account, status);
CREATE INDEX cases_needs_comms ON cases(account, id) WHERE needs_comms = 1;

CREATE TABLE case_communications (
    id           INTEGER PRIMARY KEY,
    case_ref     INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    submitted_by TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL DEFAULT '',
    time_created INTEGER NOT NULL,
    dedup        TEXT NOT NULL,
    stored_at    INTEGER NOT NULL,
    UNIQUE (case_ref, dedup)
);
CREATE INDEX case_communications_case ON case_communications(case_ref, time_created);

CREATE TABLE case_attachments (
    id            INTEGER PRIMARY KEY,
    case_ref      INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    comm_ref      INTEGER NOT NULL REFERENCES case_communications(id) ON DELETE CASCADE,
    attachment_id TEXT NOT NULL,
    file_name     TEXT NOT NULL DEFAULT '',
    size          INTEGER NOT NULL DEFAULT 0,
    sha256        TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL CHECK (status IN ('pending', 'stored', 'failed')),
    error         TEXT NOT NULL DEFAULT '',
    updated_at    INTEGER NOT NULL,
    UNIQUE (case_ref, attachment_id)
);
CREATE INDEX case_attachments_comm ON case_attachments(comm_ref);
CREATE INDEX case_attachments_pending ON case_attachments(status) WHERE status <> 'stored';

CREATE TABLE case_sync_state (
    account      TEXT NOT NULL,
    language     TEXT NOT NULL,
    high_water   INTEGER NOT NULL DEFAULT 0,
    last_sync_at INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (account, language)
);

-- +goose Down
DROP TABLE case_sync_state;
DROP TABLE case_attachments;
DROP TABLE case_communications;
DROP TABLE cases;
