package ui

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
)

// channelRows is how many failures and test notifications a channel's page
// lists.
const channelRows = 20

type channelData struct {
	Channel  config.Channel
	Failures []notify.Attempt
	Tests    []store.ChannelTest
	// Tested is the test notification just sent from this page, when the
	// page is shown after one.
	Tested *store.ChannelTest
}

// handleChannel renders "/channels/{id}": the channel, the button that
// sends a test notification, its recent failed deliveries and its test
// notifications.
func (s *UI) handleChannel(w http.ResponseWriter, r *http.Request, u store.User) error {
	id := r.PathValue("id")
	cfg := s.d.Runtime.Config()
	var ch *config.Channel
	if cfg != nil {
		ch, _ = cfg.Channel(id)
	}
	if ch == nil {
		return errs.Errorf(errs.ENOTFOUND, "There is no channel %q in the running configuration.", id)
	}
	data := channelData{Channel: *ch}
	var err error
	if data.Failures, err = s.d.Store.ChannelAttempts(r.Context(), id, true, store.Page{Limit: channelRows}); err != nil {
		return fmt.Errorf("reading the failures of channel %q: %w", id, err)
	}
	if data.Tests, err = s.d.Store.ChannelTests(r.Context(), id, store.Page{Limit: channelRows}); err != nil {
		return fmt.Errorf("reading the test notifications of channel %q: %w", id, err)
	}
	if v := r.URL.Query().Get("tested"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			for i := range data.Tests {
				if data.Tests[i].ID == n {
					data.Tested = &data.Tests[i]
				}
			}
		}
	}
	s.Render(w, r, http.StatusOK, "channel.html", &u, "Channel "+id, data)
	return nil
}

// handleChannelTest sends a test notification through the channel and
// shows the channel's page with the outcome.
func (s *UI) handleChannelTest(w http.ResponseWriter, r *http.Request, u store.User) error {
	id := r.PathValue("id")
	t, err := s.d.Channels.SendTest(r.Context(), id, u.Name)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/channels/"+id+"?tested="+strconv.FormatInt(t.ID, 10), http.StatusSeeOther)
	return nil
}
