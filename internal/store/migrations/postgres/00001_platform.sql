-- +goose Up
CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'responder', 'viewer')),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT
);

CREATE TABLE questions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ref          TEXT NOT NULL UNIQUE,
    project      TEXT NOT NULL DEFAULT '',
    name         TEXT NOT NULL DEFAULT '',
    text         TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    source_ip    TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    lang         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX questions_submitted ON questions(submitted_at);
CREATE INDEX questions_project ON questions(project, submitted_at);

CREATE TABLE deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    question_id     BIGINT NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    destination     TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    generation      BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    last_status     BIGINT NOT NULL DEFAULT 0,
    external_ref    TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    next_attempt_at BIGINT,
    delivered_at    BIGINT,
    enqueued        BIGINT NOT NULL DEFAULT 0,
    UNIQUE (question_id, destination)
);
CREATE INDEX deliveries_status ON deliveries(status, updated_at);
CREATE INDEX deliveries_dest ON deliveries(destination, updated_at);
CREATE INDEX deliveries_unenqueued ON deliveries(created_at) WHERE enqueued = 0;

-- +goose Down
DROP TABLE deliveries;
DROP TABLE questions;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
