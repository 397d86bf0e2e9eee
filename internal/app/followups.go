package app

import (
	"github.com/tocsin/tocsin/internal/followup"
)

// buildFollowUps makes the runner that reminds the owners of follow-up
// actions, through the catalog's contacts and the outbox.
func (a *App) buildFollowUps() {
	a.followUps = followup.New(followup.Options{
		Store: a.store,
		Policy: func() followup.Policy {
			in := a.config().Incidents
			return followup.Policy{Before: in.ActionReminderBefore.D(), Every: in.ActionOverdueEvery.D()}
		},
		Directory: func() followup.Directory { return a.catalog() },
		BaseURL:   func() string { return a.config().Server.BaseURL },
		Now:       a.now,
		Logger:    a.log,
		Wake:      a.disp.Wake,
	})
}
