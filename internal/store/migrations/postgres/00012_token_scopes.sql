-- +goose Up
-- API token scopes (internal/auth/scopes.go): a space-separated list such
-- as 'ingest:alerts read:cases'. Tokens made before scopes existed could
-- use every API route; they get every scope but admin, which allows
-- exactly what they could do before (and is also what a token inserted by
-- a replica of the previous release during a rolling upgrade gets).
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'act:alerts ingest:alerts ingest:events read:alerts read:cases';

-- A password opsdesk generated (the first admin's, users add/passwd
-- --generate) is one-time: it must be changed at the first login and is
-- refused after this time (Unix ms). NULL for a password the user chose.
ALTER TABLE users ADD COLUMN password_expires_at BIGINT;

-- +goose Down
ALTER TABLE users DROP COLUMN password_expires_at;
ALTER TABLE api_tokens DROP COLUMN scopes;
