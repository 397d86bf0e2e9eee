package web

import (
	"fmt"
	"net/http"

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
	out := list[apiMessage]{Data: make([]apiMessage, 0, len(ms))}
	for _, m := range ms {
		out.Data = append(out.Data, toAPIMessage(m))
	}
	if n := len(ms); n > 0 {
		out.Next = nextCursor(n, p.Limit, ms[n-1].Seq)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
