package engine

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
)

// pageConfig returns n monitors of three kinds in services the
// configuration lists out of alphabetical order, in a service it does not
// list, and in none; and saved states in every status, some flapping,
// failing since different times, the same time, or no time.
func pageConfig(n int, at time.Time) (*config.Config, map[string]monitor.State) {
	cfg := &config.Config{Services: []config.Service{{ID: "shop"}, {ID: "api"}, {ID: "db"}, {ID: "api"}}}
	saved := map[string]monitor.State{}
	kinds := []string{"http", "tcp", config.HeartbeatType}
	services := []string{"shop", "api", "db", "ghost", ""}
	statuses := []monitor.Status{monitor.StatusUp, monitor.StatusDown, monitor.StatusWarning, monitor.StatusPaused, monitor.StatusPending, ""}
	for i := range n {
		id := fmt.Sprintf("m%04d", (i*7919)%n) // ids out of config order
		cfg.Monitors = append(cfg.Monitors, config.Monitor{ID: id, Name: fmt.Sprintf("Monitor %d", i%97), Type: kinds[i%len(kinds)], Service: services[i%len(services)]})
		st := monitor.State{Status: statuses[(i/3)%len(statuses)], Flapping: i%11 == 0}
		switch i % 4 {
		case 0:
			st.Since = at.Add(-time.Duration(i%13) * time.Minute)
		case 1:
			st.Since = at.Add(-time.Hour) // ties
		case 2:
			st.Since = at.Add(-time.Duration(i) * time.Second)
		}
		if i%9 != 0 {
			saved[id] = st
		}
	}
	return cfg, saved
}

// brute lists the views q matches in its order by sorting them all, and
// counts them, the way nobody should for a page.
func brute(cfg *config.Config, views []View, q Query) (ids []string, counts map[string]StatusCounts) {
	group := map[string]int{}
	for _, s := range cfg.Services {
		if _, dup := group[s.ID]; !dup {
			group[s.ID] = len(group)
		}
	}
	status := func(v View) monitor.Status {
		switch v.State.Status {
		case monitor.StatusUp, monitor.StatusWarning, monitor.StatusDown, monitor.StatusPaused:
			return v.State.Status
		}
		return monitor.StatusPending
	}
	type item struct {
		id            string
		failing       bool
		since         time.Time
		group, config int
	}
	var items []item
	counts = map[string]StatusCounts{}
	for i, v := range views {
		if q.NotKind != "" && v.Config.Type == q.NotKind {
			continue
		}
		c := counts[v.Config.Type]
		switch status(v) {
		case monitor.StatusUp:
			c.Up++
		case monitor.StatusWarning:
			c.Warning++
		case monitor.StatusDown:
			c.Down++
		case monitor.StatusPaused:
			c.Paused++
		default:
			c.Pending++
		}
		if v.State.Flapping {
			c.Flapping++
		}
		counts[v.Config.Type] = c
		switch {
		case q.Status == Flapping && !v.State.Flapping,
			q.Status != "" && q.Status != Flapping && string(status(v)) != q.Status,
			q.Kind != "" && v.Config.Type != q.Kind,
			q.Services != nil && !slices.Contains(q.Services, v.Config.Service),
			!textHas(q, v.Config):
			continue
		}
		g, ok := group[v.Config.Service]
		if !ok {
			g = len(group)
		}
		st := status(v)
		items = append(items, item{id: v.Config.ID, failing: st == monitor.StatusDown || st == monitor.StatusWarning, since: v.State.Since, group: g, config: i})
	}
	if q.Order == FailingFirst {
		slices.SortFunc(items, func(a, b item) int {
			switch {
			case a.failing != b.failing:
				if a.failing {
					return -1
				}
				return 1
			case a.failing && a.since.IsZero() != b.since.IsZero():
				if a.since.IsZero() {
					return 1
				}
				return -1
			case a.failing && !a.since.Equal(b.since):
				return a.since.Compare(b.since)
			case a.group != b.group:
				return a.group - b.group
			}
			return a.config - b.config
		})
	}
	for _, it := range items {
		ids = append(ids, it.id)
	}
	return ids, counts
}

// textHas is Query.Text by brute force, with the default SearchFields:
// each field lower-cased on its own.
func textHas(q Query, m config.Monitor) bool {
	needle := strings.ToLower(strings.TrimSpace(q.Text))
	if needle == "" {
		return true
	}
	svc := m.Service
	if q.ServiceName != nil {
		svc = q.ServiceName(svc)
	}
	for _, hay := range []string{m.ID, m.Name, m.Type, svc} {
		if strings.Contains(strings.ToLower(hay), needle) {
			return true
		}
	}
	return false
}

// pageQueries are the queries the overview and the API ask, and then some.
func pageQueries() []Query {
	named := func(id string) string {
		if id == "" {
			return "Other"
		}
		return "The " + id + " service"
	}
	var qs []Query
	for _, order := range []Order{ConfigOrder, FailingFirst} {
		for _, status := range []string{"", "up", "down", "warning", "paused", "pending", Flapping, "bogus"} {
			qs = append(qs, Query{Order: order, Status: status, NotKind: config.HeartbeatType})
		}
		qs = append(qs,
			Query{Order: order},
			Query{Order: order, Services: []string{"api"}},
			Query{Order: order, Services: []string{"shop", "ghost"}, NotKind: config.HeartbeatType},
			Query{Order: order, Services: []string{""}},
			Query{Order: order, Services: []string{}},
			Query{Order: order, Kind: "tcp"},
			Query{Order: order, Kind: "smtp"},
			Query{Order: order, Kind: config.HeartbeatType, NotKind: config.HeartbeatType},
			Query{Order: order, Text: "7", Status: "down"},
			Query{Order: order, Text: "7", Services: []string{"db"}, NotKind: config.HeartbeatType},
			Query{Order: order, Text: " MONITOR 1 ", NotKind: config.HeartbeatType},
			Query{Order: order, Text: "TCP"},
			Query{Order: order, Text: "sho"},
			Query{Order: order, Text: "the api", ServiceName: named},
			Query{Order: order, Text: "oth", ServiceName: named},
			Query{Order: order, Text: "nowhere"},
			Query{Order: order, Text: "   "},
			Query{Order: order, Text: "1\x00monitor 1"}, // spans two fields: matches none
		)
	}
	return qs
}

// checkPages walks every page of q at a few page sizes and compares them,
// their totals and the counts with the brute-force listing.
func checkPages(t *testing.T, e *Engine, cfg *config.Config, q Query) {
	t.Helper()
	want, wantCounts := brute(cfg, e.Views(), q)
	for _, limit := range []int{13, 100, len(cfg.Monitors) + 1} {
		var got []string
		after := ""
		for offset := 0; ; offset += limit {
			pq := q
			pq.Limit = limit
			if q.Order == ConfigOrder && limit == 13 {
				pq.After = after // page by cursor
			} else {
				pq.Offset = offset
			}
			p, err := e.Page(pq)
			if err != nil {
				t.Fatalf("%+v: %v", pq, err)
			}
			if p.Total != len(want) {
				t.Fatalf("%+v: total %d, want %d", pq, p.Total, len(want))
			}
			if diff := cmp.Diff(wantCounts, p.Counts); diff != "" {
				t.Fatalf("%+v: counts (-want +got):\n%s", pq, diff)
			}
			for _, v := range p.Views {
				got = append(got, v.Config.ID)
			}
			if wantMore := len(got) < len(want); p.More != wantMore {
				t.Fatalf("%+v: more = %v after %d of %d", pq, p.More, len(got), len(want))
			}
			if !p.More {
				break
			}
			after = got[len(got)-1]
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%+v, %d a page: ids (-want +got):\n%s", q, limit, diff)
		}
	}
}

// TestPageMatchesBruteForce compares every page of many queries with a
// listing of every monitor's view, filtered and sorted by brute force;
// after a pause, a reload and new results too.
func TestPageMatchesBruteForce(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	cfg, saved := pageConfig(300, at)
	e := New(Options{Now: func() time.Time { return at }}, saved)
	if err := e.Apply(cfg, nil); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Run(when, func(t *testing.T) {
			for _, q := range pageQueries() {
				checkPages(t, e, cfg, q)
			}
			checkGroupCounts(t, e)
		})
	}
	check("loaded")
	for i, m := range cfg.Monitors[:150] {
		if i%5 == 0 {
			if err := e.SetPaused(m.ID, i%10 == 0); err != nil && errs.Code(err) != errs.ECONFLICT {
				t.Fatal(err)
			}
			continue
		}
		st := []probe.Status{probe.OK, probe.Critical, probe.Warning}[i%3]
		for range 3 {
			e.evaluate(probe.Result{MonitorID: m.ID, Time: at, Status: st})
		}
	}
	check("changed")
	// A reload that drops a service and moves monitors between others.
	next := *cfg
	next.Services = []config.Service{{ID: "db"}, {ID: "shop"}}
	next.Monitors = slices.Clone(cfg.Monitors[50:])
	for i := range next.Monitors[:30] {
		next.Monitors[i].Service = "db"
	}
	if err := e.Apply(&next, nil); err != nil {
		t.Fatal(err)
	}
	cfg = &next
	check("reloaded")
}

// checkGroupCounts compares GroupCounts with the counts of every view by
// service and type, made by brute force.
func checkGroupCounts(t *testing.T, e *Engine) {
	t.Helper()
	want := map[[2]string]StatusCounts{}
	for _, v := range e.Views() {
		key := [2]string{v.Config.Service, v.Config.Type}
		_, c := brute(&config.Config{}, []View{v}, Query{})
		want[key] = want[key].Add(c[v.Config.Type])
	}
	got := map[[2]string]StatusCounts{}
	for _, g := range e.GroupCounts() {
		key := [2]string{g.Service, g.Type}
		if _, dup := got[key]; dup {
			t.Errorf("GroupCounts lists %v twice", key)
		}
		got[key] = g.StatusCounts
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GroupCounts (-want +got):\n%s", diff)
	}
}

// TestPageBadCursor: a cursor no monitor has, or one with FailingFirst,
// is refused.
func TestPageBadCursor(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	cfg, saved := pageConfig(10, at)
	e := New(Options{Now: func() time.Time { return at }}, saved)
	if err := e.Apply(cfg, nil); err != nil {
		t.Fatal(err)
	}
	for _, q := range []Query{{After: "nope", Limit: 5}, {After: cfg.Monitors[0].ID, Order: FailingFirst, Limit: 5}} {
		if _, err := e.Page(q); errs.Code(err) != errs.EINVALID {
			t.Errorf("%+v: %v, want EINVALID", q, err)
		}
	}
}

// TestPageUnderConcurrentChanges reads pages while results, pauses and
// reloads change the monitors (run it with -race): each page must agree
// with itself, its rows being the instant's its counts are; once the
// changes stop, every page matches the brute-force listing.
func TestPageUnderConcurrentChanges(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var tick atomic.Int64
	now := func() time.Time { return at.Add(time.Duration(tick.Add(1)) * time.Millisecond) }
	st := openTestStore(t, sqlstore.DriverSQLite, now)
	cfg, saved := pageConfig(500, at)
	e := New(Options{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: now,
		Registerer: prometheus.NewRegistry(), FlushInterval: 5 * time.Millisecond}, saved)
	if err := e.Apply(cfg, nil); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	ran := make(chan struct{})
	go func() { e.Run(ctx); close(ran) }()

	var writers, readers sync.WaitGroup
	stop := make(chan struct{})
	for w := range 3 {
		writers.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for i := range 1500 {
				m := cfg.Monitors[rng.IntN(len(cfg.Monitors))]
				switch {
				case i%97 == 0:
					_ = e.SetPaused(m.ID, rng.IntN(2) == 0)
				case w == 0 && i%1000 == 0:
					if err := e.Apply(cfg, nil); err != nil {
						t.Error(err)
					}
				default:
					s := []probe.Status{probe.OK, probe.Critical, probe.Warning}[rng.IntN(3)]
					e.Submit(ctx, probe.Result{MonitorID: m.ID, Time: at, Status: s})
				}
			}
		})
	}
	var pages atomic.Int64
	for r := range 2 {
		readers.Go(func() {
			qs := pageQueries()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				q := qs[(i*2+r)%len(qs)]
				q.Limit, q.Offset = 50, (i%3)*50
				p, err := e.Page(q)
				if err != nil {
					t.Error(err)
					return
				}
				pages.Add(1)
				if msg := selfConsistent(q, p); msg != "" {
					t.Errorf("%+v: %s", q, msg)
					return
				}
			}
		})
	}
	writers.Wait()
	close(stop)
	readers.Wait()
	e.Close()
	<-ran // every submitted result is evaluated
	t.Logf("%d pages read while monitors changed", pages.Load())
	for _, q := range pageQueries() {
		checkPages(t, e, cfg, q)
	}
}

// selfConsistent checks what one page says of itself: its rows pass the
// filters and come in order, and the counts cover every monitor.
func selfConsistent(q Query, p Page) string {
	total := 0
	for _, c := range p.Counts {
		total += c.Total()
	}
	if total != 500 && q.NotKind == "" || p.Total > total {
		return fmt.Sprintf("counts cover %d monitors, total %d", total, p.Total)
	}
	if len(p.Views) > q.Limit {
		return fmt.Sprintf("%d rows, limit %d", len(p.Views), q.Limit)
	}
	lastFailing, lastSince := true, time.Time{}
	for _, v := range p.Views {
		s := v.State.Status
		if q.Status != "" && q.Status != Flapping && string(s) != q.Status && !(q.Status == "pending" && s == "") {
			return fmt.Sprintf("row %s is %s", v.Config.ID, s)
		}
		if q.Order != FailingFirst {
			continue
		}
		failing := s == monitor.StatusDown || s == monitor.StatusWarning
		if failing && !lastFailing {
			return fmt.Sprintf("failing %s after one that is not", v.Config.ID)
		}
		if failing && !lastSince.IsZero() && !v.State.Since.IsZero() && v.State.Since.Before(lastSince) {
			return fmt.Sprintf("%s failing since %s after one since %s", v.Config.ID, v.State.Since, lastSince)
		}
		lastFailing, lastSince = failing, v.State.Since
	}
	return ""
}

// BenchmarkPage100k reads the first page of 100,000 monitors in the
// overview's order, 1% of them failing.
func BenchmarkPage100k(b *testing.B) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	cfg, saved := pageConfig(100_000, at)
	for id, st := range saved {
		if st.Status == monitor.StatusDown || st.Status == monitor.StatusWarning {
			if id[len(id)-2:] != "00" {
				st.Status = monitor.StatusUp
				saved[id] = st
			}
		}
	}
	e := New(Options{Now: func() time.Time { return at }}, saved)
	if err := e.Apply(cfg, nil); err != nil {
		b.Fatal(err)
	}
	for _, q := range []Query{
		{Order: FailingFirst, NotKind: config.HeartbeatType, Limit: 100},
		{Order: FailingFirst, NotKind: config.HeartbeatType, Limit: 100, Offset: 50_000},
		{Order: ConfigOrder, NotKind: config.HeartbeatType, Limit: 50, After: cfg.Monitors[70_000].ID},
		// Searches: one monitor's id, a name about a hundredth of them
		// have, and a text none has.
		{Order: FailingFirst, NotKind: config.HeartbeatType, Limit: 100, Text: "m09999"},
		{Order: FailingFirst, NotKind: config.HeartbeatType, Limit: 100, Text: "Monitor 42"},
		{Order: FailingFirst, NotKind: config.HeartbeatType, Limit: 100, Text: "nowhere"},
	} {
		b.Run(fmt.Sprintf("order=%d,offset=%d,after=%s,text=%s", q.Order, q.Offset, q.After, q.Text), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Page(q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestPageTextSearch searches monitors whose texts change case beyond
// ASCII, with SearchFields of their own: a text matches a field when the
// lower-cased field holds the lower-cased text, the service's name as
// ServiceName gives it counts, and a reload searches the new texts.
func TestPageTextSearch(t *testing.T) {
	cfg := &config.Config{Services: []config.Service{{ID: "pay", Name: "Paiement SÉCURISÉ"}}}
	for i, m := range []struct{ name, service string }{
		{"ÉCOLE Normale", ""},
		{"Straße", ""},
		{"Zero \u212a", ""}, // KELVIN SIGN lower-cases to k
		{"İstanbul", ""},    // İ lower-cases to i
		{"ΣΊΣΥΦΟΣ", ""},
		{"bad \xff byte", ""},
		{"Till", "pay"},
	} {
		cfg.Monitors = append(cfg.Monitors, config.Monitor{ID: fmt.Sprintf("m%d", i+1), Name: m.name, Type: "http", Service: m.service})
	}
	fields := func(m *config.Monitor) []string {
		if m.ID == "m8" {
			panic("no target to describe") // the others are still searched
		}
		return []string{m.ID, m.Name, "https://" + strings.ToUpper(m.ID) + ".Example/"}
	}
	e := New(Options{SearchFields: fields}, nil)
	if err := e.Apply(cfg, nil); err != nil {
		t.Fatal(err)
	}
	names := func(id string) string {
		for _, s := range cfg.Services {
			if s.ID == id {
				return s.Name
			}
		}
		return "no service"
	}
	search := func(text string) string {
		t.Helper()
		p, err := e.Page(Query{Text: text, ServiceName: names, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, v := range p.Views {
			ids = append(ids, v.Config.ID)
		}
		if p.Total != len(ids) {
			t.Errorf("%q: total %d, %d rows", text, p.Total, len(ids))
		}
		return strings.Join(ids, ",")
	}
	all := "m1,m2,m3,m4,m5,m6,m7"
	for text, want := range map[string]string{
		"école":       "m1",
		"éCoLe":       "m1",
		" ÉCOLE ":     "m1",
		"STRASSE":     "", // no full case folding: ß stays ß
		"STRAßE":      "m2",
		"aße":         "m2",
		"zero k":      "m3",
		"zero \u212a": "m3",
		"ISTANBUL":    "m4",
		"σίσυφοσ":     "m5", // final sigma lower-cases to σ, not ς
		"σίσυφος":     "",
		"\xff":        "m6", // both sides turn it into U+FFFD
		"\ufffd":      "m6",
		"sécurisé":    "m7",
		"no serv":     "m1,m2,m3,m4,m5,m6",
		".example/":   all,
		"M7.EX":       "m7",
		"http":        all,
		"m1\x00":      "", // no field holds a NUL
		"1\x00é":      "", // the end of one field and the start of the next
		"":            all,
	} {
		if got := search(text); got != want {
			t.Errorf("%q finds %q, want %q", text, got, want)
		}
	}

	// A reload renames one monitor, drops one, adds one and renames the
	// service: the search sees the new texts only.
	next := *cfg
	next.Services = []config.Service{{ID: "pay", Name: "Kasse"}}
	next.Monitors = slices.Clone(cfg.Monitors[1:])
	next.Monitors[0].Name = "Rue de la Paix"
	next.Monitors = append(next.Monitors, config.Monitor{ID: "m8", Name: "Größe", Type: "tcp", Service: "pay"})
	if err := e.Apply(&next, nil); err != nil {
		t.Fatal(err)
	}
	cfg = &next
	for text, want := range map[string]string{
		"école":    "",
		"STRAßE":   "",
		"rue de":   "m2",
		"grösse":   "",
		"GRÖßE":    "m8",
		"kasse":    "m7,m8",
		"sécurisé": "",
		"TCP":      "m8", // the type is one of m8's fields, as SearchFields panics for it
		"m7.exa":   "m7",
		"m8.exa":   "",
	} {
		if got := search(text); got != want {
			t.Errorf("after the reload, %q finds %q, want %q", text, got, want)
		}
	}
}
