package engine

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/monitor"
)

// The index answers pages of monitors (the overview, the API's list)
// without copying every monitor's view: with 100,000 monitors a copy of
// them all costs a fifth of a second and 86 MB per request.
//
// It is kept under e.mu, like the states it mirrors: Apply rebuilds it,
// and each place that sets a monitor's state (evaluate, SetPaused) updates
// that monitor's row and the counts by status in the same critical section.
// A page is read under the read lock in one pass, so its rows, its total
// and its counts are the same instant's, however many results Submit
// hands in meanwhile. That is simpler than a snapshot rebuilt on a timer
// (which would show counts a moment old and cost a full copy per period)
// and cheap: an update is a map lookup and a few stores, and a page is a
// scan of small contiguous rows, with no pointer followed except for the
// monitors the page shows.
//
// A text search looks in each row's text: the lower-cased SearchFields of
// its monitor, built with the index, so a query lower-cases its text once
// and scans the rows' texts without allocating. The service's name is
// looked in once per service, not per monitor.

// StatusCounts counts monitors by status.
type StatusCounts struct {
	Pending, Up, Warning, Down, Paused int
	// Flapping counts the flapping monitors among the others.
	Flapping int
}

// Total is the number of monitors counted.
func (c StatusCounts) Total() int { return c.Pending + c.Up + c.Warning + c.Down + c.Paused }

// Add returns the sum of c and d.
func (c StatusCounts) Add(d StatusCounts) StatusCounts {
	return StatusCounts{Pending: c.Pending + d.Pending, Up: c.Up + d.Up, Warning: c.Warning + d.Warning,
		Down: c.Down + d.Down, Paused: c.Paused + d.Paused, Flapping: c.Flapping + d.Flapping}
}

// Order is the order of a page of monitors.
type Order int

const (
	// ConfigOrder lists monitors in configuration order.
	ConfigOrder Order = iota
	// FailingFirst lists the failing monitors (down or warning) first,
	// the longest failing first (those without a time last); then the
	// rest by service, in the order the configuration lists services,
	// monitors of no configured service last; each group in
	// configuration order.
	FailingFirst
)

// Flapping is the Query.Status that asks for flapping monitors.
const Flapping = "flapping"

// Query asks for one page of monitors. The zero Query asks for no rows,
// only the counts.
type Query struct {
	Order Order
	// Status is a monitor.Status or Flapping; "" is any. An empty state
	// is pending.
	Status string
	// Services, when not nil, lets through only monitors of these
	// service ids.
	Services []string
	// Kind lets through only monitors of this type; NotKind leaves
	// monitors of that type out, of the counts too. "" is none.
	Kind, NotKind string
	// Text, when not blank, lets through only the monitors that hold it,
	// in any case, in one of their SearchFields or in their service's
	// name: strings.Contains of the lower-cased field and the lower-cased
	// Text, spaces around it trimmed.
	Text string
	// ServiceName gives the name Text is looked for in of a service id
	// (the empty id too); nil gives the id. It is called once per
	// service the monitors name, under the engine's read lock: it must be
	// quick and must not call the engine.
	ServiceName func(id string) string
	// After is the id of the last monitor of the previous page
	// (ConfigOrder only); Offset skips that many monitors after it.
	After  string
	Offset int
	Limit  int
}

// Page is one page of monitors and what the whole list holds.
type Page struct {
	Views []View
	// Total counts the monitors the query matches, on every page.
	Total int
	// More tells whether matching monitors follow this page.
	More bool
	// Counts counts every monitor but those of NotKind, whatever the
	// filters, by type.
	Counts map[string]StatusCounts
}

// Status codes of an index row, in StatusCounts order.
const (
	rowPending uint8 = iota
	rowUp
	rowWarning
	rowDown
	rowPaused
)

func statusCode(s monitor.Status) uint8 {
	switch s {
	case monitor.StatusUp:
		return rowUp
	case monitor.StatusWarning:
		return rowWarning
	case monitor.StatusDown:
		return rowDown
	case monitor.StatusPaused:
		return rowPaused
	}
	return rowPending
}

// irow is a monitor's line in the index.
type irow struct {
	en *entry
	// text is what a text search looks in: the lower-cased SearchFields,
	// each followed by a NUL (a part of index.text).
	text string
	// since orders failing monitors: State.Since in Unix nanoseconds,
	// MaxInt64 when unknown (so it comes last).
	since    int64
	svc      int32 // index in index.services
	rank     int32 // position in index.grouped
	kind     uint16
	status   uint8
	flapping bool
}

func (r *irow) failing() bool { return r.status == rowDown || r.status == rowWarning }

// set copies what the index sorts and filters on from the entry's state.
func (r *irow) set(st monitor.State) {
	r.status, r.flapping = statusCode(st.Status), st.Flapping
	r.since = math.MaxInt64
	if !st.Since.IsZero() {
		r.since = st.Since.UnixNano()
	}
}

type index struct {
	rows []irow           // configuration order
	pos  map[string]int32 // monitor id → row
	// grouped is the rows in FailingFirst's order of the monitors that
	// are not failing.
	grouped  []int32
	kinds    []string // type of each kind code
	services []string // service id of each svc code
	counts   []StatusCounts
	// text holds every row's text, in row order: one allocation.
	text string
}

// reindex rebuilds the index from the entries. Callers hold e.mu.
func (e *Engine) reindex() {
	ix := index{rows: make([]irow, len(e.order)), pos: make(map[string]int32, len(e.order))}
	kinds, svcs := map[string]uint16{}, map[string]int32{}
	// Service groups: the configuration's order, then "no service".
	group := map[string]int{}
	if e.cfg != nil {
		for _, s := range e.cfg.Services {
			if _, dup := group[s.ID]; !dup && s.ID != "" {
				group[s.ID] = len(group)
			}
		}
	}
	other := len(group)
	perGroup := make([]int32, other+2)
	groupOf := make([]int, len(e.order))
	for i, id := range e.order {
		en := e.entries[id]
		k, ok := kinds[en.cfg.Type]
		if !ok {
			k = uint16(len(ix.kinds))
			kinds[en.cfg.Type] = k
			ix.kinds = append(ix.kinds, en.cfg.Type)
			ix.counts = append(ix.counts, StatusCounts{})
		}
		s, ok := svcs[en.cfg.Service]
		if !ok {
			s = int32(len(ix.services))
			svcs[en.cfg.Service] = s
			ix.services = append(ix.services, en.cfg.Service)
		}
		r := &ix.rows[i]
		r.en, r.kind, r.svc = en, k, s
		r.set(en.state)
		ix.counts[k] = count(ix.counts[k], r, 1)
		ix.pos[id] = int32(i)
		g, ok := group[en.cfg.Service]
		if !ok {
			g = other
		}
		groupOf[i] = g
		perGroup[g+1]++
	}
	// A counting sort keeps configuration order within each group.
	for g := 1; g < len(perGroup); g++ {
		perGroup[g] += perGroup[g-1]
	}
	ix.grouped = make([]int32, len(ix.rows))
	for i, g := range groupOf {
		at := perGroup[g]
		perGroup[g]++
		ix.grouped[at] = int32(i)
		ix.rows[i].rank = at
	}
	e.searchText(&ix)
	e.idx = ix
}

// searchText builds the text of every row of ix. Each field is followed
// by a NUL, so a search for a text without one, looking in the whole row's
// text at once, finds only what one field holds.
func (e *Engine) searchText(ix *index) {
	fields := e.searchFields()
	var b strings.Builder
	b.Grow(len(e.idx.text)) // about what the last index needed
	ends := make([]int, len(ix.rows))
	for i := range ix.rows {
		for _, f := range searchFieldsOf(fields, &ix.rows[i].en.cfg) {
			writeLower(&b, f)
			b.WriteByte(0)
		}
		ends[i] = b.Len()
	}
	ix.text = b.String()
	start := 0
	for i, end := range ends {
		ix.rows[i].text = ix.text[start:end]
		start = end
	}
}

func (e *Engine) searchFields() func(*config.Monitor) []string {
	if e.o.SearchFields != nil {
		return e.o.SearchFields
	}
	return func(m *config.Monitor) []string { return []string{m.ID, m.Name, m.Type} }
}

// searchFieldsOf returns fields(m), or m's id, name and type should
// fields panic: a monitor whose target cannot be described must not stop
// a reload, nor the search of the others.
func searchFieldsOf(fields func(*config.Monitor) []string, m *config.Monitor) (out []string) {
	defer func() {
		if recover() != nil {
			out = []string{m.ID, m.Name, m.Type}
		}
	}()
	return fields(m)
}

// writeLower writes strings.ToLower(s) to b, without a copy of s when it
// is ASCII.
func writeLower(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			b.WriteString(strings.ToLower(s))
			return
		}
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b.WriteString(s[:i])
			for _, c := range []byte(s[i:]) {
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				b.WriteByte(c)
			}
			return
		}
	}
	b.WriteString(s)
}

// count adds (n=1) or removes (n=-1) a row from c.
func count(c StatusCounts, r *irow, n int) StatusCounts {
	switch r.status {
	case rowUp:
		c.Up += n
	case rowWarning:
		c.Warning += n
	case rowDown:
		c.Down += n
	case rowPaused:
		c.Paused += n
	default:
		c.Pending += n
	}
	if r.flapping {
		c.Flapping += n
	}
	return c
}

// indexState updates the row of en after its state changed. Callers hold
// e.mu for writing.
func (e *Engine) indexState(en *entry) {
	ix := &e.idx
	p, ok := ix.pos[en.cfg.ID]
	if !ok || ix.rows[p].en != en {
		return // not indexed yet: Apply is building it
	}
	r := &ix.rows[p]
	ix.counts[r.kind] = count(ix.counts[r.kind], r, -1)
	r.set(en.state)
	ix.counts[r.kind] = count(ix.counts[r.kind], r, 1)
}

// filter is a Query compiled against the index's codes.
type filter struct {
	status   int // -1 any, or a row status code
	flapping bool
	svc      []bool // by svc code; nil any
	kind     int    // -1 any
	notKind  int    // -1 none
	// text is the query's Text lower-cased, "" none; svcHas tells, by
	// svc code, whether the service's name holds it.
	text   string
	svcHas []bool
	// fields is set when text holds a NUL, which the rows' texts use to
	// end fields: each field is then looked in on its own.
	fields func(*config.Monitor) []string
}

func (ix *index) compile(q Query) filter {
	f := filter{status: -1, kind: -1, notKind: -1}
	switch q.Status {
	case "":
	case Flapping:
		f.flapping = true
	default:
		f.status = int(statusCode(monitor.Status(q.Status)))
		if q.Status != string(monitor.StatusPending) && f.status == int(rowPending) {
			f.status = math.MaxInt8 // a status no monitor has
		}
	}
	if q.Services != nil {
		f.svc = make([]bool, len(ix.services))
		for i, s := range ix.services {
			f.svc[i] = slices.Contains(q.Services, s)
		}
	}
	code := func(kind string) int {
		if kind == "" {
			return -1
		}
		if i := slices.Index(ix.kinds, kind); i >= 0 {
			return i
		}
		return math.MaxInt32 // a kind no monitor has
	}
	f.kind, f.notKind = code(q.Kind), code(q.NotKind)
	if f.text = strings.ToLower(strings.TrimSpace(q.Text)); f.text != "" {
		f.svcHas = make([]bool, len(ix.services))
		for i, s := range ix.services {
			if q.ServiceName != nil {
				s = q.ServiceName(s)
			}
			f.svcHas[i] = strings.Contains(strings.ToLower(s), f.text)
		}
	}
	return f
}

func (f *filter) ok(r *irow) bool {
	switch {
	case f.status >= 0 && int(r.status) != f.status,
		f.flapping && !r.flapping,
		f.kind >= 0 && int(r.kind) != f.kind,
		int(r.kind) == f.notKind,
		f.svc != nil && !f.svc[r.svc]:
		return false
	}
	return f.text == "" || f.svcHas[r.svc] || f.hasText(r)
}

// hasText tells whether a field of r's monitor holds f.text.
func (f *filter) hasText(r *irow) bool {
	if f.fields == nil {
		return strings.Contains(r.text, f.text)
	}
	for _, s := range searchFieldsOf(f.fields, &r.en.cfg) {
		if strings.Contains(strings.ToLower(s), f.text) {
			return true
		}
	}
	return false
}

// Page returns one page of the configured monitors that q matches, with
// their total and the counts of every monitor. It returns EINVALID for a
// cursor no configured monitor has, or one given with FailingFirst.
func (e *Engine) Page(q Query) (Page, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	ix := &e.idx
	start := int32(0)
	if q.After != "" {
		p, ok := ix.pos[q.After]
		switch {
		case q.Order != ConfigOrder:
			return Page{}, errs.Errorf(errs.EINVALID, "a cursor pages monitors in configuration order only")
		case !ok:
			return Page{}, errs.Errorf(errs.EINVALID, "no monitor %q is configured", q.After)
		}
		start = p + 1
	}
	f := ix.compile(q)
	if strings.IndexByte(f.text, 0) >= 0 {
		f.fields = e.searchFields()
	}
	out := Page{Counts: make(map[string]StatusCounts, len(ix.kinds))}
	for k, c := range ix.counts {
		if k != f.notKind {
			out.Counts[ix.kinds[k]] = c
		}
	}
	offset, limit := max(q.Offset, 0), max(q.Limit, 0)
	// failing holds the matching failing rows (FailingFirst), rest the
	// other matching rows in page order, from start, as far as the page
	// may need them.
	var failing, rest []int32
	need := offset + limit + 1 // one more tells whether more follow
	if q.Order == FailingFirst {
		for _, r := range ix.grouped {
			row := &ix.rows[r]
			if !f.ok(row) {
				continue
			}
			out.Total++
			switch {
			case row.failing():
				failing = append(failing, r)
			case len(rest) < need:
				rest = append(rest, r)
			}
		}
		// grouped order breaks ties: a stable sort keeps it.
		slices.SortStableFunc(failing, func(a, b int32) int {
			return cmp.Compare(ix.rows[a].since, ix.rows[b].since)
		})
		// The page is failing followed by rest; rest may be cut short
		// only past what the page needs, which len(failing) only makes
		// less.
		rest = append(failing, rest...)
	} else {
		for i := range ix.rows {
			row := &ix.rows[i]
			if !f.ok(row) {
				continue
			}
			out.Total++
			if int32(i) >= start && len(rest) < need {
				rest = append(rest, int32(i))
			}
		}
	}
	if offset < len(rest) {
		end := min(offset+limit, len(rest))
		out.Views = make([]View, 0, end-offset)
		for _, r := range rest[offset:end] {
			out.Views = append(out.Views, e.view(ix.rows[r].en))
		}
		out.More = end < len(rest)
	}
	return out, nil
}

// GroupCount counts the monitors of one service and type.
type GroupCount struct {
	Service, Type string
	StatusCounts
}

// GroupCounts counts every monitor by service and type, at one instant,
// in the order the index first meets each pair: a pass over the index,
// with no monitor's view copied.
func (e *Engine) GroupCounts() []GroupCount {
	e.mu.RLock()
	defer e.mu.RUnlock()
	ix := &e.idx
	var out []GroupCount
	at := map[[2]int32]int{} // svc and kind code → out
	for i := range ix.rows {
		r := &ix.rows[i]
		key := [2]int32{r.svc, int32(r.kind)}
		j, ok := at[key]
		if !ok {
			j = len(out)
			at[key] = j
			out = append(out, GroupCount{Service: ix.services[r.svc], Type: ix.kinds[r.kind]})
		}
		out[j].StatusCounts = count(out[j].StatusCounts, r, 1)
	}
	return out
}
