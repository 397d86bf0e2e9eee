package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/web/status"
)

// incidentUpdateSource feeds the public updates of incidents to the status
// pages whose components include one of the incident's services. Only the
// update's status, message and time are shown: never the incident's
// title, timeline or people.
type incidentUpdateSource struct{ a *App }

// maxPublicUpdates bounds the updates one page view reads.
const maxPublicUpdates = 200

// Entries implements status.Source.
func (s incidentUpdateSource) Entries(ctx context.Context, page config.StatusPage, since time.Time) ([]status.Entry, error) {
	ups, err := s.a.store.PublicIncidentUpdates(ctx, since, maxPublicUpdates)
	if err != nil {
		return nil, fmt.Errorf("read the public incident updates: %w", err)
	}
	services := map[string]bool{}
	for _, c := range page.Components {
		if c.Service != "" {
			services[c.Service] = true
		}
		for _, id := range c.Services {
			services[id] = true
		}
	}
	shown := map[int64]bool{}
	var out []status.Entry
	for _, u := range ups {
		show, ok := shown[u.IncidentID]
		if !ok {
			in, err := s.a.store.Incident(ctx, u.IncidentID)
			if errs.Code(err) == errs.ENOTFOUND {
				shown[u.IncidentID] = false
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("read an incident of a public update: %w", err)
			}
			show = slices.ContainsFunc(in.Services, func(id string) bool { return services[id] })
			shown[u.IncidentID] = show
		}
		if !show {
			continue
		}
		out = append(out, status.Entry{ID: fmt.Sprintf("incident-update/%d", u.ID), Time: u.Time.UTC(),
			Title: "Incident: " + statusWord(u.Status), Text: u.Message})
	}
	return out, nil
}

func statusWord(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
