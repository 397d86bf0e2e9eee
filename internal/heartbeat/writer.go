package heartbeat

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/batch"
)

func (h *Hub) writer() {
	batch := make([]*request, 0, h.o.MaxBatch)
	concurrent := false
	for {
		select {
		case r := <-h.in:
			batch = append(batch, r)
		case <-h.stop:
			// Answer everything handed in before the stop.
			for {
				select {
				case r := <-h.in:
					batch = append(batch, r)
					if len(batch) == h.o.MaxBatch {
						h.commit(batch)
						batch = batch[:0]
					}
					continue
				default:
				}
				break
			}
			if len(batch) > 0 {
				h.commit(batch)
			}
			h.checkpoint()
			return
		}
		h.fill(&batch, concurrent)
		concurrent = len(batch) > 1
		h.commit(batch)
		clear(batch)
		batch = batch[:0]
	}
}

// fill takes what else is waiting. Under concurrent load (the last batch
// had company) it yields a few times first, so handlers about to hand in
// a ping join this commit instead of waiting for the next: fewer, larger
// transactions for the same pings.
func (h *Hub) fill(batch *[]*request, concurrent bool) {
	tries := 0
	if concurrent {
		tries = 3
	}
	for {
		for len(*batch) < h.o.MaxBatch {
			select {
			case r := <-h.in:
				*batch = append(*batch, r)
				continue
			default:
			}
			break
		}
		if tries == 0 || len(*batch) >= h.o.MaxBatch {
			return
		}
		tries--
		runtime.Gosched()
	}
}

// commit applies a batch to the states, writes pings and states in one
// transaction and answers every request. When the database refuses a ping
// the others are written without it (batch.Write finds it) and only its
// sender gets an error; the states then follow the pings written.
func (h *Hub) commit(reqs []*request) {
	start := time.Now()
	h.applyMu.Lock()
	defer h.applyMu.Unlock()
	h.mu.Lock()
	pings, next, results, routed := h.applyLocked(reqs)
	// Now and then the batch also carries every state changed since the
	// last checkpoint; otherwise only pings are written.
	var states map[string]json.RawMessage
	checkpoint := time.Since(h.lastCheckpoint) >= h.o.CheckpointEvery
	if checkpoint {
		var err error
		if states, err = h.dirtyStatesLocked(next); err != nil {
			h.mu.Unlock()
			h.answer(reqs, err)
			return
		}
	}
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	idx := make([]int, len(reqs))
	for i := range idx {
		idx[i] = i
	}
	first := true
	o := batch.Write(h.o.Writer, idx, func(ix []int) error {
		if first {
			// Only the first write holds the whole batch, and so the
			// states that follow from it.
			first = false
			return h.o.Store.SavePings(ctx, store.PingBatch{Pings: pings, States: states, Routed: routedList(routed, nil)})
		}
		b := store.PingBatch{Pings: make([]store.Ping, len(ix)), Routed: routedList(routed, ix)}
		for j, i := range ix {
			b.Pings[j] = pings[i]
		}
		err := h.o.Store.SavePings(ctx, b)
		if err != nil && len(ix) == 1 {
			p := b.Pings[0]
			err = fmt.Errorf("%s ping of heartbeat %q from %s: %w", p.Kind, p.HeartbeatID, p.Source, err)
		}
		return err
	})
	cancel()
	h.m.commitSeconds.Observe(time.Since(start).Seconds())
	h.m.batchSize.Observe(float64(len(reqs)))
	if o.Err != nil {
		h.o.Logger.Error("storing pings", "pings", len(o.Unwritten), "err", o.Err)
		h.m.commitErrors.Inc()
	}
	if o.Err == nil && len(o.Rejected) == 0 {
		submit := h.install(reqs, next, results, states, checkpoint)
		h.answer(reqs, nil)
		h.submit(submit)
		return
	}
	// Some pings were not stored: answer each, and apply only those that
	// were, from the states before this batch.
	failed := make(map[int]error, len(o.Rejected)+len(o.Unwritten))
	for _, r := range o.Rejected {
		failed[r.Row] = &errs.Error{Code: errs.EINVALID, Message: "the ping was not stored: " + errs.Message(r.Err) + " (the pings sent with it were stored)", Err: fmt.Errorf("%w: %w", ErrRefused, r.Err)}
	}
	for _, i := range o.Unwritten {
		failed[i] = errs.Errorf(errs.EUNAVAILABLE, "the ping could not be stored; try again")
	}
	written := make([]*request, 0, len(reqs)-len(failed))
	for i, r := range reqs {
		if _, ok := failed[i]; !ok {
			written = append(written, r)
		}
	}
	var submit []probe.Result
	if len(written) > 0 {
		h.mu.Lock()
		_, next, results, _ = h.applyLocked(written)
		h.mu.Unlock()
		submit = h.install(written, next, results, nil, false)
	}
	for i, r := range reqs {
		r.done <- failed[i]
	}
	h.submit(submit)
}

// applyLocked applies the pings of reqs, in order, to the heartbeats'
// states and returns the pings to store, the new states and the results
// for the evaluator. The pings of heartbeats another replica runs are
// not applied here: routed holds them, by the index of their request,
// for that replica. It changes nothing in h.
func (h *Hub) applyLocked(reqs []*request) ([]store.Ping, map[string]State, []probe.Result, map[int]store.Routed) {
	pings := make([]store.Ping, len(reqs))
	next := map[string]State{}
	var results []probe.Result
	var routed map[int]store.Routed
	for i, r := range reqs {
		id := r.def.ID
		if h.o.Owner != nil && !h.o.Owner.Owns(id) {
			p := r.ping
			pings[i] = storedPing(id, p, 0)
			if routed == nil {
				routed = map[int]store.Routed{}
			}
			routed[i] = routePing(h.o.Owner.Bucket(id), id, p)
			continue
		}
		st, ok := next[id]
		if !ok {
			if en, ok := h.states[id]; ok {
				st = en.state
			}
		}
		st, out := Apply(*r.def, st, r.ping)
		next[id] = st
		pings[i] = storedPing(id, r.ping, out.Duration)
		if out.Result != nil {
			results = append(results, *out.Result)
		}
	}
	return pings, next, results, routed
}

// storedPing is p of heartbeat id as the store keeps it.
func storedPing(id string, p Ping, d time.Duration) store.Ping {
	return store.Ping{
		HeartbeatID: id, Time: p.Time, Kind: string(p.Kind), ExitStatus: p.ExitStatus, RunID: p.RunID,
		Duration: d, Body: p.Body, Truncated: p.Truncated,
		Transport: p.Transport, Method: p.Method, Source: p.Source, UserAgent: p.UserAgent,
	}
}

// install makes the states of stored pings current, reschedules their
// deadlines and returns the results to pass on to the evaluator (after the
// pings are answered). states, when checkpoint is set, were written with
// the pings.
func (h *Hub) install(reqs []*request, next map[string]State, results []probe.Result, states map[string]json.RawMessage, checkpoint bool) []probe.Result {
	ix := h.defs.Load()
	now := h.o.Now()
	var submit []probe.Result
	h.mu.Lock()
	if checkpoint {
		h.lastCheckpoint = time.Now()
		for id := range states {
			if en, ok := h.states[id]; ok {
				en.dirty = false
			}
		}
	}
	for id, st := range next {
		en := h.entryLocked(id)
		en.state, en.dirty = st, !checkpoint
		if d, ok := ix.byID[id]; ok {
			h.scheduleLocked(d, en)
		}
	}
	// Pass failures on always, successes when the state changes or now
	// and then, so a heartbeat pinged thousands of times a second does not
	// write a result per ping.
	for _, r := range results {
		en := h.states[r.MonitorID]
		failed := r.Failed()
		if failed || !en.submitted || en.submittedFailed || now.Sub(en.submittedAt) >= h.o.ResubmitEvery {
			en.submitted, en.submittedFailed, en.submittedAt = true, failed, now
			submit = append(submit, r)
		}
	}
	h.mu.Unlock()
	h.poke()
	for _, r := range reqs {
		h.m.pings.WithLabelValues(string(r.ping.Kind)).Inc()
	}
	return submit
}

func (h *Hub) submit(rs []probe.Result) {
	for _, r := range rs {
		h.o.Submit(r)
	}
}

// Queued returns how many pings wait for the writer.
func (h *Hub) Queued() int { return len(h.in) }

// dirtyStatesLocked encodes the states changed since the last checkpoint,
// with next (this batch's) over them.
func (h *Hub) dirtyStatesLocked(next map[string]State) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(next))
	enc := func(id string, st State) error {
		js, err := json.Marshal(st)
		if err != nil {
			return fmt.Errorf("encoding the state of heartbeat %q: %w", id, err)
		}
		out[id] = js
		return nil
	}
	for id, en := range h.states {
		if h.o.Owner != nil && !h.o.Owner.Owns(id) {
			// Its owner writes it; this copy may be behind.
			continue
		}
		if _, ok := next[id]; en.dirty && !ok {
			if err := enc(id, en.state); err != nil {
				return nil, err
			}
		}
	}
	for id, st := range next {
		if err := enc(id, st); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkpoint saves the changed states on their own (at shutdown).
func (h *Hub) checkpoint() {
	h.mu.Lock()
	states, err := h.dirtyStatesLocked(nil)
	h.mu.Unlock()
	if err != nil || len(states) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.o.Store.SavePings(ctx, store.PingBatch{States: states}); err != nil {
		h.o.Logger.Error("saving heartbeat states", "err", err)
		return
	}
	h.mu.Lock()
	for id := range states {
		h.states[id].dirty = false
	}
	h.mu.Unlock()
}

func (h *Hub) answer(batch []*request, err error) {
	for _, r := range batch {
		r.done <- err
	}
}
