package webcore

import (
	"context"

	"github.com/tocsin/tocsin/internal/alertmanager"
	"github.com/tocsin/tocsin/internal/errs"
)

// Alertmanager takes the alerts Prometheus Alertmanager posts; the app
// implements it over the running configuration and the store.
type Alertmanager interface {
	// Receive turns the alerts of p into paged alerts and says what
	// became of each. Alerts refused for what they say (no service label,
	// an unknown service) are in the outcomes, the others are stored; the
	// error is EUNAVAILABLE when one of those could not be stored, so the
	// sender tries again.
	Receive(ctx context.Context, p alertmanager.Payload) ([]alertmanager.Outcome, error)
}

// NoAlertmanager is the Alertmanager of a server given none.
type NoAlertmanager struct{}

// Receive refuses.
func (NoAlertmanager) Receive(context.Context, alertmanager.Payload) ([]alertmanager.Outcome, error) {
	return nil, errs.Errorf(errs.EUNAVAILABLE, "this server takes no alerts from Alertmanager")
}
