package api

import (
	"fmt"
	"net/http"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// serveNotifications serves GET /api/v1/notifications: outbox messages of
// every monitor, newest first.
func (s *API) serveNotifications(w http.ResponseWriter, r *http.Request, _ store.User) error {
	p, err := webcore.PageParams(r)
	if err != nil {
		return err
	}
	ms, err := s.d.Store.OutboxMessages(r.Context(), r.URL.Query().Get("monitor"), p)
	if err != nil {
		return fmt.Errorf("reading notifications: %w", err)
	}
	webcore.WriteJSON(w, http.StatusOK, pageList(ms, p.Limit, toAPIMessage, func(x notify.OutboxMessage) int64 { return x.Seq }))
	return nil
}

// InboxEntry is one notification of an inbox channel: the event in the
// shape of the webhook payload, and the channel.
type InboxEntry struct {
	Channel string `json:"channel"`
	notify.Event
}

// serveInbox serves GET /api/v1/inbox: the notifications of the inbox
// channels, newest first, as the Inbox page lists them.
func (s *API) serveInbox(w http.ResponseWriter, r *http.Request, _ store.User) error {
	p, err := webcore.PageParams(r)
	if err != nil {
		return err
	}
	ms, err := s.d.Store.ChannelMessages(r.Context(), webcore.InboxChannels(s.d.Runtime), p)
	if err != nil {
		return fmt.Errorf("reading the inbox: %w", err)
	}
	webcore.WriteJSON(w, http.StatusOK, pageList(ms, p.Limit, toInboxEntry, func(x notify.OutboxMessage) int64 { return x.Seq }))
	return nil
}

func toInboxEntry(m notify.OutboxMessage) InboxEntry {
	e := InboxEntry{Channel: m.Channel, Event: m.Event}
	e.Time = e.Time.UTC()
	if e.Owners == nil {
		e.Owners = []catalog.Owner{}
	}
	return e
}
