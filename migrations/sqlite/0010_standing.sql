-- Trust in what a person says when signing up. A new organisation's claim to be in the zone or an
-- SME, and a person's claim to belong to an existing organisation, wait for a zone manager's
-- decision; until then the person books at the external rate and sees no zone-only resources.
-- `users.membership`: 'confirmed' (by invitation, by the demo, or approved), 'pending' or 'refused'.
-- Equivalent to migrations/postgres/0010_standing.sql.
ALTER TABLE users ADD COLUMN membership TEXT NOT NULL DEFAULT 'confirmed'
    CHECK (membership IN ('confirmed', 'pending', 'refused'));

CREATE TABLE standing_claims (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
    -- The zone whose managers decide.
    zone_id         INTEGER NOT NULL REFERENCES zones(id),
    kind            TEXT NOT NULL CHECK (kind IN ('new_organisation', 'join')),
    in_zone         BOOLEAN NOT NULL,
    sme             BOOLEAN NOT NULL,
    created_at      INTEGER NOT NULL,
    decided_at      INTEGER,
    decided_by      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    outcome         TEXT CHECK (outcome IN ('approved', 'refused')),
    -- What an approval granted, which may be less than was claimed.
    granted_in_zone BOOLEAN,
    granted_sme     BOOLEAN,
    CHECK ((decided_at IS NULL) = (outcome IS NULL))
);
CREATE INDEX standing_claims_open ON standing_claims (zone_id, decided_at, created_at);
