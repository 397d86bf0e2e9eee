package app

import (
	"context"
	"fmt"

	"github.com/tocsin/tocsin/internal/alertmanager"
	"github.com/tocsin/tocsin/internal/audit"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// fileConfig is the configuration as the files hold it.
func (a *App) fileConfig() *config.Config {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.fileCfg
}

// recordReload records a reload of the configuration file in the audit
// log: what it added, changed and removed, or why it was refused.
// fp are the monitor fingerprints the reload computed, so that the diff
// does not digest every monitor again.
func (a *App) recordReload(ctx context.Context, prev, next *config.Config, fp audit.Fingerprints, err error) {
	e := store.AuditEntry{Action: "config.reload", ObjectKind: "config", ObjectID: a.opts.ConfigPath}
	if err != nil {
		e.Action = "config.reload_rejected"
		lines := errorLines(err)
		e.Summary = fmt.Sprintf("%d errors; the running configuration stays", len(lines))
		if len(lines) > 0 {
			e.Summary += ": " + lines[0]
		}
	} else {
		e.Summary = audit.ConfigDiff(prev, next, fp).Summary()
	}
	a.audit.Record(ctx, e)
}

// alertmanagerSource takes the alerts Alertmanager posts: it places them
// with the running configuration and the catalog's escalation policies,
// stores each alert's change to its paged alert, and wakes the escalator
// and the incident runner, which page and open incidents from the store as
// for a failing monitor.
type alertmanagerSource struct{ a *App }

// Receive stores the change of each alert that can be placed, each in its
// own transaction; when one cannot be stored the answer asks for the
// payload again (EUNAVAILABLE), which the alerts stored already take as a
// repetition. A change
// is tried twice: two Alertmanagers of a cluster post the same alert at
// once, and the one whose new paged alert lost the race finds the other's.
func (s alertmanagerSource) Receive(ctx context.Context, p alertmanager.Payload) ([]alertmanager.Outcome, error) {
	a := s.a
	policy := func(serviceID string) (config.EscalationPolicy, bool) { return a.directory().PolicyFor(serviceID) }
	changes, outcomes := alertmanager.Translate(a.config(), policy, p, a.now())
	stored, failed := 0, 0
	var last error
	j := 0
	for i := range outcomes {
		if !outcomes[i].Accepted {
			continue
		}
		c := changes[j]
		j++
		err := a.store.SaveBatch(ctx, store.Batch{Alerts: []store.AlertChange{c}})
		if err != nil && ctx.Err() == nil {
			err = a.store.SaveBatch(ctx, store.Batch{Alerts: []store.AlertChange{c}})
		}
		if err != nil {
			failed++
			last = err
			outcomes[i].Accepted = false
			outcomes[i].Error = "not stored: " + errs.Message(err)
			a.log.Error("alertmanager: storing an alert failed", "fingerprint", outcomes[i].Fingerprint, "err", err)
			continue
		}
		stored++
	}
	if stored > 0 {
		a.esc.Wake()
		a.inc.Wake()
	}
	if failed > 0 {
		// Alertmanager sends the whole group again on a 5xx; what was
		// stored already is left as it is.
		return outcomes, &errs.Error{Code: errs.EUNAVAILABLE, Message: fmt.Sprintf("%d of the alerts could not be stored; Alertmanager will send them again", failed), Err: last}
	}
	return outcomes, nil
}

var _ webcore.Alertmanager = alertmanagerSource{}
