-- +goose Up
-- audit_log is the record of every change and action: who (actor, the
-- person behind it, the API token used), when (unix milliseconds), from
-- where (the client address), what (action, object, a summary). Rows are
-- only inserted and, past audit.retention, deleted.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    t           bigint NOT NULL,
    actor       text   NOT NULL,
    username    text   NOT NULL DEFAULT '',
    token_id    bigint NOT NULL DEFAULT 0,
    ip          text   NOT NULL DEFAULT '',
    action      text   NOT NULL,
    object_kind text   NOT NULL DEFAULT '',
    object_id   text   NOT NULL DEFAULT '',
    summary     text   NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_t ON audit_log (t);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_object ON audit_log (object_kind, object_id, id);

-- +goose Down
DROP TABLE audit_log;
