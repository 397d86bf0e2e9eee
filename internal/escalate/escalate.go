// Package escalate runs escalation policies: it claims the paged alerts'
// due timers from the store, the way the notification dispatcher claims the
// outbox (a lease under this process's name, released at start, and FOR
// UPDATE SKIP LOCKED on PostgreSQL), and fires each one in a single
// transaction: the notifications of a step, the log entries, the next
// timers. A restart at any moment resumes every policy at the step it was
// at, on time: the timers are rows, not goroutines.
//
// The timers and what they do:
//
//   - step: page the targets of one policy step (alert.opened for the
//     first, alert.escalated after), then schedule the next step, counted
//     from the first; after the last step the policy runs again `repeat`
//     times. A step that reaches nobody fires the next one at once.
//   - contact: a person's contact rule with a delay ("email after 5
//     minutes"), sent then only when the alert is still open.
//   - update: alert.updated (a monitor joined), to everyone paged so far,
//     at most once per alerting.group_interval.
//   - notify: alert.acknowledged or alert.resolved, to everyone paged.
//   - unsnooze: the end of a snooze; the escalation resumes.
//
// Notification ids are derived from the alert, the timer and the
// recipient's channel and address, so a timer fired twice (a lease that
// ran out mid-fire) queues each notification once.
package escalate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
)

// Defaults used when Options leaves a field zero.
const (
	DefaultLease        = time.Minute
	DefaultPollInterval = 5 * time.Second
	DefaultBatchSize    = 100
	// DefaultRepeatGap is the pause before a policy runs again when its
	// last two steps give none (a policy of one step at once).
	DefaultRepeatGap = 5 * time.Minute
)

// Directory answers whom a target reaches and which policy pages for a
// service. The catalog implements it.
type Directory interface {
	Recipients(target string, at time.Time) []catalog.Recipient
	PolicyFor(serviceID string) (config.EscalationPolicy, bool)
}

// Store is the part of the store the escalator uses.
type Store interface {
	Alert(ctx context.Context, id int64) (store.Alert, error)
	ClaimTimers(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]store.AlertTimer, error)
	FireTimer(ctx context.Context, f store.TimerFiring) error
	ReleaseTimerLeases(ctx context.Context, owner string) (int, error)
	NextTimerDue(ctx context.Context) (time.Time, bool, error)
}

// Options configure an Escalator.
type Options struct {
	// Store keeps the alerts and timers. Required.
	Store Store
	// Directory returns the current catalog (it changes on reload).
	// Required.
	Directory func() Directory
	// Config returns the current configuration: names, runbooks and owners
	// for the notifications. Required.
	Config func() *config.Config
	// Links signs the one-click links; nil sends none.
	Links *Links
	// Owner names this process in leases (see notify.DispatcherOptions).
	Owner string
	// Logger receives problems (a recipient nobody can reach) and store
	// errors. Default: discard.
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Lease is how long a claimed timer is reserved. Default 1m.
	Lease time.Duration
	// PollInterval is the longest the escalator sleeps between looks at
	// the timers. Default 5s.
	PollInterval time.Duration
	// BatchSize is the most timers claimed at once. Default 100.
	BatchSize int
	// Wake is called after a firing queued notifications, so the outbox
	// dispatcher sends them at once. May be nil.
	Wake func()
	// Registerer receives the escalator's metrics; nil registers none.
	Registerer prometheus.Registerer
}

// Escalator fires the paged alerts' timers.
type Escalator struct {
	o     Options
	wake  chan struct{}
	fired atomic.Int64

	queued   *prometheus.CounterVec
	problems prometheus.Counter
}

// New returns an escalator; nothing happens until Run.
func New(o Options) *Escalator {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Owner == "" {
		host, _ := os.Hostname()
		o.Owner = fmt.Sprintf("%s-%d-%08x", host, os.Getpid(), rand.Uint32())
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	e := &Escalator{o: o, wake: make(chan struct{}, 1),
		queued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_alert_notifications_total",
			Help: "Notifications of paged alerts queued by the escalation, by event (alert.opened, alert.escalated, ...).",
		}, []string{"event"}),
		problems: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tocsin_escalation_unreachable_total",
			Help: "Escalation targets that reached nobody (no usable contact, nobody on call); each is in the alert's log.",
		}),
	}
	if o.Registerer != nil {
		o.Registerer.MustRegister(e.queued, e.problems)
	}
	return e
}

// Wake makes Run look at the timers now. It never blocks.
func (e *Escalator) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Fired counts the timers fired since New.
func (e *Escalator) Fired() int64 { return e.fired.Load() }

// Run fires due timers until ctx ends. It starts by releasing the leases
// held under its owner name: they belong to a previous run that died.
func (e *Escalator) Run(ctx context.Context) error {
	if e.o.Store == nil || e.o.Directory == nil || e.o.Config == nil {
		return errors.New("escalator: store, directory and configuration are required")
	}
	if n, err := e.o.Store.ReleaseTimerLeases(ctx, e.o.Owner); err != nil {
		e.o.Logger.Error("escalation: could not release the leases of the previous run", "owner", e.o.Owner, "err", err)
	} else if n > 0 {
		e.o.Logger.Info("escalation: resuming timers that were in flight when the previous run stopped", "count", n)
	}
	for {
		n, err := e.Step(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := e.o.PollInterval
		if err != nil {
			e.o.Logger.Error("escalation: the store failed; retrying", "err", err, "retry_in", wait)
		} else if n > 0 {
			// What fired may have scheduled more work due now (a step
			// that reached nobody, a resumed escalation).
			continue
		} else if next, ok, err := e.o.Store.NextTimerDue(ctx); err == nil && ok {
			wait = min(wait, max(0, next.Sub(e.o.Now())))
		}
		if wait <= 0 {
			// Due now and yet not claimed: the clocks of two replicas
			// disagree a little. Look again shortly.
			wait = 10 * time.Millisecond
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-e.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Step claims the due timers and fires them, returning how many it
// claimed.
func (e *Escalator) Step(ctx context.Context) (int, error) {
	now := e.o.Now().UTC()
	ts, err := e.o.Store.ClaimTimers(ctx, e.o.Owner, now, e.o.Lease, e.o.BatchSize)
	if err != nil {
		return 0, fmt.Errorf("claiming alert timers: %w", err)
	}
	queued := false
	for _, t := range ts {
		f, err := e.firing(ctx, t, now)
		if err == nil {
			err = e.o.Store.FireTimer(ctx, f)
		}
		switch {
		case err == nil:
			e.fired.Add(1)
			queued = queued || len(f.Outbox) > 0
			for _, m := range f.Outbox {
				e.queued.WithLabelValues(m.Event.Event).Inc()
			}
			for _, x := range f.Actions {
				if x.Kind == store.ActionProblem {
					e.problems.Inc()
				}
			}
		case errs.Code(err) == errs.ENOTFOUND:
			// Dropped meanwhile (acknowledged, resolved), or fired by
			// another replica: nothing to do.
		default:
			// The lease runs out and the timer is tried again.
			e.o.Logger.Error("escalation: firing a timer failed", "alert", t.AlertID, "timer", t.Kind, "step", t.Step, "err", err)
		}
	}
	if queued && e.o.Wake != nil {
		e.o.Wake()
	}
	return len(ts), nil
}

// contactPayload is a contact timer's detail: whom to tell, and how.
type contactPayload struct {
	Target    string `json:"target"`
	Recipient string `json:"recipient"`
	Name      string `json:"name,omitempty"`
	Channel   string `json:"channel"`
	Address   string `json:"address,omitempty"`
}

// firing decides what timer t does, reading the alert as it is now.
func (e *Escalator) firing(ctx context.Context, t store.AlertTimer, now time.Time) (store.TimerFiring, error) {
	f := store.TimerFiring{Timer: t}
	a, err := e.o.Store.Alert(ctx, t.AlertID)
	if err != nil {
		return f, err
	}
	switch t.Kind {
	case store.TimerStep:
		if a.State != store.AlertOpen {
			return f, nil // acknowledged or resolved since: the step is dropped
		}
		e.step(&f, a, now)
	case store.TimerContact:
		if a.State != store.AlertOpen {
			return f, nil
		}
		var p contactPayload
		if err := json.Unmarshal([]byte(t.Payload), &p); err != nil {
			f.Actions = append(f.Actions, store.AlertAction{Time: now, Kind: store.ActionProblem, Who: "system", Step: t.Step, Round: t.Round, Detail: "a delayed contact could not be read: " + err.Error()})
			return f, nil
		}
		ev := e.event(a, notify.EventAlertEscalated, now)
		ev.EscalationStep = t.Step
		if t.Step == 1 && t.Round == 0 {
			ev.Event = notify.EventAlertOpened
		}
		e.send(&f, a, ev, t, p, now)
	case store.TimerUpdate:
		if a.State == store.AlertResolved || a.Step == 0 {
			return f, nil // nobody paged yet: the first page lists every monitor
		}
		e.tellPaged(&f, a, e.event(a, notify.EventAlertUpdated, now), now)
		f.UpdatedAt = now
	case store.TimerNotify:
		ev := e.event(a, t.Payload, now)
		switch t.Payload {
		case notify.EventAlertAcknowledged:
			ev.By = a.AcknowledgedBy
		case notify.EventAlertResolved:
			ev.By = a.ResolvedBy
		}
		e.tellPaged(&f, a, ev, now)
	case store.TimerUnsnooze:
		if a.State != store.AlertAcknowledged || a.SnoozedUntil.IsZero() || a.SnoozedUntil.After(now) {
			return f, nil
		}
		f.Unsnooze = true
		f.Actions = append(f.Actions, store.AlertAction{Time: now, Kind: store.ActionUnacknowledged, Who: "system", Step: a.Step, Round: a.Round, Detail: "the snooze ended"})
		f.Next = append(f.Next, store.AlertTimer{DueAt: now, Kind: store.TimerStep, Step: max(a.Step, 1), Round: a.Round, Payload: `{"resume":true}`})
	default:
		f.Actions = append(f.Actions, store.AlertAction{Time: now, Kind: store.ActionProblem, Who: "system", Detail: "unknown timer kind " + t.Kind})
	}
	return f, nil
}

// step pages the targets of one policy step and schedules the next.
func (e *Escalator) step(f *store.TimerFiring, a store.Alert, now time.Time) {
	t := f.Timer
	dir := e.o.Directory()
	p, ok := dir.PolicyFor(a.ServiceID)
	if !ok || len(p.Steps) == 0 {
		f.Actions = append(f.Actions, store.AlertAction{Time: now, Kind: store.ActionProblem, Who: "system", Step: t.Step, Round: t.Round,
			Detail: fmt.Sprintf("no escalation policy pages for service %q any more; nobody was paged", a.ServiceID)})
		e.o.Logger.Warn("escalation: no policy pages for the alert's service", "alert", a.ID, "service", a.ServiceID)
		return
	}
	idx := min(max(t.Step, 1), len(p.Steps)) - 1
	st := p.Steps[idx]
	f.Step, f.Round = idx+1, t.Round
	f.Actions = append(f.Actions, store.AlertAction{Time: now, Kind: store.ActionEscalated, Who: "system", Step: idx + 1, Round: t.Round,
		Target: strings.Join(st.Notify, ", "), Detail: fmt.Sprintf("step %d of policy %s, round %d", idx+1, p.ID, t.Round+1)})
	name := notify.EventAlertEscalated
	if idx == 0 && t.Round == 0 && !strings.Contains(t.Payload, `"resume"`) {
		name = notify.EventAlertOpened
	}
	ev := e.event(a, name, now)
	ev.EscalationStep = idx + 1
	reached := 0
	for _, target := range st.Notify {
		rs := dir.Recipients(target, now)
		if len(rs) == 0 {
			rs = []catalog.Recipient{{Target: target, Problem: target + " reaches nobody"}}
		}
		for _, r := range rs {
			key := r.Kind + ":" + r.ID
			if r.Problem != "" || len(r.Contacts) == 0 {
				problem := r.Problem
				if problem == "" {
					problem = r.Name + " has no usable contact"
				}
				f.Actions = append(f.Actions, store.AlertAction{Time: now, Kind: store.ActionProblem, Who: "system", Step: idx + 1, Round: t.Round, Target: target, Detail: problem})
				e.o.Logger.Warn("escalation: a recipient cannot be reached; the step escalates onward", "alert", a.ID, "step", idx+1, "target", target, "problem", problem)
				continue
			}
			for _, c := range r.Contacts {
				p := contactPayload{Target: target, Recipient: key, Name: r.Name, Channel: c.Channel, Address: c.Address}
				reached++
				if c.After > 0 {
					js, _ := json.Marshal(p)
					f.Next = append(f.Next, store.AlertTimer{DueAt: now.Add(c.After), Kind: store.TimerContact, Step: idx + 1, Round: t.Round, Payload: string(js)})
					continue
				}
				e.send(f, a, ev, t, p, now)
			}
		}
	}
	// The next step is counted from the first: its `after` minus this
	// one's, from when this one was due (or from now on resuming).
	from := t.DueAt
	if strings.Contains(t.Payload, `"resume"`) {
		from = now
	}
	next := store.AlertTimer{Kind: store.TimerStep, Round: t.Round}
	switch {
	case idx+1 < len(p.Steps):
		next.Step = idx + 2
		next.DueAt = from.Add(p.Steps[idx+1].After.D() - st.After.D())
	case t.Round < p.Repeat:
		next.Step, next.Round = 1, t.Round+1
		next.DueAt = from.Add(RepeatGap(p))
	default:
		if reached == 0 {
			e.o.Logger.Warn("escalation: the last step of the policy reached nobody", "alert", a.ID, "policy", p.ID)
		}
		return
	}
	if reached == 0 {
		next.DueAt = now // a step that reaches nobody escalates at once
	}
	f.Next = append(f.Next, next)
}

// RepeatGap is the pause between the last step of a policy and the first
// step of its next round: the gap between its last two steps (the last
// step's `after` for a one-step policy), or DefaultRepeatGap when that is
// zero.
func RepeatGap(p config.EscalationPolicy) time.Duration {
	n := len(p.Steps)
	if n == 0 {
		return DefaultRepeatGap
	}
	gap := p.Steps[n-1].After.D()
	if n > 1 {
		gap -= p.Steps[n-2].After.D()
	}
	if gap <= 0 {
		gap = DefaultRepeatGap
	}
	return gap + p.Steps[0].After.D()
}

// tellPaged sends ev to everyone the alert paged so far, once per channel
// and address.
func (e *Escalator) tellPaged(f *store.TimerFiring, a store.Alert, ev notify.Event, now time.Time) {
	seen := map[string]bool{}
	for _, x := range a.Actions {
		if x.Kind != store.ActionNotified {
			continue
		}
		k := x.Channel + "\x00" + x.Address
		if seen[k] {
			continue
		}
		seen[k] = true
		ev := ev
		ev.EscalationStep = x.Step
		e.send(f, a, ev, f.Timer, contactPayload{Target: x.Target, Recipient: x.Detail, Channel: x.Channel, Address: x.Address}, now)
	}
}

// send queues ev for one contact and logs it on the alert. The
// notification id is derived from the alert, the timer and the contact.
func (e *Escalator) send(f *store.TimerFiring, a store.Alert, ev notify.Event, t store.AlertTimer, p contactPayload, now time.Time) {
	h := sha256.Sum256([]byte(p.Recipient + "\x00" + p.Channel + "\x00" + p.Address))
	ev.ID = fmt.Sprintf("alert-%d-t%d-%s", a.ID, t.ID, hex.EncodeToString(h[:8]))
	ev.Recipient = p.Target
	ev.To = p.Address
	if ev.Event == notify.EventAlertOpened || ev.Event == notify.EventAlertEscalated || ev.Event == notify.EventAlertUpdated {
		ev.AckURL = e.ackURL(a.ID, p.Recipient, now)
	}
	f.Outbox = append(f.Outbox, notify.OutboxMessage{ID: ev.ID, Channel: p.Channel, Event: ev, State: notify.StatePending, NextAttempt: now, CreatedAt: now})
	if ev.Event == notify.EventAlertOpened || ev.Event == notify.EventAlertEscalated || t.Kind == store.TimerContact {
		f.Actions = append(f.Actions, store.AlertAction{Time: now, Kind: store.ActionNotified, Who: "system", Step: max(t.Step, ev.EscalationStep), Round: t.Round,
			Target: p.Target, Channel: p.Channel, Address: p.Address, Detail: p.Recipient})
	}
}

// ackURL is the one-click acknowledgement link for who, under the running
// configuration's server.base_url (a reload may change it).
func (e *Escalator) ackURL(alertID int64, who string, now time.Time) string {
	if e.o.Links == nil {
		return ""
	}
	l := *e.o.Links
	if cfg := e.o.Config(); cfg != nil && cfg.Server.BaseURL != "" {
		l.BaseURL = cfg.Server.BaseURL
	}
	return l.URL(alertID, LinkAcknowledge, who, now)
}

// event renders the alert as an event named name.
func (e *Escalator) event(a store.Alert, name string, now time.Time) notify.Event {
	cfg := e.o.Config()
	ev := notify.Event{Event: name, AlertID: a.ID, ServiceID: a.ServiceID, Status: "down", Time: now, Owners: []catalog.Owner{}}
	if a.State == store.AlertResolved {
		ev.Status = "up"
	}
	down := 0
	for _, m := range a.Monitors {
		am := notify.AlertMonitor{ID: m.MonitorID, Status: m.Status, Reason: m.Reason, ImpactedBy: m.ImpactedBy}
		if cfg != nil {
			if mc, ok := cfg.Monitor(m.MonitorID); ok {
				am.Name = mc.Name
			}
		}
		ev.Monitors = append(ev.Monitors, am)
		if m.Status == "down" && down == 0 || ev.MonitorID == "" {
			ev.MonitorID, ev.MonitorName, ev.Reason = am.ID, am.Name, m.Reason
		}
		if m.Status == "down" {
			down++
		}
	}
	if cfg == nil {
		return ev
	}
	if svc, ok := cfg.Service(a.ServiceID); ok && a.ServiceID != "" {
		ev.ServiceName, ev.ServiceDescription, ev.Runbook = svc.Name, svc.Description, svc.Runbook
		ev.Owners = catalog.ServiceOwners(cfg, a.ServiceID)
	}
	if base := cfg.Server.BaseURL; base != "" {
		ev.URL = strings.TrimRight(base, "/") + "/alerts/" + url.PathEscape(fmt.Sprint(a.ID))
	}
	return ev
}
