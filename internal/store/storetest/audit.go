package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// testAudit covers the audit log: add (the store sets the time when none
// is given), list with every filter and by pages, an action prefix that
// holds LIKE wildcards, entries without actor or action refused, hostile
// and huge text kept valid and bounded, and pruning by age.
func testAudit(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	add := func(e store.AuditEntry) store.AuditEntry {
		t.Helper()
		out, err := s.AddAudit(ctx, e)
		must(t, err, "AddAudit")
		return out
	}
	pause := add(store.AuditEntry{Time: now.Add(-48 * time.Hour), Actor: "user:ann", User: "ann", IP: "192.0.2.7",
		Action: "monitor.pause", ObjectKind: "monitor", ObjectID: "web", Summary: "paused"})
	want := store.AuditEntry{ID: pause.ID, Time: now.Add(-48 * time.Hour), Actor: "user:ann", User: "ann", IP: "192.0.2.7",
		Action: "monitor.pause", ObjectKind: "monitor", ObjectID: "web", Summary: "paused"}
	if diff := cmp.Diff(want, pause); diff != "" {
		t.Errorf("stored entry (-want +got):\n%s", diff)
	}
	clk.Add(time.Minute)
	ack := add(store.AuditEntry{Actor: "token:7", User: "bob", TokenID: 7, IP: "2001:db8::1", Action: "alert.ack", ObjectKind: "alert", ObjectID: "12"})
	if !ack.Time.Equal(clk.Now()) || ack.Time.Location() != time.UTC {
		t.Errorf("entry without time: %v, want now %v in UTC", ack.Time, clk.Now())
	}
	reload := add(store.AuditEntry{Time: now.Add(-time.Hour), Actor: store.ActorSystem, Action: "config.reload", ObjectKind: "config",
		Summary: "added monitor db; removed monitor old"})
	odd := add(store.AuditEntry{Time: now.Add(-time.Hour), Actor: "cli", Action: "mon%_.x", ObjectKind: "monitor", ObjectID: "w\xffeb"})
	hostile := add(store.AuditEntry{Time: now.Add(-30 * time.Minute), Actor: "user:\xff", User: "\xff", Action: "monitor.delete",
		ObjectKind: "monitor", ObjectID: strings.Repeat("é", 1000), Summary: strings.Repeat("x\xff", 100_000)})
	if hostile.User != "\uFFFD" || len(hostile.ObjectID) > 200 || len(hostile.Summary) > 2000 || !strings.HasPrefix(hostile.Summary, "x\uFFFDx") {
		t.Errorf("hostile entry kept badly: user %q, object id %d bytes, summary %d bytes", hostile.User, len(hostile.ObjectID), len(hostile.Summary))
	}
	if strings.ContainsRune(hostile.ObjectID, '\uFFFD') {
		t.Errorf("a long object id was cut inside a character: %q", hostile.ObjectID[len(hostile.ObjectID)-4:])
	}
	for _, bad := range []store.AuditEntry{{Action: "monitor.pause"}, {Actor: "user:ann"}, {Actor: " ", Action: "x"}} {
		_, err := s.AddAudit(ctx, bad)
		wantCode(t, err, errs.EINVALID, fmt.Sprintf("AddAudit(%+v)", bad))
	}

	ids := func(f store.AuditFilter) []int64 {
		t.Helper()
		l, err := s.AuditLog(ctx, f)
		must(t, err, "AuditLog")
		var out []int64
		for _, e := range l {
			out = append(out, e.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    store.AuditFilter
		want []int64
	}{
		{"all", store.AuditFilter{}, []int64{hostile.ID, odd.ID, reload.ID, ack.ID, pause.ID}},
		{"actor", store.AuditFilter{Actor: "user:ann"}, []int64{pause.ID}},
		{"actor by user name", store.AuditFilter{Actor: "bob"}, []int64{ack.ID}},
		{"actor system", store.AuditFilter{Actor: "system"}, []int64{reload.ID}},
		{"actor hostile", store.AuditFilter{Actor: "user:\xff"}, []int64{hostile.ID}},
		{"action", store.AuditFilter{Action: "alert.ack"}, []int64{ack.ID}},
		{"action prefix", store.AuditFilter{Action: "monitor."}, []int64{hostile.ID, pause.ID}},
		{"action prefix with wildcards", store.AuditFilter{Action: "mon%_."}, []int64{odd.ID}},
		{"action unknown", store.AuditFilter{Action: "nope"}, nil},
		{"object kind", store.AuditFilter{ObjectKind: "monitor"}, []int64{hostile.ID, odd.ID, pause.ID}},
		{"object", store.AuditFilter{ObjectKind: "monitor", ObjectID: "web"}, []int64{pause.ID}},
		{"object hostile", store.AuditFilter{ObjectID: "w\xffeb"}, []int64{odd.ID}},
		{"since", store.AuditFilter{Since: now.Add(-time.Hour)}, []int64{hostile.ID, odd.ID, reload.ID, ack.ID}},
		{"until is exclusive", store.AuditFilter{Until: now.Add(-time.Hour)}, []int64{pause.ID}},
		{"window", store.AuditFilter{Since: now.Add(-time.Hour), Until: now}, []int64{hostile.ID, odd.ID, reload.ID}},
		{"page 1", store.AuditFilter{Page: store.Page{Limit: 2}}, []int64{hostile.ID, odd.ID}},
		{"page 2", store.AuditFilter{Page: store.Page{Limit: 2, Before: odd.ID}}, []int64{reload.ID, ack.ID}},
		{"page 3", store.AuditFilter{Page: store.Page{Limit: 2, Before: ack.ID}}, []int64{pause.ID}},
	} {
		if diff := cmp.Diff(tc.want, ids(tc.f)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}

	n, err := s.PruneAudit(ctx, now.Add(-time.Hour))
	must(t, err, "PruneAudit")
	if n != 1 {
		t.Errorf("PruneAudit removed %d entries, want 1 (the one two days old)", n)
	}
	if diff := cmp.Diff([]int64{hostile.ID, odd.ID, reload.ID, ack.ID}, ids(store.AuditFilter{})); diff != "" {
		t.Errorf("after pruning (-want +got):\n%s", diff)
	}
}

// testConcurrentAudit records from many writers at once, as requests do:
// every entry is kept, each with its own id.
func testConcurrentAudit(t *testing.T, s store.Store, _ *Clock) {
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errc := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				_, err := s.AddAudit(t.Context(), store.AuditEntry{Actor: fmt.Sprintf("user:u%d", w), Action: "alert.ack", ObjectID: fmt.Sprint(i)})
				errc <- err
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		must(t, err, "AddAudit concurrently")
	}
	l, err := s.AuditLog(t.Context(), store.AuditFilter{Page: store.Page{Limit: 1000}})
	must(t, err, "AuditLog")
	seen := map[int64]bool{}
	for _, e := range l {
		seen[e.ID] = true
	}
	if len(l) != writers*each || len(seen) != writers*each {
		t.Errorf("%d entries with %d ids, want %d", len(l), len(seen), writers*each)
	}
}
