-- The public REST API (/api/v1) and calendar feeds.
-- Equivalent to migrations/postgres/0011_api.sql.

-- Personal API tokens: shown once, stored as a SHA-256 hash. `scope`: 'read' (what the person
-- may read), 'book' (and book, move and cancel their bookings) or 'admin' (everything the
-- person's roles allow). A revoked token is refused at once.
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    scope         TEXT NOT NULL CHECK (scope IN ('read', 'book', 'admin')),
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- A POST's answer under its Idempotency-Key, per caller, kept 24 hours: a retry gets the same
-- answer, a different request with the same key is refused. `status` is NULL while the first
-- request is still running.
CREATE TABLE idempotency_keys (
    caller        TEXT NOT NULL,
    key           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    status        INTEGER,
    body          TEXT,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (caller, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);

-- The secret address of a person's calendar feed (their bookings, and those of the institutions
-- they run), stored as a hash; resetting it replaces the row.
CREATE TABLE calendar_feeds (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret_hash  TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL
);
