package api

import (
	"io"
	"net/http"
	"net/url"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// monitorBody reads a monitor definition of at most config.MaxMonitorSize
// bytes: YAML or JSON in the configuration's own schema.
func monitorBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, config.MaxMonitorSize)
	return io.ReadAll(r.Body) // a *http.MaxBytesError is a 413
}

// serveMonitorCreate serves POST /api/v1/monitors: a monitor written as in
// the configuration file, stored and run at once.
func (s *API) serveMonitorCreate(w http.ResponseWriter, r *http.Request, u store.User) error {
	body, err := monitorBody(w, r)
	if err != nil {
		return err
	}
	m, err := s.d.Monitors.CreateMonitor(r.Context(), body, u.Name)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/monitors/"+url.PathEscape(m.Config.ID))
	webcore.WriteJSON(w, http.StatusCreated, One[Monitor]{Data: s.toAPIMonitor(m)})
	return nil
}

// serveMonitorReplace serves PUT /api/v1/monitors/{id}: the whole new
// definition of a monitor created through the API.
func (s *API) serveMonitorReplace(w http.ResponseWriter, r *http.Request, u store.User) error {
	body, err := monitorBody(w, r)
	if err != nil {
		return err
	}
	m, err := s.d.Monitors.UpdateMonitor(r.Context(), r.PathValue("id"), body, u.Name)
	if err != nil {
		return err
	}
	webcore.WriteJSON(w, http.StatusOK, One[Monitor]{Data: s.toAPIMonitor(m)})
	return nil
}

// serveMonitorDelete serves DELETE /api/v1/monitors/{id} for a monitor
// created through the API; its results stay until pruned.
func (s *API) serveMonitorDelete(w http.ResponseWriter, r *http.Request, _ store.User) error {
	if err := s.d.Monitors.DeleteMonitor(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
