package app

import (
	"context"
	"fmt"
	"slices"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/subscribe"
	"github.com/tocsin/tocsin/internal/web/status"
)

// activeIncidents lists, for a status page, the incidents under way that
// touch its services and have a public update, with the latest one.
type activeIncidents struct{ a *App }

// maxActive bounds the active incidents one page view reads.
const maxActive = 100

// Active implements status.ActiveSource.
func (s activeIncidents) Active(ctx context.Context, page config.StatusPage) ([]status.ActiveIncident, error) {
	ins, err := s.a.store.Incidents(ctx, "active", store.Page{Limit: maxActive})
	if err != nil {
		return nil, fmt.Errorf("read the active incidents: %w", err)
	}
	var out []status.ActiveIncident
	for _, in := range ins {
		if !subscribe.Shows(&page, in.Services) {
			continue
		}
		ups, err := s.a.store.IncidentUpdatesOf(ctx, in.ID)
		if err != nil {
			return nil, fmt.Errorf("read the updates of incident %d: %w", in.ID, err)
		}
		ups = slices.DeleteFunc(ups, func(u store.IncidentUpdate) bool { return !u.Public })
		if len(ups) == 0 {
			continue
		}
		out = append(out, status.ActiveIncident{Status: ups[0].Status, Message: ups[0].Message, Updated: ups[0].Time,
			Started: ups[len(ups)-1].Time, Services: in.Services})
	}
	return out, nil
}

// runSubscriptions hands each public incident update to the subscribers
// of the status pages that show it, until ctx ends.
func (a *App) runSubscriptions(ctx context.Context) {
	f := &subscribe.Fanout{Store: a.store, Config: a.config, Now: a.now, Logger: a.log, Queued: a.disp.Wake}
	f.Run(ctx)
}
