-- +goose Up
-- One full-text document per case (its subject and every message, parts
-- separated so that no phrase spans two of them) replaces the per-subject
-- and per-message indexes: a search for a common word finds cases
-- directly instead of mapping every matching message to its case.
CREATE VIRTUAL TABLE case_fts USING fts5(indexed, tokenize = 'ascii', content = '', contentless_delete = 1);
DROP TABLE case_comm_fts;
DROP TABLE case_subject_fts;
-- Archives that already hold cases are indexed anew by a job at start.
CREATE TABLE search_rebuild (what TEXT PRIMARY KEY, last_id BIGINT NOT NULL DEFAULT 0);
INSERT INTO search_rebuild (what) SELECT 'cases' WHERE EXISTS (SELECT 1 FROM cases);

-- A language the Support API does not offer for an account (es, pt, fr,
-- tr are not everywhere) is a fact about the account, not a sync problem.
ALTER TABLE case_sync_state ADD COLUMN unsupported INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE case_sync_state DROP COLUMN unsupported;
DROP TABLE search_rebuild;
DROP TABLE case_fts;
CREATE VIRTUAL TABLE case_subject_fts USING fts5(indexed, tokenize = 'ascii', content = '', contentless_delete = 1);
CREATE VIRTUAL TABLE case_comm_fts USING fts5(indexed, tokenize = 'ascii', content = '', contentless_delete = 1);
