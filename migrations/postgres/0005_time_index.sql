-- Time-first search and utilisation read the active bookings that block any part of a range.
-- With this covering index the read is one index range scan: blocked_from between the range's
-- end and a lower bound set by the longest a booking can block (see MAX_BLOCK_SECONDS).
CREATE INDEX bookings_active_span ON bookings(status, blocked_from, blocked_until, resource_id);
