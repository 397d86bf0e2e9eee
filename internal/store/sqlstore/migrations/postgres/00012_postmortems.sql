-- +goose Up
-- postmortems are the edited postmortems of incidents, one each: a
-- Markdown body, the review state (draft, in_review, published) and who
-- approved it. Times are unix milliseconds; approved_at 0 until published.
CREATE TABLE postmortems (
    incident_id bigint PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    title       text    NOT NULL,
    body        text    NOT NULL,
    state       text    NOT NULL,
    created_at  bigint NOT NULL,
    created_by  text    NOT NULL DEFAULT '',
    updated_at  bigint NOT NULL,
    updated_by  text    NOT NULL DEFAULT '',
    approved_by text    NOT NULL DEFAULT '',
    approved_at bigint NOT NULL DEFAULT 0
);
CREATE INDEX postmortems_state ON postmortems (state, incident_id);

-- +goose Down
DROP TABLE postmortems;
