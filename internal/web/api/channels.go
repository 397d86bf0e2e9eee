package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// Channel is a configured channel as GET /api/v1/channels shows it.
type Channel struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	// Events the channel is limited to; empty means every event.
	Events []string `json:"events"`
}

// ChannelDetail is one channel with its recent failed attempts and test
// notifications, newest first.
type ChannelDetail struct {
	Channel
	RecentFailures []Attempt     `json:"recent_failures"`
	Tests          []ChannelTest `json:"tests"`
}

// ChannelTest is one test notification and its outcome.
type ChannelTest struct {
	ID         int64     `json:"id"`
	Channel    string    `json:"channel"`
	Time       time.Time `json:"time"`
	DurationMS float64   `json:"duration_ms"`
	OK         bool      `json:"ok"`
	Error      string    `json:"error"`
	By         string    `json:"by"`
}

// recentChannelRows is how many failures and tests a channel's detail
// lists.
const recentChannelRows = 20

func toAPIChannel(ch config.Channel) Channel {
	out := Channel{ID: ch.ID, Type: ch.Type, Events: ch.Events}
	if out.Events == nil {
		out.Events = []string{}
	}
	return out
}

func toAPIChannelTest(t store.ChannelTest) ChannelTest {
	return ChannelTest{ID: t.ID, Channel: t.Channel, Time: t.Time.UTC(), DurationMS: millis(t.Duration), OK: t.Error == "", Error: t.Error, By: t.By}
}

// channel returns the configured channel id, or ENOTFOUND.
func (s *API) channel(id string) (config.Channel, error) {
	if cfg := s.d.Runtime.Config(); cfg != nil {
		if ch, ok := cfg.Channel(id); ok {
			return *ch, nil
		}
	}
	return config.Channel{}, errs.Errorf(errs.ENOTFOUND, "no channel %q is configured", id)
}

// serveChannels serves GET /api/v1/channels: every configured channel.
func (s *API) serveChannels(w http.ResponseWriter, _ *http.Request, _ store.User) error {
	out := List[Channel]{Data: []Channel{}}
	if cfg := s.d.Runtime.Config(); cfg != nil {
		for _, ch := range cfg.Channels {
			out.Data = append(out.Data, toAPIChannel(ch))
		}
	}
	webcore.WriteJSON(w, http.StatusOK, out)
	return nil
}

// serveChannel serves GET /api/v1/channels/{id}: the channel, its recent
// failed attempts and its test notifications.
func (s *API) serveChannel(w http.ResponseWriter, r *http.Request, _ store.User) error {
	ch, err := s.channel(r.PathValue("id"))
	if err != nil {
		return err
	}
	d := ChannelDetail{Channel: toAPIChannel(ch), RecentFailures: []Attempt{}, Tests: []ChannelTest{}}
	failed, err := s.d.Store.ChannelAttempts(r.Context(), ch.ID, true, store.Page{Limit: recentChannelRows})
	if err != nil {
		return fmt.Errorf("reading the failures of channel %q: %w", ch.ID, err)
	}
	for _, a := range failed {
		d.RecentFailures = append(d.RecentFailures, toAPIAttempt(a))
	}
	tests, err := s.d.Store.ChannelTests(r.Context(), ch.ID, store.Page{Limit: recentChannelRows})
	if err != nil {
		return fmt.Errorf("reading the test notifications of channel %q: %w", ch.ID, err)
	}
	for _, t := range tests {
		d.Tests = append(d.Tests, toAPIChannelTest(t))
	}
	webcore.WriteJSON(w, http.StatusOK, One[ChannelDetail]{Data: d})
	return nil
}

// serveChannelTest serves POST /api/v1/channels/{id}/test: it sends a
// test notification through the channel at once and answers with the
// outcome, delivered or not (ok and error).
func (s *API) serveChannelTest(w http.ResponseWriter, r *http.Request, u store.User) error {
	ch, err := s.channel(r.PathValue("id"))
	if err != nil {
		return err
	}
	t, err := s.d.Channels.SendTest(r.Context(), ch.ID, u.Name)
	if err != nil {
		return err
	}
	webcore.WriteJSON(w, http.StatusOK, One[ChannelTest]{Data: toAPIChannelTest(t)})
	return nil
}
