package logx

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Defaults of StormOptions.
const (
	// DefaultStormWindow is how long records of one kind are counted
	// before a summary is written.
	DefaultStormWindow = 10 * time.Second
	// DefaultStormBurst is how many records of one kind and group a
	// window writes in full before it starts counting them instead.
	DefaultStormBurst = 10
	// maxStormGroups bounds the groups tracked per kind; the values of a
	// kind's By attribute are few (states, event names), so this only
	// guards against a By attribute that names objects.
	maxStormGroups = 64
)

// StormKind names a record that can come once per monitored object in a
// burst — a state change, a notification sent — and says how its summary
// reads.
type StormKind struct {
	// Message is the record's message.
	Message string
	// Subject is the attribute naming the object the record is about
	// ("monitor", "heartbeat"); the summary names the first and the last.
	Subject string
	// By is the attribute whose value splits the count ("to" counts the
	// monitors that went down apart from those that came up); empty
	// counts all records of the kind together.
	By string
	// Summary is the summary's text for n records: a format with one %s
	// for the count and, when By is set, a second %s for its value, such
	// as "%s monitors went %s".
	Summary string
}

// StormOptions configure a Storm handler.
type StormOptions struct {
	// Window is how long the records of one kind and group are counted;
	// default DefaultStormWindow.
	Window time.Duration
	// Burst is how many of them a window writes in full; default
	// DefaultStormBurst.
	Burst int
	// Kinds are the records summarised. Other records pass through.
	Kinds []StormKind
}

// Summary attributes.
const (
	StormTotalKey   = "total"
	StormWrittenKey = "written"
	StormFirstKey   = "first"
	StormLastKey    = "last"
)

// Storm is a slog.Handler that keeps an alert storm from writing a line per
// monitor per event at info level. Records of the configured kinds are
// written as they come until Burst of one kind and group have been written
// in a window; the rest of that window is counted, and when the window ends
// one line says what happened: "2,417 monitors went down in the last 10s;
// first: api-1", with the total, how many were written in full, and the
// first and last object. Quiet times are unchanged: a kind that stays under
// the burst is never summarised.
//
// When the wrapped handler takes debug records, nothing is summarised: debug
// keeps the detail. Records of other levels and messages pass through.
type Storm struct {
	next  slog.Handler
	st    *stormState
	bound []slog.Attr // attributes bound with WithAttrs, for Subject and By
	group bool        // a group is open: attributes no longer match by key
}

type stormState struct {
	window time.Duration
	burst  int
	kinds  map[string]StormKind
	// root writes the summaries: the handler wrapped by NewStorm, without
	// the attributes one record's logger had bound.
	root slog.Handler

	mu      sync.Mutex
	entries map[stormKey]*stormEntry
	closed  bool
}

type stormKey struct{ message, by string }

// stormEntry is one kind and group in its window.
type stormEntry struct {
	start       time.Time
	total       int
	written     int
	first, last string
	timer       *time.Timer
}

// NewStorm wraps next.
func NewStorm(next slog.Handler, o StormOptions) *Storm {
	if o.Window <= 0 {
		o.Window = DefaultStormWindow
	}
	if o.Burst <= 0 {
		o.Burst = DefaultStormBurst
	}
	st := &stormState{window: o.Window, burst: o.Burst, kinds: map[string]StormKind{}, root: next, entries: map[stormKey]*stormEntry{}}
	for _, k := range o.Kinds {
		st.kinds[k.Message] = k
	}
	return &Storm{next: next, st: st}
}

// Enabled reports whether the wrapped handler takes records of level l.
func (h *Storm) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// WithAttrs returns a handler whose records carry attrs; it shares the
// counting of h.
func (h *Storm) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	s := &Storm{next: h.next.WithAttrs(attrs), st: h.st, bound: h.bound, group: h.group}
	if !h.group {
		s.bound = append(slices.Clip(h.bound), attrs...)
	}
	return s
}

// WithGroup returns a handler that puts the attributes that follow in
// group name; it shares the counting of h.
func (h *Storm) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &Storm{next: h.next.WithGroup(name), st: h.st, bound: h.bound, group: true}
}

// Handle writes r, or counts it when its kind and group have written their
// burst in the current window.
func (h *Storm) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelInfo || r.Level >= slog.LevelWarn {
		return h.next.Handle(ctx, r)
	}
	st := h.st
	kind, ok := st.kinds[r.Message]
	if !ok || h.next.Enabled(ctx, slog.LevelDebug) {
		return h.next.Handle(ctx, r)
	}
	key := stormKey{message: r.Message}
	if kind.By != "" {
		key.by = h.attr(r, kind.By)
	}
	subject := h.attr(r, kind.Subject)

	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return h.next.Handle(ctx, r)
	}
	e, ok := st.entries[key]
	if !ok {
		if len(st.entries) >= maxStormGroups*max(1, len(st.kinds)) {
			st.mu.Unlock()
			return h.next.Handle(ctx, r)
		}
		e = &stormEntry{start: r.Time}
		if e.start.IsZero() {
			e.start = time.Now()
		}
		e.timer = time.AfterFunc(st.window, func() { st.windowEnded(key, e) })
		st.entries[key] = e
	}
	if e.total == 0 {
		e.first = subject
	}
	e.total++
	e.last = subject
	write := e.written < st.burst
	if write {
		e.written++
	}
	st.mu.Unlock()
	if write {
		return h.next.Handle(ctx, r)
	}
	return nil
}

// attr is the text of the attribute named key of r, or of those bound to h.
func (h *Storm) attr(r slog.Record, key string) string {
	if key == "" {
		return ""
	}
	var v string
	found := false
	if !h.group {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == key {
				v, found = a.Value.Resolve().String(), true
				return false
			}
			return true
		})
	}
	if !found {
		for _, a := range h.bound {
			if a.Key == key {
				v = a.Value.Resolve().String()
			}
		}
	}
	return v
}

// windowEnded writes the summary of e's window when records were held back,
// and starts the next window; a window with no records ends the tracking.
func (st *stormState) windowEnded(key stormKey, e *stormEntry) {
	st.mu.Lock()
	if st.closed || st.entries[key] != e {
		st.mu.Unlock()
		return
	}
	if e.total == 0 {
		delete(st.entries, key)
		st.mu.Unlock()
		return
	}
	now := time.Now()
	var out slog.Record
	held := e.total > e.written
	if held {
		out = st.summary(key, e, now)
	}
	e.start, e.total, e.written, e.first, e.last = now, 0, 0, "", ""
	e.timer.Reset(st.window)
	st.mu.Unlock()
	if held {
		_ = st.root.Handle(context.Background(), out)
	}
}

// Close writes the summaries of the windows in progress and stops
// counting: records that come later are written as they come.
func (h *Storm) Close() error {
	st := h.st
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return nil
	}
	st.closed = true
	now := time.Now()
	type pending struct {
		start time.Time
		r     slog.Record
	}
	var out []pending
	for key, e := range st.entries {
		e.timer.Stop()
		if e.total > e.written {
			out = append(out, pending{e.start, st.summary(key, e, now)})
		}
	}
	st.entries = nil
	st.mu.Unlock()
	slices.SortFunc(out, func(a, b pending) int { return a.start.Compare(b.start) })
	for _, p := range out {
		_ = st.root.Handle(context.Background(), p.r)
	}
	return nil
}

// summary is the line for the window of e. Callers hold st.mu.
func (st *stormState) summary(key stormKey, e *stormEntry, now time.Time) slog.Record {
	kind := st.kinds[key.message]
	span := now.Sub(e.start).Round(time.Second)
	if span <= 0 {
		span = time.Second
	}
	var text string
	if kind.By != "" {
		text = fmt.Sprintf(kind.Summary, Count(e.total), key.by)
	} else {
		text = fmt.Sprintf(kind.Summary, Count(e.total))
	}
	text += " in the last " + span.String()
	if e.first != "" {
		text += "; first: " + e.first
	}
	r := slog.NewRecord(now, slog.LevelInfo, text, 0)
	r.AddAttrs(slog.Int(StormTotalKey, e.total), slog.Int(StormWrittenKey, e.written))
	if e.first != "" {
		r.AddAttrs(slog.String(StormFirstKey, e.first), slog.String(StormLastKey, e.last))
	}
	return r
}

// Count writes n with a comma between thousands: 2,417.
func Count(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}

var _ slog.Handler = (*Storm)(nil)
