-- Bookings and blackouts join the change log of 0013: each server process now also keeps every
-- resource's busy time over the search horizon in memory (app/src/backend/bookable.rs), and
-- applies what any process changed since by reading this log. Only changes that can block time
-- are logged: a booking that is or was pending or confirmed, and any blackout. Equivalent to
-- migrations/sqlite/0015_busy_changes.sql.
--
-- `busy` marks an entry that changed only busy time (a booking or blackout): the copy then rereads
-- only that, not the resource's rules and hours.
ALTER TABLE resource_changes ADD COLUMN busy INTEGER NOT NULL DEFAULT 0;
CREATE FUNCTION note_busy_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO resource_changes (resource_id, busy) VALUES (OLD.resource_id, 1);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.resource_id <> OLD.resource_id) THEN
        INSERT INTO resource_changes (resource_id, busy) VALUES (NEW.resource_id, 1);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER resource_changes_booking_insert AFTER INSERT ON bookings
    FOR EACH ROW WHEN (NEW.status IN ('pending', 'confirmed'))
    EXECUTE FUNCTION note_busy_change();
CREATE TRIGGER resource_changes_booking_update
    AFTER UPDATE OF status, blocked_from, blocked_until, resource_id ON bookings
    FOR EACH ROW WHEN (OLD.status IN ('pending', 'confirmed') OR NEW.status IN ('pending', 'confirmed'))
    EXECUTE FUNCTION note_busy_change();
CREATE TRIGGER resource_changes_booking_delete AFTER DELETE ON bookings
    FOR EACH ROW WHEN (OLD.status IN ('pending', 'confirmed'))
    EXECUTE FUNCTION note_busy_change();
CREATE TRIGGER resource_changes_blackouts AFTER INSERT OR UPDATE OR DELETE ON blackouts
    FOR EACH ROW EXECUTE FUNCTION note_busy_change();

-- The time-first search also filters by kind, category and institution from the same copy.
CREATE TRIGGER resource_changes_placement AFTER UPDATE OF kind, category_id, institution_id ON resources
    FOR EACH ROW EXECUTE FUNCTION note_resource_status();
