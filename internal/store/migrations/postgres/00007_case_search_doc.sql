-- +goose Up
-- A case-level index without positions (every distinct token of the
-- subject and the messages) finds candidate cases for a search directly;
-- phrases of several tokens are then checked on the per-message and
-- subject indexes, which keep positions.
ALTER TABLE cases ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (strip(to_tsvector('simple', search_text))) STORED;
CREATE INDEX cases_search_tsv ON cases USING gin (search_tsv);
-- Archives that already hold cases are indexed anew by a job at start.
CREATE TABLE search_rebuild (what TEXT PRIMARY KEY, last_id BIGINT NOT NULL DEFAULT 0);
INSERT INTO search_rebuild (what) SELECT 'cases' WHERE EXISTS (SELECT 1 FROM cases);

-- A language the Support API does not offer for an account (es, pt, fr,
-- tr are not everywhere) is a fact about the account, not a sync problem.
ALTER TABLE case_sync_state ADD COLUMN unsupported BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE case_sync_state DROP COLUMN unsupported;
DROP TABLE search_rebuild;
DROP INDEX cases_search_tsv;
ALTER TABLE cases DROP COLUMN search_tsv;
ALTER TABLE cases DROP COLUMN search_text;
