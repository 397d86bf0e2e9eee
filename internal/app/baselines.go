package app

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/integrity"
	"github.com/tocsin/tocsin/internal/store"
)

// Observed facts (an integrity check's file hashes, owners and modes) are
// judged against the baselines the server keeps, between the probe that
// observed them, wherever it ran, and the engine. The probe and the agent
// know no baseline: the server is the one place that keeps them, so they
// survive the reinstall of an agent, and an acceptance counts at once for
// every run after it.

// baselines is the judging stage: the baselines of the monitors that
// reported facts, read from the store once and kept.
type baselines struct {
	store store.Baselines

	mu    sync.Mutex
	cache map[string]map[string]integrity.Baseline // monitor → subject
}

func newBaselines(st store.Baselines) *baselines {
	return &baselines{store: st, cache: map[string]map[string]integrity.Baseline{}}
}

// load returns the baselines of a monitor. Callers hold b.mu.
func (b *baselines) load(ctx context.Context, id string) (map[string]integrity.Baseline, error) {
	if m, ok := b.cache[id]; ok {
		return m, nil
	}
	list, err := b.store.Baselines(ctx, id)
	if err != nil {
		return nil, err
	}
	m := make(map[string]integrity.Baseline, len(list))
	for _, sb := range list {
		m[sb.Subject] = integrity.Baseline{Subject: sb.Subject, Values: sb.Values, Observed: sb.Observed,
			ChangedAt: sb.ChangedAt, AcceptedBy: sb.AcceptedBy, AcceptedAt: sb.AcceptedAt}
	}
	b.cache[id] = m
	return m, nil
}

// save stores changed baselines of a monitor and keeps them. Callers hold
// b.mu.
func (b *baselines) save(ctx context.Context, id string, m map[string]integrity.Baseline, changed []integrity.Baseline) error {
	if len(changed) == 0 {
		return nil
	}
	rows := make([]store.Baseline, len(changed))
	for i, c := range changed {
		rows[i] = store.Baseline{MonitorID: id, Subject: c.Subject, Values: c.Values, Observed: c.Observed,
			ChangedAt: c.ChangedAt, AcceptedBy: c.AcceptedBy, AcceptedAt: c.AcceptedAt}
	}
	if err := b.store.SaveBaselines(ctx, rows); err != nil {
		return err
	}
	for _, c := range changed {
		m[c.Subject] = c
	}
	return nil
}

// judge compares the facts r carries with its monitor's baselines. When
// the baselines cannot be read or written the result is UNKNOWN: a
// change must not pass as a match.
func (b *baselines) judge(ctx context.Context, r probe.Result) probe.Result {
	if len(r.Facts) == 0 {
		return r
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	m, err := b.load(ctx, r.MonitorID)
	if err == nil {
		var changed []integrity.Baseline
		r, changed = integrity.Judge(r, m)
		err = b.save(ctx, r.MonitorID, m, changed)
	}
	if err != nil {
		r.Status, r.Reason = probe.Unknown, fmt.Sprintf("%s (the baseline could not be read or saved: %v)", r.Reason, err)
	}
	return r
}

// accept makes the differing observations of a monitor its baseline, as
// accepted by who at at. It returns the subjects accepted; ECONFLICT when
// nothing differs.
func (b *baselines) accept(ctx context.Context, id, who string, at time.Time) ([]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m, err := b.load(ctx, id)
	if err != nil {
		return nil, err
	}
	var changed []integrity.Baseline
	var subjects []string
	for _, bl := range m {
		if bl.Observed != nil {
			changed = append(changed, bl.Accept(who, at))
			subjects = append(subjects, bl.Subject)
		}
	}
	if len(changed) == 0 {
		return nil, errs.Errorf(errs.ECONFLICT, "monitor %q has no change to accept: its files match their baseline", id)
	}
	slices.Sort(subjects)
	return subjects, b.save(ctx, id, m, changed)
}

// submit hands a result of a probe, local or an agent's, to the engine
// after the facts it carries are judged against their baselines.
func (a *App) submit(ctx context.Context, r probe.Result) {
	a.eng.Submit(ctx, a.baselines.judge(ctx, r))
}

// acceptBaseline accepts the changes a monitor's integrity check observed,
// for the page and the API.
func (a *App) acceptBaseline(ctx context.Context, id, who string) ([]string, error) {
	if _, ok := a.eng.View(id); !ok {
		return nil, errs.Errorf(errs.ENOTFOUND, "no monitor %q is configured", id)
	}
	subjects, err := a.baselines.accept(ctx, id, who, a.now().UTC())
	if err == nil {
		a.log.Info("baseline accepted", "monitor", id, "by", who, "files", subjects)
	}
	return subjects, err
}
