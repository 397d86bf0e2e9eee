package web

import (
	"net/http"

	"github.com/tocsin/tocsin/internal/store"
)

// apiStatus serves GET /api/v1/status: the version and the configuration
// status, including the errors of a rejected reload.
func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request, _ store.User) error {
	cs := s.rt.ConfigStatus()
	errors := cs.Errors
	if errors == nil {
		errors = []string{}
	}
	writeJSON(w, http.StatusOK, one[apiStatus]{Data: apiStatus{
		Version: s.opts.Version,
		Config: apiConfigStatus{
			Path: cs.Path, LoadedAt: timePtr(cs.LoadedAt), Errors: errors, RejectedAt: timePtr(cs.RejectedAt),
		},
	}})
	return nil
}
