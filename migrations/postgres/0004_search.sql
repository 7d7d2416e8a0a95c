-- Full-text search over the catalogue that works for Chinese: trigram matching (pg_trgm) on one
-- text per resource, kept current by triggers on everything it comes from. ILIKE '%term%' uses
-- the GIN index for terms of three characters or more.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE resource_search (
    resource_id  BIGINT PRIMARY KEY REFERENCES resources(id),
    body         TEXT NOT NULL
);
CREATE INDEX resource_search_trgm ON resource_search USING gin (body gin_trgm_ops);

CREATE FUNCTION resource_search_refresh(rid BIGINT) RETURNS void AS $$
    DELETE FROM resource_search WHERE resource_id = rid;
    INSERT INTO resource_search (resource_id, body)
    SELECT r.id,
           r.name_zh || ' ' || r.name_en || ' ' || r.model || ' ' || r.manufacturer || ' ' ||
           c.name_zh || ' ' || c.name_en || ' ' ||
           COALESCE((SELECT string_agg(s.code || ' ' || s.title_zh, ' ')
                     FROM accreditations a JOIN accreditation_standards s ON s.accreditation_id = a.id
                     WHERE a.resource_id = r.id), '')
    FROM resources r JOIN categories c ON c.id = r.category_id WHERE r.id = rid;
$$ LANGUAGE sql;

CREATE FUNCTION resource_search_from_resource() RETURNS trigger AS $$
BEGIN
    PERFORM resource_search_refresh(NEW.id);
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION resource_search_from_standard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM resource_search_refresh((SELECT resource_id FROM accreditations WHERE id = OLD.accreditation_id));
    ELSE
        PERFORM resource_search_refresh((SELECT resource_id FROM accreditations WHERE id = NEW.accreditation_id));
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER resource_search_resource AFTER INSERT OR UPDATE ON resources
    FOR EACH ROW EXECUTE FUNCTION resource_search_from_resource();
CREATE TRIGGER resource_search_standard AFTER INSERT OR DELETE ON accreditation_standards
    FOR EACH ROW EXECUTE FUNCTION resource_search_from_standard();

SELECT resource_search_refresh(id) FROM resources;
