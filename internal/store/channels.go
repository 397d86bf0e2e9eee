package store

import (
	"context"
	"time"

	"github.com/tocsin/tocsin/internal/notify"
)

// ChannelTest is one test notification sent through a channel on request
// (its page in the UI, or the API), with its outcome.
type ChannelTest struct {
	ID       int64
	Channel  string
	Time     time.Time
	Duration time.Duration
	// Error is "" when the channel took the notification.
	Error string
	// By is who asked for it: the user's name.
	By string
}

// MaxChannelTests is how many test notifications are kept per channel;
// recording one more forgets the oldest.
const MaxChannelTests = 50

// Channels keeps what a channel's page shows besides its configuration:
// the test notifications sent through it and its delivery attempts.
type Channels interface {
	// RecordChannelTest stores a test notification and returns its id,
	// keeping the newest MaxChannelTests of its channel.
	RecordChannelTest(ctx context.Context, t ChannelTest) (int64, error)
	// ChannelTests lists the test notifications of channel newest first,
	// paged by ID.
	ChannelTests(ctx context.Context, channel string, p Page) ([]ChannelTest, error)
	// ChannelAttempts lists the delivery attempts of channel newest first,
	// paged by ID; failedOnly keeps the attempts that did not deliver.
	ChannelAttempts(ctx context.Context, channel string, failedOnly bool, p Page) ([]notify.Attempt, error)
}
