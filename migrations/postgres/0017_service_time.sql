-- Instrument time held for a testing order, and the lapse warnings told to institutions.
-- Equivalent to migrations/sqlite/0017_service_time.sql.

-- A blackout made for an accepted order (reason 'internal'): the overlap triggers of 0001 keep it
-- clear of bookings, and it goes when the order is cancelled or its report issued.
ALTER TABLE blackouts ADD COLUMN order_id BIGINT REFERENCES orders(id);
CREATE INDEX blackouts_order ON blackouts (order_id) WHERE order_id IS NOT NULL;

-- Each lapsed standard of a service is told to the institution's admins once per lapse: a
-- renewed and lapsed-again accreditation ends on another day and is told again.
CREATE TABLE service_lapse_notices (
    service_id  BIGINT NOT NULL REFERENCES test_services(id) ON DELETE CASCADE,
    code        TEXT NOT NULL,
    expired_on  TEXT NOT NULL,
    told_at     BIGINT NOT NULL,
    PRIMARY KEY (service_id, code, expired_on)
);
