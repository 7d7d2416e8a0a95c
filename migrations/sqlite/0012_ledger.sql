-- Equipment ledgers uploaded for import: the sheet as read (headings and rows, JSON), kept for
-- its preview and import and purged after a day. Equivalent to migrations/postgres/0012_ledger.sql.
CREATE TABLE ledger_uploads (
    id              INTEGER PRIMARY KEY,
    institution_id  INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    file_name       TEXT NOT NULL,
    sheet           TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX ledger_uploads_age ON ledger_uploads (created_at);
