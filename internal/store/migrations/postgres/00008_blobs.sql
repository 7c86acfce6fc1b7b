-- +goose Up
-- Files (case attachments) in the database: the "db" blob store
-- (internal/blob/db.go), so that every replica serves every attachment.
-- Content is cut into chunks of 1 MiB written under an upload id as it
-- streams in; the blobs row, keyed by the content's SHA-256, is inserted
-- only once every chunk is there, in the transaction that ends the
-- upload.
CREATE TABLE blob_uploads (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at BIGINT NOT NULL
);
CREATE INDEX blob_uploads_started ON blob_uploads(started_at);

CREATE TABLE blob_chunks (
    blob_id BIGINT NOT NULL,
    seq     INTEGER NOT NULL,
    data    BYTEA NOT NULL,
    PRIMARY KEY (blob_id, seq)
);

CREATE TABLE blobs (
    key        TEXT PRIMARY KEY,
    id         BIGINT NOT NULL UNIQUE,
    size       BIGINT NOT NULL,
    chunk_size INTEGER NOT NULL,
    created_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE blobs;
DROP TABLE blob_chunks;
DROP TABLE blob_uploads;
