package ui

import (
	"net/http"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

type replicasData struct {
	// Shared is false when the server runs alone (SQLite).
	Shared bool
	webcore.ReplicasView
}

// handleReplicas renders "/replicas": the replicas sharing the database,
// what each runs, how late and when it was last heard from.
func (s *UI) handleReplicas(w http.ResponseWriter, r *http.Request, u store.User) error {
	var data replicasData
	if s.d.Replicas != nil {
		data.Shared, data.ReplicasView = true, s.d.Replicas()
	}
	s.Render(w, r, http.StatusOK, "replicas.html", &u, "Replicas", data)
	return nil
}
