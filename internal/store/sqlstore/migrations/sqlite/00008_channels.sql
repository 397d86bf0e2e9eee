-- +goose Up
-- channel_tests are the test notifications sent from a channel's page or
-- the API; attempts_channel serves the channel's page (its failures).
CREATE TABLE channel_tests (
    id          INTEGER PRIMARY KEY,
    channel     TEXT    NOT NULL,
    t           INTEGER NOT NULL,
    duration_us INTEGER NOT NULL,
    error       TEXT    NOT NULL,
    by_user     TEXT    NOT NULL
);
CREATE INDEX channel_tests_channel ON channel_tests (channel, id);
CREATE INDEX attempts_channel ON attempts (channel, id);

-- +goose Down
DROP INDEX attempts_channel;
DROP TABLE channel_tests;
