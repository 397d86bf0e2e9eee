package api

import (
	"fmt"
	"net/http"

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
