package status

import (
	"context"
	"slices"
	"time"

	"github.com/tocsin/tocsin/internal/config"
)

// ActiveIncident is an incident under way, as a status page shows it at
// its top: its latest public update and the services it touches. An
// incident without a public update is not shown.
type ActiveIncident struct {
	// Status, Message and Updated are the latest public update's.
	Status  string
	Message string
	Updated time.Time
	// Started is when the first public update was posted.
	Started time.Time
	// Services are the incident's services; the page names the
	// components that show them, never the ids.
	Services []string
}

// ActiveSource lists the active incidents that touch a page's services,
// newest first.
type ActiveSource interface {
	Active(ctx context.Context, page config.StatusPage) ([]ActiveIncident, error)
}

// activeView is one active incident on the page.
type activeView struct {
	Status, Message  string
	Updated, Started time.Time
	Components       []string
}

// active names the components each active incident touches.
func (h *Handler) active(ctx context.Context, p *config.StatusPage, comps []componentView) ([]activeView, error) {
	if h.d.Incidents == nil {
		return nil, nil
	}
	ins, err := h.d.Incidents.Active(ctx, *p)
	if err != nil {
		return nil, err
	}
	var out []activeView
	for _, in := range ins {
		av := activeView{Status: in.Status, Message: in.Message, Updated: in.Updated.UTC(), Started: in.Started.UTC()}
		for i, c := range p.Components {
			if slices.ContainsFunc(c.ServiceIDs(), func(id string) bool { return slices.Contains(in.Services, id) }) && i < len(comps) {
				av.Components = append(av.Components, comps[i].Name)
			}
		}
		if len(av.Components) > 0 {
			out = append(out, av)
		}
	}
	return out, nil
}
