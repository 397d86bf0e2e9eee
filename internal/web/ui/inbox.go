package ui

import (
	"fmt"
	"net/http"

	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

type inboxData struct {
	// Channels are the inbox channels; none means no inbox is configured.
	Channels []string
	Messages []notify.OutboxMessage
	NextURL  string
}

func (inboxData) refresh() bool { return true }

// handleInbox renders "/inbox": the notifications of the inbox channels,
// newest first, paged with ?before=.
func (s *UI) handleInbox(w http.ResponseWriter, r *http.Request, u store.User) error {
	page, err := webcore.PageParams(r)
	if err != nil {
		return err
	}
	data := inboxData{Channels: webcore.InboxChannels(s.d.Runtime)}
	if data.Messages, err = s.d.Store.ChannelMessages(r.Context(), data.Channels, page); err != nil {
		return fmt.Errorf("reading the inbox: %w", err)
	}
	data.NextURL = olderMessages("/inbox?before=", data.Messages, page.Limit)
	s.Render(w, r, http.StatusOK, "inbox.html", &u, "Inbox", data)
	return nil
}
