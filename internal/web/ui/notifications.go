package ui

import (
	"strconv"

	"fmt"
	"net/http"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/web/webcore"

	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
)

type notificationsData struct {
	// Channels are the configured channels, each linking to its page.
	Channels        []config.Channel
	Messages        []notify.OutboxMessage
	Attempts        []notify.Attempt
	NextMessagesURL string
	NextAttemptsURL string
}

func (notificationsData) refresh() bool { return true }

// handleNotifications renders "/notifications": the newest outbox messages
// and the attempts to send them, each list paged on its own (?before= for
// messages, ?attempts_before= for attempts).
func (s *UI) handleNotifications(w http.ResponseWriter, r *http.Request, u store.User) error {
	page, err := webcore.PageParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	attemptsPage := store.Page{Limit: page.Limit}
	if v := q.Get("attempts_before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return errs.Errorf(errs.EINVALID, "attempts_before must be a cursor from a previous page, not %q", v)
		}
		attemptsPage.Before = n
	}
	var data notificationsData
	if cfg := s.d.Runtime.Config(); cfg != nil {
		data.Channels = cfg.Channels
	}
	if data.Messages, err = s.d.Store.OutboxMessages(r.Context(), "", page); err != nil {
		return fmt.Errorf("reading notifications: %w", err)
	}
	data.NextMessagesURL = olderMessages("/notifications?before=", data.Messages, page.Limit)
	if data.Attempts, err = s.d.Store.Attempts(r.Context(), "", attemptsPage); err != nil {
		return fmt.Errorf("reading notification attempts: %w", err)
	}
	if n := len(data.Attempts); n > 0 {
		if c := webcore.NextCursor(n, attemptsPage.Limit, data.Attempts[n-1].ID); c != nil {
			data.NextAttemptsURL = "/notifications?attempts_before=" + *c
		}
	}
	s.Render(w, r, http.StatusOK, "notifications.html", &u, "Notifications", data)
	return nil
}

// olderMessages returns prefix followed by the cursor of the page after
// ms, a page of at most limit messages; "" when ms is the last page.
func olderMessages(prefix string, ms []notify.OutboxMessage, limit int) string {
	if n := len(ms); n > 0 {
		if c := webcore.NextCursor(n, limit, ms[n-1].Seq); c != nil {
			return prefix + *c
		}
	}
	return ""
}
