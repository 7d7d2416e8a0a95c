-- Bookings and blackouts join the change log of 0013: each server process now also keeps every
-- resource's busy time over the search horizon in memory (app/src/backend/bookable.rs), and
-- applies what any process changed since by reading this log. Only changes that can block time
-- are logged: a booking that is or was pending or confirmed, and any blackout. Equivalent to
-- migrations/postgres/0015_busy_changes.sql.
--
-- `busy` marks an entry that changed only busy time (a booking or blackout): the copy then rereads
-- only that, not the resource's rules and hours.
ALTER TABLE resource_changes ADD COLUMN busy INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER resource_changes_booking_insert AFTER INSERT ON bookings
    WHEN NEW.status IN ('pending', 'confirmed') BEGIN
    INSERT INTO resource_changes (resource_id, busy) VALUES (NEW.resource_id, 1);
END;
CREATE TRIGGER resource_changes_booking_update
    AFTER UPDATE OF status, blocked_from, blocked_until, resource_id ON bookings
    WHEN OLD.status IN ('pending', 'confirmed') OR NEW.status IN ('pending', 'confirmed') BEGIN
    INSERT INTO resource_changes (resource_id, busy) VALUES (NEW.resource_id, 1);
    INSERT INTO resource_changes (resource_id, busy) SELECT OLD.resource_id, 1 WHERE OLD.resource_id <> NEW.resource_id;
END;
CREATE TRIGGER resource_changes_booking_delete AFTER DELETE ON bookings
    WHEN OLD.status IN ('pending', 'confirmed') BEGIN
    INSERT INTO resource_changes (resource_id, busy) VALUES (OLD.resource_id, 1);
END;
CREATE TRIGGER resource_changes_blackout_insert AFTER INSERT ON blackouts BEGIN
    INSERT INTO resource_changes (resource_id, busy) VALUES (NEW.resource_id, 1);
END;
CREATE TRIGGER resource_changes_blackout_update AFTER UPDATE ON blackouts BEGIN
    INSERT INTO resource_changes (resource_id, busy) VALUES (NEW.resource_id, 1);
    INSERT INTO resource_changes (resource_id, busy) SELECT OLD.resource_id, 1 WHERE OLD.resource_id <> NEW.resource_id;
END;
CREATE TRIGGER resource_changes_blackout_delete AFTER DELETE ON blackouts BEGIN
    INSERT INTO resource_changes (resource_id, busy) VALUES (OLD.resource_id, 1);
END;
-- The time-first search also filters by kind, category and institution from the same copy.
CREATE TRIGGER resource_changes_placement AFTER UPDATE OF kind, category_id, institution_id ON resources BEGIN
    INSERT INTO resource_changes (resource_id) VALUES (NEW.id);
END;
