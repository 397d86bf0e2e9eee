-- +goose Up
-- outbox_channel serves the inbox page: the messages of one channel type,
-- newest first.
CREATE INDEX outbox_channel ON outbox (channel, seq);

-- +goose Down
DROP INDEX outbox_channel;
