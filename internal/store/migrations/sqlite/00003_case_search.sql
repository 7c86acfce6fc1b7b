-- +goose Up
-- Full-text indexes of case subjects and messages. The text is tokenized
-- in Go (internal/search: CJK bigrams, NFKC, lowercase); the 'ascii'
-- tokenizer only splits on the spaces between those tokens. Contentless:
-- the text itself lives in cases and case_communications.
CREATE VIRTUAL TABLE case_subject_fts USING fts5(indexed, tokenize = 'ascii', content = '', contentless_delete = 1);
CREATE VIRTUAL TABLE case_comm_fts USING fts5(indexed, tokenize = 'ascii', content = '', contentless_delete = 1);

-- +goose Down
DROP TABLE case_comm_fts;
DROP TABLE case_subject_fts;
