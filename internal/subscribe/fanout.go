package subscribe

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
)

// Store is what the fan-out reads and writes.
type Store interface {
	PublicIncidentUpdates(ctx context.Context, since time.Time, limit int) ([]store.IncidentUpdate, error)
	Incident(ctx context.Context, id int64) (store.Incident, error)
	Subscribers(ctx context.Context, pageID string, confirmedBefore time.Time, p store.Page) ([]store.Subscriber, error)
	QueueSubscriberMessages(ctx context.Context, ms []store.SubscriberMessage) (int, error)
}

// Fanout defaults.
const (
	// DefaultInterval is how often the fan-out looks for new updates.
	DefaultInterval = 2 * time.Second
	// Lookback is how far back a starting fan-out looks again: the
	// updates posted while no process ran are sent after a restart, and
	// the message ids keep those already queued from going twice.
	Lookback = 24 * time.Hour
	// UnsubscribeTTL is how long the unsubscribe link of one update
	// works; every later update brings a new one.
	UnsubscribeTTL = 365 * 24 * time.Hour
	// maxUpdates bounds the updates read per look.
	maxUpdates  = 1000
	subscribers = 1000
)

// Fanout turns each public incident update into one outbox message per
// confirmed subscriber of every page that shows one of the incident's
// services. Message ids are made from the page, the update and the
// subscriber, so a message is queued once however often it is looked at,
// by any replica.
type Fanout struct {
	Store Store
	// Config returns the running configuration.
	Config   func() *config.Config
	Now      func() time.Time
	Logger   *slog.Logger
	Interval time.Duration
	// Queued, when set, is called after messages were queued: it wakes
	// the outbox's dispatcher.
	Queued func()

	// done is the highest update id handed out; updates at or below it
	// are not looked at again until a restart.
	done int64
}

// Run looks for new updates every Interval until ctx ends.
func (f *Fanout) Run(ctx context.Context) {
	every := f.Interval
	if every <= 0 {
		every = DefaultInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := f.Once(ctx); err != nil && ctx.Err() == nil {
			f.Logger.Error("sending incident updates to status page subscribers", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once queues the messages of the updates not handed out yet.
func (f *Fanout) Once(ctx context.Context) error {
	now := f.Now()
	ups, err := f.Store.PublicIncidentUpdates(ctx, now.Add(-Lookback), maxUpdates)
	if err != nil {
		return fmt.Errorf("read the public incident updates: %w", err)
	}
	cfg := f.Config()
	// Oldest first, so the high-water mark only moves past what is queued.
	slices.SortFunc(ups, func(a, b store.IncidentUpdate) int { return int(a.ID - b.ID) })
	for _, u := range ups {
		if u.ID <= f.done {
			continue
		}
		in, err := f.Store.Incident(ctx, u.IncidentID)
		if errs.Code(err) == errs.ENOTFOUND {
			f.done = u.ID
			continue
		}
		if err != nil {
			return fmt.Errorf("read incident %d: %w", u.IncidentID, err)
		}
		for i := range cfg.StatusPages {
			p := &cfg.StatusPages[i]
			if !p.Subscriptions.Offered() || !Shows(p, in.Services) {
				continue
			}
			if err := f.page(ctx, cfg, p, in, u); err != nil {
				return err
			}
		}
		f.done = u.ID
	}
	return nil
}

// Shows reports whether a page has a component of one of services.
func Shows(p *config.StatusPage, services []string) bool {
	for _, c := range p.Components {
		for _, id := range c.ServiceIDs() {
			if slices.Contains(services, id) {
				return true
			}
		}
	}
	return false
}

// Affected names the components of page p that show one of services,
// as the page names them: a component's own name, else its service's.
func Affected(cfg *config.Config, p *config.StatusPage, services []string) string {
	var names []string
	for _, c := range p.Components {
		if !slices.ContainsFunc(c.ServiceIDs(), func(id string) bool { return slices.Contains(services, id) }) {
			continue
		}
		name := c.Name
		if name == "" {
			name = c.Service
			for _, s := range cfg.Services {
				if s.ID == c.Service && s.Name != "" {
					name = s.Name
				}
			}
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return strings.Join(names, ", ")
}

// page queues one update for the subscribers of one page, confirmed
// before it was posted.
func (f *Fanout) page(ctx context.Context, cfg *config.Config, p *config.StatusPage, in store.Incident, u store.IncidentUpdate) error {
	before := int64(0)
	for {
		subs, err := f.Store.Subscribers(ctx, p.ID, u.Time, store.Page{Limit: subscribers, Before: before})
		if err != nil {
			return err
		}
		var msgs []store.SubscriberMessage
		for _, s := range subs {
			if m, ok := UpdateMessage(cfg, p, in, u, s, f.Now()); ok {
				msgs = append(msgs, m)
			}
		}
		if len(msgs) > 0 {
			n, err := f.Store.QueueSubscriberMessages(ctx, msgs)
			if err != nil {
				return fmt.Errorf("queue the update of incident %d for the subscribers of status page %q: %w", in.ID, p.ID, err)
			}
			if n > 0 && f.Queued != nil {
				f.Queued()
			}
			if n > 0 {
				f.Logger.Info("incident update queued for status page subscribers", "page", p.ID, "incident", in.ID, "update", u.ID, "messages", n)
			}
		}
		if len(subs) < subscribers {
			return nil
		}
		before = subs[len(subs)-1].ID
	}
}

// UpdateMessage is the message of update u for subscriber s of page p,
// with a fresh unsubscribe token; ok is false when the page no longer
// offers the subscriber's kind.
func UpdateMessage(cfg *config.Config, p *config.StatusPage, in store.Incident, u store.IncidentUpdate, s store.Subscriber, now time.Time) (store.SubscriberMessage, bool) {
	channel := WebhookChannel
	switch {
	case s.Kind == store.SubscriberEmail && p.Subscriptions.EmailChannel != "":
		channel = p.Subscriptions.EmailChannel
	case s.Kind == store.SubscriberWebhook && p.Subscriptions.Webhooks:
	default:
		return store.SubscriberMessage{}, false
	}
	token, hash := NewToken()
	page := PageURL(cfg, p)
	id := fmt.Sprintf("status/%s/update/%d/%d", p.ID, u.ID, s.ID)
	e := notify.Event{ID: id, Event: notify.EventStatusUpdate, To: s.Address, Status: u.Status, Time: u.Time.UTC(), IncidentID: in.ID,
		Public: &notify.PublicUpdate{Page: p.Title, Slug: p.Slug, PageURL: page, Affected: Affected(cfg, p, in.Services), Status: u.Status, Message: u.Message,
			Time: u.Time.UTC(), UnsubscribeURL: page + "/unsubscribe/" + token}}
	return store.SubscriberMessage{SubscriberID: s.ID, Token: store.SubscriberToken{Hash: hash, Purpose: store.TokenUnsubscribe, Expires: now.Add(UnsubscribeTTL)},
		Message: notify.OutboxMessage{ID: id, Channel: channel, Event: e, State: notify.StatePending, NextAttempt: now, CreatedAt: now}}, true
}
