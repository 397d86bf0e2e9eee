-- +goose Up
-- mail_probes is the bookkeeping of mail loop monitors: every probe mail
-- sent and not yet pruned, so that a restart forgets none in flight. Times
-- are unix milliseconds; received_at is NULL until the mail is seen.
CREATE TABLE mail_probes (
    monitor_id  TEXT    NOT NULL,
    token       TEXT    NOT NULL,
    sent_at     INTEGER NOT NULL,
    via         TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    received_at INTEGER,
    folder      TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (monitor_id, token)
);
CREATE INDEX mail_probes_sent ON mail_probes (monitor_id, sent_at);
CREATE INDEX mail_probes_pending ON mail_probes (monitor_id, sent_at) WHERE state = 'pending';

-- +goose Down
DROP TABLE mail_probes;
