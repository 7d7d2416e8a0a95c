-- Accounts: sessions, single-use tokens, sign-in throttling, invitations, role audit and the mail
-- outbox. The PostgreSQL twin lives in migrations/postgres/0002_accounts.sql.

-- Server-side sessions. The cookie carries a random token; only its SHA-256 is stored, so a copy
-- of the database does not hand out live sessions. Idle expiry moves with last_seen_at; expires_at
-- is the absolute limit.
CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    user_agent    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);

-- Single-use, expiring tokens sent by mail (hash stored, never the token).
CREATE TABLE account_tokens (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose     TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX account_tokens_user ON account_tokens(user_id, purpose);

-- Failed sign-ins per key ('account:<email>' or 'address:<ip>'); cleared on success.
CREATE TABLE sign_in_failures (
    key              TEXT PRIMARY KEY,
    failures         INTEGER NOT NULL,
    last_failure_at  INTEGER NOT NULL
);

-- An institution admin's invitation of a person (by email) to join their institution.
CREATE TABLE invitations (
    id              INTEGER PRIMARY KEY,
    token_hash      TEXT NOT NULL UNIQUE,
    institution_id  INTEGER NOT NULL REFERENCES organisations(id),
    email           TEXT NOT NULL,
    invited_by      INTEGER NOT NULL REFERENCES users(id),
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    accepted_at     INTEGER,
    accepted_by     INTEGER REFERENCES users(id)
);
CREATE INDEX invitations_institution ON invitations(institution_id, created_at);

-- Who granted or revoked which role, when.
CREATE TABLE role_events (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    role        TEXT NOT NULL,
    scope_id    INTEGER NOT NULL,
    granted     BOOLEAN NOT NULL,
    actor_id    INTEGER REFERENCES users(id),
    at          INTEGER NOT NULL
);

-- The transactional outbox: a message row is written in the same transaction as the change that
-- causes it. The sender claims rows (status 'sending' with claimed_until) and records attempts.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    message_id       TEXT NOT NULL UNIQUE,
    to_address       TEXT NOT NULL,
    to_name          TEXT NOT NULL DEFAULT '',
    locale           TEXT NOT NULL CHECK (locale IN ('zh-CN', 'en')),
    template         TEXT NOT NULL,
    -- JSON: what the template needs (names, times, links).
    payload          TEXT NOT NULL DEFAULT '{}',
    subject          TEXT NOT NULL,
    body_text        TEXT NOT NULL,
    body_html        TEXT NOT NULL DEFAULT '',
    ics              TEXT,
    booking_id       INTEGER REFERENCES bookings(id),
    status           TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    claimed_until    INTEGER,
    last_error       TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
CREATE INDEX outbox_created ON outbox(created_at);
