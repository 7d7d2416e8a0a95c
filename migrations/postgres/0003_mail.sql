-- Mail delivery: a retry round starts at creation or when a site admin retries a failed message;
-- the sender gives up once a round is older than MAIL_GIVE_UP_HOURS.
ALTER TABLE outbox ADD COLUMN retried_at BIGINT;
-- The reminder before a booking's start is sent once per booked time (a reschedule clears it).
ALTER TABLE bookings ADD COLUMN reminded_at BIGINT;
CREATE INDEX outbox_booking ON outbox(booking_id);
