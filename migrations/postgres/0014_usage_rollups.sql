-- Report rollups: per resource and local calendar month, the sums the reports need, kept by
-- triggers in the same transaction as every booking change, so a report of whole months reads
-- these rows instead of the period's bookings (partial months at a custom period's edges are
-- still read from the bookings). The definitions are those of `domain::report`; the application
-- rebuilds these tables from the bookings (`Db::prepare_reports`) whenever `report_months` is
-- (re)filled for the zone's time zone, and the independent-computation test compares every
-- figure. Equivalent to migrations/sqlite/0014_usage_rollups.sql.

-- The zone's local months as UTC instants [starts_at, ends_at), with the start of their year and
-- the UTC offset at their start (for the weekday × hour grid); filled by the application for
-- 2000–2100.
CREATE TABLE report_months (
    starts_at   BIGINT PRIMARY KEY,
    ends_at     BIGINT NOT NULL,
    year_start  BIGINT NOT NULL,
    utc_offset  BIGINT NOT NULL
);

-- Which calendar `report_months` holds (a fingerprint of its rows), one row.
CREATE TABLE report_calendar (
    id           BIGINT PRIMARY KEY CHECK (id = 1),
    fingerprint  TEXT NOT NULL
);

-- Times (seconds) clipped to the month; counts and income of the bookings starting in it.
CREATE TABLE usage_months (
    month_start  BIGINT NOT NULL,
    resource_id  BIGINT NOT NULL,
    used_s       BIGINT NOT NULL,
    no_show_s    BIGINT NOT NULL,
    external_s   BIGINT NOT NULL,
    sme_s        BIGINT NOT NULL,
    bookings_n   BIGINT NOT NULL,
    cancelled_n  BIGINT NOT NULL,
    no_shows_n   BIGINT NOT NULL,
    income_fen   BIGINT NOT NULL,
    PRIMARY KEY (month_start, resource_id)
);

-- External organisations using a resource in a month: how many used bookings each has there.
CREATE TABLE usage_orgs (
    month_start      BIGINT NOT NULL,
    resource_id      BIGINT NOT NULL,
    organisation_id  BIGINT NOT NULL,
    n                BIGINT NOT NULL,
    PRIMARY KEY (month_start, resource_id, organisation_id)
);

-- The same per calendar year, for year reports (ten thousand rows instead of twelve times as many,
-- and each organisation once): kept from the monthly rows by the triggers below.
CREATE TABLE usage_years (
    year_start   BIGINT NOT NULL,
    resource_id  BIGINT NOT NULL,
    used_s       BIGINT NOT NULL,
    no_show_s    BIGINT NOT NULL,
    external_s   BIGINT NOT NULL,
    sme_s        BIGINT NOT NULL,
    bookings_n   BIGINT NOT NULL,
    cancelled_n  BIGINT NOT NULL,
    no_shows_n   BIGINT NOT NULL,
    income_fen   BIGINT NOT NULL,
    PRIMARY KEY (year_start, resource_id)
);

CREATE TABLE usage_orgs_years (
    year_start       BIGINT NOT NULL,
    resource_id      BIGINT NOT NULL,
    organisation_id  BIGINT NOT NULL,
    n                BIGINT NOT NULL,
    PRIMARY KEY (year_start, resource_id, organisation_id)
);

-- Used bookings by the local minute of the week they start at (clipped to the month) and their
-- length within the month, per institution: the weekday × hour grid's input.
CREATE TABLE usage_heat (
    month_start     BIGINT NOT NULL,
    institution_id  BIGINT NOT NULL,
    minute          BIGINT NOT NULL,
    length_s        BIGINT NOT NULL,
    n               BIGINT NOT NULL,
    PRIMARY KEY (month_start, institution_id, minute, length_s)
);

-- The same per calendar year (a third of the rows), kept from the monthly rows.
CREATE TABLE usage_heat_years (
    year_start      BIGINT NOT NULL,
    institution_id  BIGINT NOT NULL,
    minute          BIGINT NOT NULL,
    length_s        BIGINT NOT NULL,
    n               BIGINT NOT NULL,
    PRIMARY KEY (year_start, institution_id, minute, length_s)
);

-- A booking's share of each month it overlaps, added (k = 1) or taken away (k = -1). A month
-- starts at most 31 days before any instant in it; the lower bound keeps the month lookup short.
-- Each statement touches its rows in key order; one booking changes per transaction here.
CREATE FUNCTION usage_apply(b bookings, k BIGINT) RETURNS void AS $$
BEGIN
    IF b.status NOT IN ('confirmed', 'completed', 'no_show', 'cancelled') THEN
        RETURN;
    END IF;
    INSERT INTO usage_months (month_start, resource_id, used_s, no_show_s, external_s, sme_s, bookings_n, cancelled_n, no_shows_n, income_fen)
    SELECT m.starts_at, b.resource_id,
        k * CASE WHEN b.status IN ('confirmed', 'completed') THEN LEAST(b.ends_at, m.ends_at) - GREATEST(b.starts_at, m.starts_at) ELSE 0 END,
        k * CASE WHEN b.status = 'no_show' THEN LEAST(b.ends_at, m.ends_at) - GREATEST(b.starts_at, m.starts_at) ELSE 0 END,
        k * CASE WHEN b.status IN ('confirmed', 'completed') AND b.customer_category <> 'own' THEN LEAST(b.ends_at, m.ends_at) - GREATEST(b.starts_at, m.starts_at) ELSE 0 END,
        k * CASE WHEN b.status IN ('confirmed', 'completed') AND b.customer_category = 'sme' THEN LEAST(b.ends_at, m.ends_at) - GREATEST(b.starts_at, m.starts_at) ELSE 0 END,
        k * CASE WHEN b.starts_at >= m.starts_at AND b.status IN ('confirmed', 'completed', 'no_show') THEN 1 ELSE 0 END,
        k * CASE WHEN b.starts_at >= m.starts_at AND b.status = 'cancelled' THEN 1 ELSE 0 END,
        k * CASE WHEN b.starts_at >= m.starts_at AND b.status = 'no_show' THEN 1 ELSE 0 END,
        k * CASE WHEN b.starts_at >= m.starts_at AND b.status IN ('confirmed', 'completed') THEN b.price_fen ELSE 0 END
    FROM report_months m
    WHERE m.starts_at > b.starts_at - 2764800 AND m.starts_at < b.ends_at AND m.ends_at > b.starts_at
    ORDER BY m.starts_at
    ON CONFLICT (month_start, resource_id) DO UPDATE SET
        used_s = usage_months.used_s + EXCLUDED.used_s, no_show_s = usage_months.no_show_s + EXCLUDED.no_show_s,
        external_s = usage_months.external_s + EXCLUDED.external_s, sme_s = usage_months.sme_s + EXCLUDED.sme_s,
        bookings_n = usage_months.bookings_n + EXCLUDED.bookings_n, cancelled_n = usage_months.cancelled_n + EXCLUDED.cancelled_n,
        no_shows_n = usage_months.no_shows_n + EXCLUDED.no_shows_n, income_fen = usage_months.income_fen + EXCLUDED.income_fen;
    IF b.status NOT IN ('confirmed', 'completed') THEN
        RETURN;
    END IF;
    IF b.customer_category <> 'own' THEN
        INSERT INTO usage_orgs (month_start, resource_id, organisation_id, n)
        SELECT m.starts_at, b.resource_id, b.organisation_id, k
        FROM report_months m
        WHERE m.starts_at > b.starts_at - 2764800 AND m.starts_at < b.ends_at AND m.ends_at > b.starts_at
        ORDER BY m.starts_at
        ON CONFLICT (month_start, resource_id, organisation_id) DO UPDATE SET n = usage_orgs.n + EXCLUDED.n;
    END IF;
    INSERT INTO usage_heat (month_start, institution_id, minute, length_s, n)
    SELECT m.starts_at, r.institution_id,
        ((GREATEST(b.starts_at, m.starts_at) + m.utc_offset + 259200) % 604800) / 60,
        LEAST(b.ends_at, m.ends_at) - GREATEST(b.starts_at, m.starts_at), k
    FROM report_months m JOIN resources r ON r.id = b.resource_id
    WHERE m.starts_at > b.starts_at - 2764800 AND m.starts_at < b.ends_at AND m.ends_at > b.starts_at
    ORDER BY m.starts_at
    ON CONFLICT (month_start, institution_id, minute, length_s) DO UPDATE SET n = usage_heat.n + EXCLUDED.n;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION usage_trigger() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM usage_apply(OLD, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM usage_apply(NEW, 1);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER usage_rollups
    AFTER INSERT OR DELETE OR UPDATE OF resource_id, organisation_id, starts_at, ends_at, status, customer_category, price_fen
    ON bookings FOR EACH ROW EXECUTE FUNCTION usage_trigger();

-- Each change of a monthly row carried into its year.
CREATE FUNCTION usage_years_carry() RETURNS trigger AS $$
DECLARE
    y BIGINT := (SELECT m.year_start FROM report_months m WHERE m.starts_at = NEW.month_start);
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO usage_years (year_start, resource_id, used_s, no_show_s, external_s, sme_s, bookings_n, cancelled_n, no_shows_n, income_fen)
        VALUES (y, NEW.resource_id, NEW.used_s, NEW.no_show_s, NEW.external_s, NEW.sme_s, NEW.bookings_n, NEW.cancelled_n, NEW.no_shows_n, NEW.income_fen)
        ON CONFLICT (year_start, resource_id) DO UPDATE SET
            used_s = usage_years.used_s + EXCLUDED.used_s, no_show_s = usage_years.no_show_s + EXCLUDED.no_show_s,
            external_s = usage_years.external_s + EXCLUDED.external_s, sme_s = usage_years.sme_s + EXCLUDED.sme_s,
            bookings_n = usage_years.bookings_n + EXCLUDED.bookings_n, cancelled_n = usage_years.cancelled_n + EXCLUDED.cancelled_n,
            no_shows_n = usage_years.no_shows_n + EXCLUDED.no_shows_n, income_fen = usage_years.income_fen + EXCLUDED.income_fen;
    ELSE
        UPDATE usage_years SET
            used_s = used_s + NEW.used_s - OLD.used_s, no_show_s = no_show_s + NEW.no_show_s - OLD.no_show_s,
            external_s = external_s + NEW.external_s - OLD.external_s, sme_s = sme_s + NEW.sme_s - OLD.sme_s,
            bookings_n = bookings_n + NEW.bookings_n - OLD.bookings_n, cancelled_n = cancelled_n + NEW.cancelled_n - OLD.cancelled_n,
            no_shows_n = no_shows_n + NEW.no_shows_n - OLD.no_shows_n, income_fen = income_fen + NEW.income_fen - OLD.income_fen
        WHERE year_start = y AND resource_id = NEW.resource_id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION usage_orgs_years_carry() RETURNS trigger AS $$
DECLARE
    y BIGINT := (SELECT m.year_start FROM report_months m WHERE m.starts_at = NEW.month_start);
    delta BIGINT := NEW.n;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        delta := NEW.n - OLD.n;
    END IF;
    INSERT INTO usage_orgs_years (year_start, resource_id, organisation_id, n)
    VALUES (y, NEW.resource_id, NEW.organisation_id, delta)
    ON CONFLICT (year_start, resource_id, organisation_id) DO UPDATE SET n = usage_orgs_years.n + EXCLUDED.n;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER usage_years_carry AFTER INSERT OR UPDATE ON usage_months
    FOR EACH ROW EXECUTE FUNCTION usage_years_carry();
CREATE TRIGGER usage_orgs_years_carry AFTER INSERT OR UPDATE ON usage_orgs
    FOR EACH ROW EXECUTE FUNCTION usage_orgs_years_carry();

CREATE FUNCTION usage_heat_years_carry() RETURNS trigger AS $$
DECLARE
    y BIGINT := (SELECT m.year_start FROM report_months m WHERE m.starts_at = NEW.month_start);
    delta BIGINT := NEW.n;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        delta := NEW.n - OLD.n;
    END IF;
    INSERT INTO usage_heat_years (year_start, institution_id, minute, length_s, n)
    VALUES (y, NEW.institution_id, NEW.minute, NEW.length_s, delta)
    ON CONFLICT (year_start, institution_id, minute, length_s) DO UPDATE SET n = usage_heat_years.n + EXCLUDED.n;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER usage_heat_years_carry AFTER INSERT OR UPDATE ON usage_heat
    FOR EACH ROW EXECUTE FUNCTION usage_heat_years_carry();
