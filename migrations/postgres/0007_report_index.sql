-- Reports sum the bookings of a period per resource, per month and per start hour. This covering
-- index holds every column they read, ordered by start: each report query is one index range scan
-- from the period's start less the longest a booking can last (MAX_BLOCK_SECONDS) to its end.
CREATE INDEX bookings_report ON bookings(starts_at, resource_id, ends_at, status, customer_category, organisation_id, price_fen);
