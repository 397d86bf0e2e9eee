package followup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
)

// Store is what the runner needs of the store.
type Store interface {
	FollowUpsDueBy(ctx context.Context, until time.Time, limit int) ([]store.FollowUp, error)
	RecordFollowUpReminder(ctx context.Context, r store.FollowUpReminder) error
}

// Directory resolves an owner to the people and channels to remind. The
// catalog implements it.
type Directory interface {
	Person(id string) (catalog.Person, bool)
	Recipients(target string, at time.Time) []catalog.Recipient
}

// Options configure a Runner.
type Options struct {
	Store Store
	// Policy returns the running reminder policy (it may change on
	// reload).
	Policy func() Policy
	// Directory returns the current catalog.
	Directory func() Directory
	// BaseURL returns server.base_url, for links to the incident.
	BaseURL func() string
	Now     func() time.Time
	Logger  *slog.Logger
	// PollInterval is the time between two looks at the actions. Default
	// one minute: due dates are days.
	PollInterval time.Duration
	// Wake is called after reminders were queued, so the outbox sends
	// them at once. May be nil.
	Wake func()
}

// Runner queues the reminders Due decides, each with the record that it
// was sent.
type Runner struct {
	o    Options
	wake chan struct{}
}

// batch bounds the actions one step reads.
const batch = 1000

// New returns a Runner.
func New(o Options) *Runner {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Minute
	}
	if o.BaseURL == nil {
		o.BaseURL = func() string { return "" }
	}
	return &Runner{o: o, wake: make(chan struct{}, 1)}
}

// Wake makes Run take its next step now. It never blocks.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run takes a step every PollInterval until ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	for {
		if _, err := r.Step(ctx); err != nil && ctx.Err() == nil {
			r.o.Logger.Error("follow-up reminders: the store failed; retrying", "err", err, "retry_in", r.o.PollInterval)
		}
		t := time.NewTimer(r.o.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-r.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Step queues every reminder due now and returns how many it recorded.
func (r *Runner) Step(ctx context.Context) (int, error) {
	now, p := r.o.Now().UTC(), r.o.Policy()
	actions, err := r.o.Store.FollowUpsDueBy(ctx, now.Add(max(p.Before, 0)), batch)
	if err != nil {
		return 0, fmt.Errorf("reading follow-up actions: %w", err)
	}
	n, queued := 0, false
	for _, a := range actions {
		rem, ok := Due(a, now, p)
		if !ok {
			continue
		}
		last := a.RemindedDueAt
		if rem.Kind == store.ReminderOverdue {
			last = a.RemindedOverdueAt
		}
		msgs := r.messages(a, rem, now)
		err := r.o.Store.RecordFollowUpReminder(ctx, store.FollowUpReminder{ActionID: a.ID, Kind: rem.Kind, At: now, Last: last, Outbox: msgs})
		switch {
		case err == nil:
			n++
			queued = queued || len(msgs) > 0
		case errs.Code(err) == errs.ECONFLICT || errs.Code(err) == errs.ENOTFOUND:
			// Sent by another replica meanwhile, or deleted with its
			// incident: nothing to do.
		default:
			r.o.Logger.Error("follow-up reminders: could not queue a reminder", "action", a.ID, "kind", rem.Kind, "err", err)
		}
	}
	if queued && r.o.Wake != nil {
		r.o.Wake()
	}
	return n, nil
}

// Target is the escalation target an owner names: "person:ID" for a
// person of the catalog, the owner itself when it is a target already
// ("team:ops"), and "" for free text, which reaches nobody.
func Target(dir Directory, owner string) string {
	if _, ok := dir.Person(owner); ok {
		return "person:" + owner
	}
	if _, _, err := config.ParseTarget(owner); err == nil {
		return owner
	}
	return ""
}

// messages are the notifications of one reminder: one per immediate
// contact of each recipient the owner reaches (delayed contacts are for
// paging, not for reminders). Their ids derive from the action, the
// reminder's key and the contact.
func (r *Runner) messages(a store.FollowUp, rem Reminder, now time.Time) []notify.OutboxMessage {
	dir := r.o.Directory()
	target := Target(dir, a.Owner)
	if target == "" {
		r.o.Logger.Warn("follow-up reminders: the owner is not a person of the catalog; nobody was reminded", "action", a.ID, "owner", a.Owner)
		return nil
	}
	name, what := notify.EventActionDue, "due"
	if rem.Kind == store.ReminderOverdue {
		name, what = notify.EventActionOverdue, "overdue"
	}
	ev := notify.Event{Event: name, Status: a.Status, Reason: fmt.Sprintf("Follow-up action %s (%s): %s", what, a.Due, a.Title), Time: now,
		IncidentID: a.IncidentID, ActionID: a.ID, Due: a.Due, Owners: []catalog.Owner{}, Recipient: target}
	if base := r.o.BaseURL(); base != "" {
		ev.URL = strings.TrimRight(base, "/") + "/incidents/" + strconv.FormatInt(a.IncidentID, 10) + "#actions"
	}
	var out []notify.OutboxMessage
	seen := map[string]bool{}
	for _, rc := range dir.Recipients(target, now) {
		if rc.Problem != "" {
			r.o.Logger.Warn("follow-up reminders: the owner cannot be reached", "action", a.ID, "owner", a.Owner, "problem", rc.Problem)
		}
		for _, c := range immediate(rc.Contacts) {
			key := rc.Kind + ":" + rc.ID + "\x00" + c.Channel + "\x00" + c.Address
			if seen[key] {
				continue
			}
			seen[key] = true
			h := sha256.Sum256([]byte(key))
			e := ev
			e.ID = fmt.Sprintf("action-%d-%s-%s", a.ID, rem.Key, hex.EncodeToString(h[:8]))
			e.To = c.Address
			out = append(out, notify.OutboxMessage{ID: e.ID, Channel: c.Channel, Event: e, State: notify.StatePending, NextAttempt: now, CreatedAt: now})
		}
	}
	return out
}

// immediate keeps the contacts without a delay, or the first one when
// every contact has one.
func immediate(cs []catalog.Contact) []catalog.Contact {
	var out []catalog.Contact
	for _, c := range cs {
		if c.After == 0 {
			out = append(out, c)
		}
	}
	if len(out) == 0 && len(cs) > 0 {
		out = cs[:1]
	}
	return out
}
