-- +goose Up
-- status_overrides are the states set by hand on components of public
-- status pages; one per component.
CREATE TABLE status_overrides (
    page_id   TEXT   NOT NULL,
    component TEXT   NOT NULL,
    state     TEXT   NOT NULL,
    reason    TEXT   NOT NULL,
    by_user   TEXT   NOT NULL,
    set_at    BIGINT NOT NULL,
    PRIMARY KEY (page_id, component)
);

-- +goose Down
DROP TABLE status_overrides;
