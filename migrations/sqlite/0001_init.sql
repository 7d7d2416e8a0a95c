-- Schema for the embedded SQLite backend. Instants are integer Unix seconds (UTC); intervals are
-- half-open [start, end). Money is integer fen (0.01 CNY). Calendar dates are ISO 'YYYY-MM-DD' text.
-- The PostgreSQL twin lives in migrations/postgres and must stay equivalent.

CREATE TABLE zones (
    id          INTEGER PRIMARY KEY,
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    province    TEXT NOT NULL,
    time_zone   TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    created_at  INTEGER NOT NULL
);

-- An institution is an organisation of kind 'institution' inside a zone; labs and enterprises may
-- sit inside the zone (zone members) or outside it.
CREATE TABLE organisations (
    id           INTEGER PRIMARY KEY,
    zone_id      INTEGER REFERENCES zones(id),
    kind         TEXT NOT NULL CHECK (kind IN ('institution', 'lab', 'enterprise')),
    name_zh      TEXT NOT NULL,
    name_en      TEXT NOT NULL,
    city_zh      TEXT NOT NULL DEFAULT '',
    city_en      TEXT NOT NULL DEFAULT '',
    credit_code  TEXT,
    is_sme       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   INTEGER NOT NULL,
    CHECK (kind <> 'institution' OR zone_id IS NOT NULL)
);
CREATE INDEX organisations_zone ON organisations(zone_id, kind);

CREATE TABLE users (
    id                 INTEGER PRIMARY KEY,
    organisation_id    INTEGER NOT NULL REFERENCES organisations(id),
    email              TEXT NOT NULL UNIQUE,
    display_name       TEXT NOT NULL,
    phone              TEXT,
    locale             TEXT NOT NULL DEFAULT 'zh-CN' CHECK (locale IN ('zh-CN', 'en')),
    password_hash      TEXT,
    email_verified_at  INTEGER,
    created_at         INTEGER NOT NULL
);

-- scope_id: the institution for institution_admin, the zone for zone_manager, 0 for site_admin.
CREATE TABLE user_roles (
    user_id   INTEGER NOT NULL REFERENCES users(id),
    role      TEXT NOT NULL CHECK (role IN ('institution_admin', 'zone_manager', 'site_admin')),
    scope_id  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, role, scope_id)
);

CREATE TABLE categories (
    id       INTEGER PRIMARY KEY,
    code     TEXT NOT NULL UNIQUE,
    name_zh  TEXT NOT NULL,
    name_en  TEXT NOT NULL
);

CREATE TABLE resources (
    id                  INTEGER PRIMARY KEY,
    institution_id      INTEGER NOT NULL REFERENCES organisations(id),
    category_id         INTEGER NOT NULL REFERENCES categories(id),
    kind                TEXT NOT NULL CHECK (kind IN ('instrument', 'facility')),
    name_zh             TEXT NOT NULL,
    name_en             TEXT NOT NULL,
    model               TEXT NOT NULL DEFAULT '',
    manufacturer        TEXT NOT NULL DEFAULT '',
    serial_number       TEXT NOT NULL DEFAULT '',
    purchase_year       INTEGER,
    original_value_fen  INTEGER NOT NULL DEFAULT 0 CHECK (original_value_fen >= 0),
    building            TEXT NOT NULL DEFAULT '',
    room                TEXT NOT NULL DEFAULT '',
    description_zh      TEXT NOT NULL DEFAULT '',
    description_en      TEXT NOT NULL DEFAULT '',
    -- JSON array of {"label_zh","label_en","value"}
    specifications      TEXT NOT NULL DEFAULT '[]',
    status              TEXT NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'maintenance', 'retired')),
    status_reason       TEXT NOT NULL DEFAULT '',
    contact_name        TEXT NOT NULL DEFAULT '',
    contact_phone       TEXT NOT NULL DEFAULT '',
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX resources_institution ON resources(institution_id);
CREATE INDEX resources_category ON resources(category_id);

-- One row per resource. Minutes throughout; notice in minutes, maximum notice in days.
CREATE TABLE booking_rules (
    resource_id            INTEGER PRIMARY KEY REFERENCES resources(id),
    slot_minutes           INTEGER NOT NULL DEFAULT 30 CHECK (slot_minutes > 0),
    min_duration_minutes   INTEGER NOT NULL DEFAULT 30 CHECK (min_duration_minutes > 0),
    max_duration_minutes   INTEGER NOT NULL DEFAULT 480 CHECK (max_duration_minutes >= min_duration_minutes),
    min_notice_minutes     INTEGER NOT NULL DEFAULT 0 CHECK (min_notice_minutes >= 0),
    max_notice_days        INTEGER NOT NULL DEFAULT 90 CHECK (max_notice_days > 0),
    buffer_before_minutes  INTEGER NOT NULL DEFAULT 0 CHECK (buffer_before_minutes >= 0),
    buffer_after_minutes   INTEGER NOT NULL DEFAULT 0 CHECK (buffer_after_minutes >= 0),
    approval_required      BOOLEAN NOT NULL DEFAULT FALSE,
    audience               TEXT NOT NULL DEFAULT 'everyone' CHECK (audience IN ('everyone', 'zone', 'institution')),
    cancel_cutoff_minutes  INTEGER NOT NULL DEFAULT 1440 CHECK (cancel_cutoff_minutes >= 0)
);

-- Weekly opening hours in the zone's local time; weekday 1 = Monday … 7 = Sunday.
CREATE TABLE opening_hours (
    resource_id   INTEGER NOT NULL REFERENCES resources(id),
    weekday       INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    opens_minute  INTEGER NOT NULL CHECK (opens_minute BETWEEN 0 AND 1439),
    closes_minute INTEGER NOT NULL CHECK (closes_minute BETWEEN 1 AND 1440),
    CHECK (opens_minute < closes_minute),
    PRIMARY KEY (resource_id, weekday, opens_minute)
);

-- Dates when a resource (or, with resource_id NULL, every resource of a zone) is closed.
CREATE TABLE closure_days (
    id           INTEGER PRIMARY KEY,
    zone_id      INTEGER NOT NULL REFERENCES zones(id),
    resource_id  INTEGER REFERENCES resources(id),
    day          TEXT NOT NULL,
    note_zh      TEXT NOT NULL DEFAULT '',
    note_en      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX closure_days_day ON closure_days(zone_id, day);

CREATE TABLE accreditations (
    id                  INTEGER PRIMARY KEY,
    resource_id         INTEGER NOT NULL REFERENCES resources(id),
    body                TEXT NOT NULL CHECK (body IN ('CMA', 'CNAS', 'other')),
    certificate_number  TEXT NOT NULL,
    valid_from          TEXT NOT NULL,
    valid_until         TEXT NOT NULL,
    CHECK (valid_from <= valid_until)
);
CREATE INDEX accreditations_resource ON accreditations(resource_id);

CREATE TABLE accreditation_standards (
    accreditation_id  INTEGER NOT NULL REFERENCES accreditations(id),
    code              TEXT NOT NULL,
    title_zh          TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (accreditation_id, code)
);

CREATE TABLE rates (
    resource_id        INTEGER NOT NULL REFERENCES resources(id),
    customer_category  TEXT NOT NULL CHECK (customer_category IN ('own', 'zone', 'external', 'sme')),
    per_hour_fen       INTEGER NOT NULL CHECK (per_hour_fen >= 0),
    minimum_fen        INTEGER NOT NULL DEFAULT 0 CHECK (minimum_fen >= 0),
    PRIMARY KEY (resource_id, customer_category)
);

-- blocked_from/blocked_until: the interval the row keeps others out of (for bookings, widened by
-- the resource's buffers at the time of writing). The triggers below compare these.
CREATE TABLE blackouts (
    id             INTEGER PRIMARY KEY,
    resource_id    INTEGER NOT NULL REFERENCES resources(id),
    starts_at      INTEGER NOT NULL,
    ends_at        INTEGER NOT NULL,
    reason_kind    TEXT NOT NULL CHECK (reason_kind IN ('maintenance', 'calibration', 'internal')),
    note           TEXT NOT NULL DEFAULT '',
    created_by     INTEGER REFERENCES users(id),
    created_at     INTEGER NOT NULL,
    CHECK (starts_at < ends_at)
);
CREATE INDEX blackouts_resource_time ON blackouts(resource_id, starts_at, ends_at);

CREATE TABLE bookings (
    id                  INTEGER PRIMARY KEY,
    resource_id         INTEGER NOT NULL REFERENCES resources(id),
    user_id             INTEGER NOT NULL REFERENCES users(id),
    organisation_id     INTEGER NOT NULL REFERENCES organisations(id),
    starts_at           INTEGER NOT NULL,
    ends_at             INTEGER NOT NULL,
    blocked_from        INTEGER NOT NULL,
    blocked_until       INTEGER NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'rejected', 'expired', 'cancelled', 'completed', 'no_show')),
    customer_category   TEXT NOT NULL CHECK (customer_category IN ('own', 'zone', 'external', 'sme')),
    price_fen           INTEGER NOT NULL CHECK (price_fen >= 0),
    purpose             TEXT NOT NULL DEFAULT '',
    sample_description  TEXT NOT NULL DEFAULT '',
    sample_count        INTEGER NOT NULL DEFAULT 0 CHECK (sample_count >= 0),
    contact_phone       TEXT NOT NULL DEFAULT '',
    status_reason       TEXT NOT NULL DEFAULT '',
    -- Incremented on every change that a calendar invite must reflect (RFC 5545 SEQUENCE).
    sequence            INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    decided_by          INTEGER REFERENCES users(id),
    decided_at          INTEGER,
    CHECK (starts_at < ends_at),
    CHECK (blocked_from <= starts_at AND ends_at <= blocked_until)
);
CREATE INDEX bookings_resource_time ON bookings(resource_id, blocked_from, blocked_until);
CREATE INDEX bookings_user ON bookings(user_id, starts_at);
CREATE INDEX bookings_status_time ON bookings(status, starts_at);

-- Audit trail: every state change of a booking.
CREATE TABLE booking_events (
    id           INTEGER PRIMARY KEY,
    booking_id   INTEGER NOT NULL REFERENCES bookings(id),
    actor_id     INTEGER REFERENCES users(id),
    at           INTEGER NOT NULL,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX booking_events_booking ON booking_events(booking_id, at);

-- Conflict freedom, enforced here and not in application code: an active booking (pending or
-- confirmed) may overlap neither another active booking nor a blackout of the same resource.
-- Both INSERT and UPDATE are guarded, since an update can move times or reactivate a row.
CREATE TRIGGER bookings_no_overlap_insert
BEFORE INSERT ON bookings
WHEN NEW.status IN ('pending', 'confirmed')
BEGIN
    SELECT RAISE(ABORT, 'booking_overlap')
    WHERE EXISTS (
        SELECT 1 FROM bookings b
        WHERE b.resource_id = NEW.resource_id
          AND b.status IN ('pending', 'confirmed')
          AND b.blocked_from < NEW.blocked_until
          AND NEW.blocked_from < b.blocked_until
    ) OR EXISTS (
        SELECT 1 FROM blackouts k
        WHERE k.resource_id = NEW.resource_id
          AND k.starts_at < NEW.blocked_until
          AND NEW.blocked_from < k.ends_at
    );
END;

CREATE TRIGGER bookings_no_overlap_update
BEFORE UPDATE OF status, resource_id, blocked_from, blocked_until ON bookings
WHEN NEW.status IN ('pending', 'confirmed')
BEGIN
    SELECT RAISE(ABORT, 'booking_overlap')
    WHERE EXISTS (
        SELECT 1 FROM bookings b
        WHERE b.resource_id = NEW.resource_id
          AND b.id <> NEW.id
          AND b.status IN ('pending', 'confirmed')
          AND b.blocked_from < NEW.blocked_until
          AND NEW.blocked_from < b.blocked_until
    ) OR EXISTS (
        SELECT 1 FROM blackouts k
        WHERE k.resource_id = NEW.resource_id
          AND k.starts_at < NEW.blocked_until
          AND NEW.blocked_from < k.ends_at
    );
END;

-- A blackout may not be laid over active bookings: the admin cancels them first (same transaction).
CREATE TRIGGER blackouts_no_overlap_insert
BEFORE INSERT ON blackouts
BEGIN
    SELECT RAISE(ABORT, 'blackout_overlaps_booking')
    WHERE EXISTS (
        SELECT 1 FROM bookings b
        WHERE b.resource_id = NEW.resource_id
          AND b.status IN ('pending', 'confirmed')
          AND b.blocked_from < NEW.ends_at
          AND NEW.starts_at < b.blocked_until
    );
END;

CREATE TRIGGER blackouts_no_overlap_update
BEFORE UPDATE OF resource_id, starts_at, ends_at ON blackouts
BEGIN
    SELECT RAISE(ABORT, 'blackout_overlaps_booking')
    WHERE EXISTS (
        SELECT 1 FROM bookings b
        WHERE b.resource_id = NEW.resource_id
          AND b.status IN ('pending', 'confirmed')
          AND b.blocked_from < NEW.ends_at
          AND NEW.starts_at < b.blocked_until
    );
END;
