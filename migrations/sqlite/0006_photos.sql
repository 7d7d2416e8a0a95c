-- Photos of a resource: the original (checked and re-encoded on upload) and a thumbnail, both
-- files under <DATA_DIR>/photos, named here.
CREATE TABLE resource_photos (
    id           INTEGER PRIMARY KEY,
    resource_id  INTEGER NOT NULL REFERENCES resources(id),
    file         TEXT NOT NULL UNIQUE,
    thumb        TEXT NOT NULL UNIQUE,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    created_by   INTEGER REFERENCES users(id),
    created_at   INTEGER NOT NULL
);
CREATE INDEX resource_photos_resource ON resource_photos(resource_id);
