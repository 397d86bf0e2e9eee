package heartbeat

import "time"

// View is one heartbeat as the UI and API show it.
type View struct {
	Definition
	State State
	// Status is the heartbeat's status from its pings (the caller knows
	// whether it is paused).
	Status       Status
	NextExpected time.Time
	Deadline     time.Time
}

// Views returns every heartbeat, in definition order.
func (h *Hub) Views() []View {
	ix := h.defs.Load()
	now := h.o.Now()
	out := make([]View, 0, len(ix.order))
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, d := range ix.order {
		out = append(out, h.viewLocked(d, now))
	}
	return out
}

// View returns one heartbeat.
func (h *Hub) View(id string) (View, bool) {
	d, ok := h.defs.Load().byID[id]
	if !ok {
		return View{}, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.viewLocked(d, h.o.Now()), true
}

func (h *Hub) viewLocked(d *Definition, now time.Time) View {
	var st State
	if en, ok := h.states[d.ID]; ok {
		st = en.state
	}
	v := View{Definition: *d, State: st, Status: StatusAt(*d, st, now), NextExpected: NextExpected(*d, st)}
	v.Deadline, _ = Deadline(*d, st)
	return v
}
