package api

import (
	"net/http"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// serveStatus serves GET /api/v1/status: the version and the configuration
// status, including the errors of a rejected reload.
func (s *API) serveStatus(w http.ResponseWriter, r *http.Request, _ store.User) error {
	cs := s.d.Runtime.ConfigStatus()
	errors := cs.Errors
	if errors == nil {
		errors = []string{}
	}
	webcore.WriteJSON(w, http.StatusOK, One[Status]{Data: Status{
		Version: s.d.Version,
		Config: ConfigStatus{
			Path: cs.Path, LoadedAt: timePtr(cs.LoadedAt), Errors: errors, RejectedAt: timePtr(cs.RejectedAt),
		},
	}})
	return nil
}
