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

// testChanges covers change events: add (the store sets the recording
// time, and the change's time when none is given), read one, list with the
// service and time filters and by pages, hostile and huge text kept valid.
func testChanges(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	fw, err := s.AddChange(ctx, store.Change{Title: "open port 22 on fw1", Author: "ann", Time: now.Add(-3 * time.Hour),
		Services: []string{"sftp", "erp", "sftp"}, Components: []string{"host:fw1", "core switch"}, Link: "https://tickets/1", CreatedBy: "token:ci"})
	must(t, err, "AddChange")
	want := store.Change{ID: fw.ID, Title: "open port 22 on fw1", Author: "ann", Time: now.Add(-3 * time.Hour),
		Services: []string{"sftp", "erp", "sftp"}, Components: []string{"host:fw1", "core switch"}, Link: "https://tickets/1", CreatedAt: now, CreatedBy: "token:ci"}
	if diff := cmp.Diff(want, fw); diff != "" {
		t.Errorf("stored change (-want +got):\n%s", diff)
	}
	clk.Add(time.Minute)
	deploy, err := s.AddChange(ctx, store.Change{Title: "deploy web 1.2", Services: []string{"web"}})
	must(t, err, "AddChange without time")
	if !deploy.Time.Equal(clk.Now()) || deploy.Services[0] != "web" || len(deploy.Components) != 0 {
		t.Errorf("change without time: %+v, want its time set to now", deploy)
	}
	hostile, err := s.AddChange(ctx, store.Change{Title: "bad \xff " + strings.Repeat("x", 100_000), Author: "a\xffb",
		Time: now.Add(-48 * time.Hour), Services: []string{"s\xffv"}, Components: []string{"c\xff"}})
	must(t, err, "AddChange hostile")
	if !strings.HasPrefix(hostile.Title, "bad \uFFFD x") || len(hostile.Title) < 100_000 || hostile.Author != "a\uFFFDb" ||
		hostile.Services[0] != "s\uFFFDv" || hostile.Components[0] != "c\uFFFD" {
		t.Errorf("hostile change kept badly: author %q services %q components %q", hostile.Author, hostile.Services, hostile.Components)
	}

	got, err := s.Change(ctx, fw.ID)
	must(t, err, "Change")
	if diff := cmp.Diff(fw, got); diff != "" {
		t.Errorf("Change (-want +got):\n%s", diff)
	}
	_, err = s.Change(ctx, 1<<40)
	wantCode(t, err, errs.ENOTFOUND, "Change of an unknown id")

	ids := func(f store.ChangeFilter) []int64 {
		t.Helper()
		l, err := s.ChangeList(ctx, f)
		must(t, err, "ChangeList")
		var out []int64
		for _, c := range l {
			out = append(out, c.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    store.ChangeFilter
		want []int64
	}{
		{"all", store.ChangeFilter{}, []int64{hostile.ID, deploy.ID, fw.ID}},
		{"service sftp", store.ChangeFilter{Service: "sftp"}, []int64{fw.ID}},
		{"service hostile", store.ChangeFilter{Service: "s\xffv"}, []int64{hostile.ID}},
		{"service unknown", store.ChangeFilter{Service: "nope"}, nil},
		{"since a day", store.ChangeFilter{Since: now.Add(-24 * time.Hour)}, []int64{deploy.ID, fw.ID}},
		{"since exact", store.ChangeFilter{Since: now.Add(-3 * time.Hour)}, []int64{deploy.ID, fw.ID}},
		{"window before now", store.ChangeFilter{Since: now.Add(-24 * time.Hour), Until: now}, []int64{fw.ID}},
		{"until is exclusive", store.ChangeFilter{Until: now.Add(-3 * time.Hour)}, []int64{hostile.ID}},
		{"page 1", store.ChangeFilter{Page: store.Page{Limit: 2}}, []int64{hostile.ID, deploy.ID}},
		{"page 2", store.ChangeFilter{Page: store.Page{Limit: 2, Before: deploy.ID}}, []int64{fw.ID}},
	} {
		if diff := cmp.Diff(tc.want, ids(tc.f)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// testConcurrentChanges records changes from several writers at once:
// none is lost, each gets its own id, and the service index keeps up.
func testConcurrentChanges(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	const writers, each = 6, 5
	var wg sync.WaitGroup
	errc := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				_, err := s.AddChange(ctx, store.Change{Title: fmt.Sprintf("deploy %d.%d", w, i), Services: []string{"web", fmt.Sprintf("svc%d", w)}})
				errc <- err
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		must(t, err, "AddChange concurrently")
	}
	all, err := s.ChangeList(ctx, store.ChangeFilter{Page: store.Page{Limit: 1000}})
	must(t, err, "ChangeList")
	seen := map[int64]bool{}
	for _, c := range all {
		seen[c.ID] = true
	}
	if len(all) != writers*each || len(seen) != writers*each {
		t.Errorf("%d changes with %d ids, want %d", len(all), len(seen), writers*each)
	}
	web, err := s.ChangeList(ctx, store.ChangeFilter{Service: "web", Page: store.Page{Limit: 1000}})
	must(t, err, "ChangeList web")
	one, err := s.ChangeList(ctx, store.ChangeFilter{Service: "svc3"})
	must(t, err, "ChangeList svc3")
	if len(web) != writers*each || len(one) != each {
		t.Errorf("by service: web %d, svc3 %d; want %d and %d", len(web), len(one), writers*each, each)
	}
}
