-- Testing services (检测服务), the orders placed for them (委托单) and the needs board (需求对接).
-- Equivalent to migrations/postgres/0016_services.sql.

-- A service an institution publishes: a test done to one or more standards. The standards must be
-- in a valid accreditation of one of the institution's resources when published; search leaves
-- out a service once one of them no longer is (the application checks that on the day).
CREATE TABLE test_services (
    id                 INTEGER PRIMARY KEY,
    institution_id     INTEGER NOT NULL REFERENCES organisations(id),
    name_zh            TEXT NOT NULL CHECK (length(name_zh) BETWEEN 1 AND 120),
    name_en            TEXT NOT NULL DEFAULT '',
    products           TEXT NOT NULL DEFAULT '',
    sample_quantity    TEXT NOT NULL DEFAULT '',
    sample_form        TEXT NOT NULL DEFAULT '',
    packaging          TEXT NOT NULL DEFAULT '',
    turnaround_days    INTEGER NOT NULL CHECK (turnaround_days BETWEEN 1 AND 365),
    capacity_per_week  INTEGER NOT NULL CHECK (capacity_per_week BETWEEN 1 AND 100000),
    listed             INTEGER NOT NULL DEFAULT 1 CHECK (listed IN (0, 1)),
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX test_services_institution ON test_services (institution_id);

CREATE TABLE service_standards (
    service_id  INTEGER NOT NULL REFERENCES test_services(id) ON DELETE CASCADE,
    code        TEXT NOT NULL,
    PRIMARY KEY (service_id, code)
);

CREATE TABLE service_prices (
    service_id         INTEGER NOT NULL REFERENCES test_services(id) ON DELETE CASCADE,
    customer_category  TEXT NOT NULL CHECK (customer_category IN ('own', 'zone', 'external', 'sme')),
    per_sample_fen     INTEGER NOT NULL CHECK (per_sample_fen >= 0),
    PRIMARY KEY (service_id, customer_category)
);

CREATE TABLE service_resources (
    service_id   INTEGER NOT NULL REFERENCES test_services(id) ON DELETE CASCADE,
    resource_id  INTEGER NOT NULL REFERENCES resources(id),
    PRIMARY KEY (service_id, resource_id)
);

-- An order: the state column moves only along the transitions of domain::services (each
-- update is guarded on the state it leaves, with a row in order_events).
CREATE TABLE orders (
    id                  INTEGER PRIMARY KEY,
    service_id          INTEGER NOT NULL REFERENCES test_services(id),
    institution_id      INTEGER NOT NULL REFERENCES organisations(id),
    customer_id         INTEGER NOT NULL REFERENCES organisations(id),
    requester_id        INTEGER NOT NULL REFERENCES users(id),
    need_id             INTEGER,
    status              TEXT NOT NULL CHECK (status IN ('submitted', 'quoted', 'accepted', 'rejected',
                            'declined', 'samples_received', 'testing', 'report_issued', 'closed', 'cancelled')),
    samples             INTEGER NOT NULL CHECK (samples BETWEEN 1 AND 10000),
    sample_description  TEXT NOT NULL,
    delivery            TEXT NOT NULL CHECK (delivery IN ('bring', 'post', 'pickup')),
    tracking_number     TEXT NOT NULL DEFAULT '',
    requested_by        TEXT,
    invoice_title       TEXT NOT NULL,
    credit_code         TEXT NOT NULL,
    customer_category   TEXT NOT NULL CHECK (customer_category IN ('own', 'zone', 'external', 'sme')),
    price_fen           INTEGER NOT NULL CHECK (price_fen >= 0),
    quoted_fen          INTEGER CHECK (quoted_fen >= 0),
    promised_days       INTEGER NOT NULL,
    status_note         TEXT NOT NULL DEFAULT '',
    accepted_at         INTEGER,
    received_at         INTEGER,
    reported_at         INTEGER,
    rating              INTEGER CHECK (rating BETWEEN 1 AND 5),
    rating_comment      TEXT NOT NULL DEFAULT '',
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX orders_customer ON orders (customer_id, created_at);
CREATE INDEX orders_institution ON orders (institution_id, created_at);
CREATE INDEX orders_service ON orders (service_id, status);

CREATE TABLE order_events (
    id           INTEGER PRIMARY KEY,
    order_id     INTEGER NOT NULL REFERENCES orders(id),
    actor_id     INTEGER REFERENCES users(id),
    at           INTEGER NOT NULL,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX order_events_order ON order_events (order_id, id);

-- The test report, kept in the database so that a backup holds it and every server reads it.
CREATE TABLE order_reports (
    order_id     INTEGER PRIMARY KEY REFERENCES orders(id),
    file_name    TEXT NOT NULL,
    content      BLOB NOT NULL,
    size         INTEGER NOT NULL,
    uploaded_by  INTEGER NOT NULL REFERENCES users(id),
    uploaded_at  INTEGER NOT NULL
);

-- The needs board: what an enterprise needs tested; institutions answer with offers.
CREATE TABLE needs (
    id            INTEGER PRIMARY KEY,
    customer_id   INTEGER NOT NULL REFERENCES organisations(id),
    requester_id  INTEGER NOT NULL REFERENCES users(id),
    zone_id       INTEGER REFERENCES zones(id),
    title         TEXT NOT NULL,
    product       TEXT NOT NULL DEFAULT '',
    standard      TEXT NOT NULL DEFAULT '',
    quantity      TEXT NOT NULL DEFAULT '',
    deadline      TEXT NOT NULL,
    budget_fen    INTEGER CHECK (budget_fen >= 0),
    visibility    TEXT NOT NULL CHECK (visibility IN ('zone', 'all')),
    status        TEXT NOT NULL CHECK (status IN ('open', 'matched', 'closed', 'withdrawn')),
    order_id      INTEGER REFERENCES orders(id),
    created_at    INTEGER NOT NULL,
    closed_at     INTEGER
);
CREATE INDEX needs_open ON needs (status, deadline);

CREATE TABLE need_offers (
    id               INTEGER PRIMARY KEY,
    need_id          INTEGER NOT NULL REFERENCES needs(id),
    institution_id   INTEGER NOT NULL REFERENCES organisations(id),
    service_id       INTEGER REFERENCES test_services(id),
    price_fen        INTEGER NOT NULL CHECK (price_fen >= 0),
    turnaround_days  INTEGER NOT NULL CHECK (turnaround_days BETWEEN 1 AND 365),
    note             TEXT NOT NULL DEFAULT '',
    offered_by       INTEGER NOT NULL REFERENCES users(id),
    created_at       INTEGER NOT NULL,
    UNIQUE (need_id, institution_id)
);

-- Which institution has been told of which need (in a daily digest), and the digests sent: one
-- per institution per local day.
CREATE TABLE need_notices (
    need_id         INTEGER NOT NULL REFERENCES needs(id),
    institution_id  INTEGER NOT NULL REFERENCES organisations(id),
    day             TEXT NOT NULL,
    PRIMARY KEY (need_id, institution_id)
);
CREATE TABLE need_digests (
    institution_id  INTEGER NOT NULL REFERENCES organisations(id),
    day             TEXT NOT NULL,
    PRIMARY KEY (institution_id, day)
);
