-- +goose Up
-- status_subscribers are the people and systems that asked for a status
-- page's incident updates: an email address or a webhook URL. Times are
-- unix milliseconds; confirmed_at is 0 until the subscription is
-- confirmed.
CREATE TABLE status_subscribers (
    id           INTEGER PRIMARY KEY,
    page_id      TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    address      TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    confirmed_at INTEGER NOT NULL DEFAULT 0,
    UNIQUE (page_id, kind, address)
);
-- status_subscriber_tokens are the one-time links' tokens, as SHA-256
-- hashes: confirm tokens (expiring) and unsubscribe tokens.
CREATE TABLE status_subscriber_tokens (
    token_hash    BLOB    NOT NULL PRIMARY KEY,
    subscriber_id INTEGER NOT NULL REFERENCES status_subscribers (id) ON DELETE CASCADE,
    purpose       TEXT    NOT NULL,
    expires_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX status_subscriber_tokens_subscriber ON status_subscriber_tokens (subscriber_id);

-- +goose Down
DROP TABLE status_subscriber_tokens;
DROP TABLE status_subscribers;
