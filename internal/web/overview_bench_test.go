package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
)

// BenchmarkOverview10k renders the overview of 10,000 monitors in 100
// services, each with a few results in the last day, on SQLite.
func BenchmarkOverview10k(b *testing.B) {
	const monitors, perMonitor = 10000, 6
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st, err := sqlstore.Open(context.Background(), sqlstore.Options{DSN: filepath.Join(b.TempDir(), "b.db"), Now: clock})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rt := &fakeRuntime{cfg: &config.Config{}}
	for i := range 100 {
		rt.cfg.Services = append(rt.cfg.Services, config.Service{ID: fmt.Sprintf("svc%d", i), Name: fmt.Sprintf("Service %d", i)})
	}
	var batch store.Batch
	for i := range monitors {
		id := fmt.Sprintf("m%05d", i)
		status := monitor.StatusUp
		if i%50 == 0 {
			status = monitor.StatusDown
		}
		v := httpMonitor(id, "Monitor "+id, fmt.Sprintf("svc%d", i%100), "https://host"+id+".example/", status)
		last := probe.Result{MonitorID: id, Time: now.Add(-10 * time.Second), Duration: 40 * time.Millisecond, Status: probe.OK}
		v.LastResult = &last
		rt.views = append(rt.views, v)
		for j := range perMonitor {
			batch.Results = append(batch.Results, probe.Result{MonitorID: id, Time: now.Add(-time.Duration(j*4+1) * time.Hour),
				Duration: time.Duration(20+j) * time.Millisecond, Status: probe.OK})
		}
		if len(batch.Results) >= 6000 {
			if err := st.SaveBatch(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			batch = store.Batch{}
		}
	}
	s, err := New(Options{Store: st, Runtime: rt, Now: clock, Kinds: kinds.All(kinds.Deps{})})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	u, err := st.CreateUser(ctx, store.User{Name: "admin", PasswordHash: "x", Admin: true, CreatedAt: now})
	if err != nil {
		b.Fatal(err)
	}
	tok := "bench-session-token"
	if err := st.CreateSession(ctx, store.Session{TokenHash: hashSecret(tok), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	for _, path := range []string{"/", "/?state=down", "/?q=m09"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("GET", path, nil)
				req.AddCookie(&http.Cookie{Name: sessionCookie, Value: tok})
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("GET %s: %d %s", path, w.Code, w.Body.String())
				}
			}
		})
	}
}
