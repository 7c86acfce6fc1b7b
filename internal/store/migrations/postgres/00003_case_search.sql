-- +goose Up
-- Full-text indexes of case subjects and messages. The text is tokenized
-- in Go (internal/search: CJK bigrams, NFKC, lowercase) into "indexed";
-- the 'simple' configuration keeps those tokens as they are.
ALTER TABLE cases ADD COLUMN indexed TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', indexed)) STORED;
CREATE INDEX cases_tsv ON cases USING gin (tsv);
ALTER TABLE case_communications ADD COLUMN indexed TEXT NOT NULL DEFAULT '';
ALTER TABLE case_communications ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', indexed)) STORED;
CREATE INDEX case_communications_tsv ON case_communications USING gin (tsv);

-- +goose Down
DROP INDEX case_communications_tsv;
ALTER TABLE case_communications DROP COLUMN tsv;
ALTER TABLE case_communications DROP COLUMN indexed;
DROP INDEX cases_tsv;
ALTER TABLE cases DROP COLUMN tsv;
ALTER TABLE cases DROP COLUMN indexed;
