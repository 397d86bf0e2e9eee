// Package logx holds log handlers shared by the whole program.
package logx

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults of Options.
const (
	// DefaultWindow is how long repeats of a record are counted before
	// one summary line is written.
	DefaultWindow = time.Minute
	// DefaultMaxKeys bounds the sources tracked at once. Volatile
	// attributes are not part of a source, so the number of sources is
	// about the number of configured objects that log problems, and this
	// is well above any configuration Tocsin is sized for.
	DefaultMaxKeys = 10000
	// maxKeyValue bounds how much of one attribute value goes into a key.
	maxKeyValue = 200
)

// DefaultVolatile are attribute keys whose text changes from one record
// to the next without naming another source: error texts, request paths
// and per-request or per-message identifiers.
var DefaultVolatile = []string{"err", "error", "panic", "reason", "path", "user", "uuid", "slug", "rid", "notification"}

// RepeatedKey and InLastKey are the attributes of a summary line.
const (
	RepeatedKey = "repeated"
	InLastKey   = "in_last"
)

// Options configure a Dedup handler.
type Options struct {
	// Window is how long identical records are counted; default
	// DefaultWindow.
	Window time.Duration
	// MaxKeys bounds the number of sources tracked; default
	// DefaultMaxKeys. Records of further sources are written as they come.
	MaxKeys int
	// Volatile lists the attribute keys left out of a record's source;
	// nil means DefaultVolatile.
	Volatile []string
}

// Dedup is a slog.Handler that keeps a flood of identical warnings and
// errors from drowning the log. The first record of a source is written at
// once; identical ones in the following window are counted, not written;
// when the window ends, one line says how many there were: the newest
// suppressed record (with its latest error text) plus repeated=N and
// in_last=the window. Repeats go on being counted window by window while
// they last; a window without any ends the tracking, so the next record
// of that source is written again at once. Summaries are written when the
// window ends even if no further record comes, and by Close.
//
// Two records have the same source when they have the same level, the same
// message and the same text values for the remaining attributes (those
// bound with With included, group names prefixed). Attributes whose value
// is not text (counts, sizes, durations, times, booleans) and the volatile
// keys (Options.Volatile: error texts, paths, per-request ids) are left out,
// as they change from one record to the next for the same problem. So
// `ERROR "saving results" results=12 err="connection refused"` is one
// source whatever the count and error, while `monitor=web` and
// `monitor=db` are two.
//
// Records below slog.LevelWarn (state changes, debug) are never held back.
// Memory is bounded: at most Options.MaxKeys sources are tracked; records
// of a source beyond that are written unsuppressed.
type Dedup struct {
	next   slog.Handler
	st     *dedupState
	prefix string // key part of the attributes bound with WithAttrs
	group  string // open group names, "a.b."
}

type dedupState struct {
	window   time.Duration
	maxKeys  int
	volatile map[string]bool

	mu      sync.Mutex
	entries map[string]*dedupEntry
	closed  bool
}

// dedupEntry is one tracked source.
type dedupEntry struct {
	start time.Time // of the current window
	count int       // records held back in it
	last  slog.Record
	next  slog.Handler // the handler the newest held-back record came through
	timer *time.Timer
}

// NewDedup wraps next.
func NewDedup(next slog.Handler, o Options) *Dedup {
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.MaxKeys <= 0 {
		o.MaxKeys = DefaultMaxKeys
	}
	if o.Volatile == nil {
		o.Volatile = DefaultVolatile
	}
	st := &dedupState{window: o.Window, maxKeys: o.MaxKeys, volatile: map[string]bool{}, entries: map[string]*dedupEntry{}}
	for _, k := range o.Volatile {
		st.volatile[k] = true
	}
	return &Dedup{next: next, st: st}
}

// Enabled reports whether the wrapped handler takes records of level l.
func (h *Dedup) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// WithAttrs returns a handler whose records carry attrs; it shares the
// tracking of h.
func (h *Dedup) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	var b strings.Builder
	b.WriteString(h.prefix)
	for _, a := range attrs {
		h.st.keyAttr(&b, h.group, a)
	}
	return &Dedup{next: h.next.WithAttrs(attrs), st: h.st, prefix: b.String(), group: h.group}
}

// WithGroup returns a handler that puts the attributes that follow in
// group name; it shares the tracking of h.
func (h *Dedup) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &Dedup{next: h.next.WithGroup(name), st: h.st, prefix: h.prefix, group: h.group + name + "."}
}

// Handle writes r, or counts it when it repeats a record of the same
// source written less than a window ago.
func (h *Dedup) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return h.next.Handle(ctx, r)
	}
	key := h.key(r)
	st := h.st
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return h.next.Handle(ctx, r)
	}
	if e, ok := st.entries[key]; ok {
		e.count++
		e.last, e.next = r.Clone(), h.next
		st.mu.Unlock()
		return nil
	}
	if len(st.entries) < st.maxKeys {
		e := &dedupEntry{start: time.Now()}
		e.timer = time.AfterFunc(st.window, func() { st.windowEnded(key, e) })
		st.entries[key] = e
	}
	st.mu.Unlock()
	return h.next.Handle(ctx, r)
}

// windowEnded writes the summary of e's window and starts the next one,
// or stops tracking e when nothing was held back.
func (st *dedupState) windowEnded(key string, e *dedupEntry) {
	st.mu.Lock()
	if st.closed || st.entries[key] != e {
		st.mu.Unlock()
		return
	}
	if e.count == 0 {
		delete(st.entries, key)
		st.mu.Unlock()
		return
	}
	now := time.Now()
	r, next, n, span := e.last, e.next, e.count, now.Sub(e.start)
	e.start, e.count, e.last, e.next = now, 0, slog.Record{}, nil
	e.timer.Reset(st.window)
	st.mu.Unlock()
	_ = next.Handle(context.Background(), summary(r, n, span, now))
}

// Close writes the summaries of the windows in progress and stops
// tracking: records that come later are written as they come.
func (h *Dedup) Close() error {
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
		next  slog.Handler
	}
	var out []pending
	for _, e := range st.entries {
		e.timer.Stop()
		if e.count > 0 {
			out = append(out, pending{e.start, summary(e.last, e.count, now.Sub(e.start), now), e.next})
		}
	}
	st.entries = nil
	st.mu.Unlock()
	slices.SortFunc(out, func(a, b pending) int { return a.start.Compare(b.start) })
	for _, p := range out {
		_ = p.next.Handle(context.Background(), p.r)
	}
	return nil
}

// summary is the line written for n records like r held back over span.
func summary(r slog.Record, n int, span time.Duration, now time.Time) slog.Record {
	s := slog.NewRecord(now, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool { s.AddAttrs(a); return true })
	s.AddAttrs(slog.Int(RepeatedKey, n), slog.Duration(InLastKey, span.Round(time.Millisecond)))
	return s
}

// key names the source of r (see Dedup).
func (h *Dedup) key(r slog.Record) string {
	var b strings.Builder
	b.WriteString(r.Level.String())
	b.WriteByte(0)
	b.WriteString(r.Message)
	b.WriteByte(0)
	b.WriteString(h.prefix)
	r.Attrs(func(a slog.Attr) bool {
		h.st.keyAttr(&b, h.group, a)
		return true
	})
	return b.String()
}

// keyAttr adds a's part of a key: text values of keys that are not
// volatile, groups flattened.
func (st *dedupState) keyAttr(b *strings.Builder, group string, a slog.Attr) {
	if st.volatile[a.Key] {
		return
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindGroup:
		g := group
		if a.Key != "" {
			g += a.Key + "."
		}
		for _, ga := range v.Group() {
			st.keyAttr(b, g, ga)
		}
	case slog.KindString:
		s := v.String()
		if len(s) > maxKeyValue {
			s = s[:maxKeyValue]
		}
		b.WriteString(group)
		b.WriteString(a.Key)
		b.WriteByte('=')
		b.WriteString(s)
		b.WriteByte(0)
	}
}

var _ slog.Handler = (*Dedup)(nil)
