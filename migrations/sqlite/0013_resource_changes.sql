-- What changed about a resource's bookability apart from its bookings: its rules, weekly hours
-- or status. Each server process keeps those in memory for the time-first search and reads this
-- log (one cheap query per search) to apply what any process changed since. Written by triggers,
-- so no code path can forget it. Equivalent to migrations/postgres/0013_resource_changes.sql.
CREATE TABLE resource_changes (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id  INTEGER NOT NULL
);

CREATE TRIGGER resource_changes_rules_insert AFTER INSERT ON booking_rules BEGIN
    INSERT INTO resource_changes (resource_id) VALUES (NEW.resource_id);
END;
CREATE TRIGGER resource_changes_rules_update AFTER UPDATE ON booking_rules BEGIN
    INSERT INTO resource_changes (resource_id) VALUES (NEW.resource_id);
END;
CREATE TRIGGER resource_changes_rules_delete AFTER DELETE ON booking_rules BEGIN
    INSERT INTO resource_changes (resource_id) VALUES (OLD.resource_id);
END;
CREATE TRIGGER resource_changes_hours_insert AFTER INSERT ON opening_hours BEGIN
    INSERT INTO resource_changes (resource_id) VALUES (NEW.resource_id);
END;
CREATE TRIGGER resource_changes_hours_update AFTER UPDATE ON opening_hours BEGIN
    INSERT INTO resource_changes (resource_id) VALUES (NEW.resource_id);
END;
CREATE TRIGGER resource_changes_hours_delete AFTER DELETE ON opening_hours BEGIN
    INSERT INTO resource_changes (resource_id) VALUES (OLD.resource_id);
END;
CREATE TRIGGER resource_changes_status AFTER UPDATE OF status ON resources BEGIN
    INSERT INTO resource_changes (resource_id) VALUES (NEW.id);
END;
