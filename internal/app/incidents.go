package app

import (
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/incident"
	"github.com/tocsin/tocsin/internal/store"
)

// buildIncidents makes the incident runner: it opens an incident for each
// new paged alert, follows the alerts' recoveries and resolves incidents
// after incidents.resolve_after, all from what the store holds.
func (a *App) buildIncidents() {
	a.inc = incident.New(incident.Options{
		Store:  a.store,
		Config: func() config.Incidents { return a.config().Incidents },
		Now:    a.now,
		Logger: a.log,
		// Short enough that an incident opens within seconds of its
		// alert; a step is a few small reads when nothing changed.
		PollInterval: 2 * time.Second,
		Event: func(event string, in store.Incident) {
			a.log.Info(event, "incident", in.ID, "state", in.State, "severity", in.Severity, "title", in.Title)
		},
	})
}
