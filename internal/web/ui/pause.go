package ui

import (
	"fmt"
	"net/http"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// handlePause returns the handler of POST /monitors/{id}/pause (paused
// true) and /resume (false); both go back to the monitor's page.
func (s *UI) handlePause(paused bool) Handler {
	return func(w http.ResponseWriter, r *http.Request, u store.User) error {
		id := r.PathValue("id")
		if err := s.d.Runtime.SetPaused(r.Context(), id, paused); err != nil {
			if errs.Code(err) == errs.ENOTFOUND {
				return errs.Errorf(errs.ENOTFOUND, "There is no monitor %q in the running configuration.", id)
			}
			return fmt.Errorf("pausing monitor %q: %w", id, err)
		}
		http.Redirect(w, r, monitorURL(id), http.StatusSeeOther)
		return nil
	}
}

// handleAcceptBaseline serves POST /monitors/{id}/baseline/accept: what
// the monitor's integrity check observed becomes its baseline, accepted
// by the person logged in; back to the monitor's page.
func (s *UI) handleAcceptBaseline(w http.ResponseWriter, r *http.Request, u store.User) error {
	id := r.PathValue("id")
	if s.d.AcceptBaseline == nil {
		return errs.Errorf(errs.ENOTFOUND, "This server keeps no baselines.")
	}
	if _, err := s.d.AcceptBaseline(r.Context(), id, u.Name); err != nil {
		return err
	}
	http.Redirect(w, r, monitorURL(id)+"#baseline", http.StatusSeeOther)
	return nil
}
