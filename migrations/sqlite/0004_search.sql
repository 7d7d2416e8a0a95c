-- Full-text search over the catalogue that works for Chinese: an FTS5 table with the trigram
-- tokenizer (substring matching, no word segmentation needed), one row per resource (rowid = the
-- resource's id), kept current by triggers on everything its text comes from.
CREATE VIRTUAL TABLE resource_search USING fts5(body, tokenize = 'trigram');

CREATE VIEW resource_search_source AS
SELECT r.id AS resource_id,
       r.name_zh || ' ' || r.name_en || ' ' || r.model || ' ' || r.manufacturer || ' ' ||
       c.name_zh || ' ' || c.name_en || ' ' ||
       COALESCE((SELECT group_concat(s.code || ' ' || s.title_zh, ' ')
                 FROM accreditations a JOIN accreditation_standards s ON s.accreditation_id = a.id
                 WHERE a.resource_id = r.id), '') AS body
FROM resources r JOIN categories c ON c.id = r.category_id;

CREATE TRIGGER resource_search_insert AFTER INSERT ON resources BEGIN
    INSERT INTO resource_search (rowid, body) SELECT resource_id, body FROM resource_search_source WHERE resource_id = NEW.id;
END;
CREATE TRIGGER resource_search_update AFTER UPDATE ON resources BEGIN
    DELETE FROM resource_search WHERE rowid = NEW.id;
    INSERT INTO resource_search (rowid, body) SELECT resource_id, body FROM resource_search_source WHERE resource_id = NEW.id;
END;
CREATE TRIGGER resource_search_standard_insert AFTER INSERT ON accreditation_standards BEGIN
    DELETE FROM resource_search WHERE rowid = (SELECT resource_id FROM accreditations WHERE id = NEW.accreditation_id);
    INSERT INTO resource_search (rowid, body) SELECT resource_id, body FROM resource_search_source
        WHERE resource_id = (SELECT resource_id FROM accreditations WHERE id = NEW.accreditation_id);
END;
CREATE TRIGGER resource_search_standard_delete AFTER DELETE ON accreditation_standards BEGIN
    DELETE FROM resource_search WHERE rowid = (SELECT resource_id FROM accreditations WHERE id = OLD.accreditation_id);
    INSERT INTO resource_search (rowid, body) SELECT resource_id, body FROM resource_search_source
        WHERE resource_id = (SELECT resource_id FROM accreditations WHERE id = OLD.accreditation_id);
END;

INSERT INTO resource_search (rowid, body) SELECT resource_id, body FROM resource_search_source;
