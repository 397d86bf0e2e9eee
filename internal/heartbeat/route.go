package heartbeat

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
)

// Owner says which heartbeats this process runs when several replicas
// share one database. A heartbeat hashes into a bucket like a monitor;
// the replica holding the bucket's lease owns it.
//
// Any replica takes a ping and answers once it is stored, as a single
// process does. A ping of a heartbeat this replica owns is applied here;
// one of a heartbeat another replica owns is stored with a routed copy
// (store.Routed) for that replica, which takes it (Take), applies it and
// writes the new state in one transaction. Deadlines fire only where the
// heartbeat is owned, and the state a missed deadline leaves is written
// before its result goes on, so a replica taking the heartbeat over
// (Adopt, Rearm) neither misses nor repeats it.
type Owner interface {
	Owns(id string) bool
	Bucket(id string) int
}

// routedPing is what the owner needs of a routed ping to apply it.
type routedPing struct {
	Kind       Kind      `json:"kind"`
	ExitStatus int       `json:"exit,omitempty"`
	RunID      string    `json:"rid,omitempty"`
	Time       time.Time `json:"t"`
	Transport  string    `json:"transport,omitempty"`
}

func routePing(bucket int, id string, p Ping) store.Routed {
	js, _ := json.Marshal(routedPing{Kind: p.Kind, ExitStatus: p.ExitStatus, RunID: p.RunID, Time: p.Time, Transport: p.Transport})
	return store.Routed{Bucket: bucket, Kind: store.RoutedPing, Subject: id, Payload: js, Created: p.Time}
}

// routedList returns the routed pings of the requests at idx (all when
// idx is nil), in request order.
func routedList(routed map[int]store.Routed, idx []int) []store.Routed {
	if len(routed) == 0 {
		return nil
	}
	if idx == nil {
		idx = slices.Sorted(maps.Keys(routed))
	}
	var out []store.Routed
	for _, i := range idx {
		if r, ok := routed[i]; ok {
			out = append(out, r)
		}
	}
	return out
}

// Stale reports whether a routed ping comes too late to apply to s: it
// is older than the newest ping s includes. Pings of one heartbeat sent to
// two replicas within the routing delay are applied in time order; one
// that arrives after a newer one was applied is stored and shown, but
// moves neither the schedule nor the runs backwards.
func Stale(s State, p Ping) bool {
	return p.Time.Before(s.LastActivity)
}

// Take applies the pings other replicas routed to this one for buckets:
// it takes up to limit of them from the store, and writes the states they
// lead to in the same transaction, then passes their results on. It
// returns how many it took.
func (h *Hub) Take(ctx context.Context, buckets []int, limit int) (int, error) {
	if len(buckets) == 0 {
		return 0, nil
	}
	h.applyMu.Lock()
	var next map[string]State
	var results []probe.Result
	var states map[string]json.RawMessage
	n, err := h.o.Store.TakeRouted(ctx, store.RoutedPing, buckets, limit, func(items []store.Routed) (map[string]json.RawMessage, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		next, results = h.applyRoutedLocked(items)
		var err error
		states, err = encodeStates(next)
		return states, err
	})
	if err != nil || n == 0 {
		h.applyMu.Unlock()
		return n, err
	}
	submit := h.install(nil, next, results, states, true)
	h.applyMu.Unlock()
	h.submit(submit)
	return n, nil
}

// applyRoutedLocked applies routed pings to the states, as applyLocked
// does those taken here. It changes nothing in h.
func (h *Hub) applyRoutedLocked(items []store.Routed) (map[string]State, []probe.Result) {
	ix := h.defs.Load()
	next := map[string]State{}
	var results []probe.Result
	for _, it := range items {
		d, ok := ix.byID[it.Subject]
		if !ok {
			continue // deleted since
		}
		var rp routedPing
		if err := json.Unmarshal(it.Payload, &rp); err != nil {
			h.o.Logger.Error("ignoring an unreadable routed ping", "heartbeat", it.Subject, "err", err)
			continue
		}
		p := Ping{Kind: rp.Kind, ExitStatus: rp.ExitStatus, RunID: rp.RunID, Time: rp.Time.UTC(), Transport: rp.Transport}
		st, ok := next[d.ID]
		if !ok {
			if en, ok := h.states[d.ID]; ok {
				st = en.state
			}
		}
		if Stale(st, p) {
			continue
		}
		st, out := Apply(*d, st, p)
		next[d.ID] = st
		if out.Result != nil {
			results = append(results, *out.Result)
		}
		h.m.pings.WithLabelValues(string(p.Kind)).Inc()
	}
	return next, results
}

func encodeStates(next map[string]State) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(next))
	for id, st := range next {
		js, err := json.Marshal(st)
		if err != nil {
			return nil, fmt.Errorf("encoding the state of heartbeat %q: %w", id, err)
		}
		out[id] = js
	}
	return out, nil
}

// Adopt replaces the states of heartbeats with those read from the store:
// those of heartbeats whose ownership this process is taking over (their
// previous owner wrote them last), or, for the pages, those other
// replicas run. Call Rearm once the taken-over ones are owned.
func (h *Hub) Adopt(states map[string]json.RawMessage) {
	h.applyMu.Lock()
	defer h.applyMu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, js := range states {
		var st State
		if err := json.Unmarshal(js, &st); err != nil {
			h.o.Logger.Error("ignoring an unreadable heartbeat state", "heartbeat", id, "err", err)
			continue
		}
		en := h.entryLocked(id)
		en.state, en.dirty = st, false
		en.submitted = false
	}
}

// Rearm watches the deadlines of the heartbeats keep selects, this
// process's since Adopt: a deadline that passed while no replica ran the
// heartbeat fires now, once (one already reported is not reported
// again). Each one's current verdict is passed on too, as after a
// restart (Resubmit), in case its previous owner stopped before its last
// result was written.
func (h *Hub) Rearm(keep func(id string) bool) {
	ix := h.defs.Load()
	h.mu.Lock()
	for _, d := range ix.order {
		if en, ok := h.states[d.ID]; ok && keep(d.ID) {
			h.scheduleLocked(d, en)
		}
	}
	h.mu.Unlock()
	h.poke()
	h.resubmit(keep)
}

// saveExpired writes the states missed deadlines left, before their
// results go on (route mode): a replica taking the heartbeat over then
// knows it was reported.
func (h *Hub) saveExpired(ids []string) {
	h.mu.Lock()
	next := make(map[string]State, len(ids))
	for _, id := range ids {
		if en, ok := h.states[id]; ok {
			next[id] = en.state
		}
	}
	h.mu.Unlock()
	states, err := encodeStates(next)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = h.o.Store.SavePings(ctx, store.PingBatch{States: states})
		cancel()
	}
	if err != nil {
		h.o.Logger.Error("saving the state of missed heartbeat deadlines; it is saved with the next pings", "heartbeats", len(ids), "err", err)
		return
	}
	h.mu.Lock()
	for _, id := range ids {
		if en, ok := h.states[id]; ok {
			en.dirty = false
		}
	}
	h.mu.Unlock()
}
