-- +goose Up
-- Questions are handled in the console: open → answered → closed (and
-- back), an assignee, and internal notes that never leave opsdesk.
-- Columns with defaults only: a replica of the previous release keeps
-- writing questions while a new one runs this.
ALTER TABLE questions ADD COLUMN state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'answered', 'closed'));
ALTER TABLE questions ADD COLUMN assignee TEXT NOT NULL DEFAULT '';
ALTER TABLE questions ADD COLUMN state_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE questions ADD COLUMN state_by TEXT NOT NULL DEFAULT '';
CREATE INDEX questions_state ON questions(state, id);

CREATE TABLE question_notes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    question_id BIGINT NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    author      TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX question_notes_question ON question_notes(question_id, id);

-- +goose Down
DROP TABLE question_notes;
DROP INDEX questions_state;
ALTER TABLE questions DROP COLUMN state_by;
ALTER TABLE questions DROP COLUMN state_at;
ALTER TABLE questions DROP COLUMN assignee;
ALTER TABLE questions DROP COLUMN state;
