-- +goose Up
-- On-call contact methods (issue 12): how opsdesk reaches a console user
-- (voice through Amazon Connect, SMS, email, a chat mention), each verified
-- with a code before use, and the user's notification rules (which method,
-- after how long, for which severities).
--
-- kind: voice, sms, email or chat. address: E.164 for voice and sms, an
-- email address, or the chat member (Slack member id, DingTalk mobile or
-- user id). destination: the notify destination of a chat method; ''
-- otherwise. language: '' (the user's profile language) or en, ja, zh, ko.
-- verified_at: Unix ms of the confirmation; 0 = not verified.
-- code_hash: "salt:sha256hex" of the pending code; '' = none.
-- code_expires_at: Unix ms the pending code expires (kept after use: the
-- last code was sent 10 minutes before it, which limits codes to one a
-- minute). code_attempts: wrong tries of the pending code.
CREATE TABLE contact_methods (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('voice', 'sms', 'email', 'chat')),
    label           TEXT NOT NULL DEFAULT '',
    address         TEXT NOT NULL,
    destination     TEXT NOT NULL DEFAULT '',
    language        TEXT NOT NULL DEFAULT '',
    verified_at     BIGINT NOT NULL DEFAULT 0,
    code_hash       TEXT NOT NULL DEFAULT '',
    code_expires_at BIGINT NOT NULL DEFAULT 0,
    code_attempts   BIGINT NOT NULL DEFAULT 0,
    last_test_at    BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (user_id, kind, address, destination)
);

-- severities: '' = every severity, or a comma list of critical, warning,
-- info, unspecified.
CREATE TABLE notification_rules (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    method_id  BIGINT NOT NULL REFERENCES contact_methods(id) ON DELETE CASCADE,
    delay_ms   BIGINT NOT NULL CHECK (delay_ms >= 0),
    severities TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (method_id, delay_ms)
);
CREATE INDEX notification_rules_user ON notification_rules(user_id, delay_ms);

-- +goose Down
DROP TABLE notification_rules;
DROP TABLE contact_methods;
