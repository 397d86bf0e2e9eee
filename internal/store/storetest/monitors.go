package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// testStoredMonitors covers monitors created through the API: created
// once, replaced keeping their creation, listed oldest first, deleted once;
// hostile text and large specs come back as the store keeps text, and
// concurrent creations of one id leave exactly one.
func testStoredMonitors(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	for name, m := range map[string]store.StoredMonitor{
		"no id":   {Spec: "id: x\n"},
		"no spec": {ID: "web"},
	} {
		_, err := s.CreateMonitor(ctx, m)
		wantCode(t, err, errs.EINVALID, "CreateMonitor "+name)
	}
	spec := "id: web\ntype: http\nhttp:\n  url: https://example.com/\n"
	m, err := s.CreateMonitor(ctx, store.StoredMonitor{ID: "web", Spec: spec, CreatedBy: "alice"})
	must(t, err, "CreateMonitor")
	now := clk.Now().Truncate(time.Millisecond)
	if !m.CreatedAt.Equal(now) || !m.UpdatedAt.Equal(now) || m.UpdatedBy != "alice" {
		t.Errorf("created = %+v, want created and updated at %v by alice", m, now)
	}
	_, err = s.CreateMonitor(ctx, store.StoredMonitor{ID: "web", Spec: spec, CreatedBy: "bob"})
	wantCode(t, err, errs.ECONFLICT, "CreateMonitor twice")

	clk.Add(time.Minute)
	big := "id: big\nname: " + strings.Repeat("x", 256<<10) + "\n"
	_, err = s.CreateMonitor(ctx, store.StoredMonitor{ID: "big", Spec: big, CreatedBy: "bob\xff\x00"})
	must(t, err, "CreateMonitor big, hostile author")

	clk.Add(time.Minute)
	spec2 := "id: web\ntype: http\ninterval: 30s\nhttp:\n  url: https://example.com/\n"
	u, err := s.UpdateMonitor(ctx, store.StoredMonitor{ID: "web", Spec: spec2, UpdatedBy: "carol"})
	must(t, err, "UpdateMonitor")
	if !u.CreatedAt.Equal(now) || u.CreatedBy != "alice" || !u.UpdatedAt.Equal(clk.Now().Truncate(time.Millisecond)) || u.UpdatedBy != "carol" {
		t.Errorf("updated = %+v", u)
	}
	_, err = s.UpdateMonitor(ctx, store.StoredMonitor{ID: "nobody", Spec: spec2})
	wantCode(t, err, errs.ENOTFOUND, "UpdateMonitor unknown")

	list, err := s.StoredMonitors(ctx)
	must(t, err, "StoredMonitors")
	if len(list) != 2 || list[0].ID != "web" || list[1].ID != "big" {
		t.Fatalf("StoredMonitors = %d monitors, want web then big", len(list))
	}
	if list[0].Spec != spec2 || list[0].CreatedBy != "alice" || list[0].UpdatedBy != "carol" || !list[0].UpdatedAt.Equal(u.UpdatedAt) {
		t.Errorf("StoredMonitors[0] = %+v", list[0])
	}
	if list[1].Spec != big || list[1].CreatedBy != "bob\uFFFD" {
		t.Errorf("StoredMonitors[1]: spec of %d bytes, author %q; want the spec whole and the author as valid text", len(list[1].Spec), list[1].CreatedBy)
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 8 {
		wg.Go(func() {
			_, err := s.CreateMonitor(ctx, store.StoredMonitor{ID: "race", Spec: fmt.Sprintf("id: race\nname: n%d\n", i)})
			switch errs.Code(err) {
			case "":
				mu.Lock()
				won++
				mu.Unlock()
			case errs.ECONFLICT:
			default:
				t.Errorf("concurrent CreateMonitor: %v", err)
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d concurrent creations of one id succeeded, want 1", won)
	}

	must(t, s.DeleteMonitor(ctx, "web"), "DeleteMonitor")
	wantCode(t, s.DeleteMonitor(ctx, "web"), errs.ENOTFOUND, "DeleteMonitor twice")
	if list, err := s.StoredMonitors(ctx); err != nil || len(list) != 2 {
		t.Errorf("StoredMonitors after delete = %d, %v; want 2", len(list), err)
	}
}
