-- Wake-ups for the other servers (LISTEN/NOTIFY): when mail is queued or the resources' change
-- log grows, every server listening hears it at the commit, so its mail sender and its search's
-- copy act at once rather than at their next poll (server/src/wake.rs). Only a hint: the outbox
-- and the change log stay the truth, and the servers still poll, more slowly, in case one is
-- missed. PostgreSQL folds the notifications of one transaction into one.
CREATE FUNCTION labshare_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('labshare_' || TG_ARGV[0], '');
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_wake AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION labshare_wake('outbox');
CREATE TRIGGER resource_changes_wake AFTER INSERT ON resource_changes
    FOR EACH STATEMENT EXECUTE FUNCTION labshare_wake('changes');
