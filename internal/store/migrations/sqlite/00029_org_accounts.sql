-- +goose Up
-- AWS Organizations discovered for the case archive (docs/cases.md,
-- Organizations). org_accounts holds every member account ListAccounts
-- returned: last_seen_at is the last discovery that listed it ACTIVE and
-- wanted; active = 0 once a discovery no longer does (removed, suspended,
-- excluded), and the case sync stops; its archive stays. Times are Unix ms.
CREATE TABLE org_accounts (
    org           TEXT NOT NULL,
    account_id    TEXT NOT NULL,
    name          TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT '',
    active        INTEGER NOT NULL DEFAULT 1,
    discovered_at BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    PRIMARY KEY (org, account_id)
);

-- The last discovery of each organization.
CREATE TABLE org_discoveries (
    org        TEXT PRIMARY KEY,
    run_at     BIGINT NOT NULL,
    accounts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT ''
);

-- The last case sync of every account (configured or discovered), by the
-- archive's account name: when, whether it failed and why.
CREATE TABLE account_sync_results (
    account    TEXT PRIMARY KEY,
    run_at     BIGINT NOT NULL,
    ok         INTEGER NOT NULL,
    error      TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL DEFAULT '',
    cases_seen INTEGER NOT NULL DEFAULT 0,
    cases_new  INTEGER NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE account_sync_results;
DROP TABLE org_discoveries;
DROP TABLE org_accounts;
