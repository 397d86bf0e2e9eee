package app

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/notify/channels"
	"github.com/tocsin/tocsin/internal/store"
)

// channelTestTimeout bounds one test notification.
const channelTestTimeout = 30 * time.Second

// channelTester sends the test notifications asked for on a channel's page
// and through the API, with a notifier built from the running
// configuration exactly as the dispatcher's is.
type channelTester App

// SendTest sends a channel.test event through the channel at once and
// records the outcome.
func (t *channelTester) SendTest(ctx context.Context, id, by string) (store.ChannelTest, error) {
	a := (*App)(t)
	cfg := a.config()
	if cfg == nil {
		return store.ChannelTest{}, errs.Errorf(errs.EUNAVAILABLE, "no configuration is running")
	}
	ch, ok := cfg.Channel(id)
	if !ok {
		return store.ChannelTest{}, errs.Errorf(errs.ENOTFOUND, "no channel %q is configured", id)
	}
	n, err := channels.All().Build(ch, cfg)
	if err != nil {
		return store.ChannelTest{}, errs.Errorf(errs.EUNAVAILABLE, "channel %q cannot be used: %v", id, err)
	}
	start := a.now().UTC()
	ev := notify.Event{
		ID:          uuid.NewString(),
		Event:       notify.EventTest,
		MonitorName: "Channel " + id,
		Status:      "test",
		Reason:      "Test notification for channel " + id + ", sent by " + by + ". Nothing is wrong.",
		Time:        start,
	}
	if base := strings.TrimSuffix(cfg.Server.BaseURL, "/"); base != "" {
		ev.URL = base + "/channels/" + id
	}
	sendCtx, cancel := context.WithTimeout(ctx, channelTestTimeout)
	defer cancel()
	began := time.Now()
	_, sendErr := n.Notify(sendCtx, ev)
	rec := store.ChannelTest{Channel: id, Time: start, Duration: time.Since(began), By: by}
	if sendErr != nil {
		rec.Error = sendErr.Error()
		a.log.Warn("test notification failed", "channel", id, "by", by, "error", rec.Error)
	} else {
		a.log.Info("test notification sent", "channel", id, "by", by)
	}
	// The send is done: record it even if the request that asked for it
	// has gone away meanwhile.
	rec.ID, err = a.store.RecordChannelTest(context.WithoutCancel(ctx), rec)
	if err != nil {
		return rec, err
	}
	return rec, nil
}
