-- +goose Up
-- incident_updates are what responders tell about an incident: a message
-- with the status it reports (investigating, identified, monitoring,
-- resolved), public when status pages may show it. t is unix
-- milliseconds; who is the author, "system" for automatic notices.
CREATE TABLE incident_updates (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id bigint   NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    t           bigint   NOT NULL,
    status      text     NOT NULL,
    message     text     NOT NULL,
    public      bigint   NOT NULL DEFAULT 0,
    who         text     NOT NULL
);
CREATE INDEX incident_updates_incident ON incident_updates (incident_id, t);
CREATE INDEX incident_updates_public ON incident_updates (public, t);

-- +goose Down
DROP TABLE incident_updates;
