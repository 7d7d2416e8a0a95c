-- Quotas in a resource's booking rules: how much of it one person, and one organisation, may
-- hold at once (active bookings still to come) and per week (hours of active bookings in the
-- zone's calendar week). NULL: no limit. Checked in the booking's own transaction.
ALTER TABLE booking_rules ADD COLUMN person_active_limit BIGINT;
ALTER TABLE booking_rules ADD COLUMN person_week_minutes_limit BIGINT;
ALTER TABLE booking_rules ADD COLUMN organisation_active_limit BIGINT;
ALTER TABLE booking_rules ADD COLUMN organisation_week_minutes_limit BIGINT;
