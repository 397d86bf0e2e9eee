-- +goose Up
-- postmortems are the edited postmortems of incidents, one each: a
-- Markdown body, the review state (draft, in_review, published) and who
-- approved it. Times are unix milliseconds; approved_at 0 until published.
CREATE TABLE postmortems (
    incident_id INTEGER PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    title       TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT    NOT NULL DEFAULT '',
    updated_at  INTEGER NOT NULL,
    updated_by  TEXT    NOT NULL DEFAULT '',
    approved_by TEXT    NOT NULL DEFAULT '',
    approved_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX postmortems_state ON postmortems (state, incident_id);

-- +goose Down
DROP TABLE postmortems;
