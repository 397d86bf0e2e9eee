package webcore

import (
	"context"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// ChannelTester sends test notifications; the app implements it with the
// channel's real notifier.
type ChannelTester interface {
	// SendTest sends a test event through the channel with the given id
	// at once, records it as asked for by `by` and returns the record:
	// its Error is the channel's answer ("" when delivered). The error is
	// ENOTFOUND for an unknown channel, or says why nothing could be sent
	// or recorded.
	SendTest(ctx context.Context, channel, by string) (store.ChannelTest, error)
}

// NoChannelTests is the ChannelTester of a server given none.
type NoChannelTests struct{}

// SendTest refuses.
func (NoChannelTests) SendTest(context.Context, string, string) (store.ChannelTest, error) {
	return store.ChannelTest{}, errs.Errorf(errs.EUNAVAILABLE, "test notifications cannot be sent from this server")
}
