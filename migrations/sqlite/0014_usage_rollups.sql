-- Report rollups: per resource and local calendar month, the sums the reports need, kept by
-- triggers in the same transaction as every booking change, so a report of whole months reads
-- these rows instead of the period's bookings (partial months at a custom period's edges are
-- still read from the bookings). The definitions are those of `domain::report`; the application
-- rebuilds these tables from the bookings (`Db::prepare_reports`) whenever `report_months` is
-- (re)filled for the zone's time zone, and the independent-computation test compares every
-- figure. Equivalent to migrations/postgres/0014_usage_rollups.sql.

-- The zone's local months as UTC instants [starts_at, ends_at), with the start of their year and
-- the UTC offset at their start (for the weekday × hour grid); filled by the application for
-- 2000–2100.
CREATE TABLE report_months (
    starts_at   INTEGER PRIMARY KEY,
    ends_at     INTEGER NOT NULL,
    year_start  INTEGER NOT NULL,
    utc_offset  INTEGER NOT NULL
);

-- Which calendar `report_months` holds (a fingerprint of its rows), one row.
CREATE TABLE report_calendar (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint  TEXT NOT NULL
);

-- Times (seconds) clipped to the month; counts and income of the bookings starting in it.
CREATE TABLE usage_months (
    month_start  INTEGER NOT NULL,
    resource_id  INTEGER NOT NULL,
    used_s       INTEGER NOT NULL,
    no_show_s    INTEGER NOT NULL,
    external_s   INTEGER NOT NULL,
    sme_s        INTEGER NOT NULL,
    bookings_n   INTEGER NOT NULL,
    cancelled_n  INTEGER NOT NULL,
    no_shows_n   INTEGER NOT NULL,
    income_fen   INTEGER NOT NULL,
    PRIMARY KEY (month_start, resource_id)
) WITHOUT ROWID;

-- External organisations using a resource in a month: how many used bookings each has there.
CREATE TABLE usage_orgs (
    month_start      INTEGER NOT NULL,
    resource_id      INTEGER NOT NULL,
    organisation_id  INTEGER NOT NULL,
    n                INTEGER NOT NULL,
    PRIMARY KEY (month_start, resource_id, organisation_id)
) WITHOUT ROWID;

-- The same per calendar year, for year reports (ten thousand rows instead of twelve times as many,
-- and each organisation once): kept from the monthly rows by the triggers below.
CREATE TABLE usage_years (
    year_start   INTEGER NOT NULL,
    resource_id  INTEGER NOT NULL,
    used_s       INTEGER NOT NULL,
    no_show_s    INTEGER NOT NULL,
    external_s   INTEGER NOT NULL,
    sme_s        INTEGER NOT NULL,
    bookings_n   INTEGER NOT NULL,
    cancelled_n  INTEGER NOT NULL,
    no_shows_n   INTEGER NOT NULL,
    income_fen   INTEGER NOT NULL,
    PRIMARY KEY (year_start, resource_id)
) WITHOUT ROWID;

CREATE TABLE usage_orgs_years (
    year_start       INTEGER NOT NULL,
    resource_id      INTEGER NOT NULL,
    organisation_id  INTEGER NOT NULL,
    n                INTEGER NOT NULL,
    PRIMARY KEY (year_start, resource_id, organisation_id)
) WITHOUT ROWID;

-- Used bookings by the local minute of the week they start at (clipped to the month) and their
-- length within the month, per institution: the weekday × hour grid's input.
CREATE TABLE usage_heat (
    month_start     INTEGER NOT NULL,
    institution_id  INTEGER NOT NULL,
    minute          INTEGER NOT NULL,
    length_s        INTEGER NOT NULL,
    n               INTEGER NOT NULL,
    PRIMARY KEY (month_start, institution_id, minute, length_s)
) WITHOUT ROWID;

-- The same per calendar year (a third of the rows), kept from the monthly rows.
CREATE TABLE usage_heat_years (
    year_start      INTEGER NOT NULL,
    institution_id  INTEGER NOT NULL,
    minute          INTEGER NOT NULL,
    length_s        INTEGER NOT NULL,
    n               INTEGER NOT NULL,
    PRIMARY KEY (year_start, institution_id, minute, length_s)
) WITHOUT ROWID;

-- One booking's share to add (k = 1) or take away (k = -1): the booking triggers below write a row
-- here and the trigger on it applies the share to each month the booking overlaps, so the
-- arithmetic is written once. The row is removed at once; the table stays empty.
CREATE TABLE usage_changes (
    k                  INTEGER NOT NULL,
    resource_id        INTEGER NOT NULL,
    organisation_id    INTEGER NOT NULL,
    starts_at          INTEGER NOT NULL,
    ends_at            INTEGER NOT NULL,
    status             TEXT NOT NULL,
    customer_category  TEXT NOT NULL,
    price_fen          INTEGER NOT NULL
);

-- A month starts at most 31 days before any instant in it; the lower bound keeps the month lookup
-- a short range scan.
CREATE TRIGGER usage_apply AFTER INSERT ON usage_changes
BEGIN
    INSERT INTO usage_months (month_start, resource_id, used_s, no_show_s, external_s, sme_s, bookings_n, cancelled_n, no_shows_n, income_fen)
    SELECT m.starts_at, NEW.resource_id,
        NEW.k * CASE WHEN NEW.status IN ('confirmed', 'completed') THEN MIN(NEW.ends_at, m.ends_at) - MAX(NEW.starts_at, m.starts_at) ELSE 0 END,
        NEW.k * CASE WHEN NEW.status = 'no_show' THEN MIN(NEW.ends_at, m.ends_at) - MAX(NEW.starts_at, m.starts_at) ELSE 0 END,
        NEW.k * CASE WHEN NEW.status IN ('confirmed', 'completed') AND NEW.customer_category <> 'own' THEN MIN(NEW.ends_at, m.ends_at) - MAX(NEW.starts_at, m.starts_at) ELSE 0 END,
        NEW.k * CASE WHEN NEW.status IN ('confirmed', 'completed') AND NEW.customer_category = 'sme' THEN MIN(NEW.ends_at, m.ends_at) - MAX(NEW.starts_at, m.starts_at) ELSE 0 END,
        NEW.k * CASE WHEN NEW.starts_at >= m.starts_at AND NEW.status IN ('confirmed', 'completed', 'no_show') THEN 1 ELSE 0 END,
        NEW.k * CASE WHEN NEW.starts_at >= m.starts_at AND NEW.status = 'cancelled' THEN 1 ELSE 0 END,
        NEW.k * CASE WHEN NEW.starts_at >= m.starts_at AND NEW.status = 'no_show' THEN 1 ELSE 0 END,
        NEW.k * CASE WHEN NEW.starts_at >= m.starts_at AND NEW.status IN ('confirmed', 'completed') THEN NEW.price_fen ELSE 0 END
    FROM report_months m
    WHERE m.starts_at > NEW.starts_at - 2764800 AND m.starts_at < NEW.ends_at AND m.ends_at > NEW.starts_at
    ON CONFLICT (month_start, resource_id) DO UPDATE SET
        used_s = used_s + excluded.used_s, no_show_s = no_show_s + excluded.no_show_s,
        external_s = external_s + excluded.external_s, sme_s = sme_s + excluded.sme_s,
        bookings_n = bookings_n + excluded.bookings_n, cancelled_n = cancelled_n + excluded.cancelled_n,
        no_shows_n = no_shows_n + excluded.no_shows_n, income_fen = income_fen + excluded.income_fen;
    INSERT INTO usage_orgs (month_start, resource_id, organisation_id, n)
    SELECT m.starts_at, NEW.resource_id, NEW.organisation_id, NEW.k
    FROM report_months m
    WHERE NEW.status IN ('confirmed', 'completed') AND NEW.customer_category <> 'own'
      AND m.starts_at > NEW.starts_at - 2764800 AND m.starts_at < NEW.ends_at AND m.ends_at > NEW.starts_at
    ON CONFLICT (month_start, resource_id, organisation_id) DO UPDATE SET n = n + excluded.n;
    INSERT INTO usage_heat (month_start, institution_id, minute, length_s, n)
    SELECT m.starts_at, r.institution_id,
        ((MAX(NEW.starts_at, m.starts_at) + m.utc_offset + 259200) % 604800) / 60,
        MIN(NEW.ends_at, m.ends_at) - MAX(NEW.starts_at, m.starts_at), NEW.k
    FROM report_months m JOIN resources r ON r.id = NEW.resource_id
    WHERE NEW.status IN ('confirmed', 'completed')
      AND m.starts_at > NEW.starts_at - 2764800 AND m.starts_at < NEW.ends_at AND m.ends_at > NEW.starts_at
    ON CONFLICT (month_start, institution_id, minute, length_s) DO UPDATE SET n = n + excluded.n;
    DELETE FROM usage_changes WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER usage_insert AFTER INSERT ON bookings
WHEN NEW.status IN ('confirmed', 'completed', 'no_show', 'cancelled')
BEGIN
    INSERT INTO usage_changes VALUES (1, NEW.resource_id, NEW.organisation_id, NEW.starts_at, NEW.ends_at, NEW.status, NEW.customer_category, NEW.price_fen);
END;

CREATE TRIGGER usage_delete AFTER DELETE ON bookings
WHEN OLD.status IN ('confirmed', 'completed', 'no_show', 'cancelled')
BEGIN
    INSERT INTO usage_changes VALUES (-1, OLD.resource_id, OLD.organisation_id, OLD.starts_at, OLD.ends_at, OLD.status, OLD.customer_category, OLD.price_fen);
END;

CREATE TRIGGER usage_update AFTER UPDATE OF resource_id, organisation_id, starts_at, ends_at, status, customer_category, price_fen ON bookings
BEGIN
    INSERT INTO usage_changes
    SELECT -1, OLD.resource_id, OLD.organisation_id, OLD.starts_at, OLD.ends_at, OLD.status, OLD.customer_category, OLD.price_fen
    WHERE OLD.status IN ('confirmed', 'completed', 'no_show', 'cancelled');
    INSERT INTO usage_changes
    SELECT 1, NEW.resource_id, NEW.organisation_id, NEW.starts_at, NEW.ends_at, NEW.status, NEW.customer_category, NEW.price_fen
    WHERE NEW.status IN ('confirmed', 'completed', 'no_show', 'cancelled');
END;

-- Each change of a monthly row carried into its year.
CREATE TRIGGER usage_years_insert AFTER INSERT ON usage_months
BEGIN
    INSERT INTO usage_years (year_start, resource_id, used_s, no_show_s, external_s, sme_s, bookings_n, cancelled_n, no_shows_n, income_fen)
    SELECT m.year_start, NEW.resource_id, NEW.used_s, NEW.no_show_s, NEW.external_s, NEW.sme_s, NEW.bookings_n, NEW.cancelled_n, NEW.no_shows_n, NEW.income_fen
    FROM report_months m WHERE m.starts_at = NEW.month_start
    ON CONFLICT (year_start, resource_id) DO UPDATE SET
        used_s = used_s + excluded.used_s, no_show_s = no_show_s + excluded.no_show_s,
        external_s = external_s + excluded.external_s, sme_s = sme_s + excluded.sme_s,
        bookings_n = bookings_n + excluded.bookings_n, cancelled_n = cancelled_n + excluded.cancelled_n,
        no_shows_n = no_shows_n + excluded.no_shows_n, income_fen = income_fen + excluded.income_fen;
END;

CREATE TRIGGER usage_years_update AFTER UPDATE ON usage_months
BEGIN
    UPDATE usage_years SET
        used_s = used_s + NEW.used_s - OLD.used_s, no_show_s = no_show_s + NEW.no_show_s - OLD.no_show_s,
        external_s = external_s + NEW.external_s - OLD.external_s, sme_s = sme_s + NEW.sme_s - OLD.sme_s,
        bookings_n = bookings_n + NEW.bookings_n - OLD.bookings_n, cancelled_n = cancelled_n + NEW.cancelled_n - OLD.cancelled_n,
        no_shows_n = no_shows_n + NEW.no_shows_n - OLD.no_shows_n, income_fen = income_fen + NEW.income_fen - OLD.income_fen
    WHERE resource_id = NEW.resource_id
      AND year_start = (SELECT m.year_start FROM report_months m WHERE m.starts_at = NEW.month_start);
END;

CREATE TRIGGER usage_orgs_years_insert AFTER INSERT ON usage_orgs
BEGIN
    INSERT INTO usage_orgs_years (year_start, resource_id, organisation_id, n)
    SELECT m.year_start, NEW.resource_id, NEW.organisation_id, NEW.n
    FROM report_months m WHERE m.starts_at = NEW.month_start
    ON CONFLICT (year_start, resource_id, organisation_id) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER usage_orgs_years_update AFTER UPDATE ON usage_orgs
BEGIN
    UPDATE usage_orgs_years SET n = n + NEW.n - OLD.n
    WHERE resource_id = NEW.resource_id AND organisation_id = NEW.organisation_id
      AND year_start = (SELECT m.year_start FROM report_months m WHERE m.starts_at = NEW.month_start);
END;

CREATE TRIGGER usage_heat_years_insert AFTER INSERT ON usage_heat
BEGIN
    INSERT INTO usage_heat_years (year_start, institution_id, minute, length_s, n)
    SELECT m.year_start, NEW.institution_id, NEW.minute, NEW.length_s, NEW.n
    FROM report_months m WHERE m.starts_at = NEW.month_start
    ON CONFLICT (year_start, institution_id, minute, length_s) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER usage_heat_years_update AFTER UPDATE ON usage_heat
BEGIN
    UPDATE usage_heat_years SET n = n + NEW.n - OLD.n
    WHERE institution_id = NEW.institution_id AND minute = NEW.minute AND length_s = NEW.length_s
      AND year_start = (SELECT m.year_start FROM report_months m WHERE m.starts_at = NEW.month_start);
END;
