-- What changed about a resource's bookability apart from its bookings: its rules, weekly hours
-- or status. Each server process keeps those in memory for the time-first search and reads this
-- log (one cheap query per search) to apply what any process changed since. Written by triggers,
-- so no code path can forget it. Equivalent to migrations/sqlite/0013_resource_changes.sql.
CREATE TABLE resource_changes (
    seq          BIGSERIAL PRIMARY KEY,
    resource_id  BIGINT NOT NULL
);

CREATE FUNCTION note_resource_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO resource_changes (resource_id) VALUES (OLD.resource_id);
    ELSE
        INSERT INTO resource_changes (resource_id) VALUES (NEW.resource_id);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION note_resource_status() RETURNS trigger AS $$
BEGIN
    INSERT INTO resource_changes (resource_id) VALUES (NEW.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER resource_changes_rules AFTER INSERT OR UPDATE OR DELETE ON booking_rules
    FOR EACH ROW EXECUTE FUNCTION note_resource_change();
CREATE TRIGGER resource_changes_hours AFTER INSERT OR UPDATE OR DELETE ON opening_hours
    FOR EACH ROW EXECUTE FUNCTION note_resource_change();
CREATE TRIGGER resource_changes_status AFTER UPDATE OF status ON resources
    FOR EACH ROW EXECUTE FUNCTION note_resource_status();
