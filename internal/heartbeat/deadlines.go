package heartbeat

import (
	"container/heap"
	"context"
	"time"

	"github.com/tocsin/tocsin/internal/probe"
)

// scheduleLocked puts the heartbeat's next deadline in the heap.
func (h *Hub) scheduleLocked(d *Definition, en *entry) {
	at, ok := Deadline(*d, en.state)
	switch {
	case !ok && en.item != nil:
		heap.Remove(&h.heap, en.item.index)
		en.item = nil
	case !ok:
	case en.item != nil:
		en.item.at = at
		heap.Fix(&h.heap, en.item.index)
	default:
		en.item = &deadlineItem{id: d.ID, at: at}
		heap.Push(&h.heap, en.item)
	}
}

func (h *Hub) poke() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// deadlines sleeps until the earliest deadline, reports what is due and
// sleeps again; a change of deadline wakes it. Idle heartbeats cost a heap
// entry each and no work.
func (h *Hub) deadlines() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		h.mu.Lock()
		var wait time.Duration = -1
		if len(h.heap) > 0 {
			wait = max(h.heap[0].at.Sub(h.o.Now()), 0)
		}
		h.mu.Unlock()
		if wait >= 0 {
			timer.Reset(wait)
		} else {
			timer.Stop()
		}
		select {
		case <-h.stop:
			return
		case <-h.wake:
			continue
		case <-timer.C:
		}
		h.expire(h.o.Now())
	}
}

// expire reports every deadline due at now.
func (h *Hub) expire(now time.Time) {
	if h.o.Owner != nil {
		h.takeDue(now)
	}
	ix := h.defs.Load()
	var out []probe.Result
	var expired []string
	// Results go on after applyMu is let go: a busy engine must not hold
	// up the ping writer.
	h.applyMu.Lock()
	h.mu.Lock()
	for len(h.heap) > 0 && !h.heap[0].at.After(now) {
		it := h.heap[0]
		en := h.states[it.id]
		d, ok := ix.byID[it.id]
		// Another replica watches the deadlines of the heartbeats it
		// runs; Rearm watches them again here if they become this one's.
		if !ok || en == nil || h.o.Owner != nil && !h.o.Owner.Owns(it.id) {
			heap.Pop(&h.heap)
			if en != nil {
				en.item = nil
			}
			continue
		}
		var rs []probe.Result
		en.state, rs = Expire(*d, en.state, now)
		if len(rs) > 0 {
			en.submitted, en.submittedFailed, en.submittedAt = true, true, now
			if h.o.Owner != nil {
				en.dirty = true
				expired = append(expired, d.ID)
			}
		}
		out = append(out, rs...)
		h.scheduleLocked(d, en)
	}
	h.mu.Unlock()
	if h.o.Owner != nil && len(expired) > 0 {
		h.saveExpired(expired)
	}
	h.applyMu.Unlock()
	for _, r := range out {
		h.o.Logger.Info(LogMissed, "heartbeat", r.MonitorID, "reason", r.Reason)
		h.o.Submit(r)
	}
}

// Resubmit passes each heartbeat's current verdict to the engine once,
// after a restart: the engine's state is written apart from the pings,
// so a crash between the two must not leave a heartbeat down that pinged
// (or up that failed). Overdue heartbeats are left to their deadline,
// which fires at once.
func (h *Hub) Resubmit() { h.resubmit(nil) }

// resubmit is Resubmit for the heartbeats keep selects (all when nil).
func (h *Hub) resubmit(keep func(id string) bool) {
	ix := h.defs.Load()
	now := h.o.Now()
	var out []probe.Result
	h.mu.Lock()
	for _, d := range ix.order {
		en := h.states[d.ID]
		if en == nil || en.state.LastPing.IsZero() || keep != nil && !keep(d.ID) {
			continue
		}
		st := en.state
		switch StatusAt(*d, st, now) {
		case StatusUp, StatusLate, StatusRunning, StatusDown:
		default:
			continue
		}
		if st.Overdue && keep != nil {
			// Taken over: its owner reported the missed deadline, and
			// may have stopped before the result was written.
			at, _ := d.Schedule.Deadline(st.LastPing)
			en.submitted, en.submittedFailed, en.submittedAt = true, true, now
			out = append(out, probe.Result{MonitorID: d.ID, Time: at, Status: probe.Critical, Reason: d.Schedule.MissedReason(st.LastPing)})
			continue
		}
		if !st.LastFailed {
			if dl, ok := d.Schedule.Deadline(st.LastPing); ok && !now.Before(dl) {
				continue
			}
		}
		r := probe.Result{MonitorID: d.ID, Time: st.LastPing, Duration: st.LastDuration, Status: probe.OK, Reason: st.LastReason}
		if st.LastFailed {
			r.Status = probe.Critical
		}
		en.submitted, en.submittedFailed, en.submittedAt = true, st.LastFailed, now
		out = append(out, r)
	}
	h.mu.Unlock()
	for _, r := range out {
		h.o.Submit(r)
	}
}

// deadlineItem is one heartbeat's next deadline in the heap.
type deadlineItem struct {
	id    string
	at    time.Time
	index int
}

// deadlineHeap is a min-heap of deadlines (container/heap).
type deadlineHeap []*deadlineItem

func (q deadlineHeap) Len() int           { return len(q) }
func (q deadlineHeap) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q deadlineHeap) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *deadlineHeap) Push(x any) {
	it := x.(*deadlineItem)
	it.index = len(*q)
	*q = append(*q, it)
}
func (q *deadlineHeap) Pop() any {
	old := *q
	n := len(old)
	it := old[n-1]
	old[n-1] = nil
	it.index = -1
	*q = old[:n-1]
	return it
}

// takeDue takes the pings other replicas routed to the buckets of the
// heartbeats whose deadline is due at now, before they are judged: a
// ping another replica stored just before the deadline (this replica
// takes routed pings every quarter of a second), or while the buckets had
// no owner (a take-over), keeps its deadline from firing.
func (h *Hub) takeDue(now time.Time) {
	seen := map[int]bool{}
	var buckets []int
	h.mu.Lock()
	// The heap's children are never due before their parent: only the
	// due items and their direct children are looked at.
	var walk func(i int)
	walk = func(i int) {
		if i >= len(h.heap) || h.heap[i].at.After(now) {
			return
		}
		if id := h.heap[i].id; h.o.Owner.Owns(id) {
			if b := h.o.Owner.Bucket(id); !seen[b] {
				seen[b] = true
				buckets = append(buckets, b)
			}
		}
		walk(2*i + 1)
		walk(2*i + 2)
	}
	walk(0)
	h.mu.Unlock()
	if len(buckets) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		n, err := h.Take(ctx, buckets, dueTakeLimit)
		if err != nil {
			h.o.Logger.Warn("taking the pings routed to heartbeats whose deadline is due; judging them without", "buckets", len(buckets), "err", err)
			return
		}
		if n < dueTakeLimit {
			return
		}
	}
}

// dueTakeLimit bounds the routed pings of one take before deadlines.
const dueTakeLimit = 1000
