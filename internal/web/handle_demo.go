package web

import (
	"net/http"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// handleDemoToggle flips the built-in demo target between healthy and
// failing and returns to the overview.
func (s *Server) handleDemoToggle(w http.ResponseWriter, r *http.Request, _ store.User) error {
	if s.opts.DemoToggle == nil {
		return errs.Errorf(errs.ENOTFOUND, "No demo target runs; set server.demo_target in the configuration to start one.")
	}
	s.opts.DemoToggle(!s.opts.DemoState())
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}
