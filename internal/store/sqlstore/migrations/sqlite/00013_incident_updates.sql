-- +goose Up
-- incident_updates are what responders tell about an incident: a message
-- with the status it reports (investigating, identified, monitoring,
-- resolved), public when status pages may show it. t is unix
-- milliseconds; who is the author, "system" for automatic notices.
CREATE TABLE incident_updates (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    t           INTEGER NOT NULL,
    status      TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    public      INTEGER NOT NULL DEFAULT 0,
    who         TEXT    NOT NULL
);
CREATE INDEX incident_updates_incident ON incident_updates (incident_id, t);
CREATE INDEX incident_updates_public ON incident_updates (public, t);

-- +goose Down
DROP TABLE incident_updates;
