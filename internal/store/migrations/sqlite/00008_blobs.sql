-- +goose Up
-- Files (case attachments) in the database: the "db" blob store
-- (internal/blob/db.go). Content is cut into chunks of 1 MiB written
-- under an upload id as it streams in; the blobs row, keyed by the
-- content's SHA-256, is inserted only once every chunk is there, in the
-- transaction that ends the upload. AUTOINCREMENT: an upload id must
-- never be handed out twice, or a new upload's chunks would mix with a
-- stored blob's.
CREATE TABLE blob_uploads (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at INTEGER NOT NULL
);
CREATE INDEX blob_uploads_started ON blob_uploads(started_at);

CREATE TABLE blob_chunks (
    blob_id INTEGER NOT NULL,
    seq     INTEGER NOT NULL,
    data    BLOB NOT NULL,
    PRIMARY KEY (blob_id, seq)
);

CREATE TABLE blobs (
    key        TEXT PRIMARY KEY,
    id         INTEGER NOT NULL UNIQUE,
    size       INTEGER NOT NULL,
    chunk_size INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE blobs;
DROP TABLE blob_chunks;
DROP TABLE blob_uploads;
