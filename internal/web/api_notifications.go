package web

import (
	"fmt"
	"net/http"

	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
)

// apiNotifications serves GET /api/v1/notifications: outbox messages of
// every monitor, newest first.
func (s *Server) apiNotifications(w http.ResponseWriter, r *http.Request, _ store.User) error {
	p, err := pageParams(r)
	if err != nil {
		return err
	}
	ms, err := s.store.OutboxMessages(r.Context(), r.URL.Query().Get("monitor"), p)
	if err != nil {
		return fmt.Errorf("reading notifications: %w", err)
	}
	writeJSON(w, http.StatusOK, pageList(ms, p.Limit, toAPIMessage, func(x notify.OutboxMessage) int64 { return x.Seq }))
	return nil
}
