-- +goose Up
-- Every state-changing action, from the console, the API, the CLI, chat
-- and the phone: who (actor, and what kind of actor), what (action, on
-- target, with detail), when and from where. Kept forever; never updated.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('user', 'token', 'cli', 'chat', 'phone', 'system')),
    action     TEXT NOT NULL,
    target     TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    source     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_actor ON audit_log(actor, id);
CREATE INDEX audit_log_action ON audit_log(action, id);

-- +goose Down
DROP TABLE audit_log;
