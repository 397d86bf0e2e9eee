package ui

import (
	"net/http"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// handleDemoToggle flips the built-in demo target between healthy and
// failing and returns to the overview.
func (s *UI) handleDemoToggle(w http.ResponseWriter, r *http.Request, _ store.User) error {
	if s.d.DemoToggle == nil {
		return errs.Errorf(errs.ENOTFOUND, "No demo target runs; set server.demo_target in the configuration to start one.")
	}
	s.d.DemoToggle(!s.d.DemoState())
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}
