package ui_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// BenchmarkOverview10k renders the overview of 10,000 monitors in 100
// services, each with a few results in the last day, on SQLite, with the
// session of the first-run setup.
func BenchmarkOverview10k(b *testing.B) {
	const monitors, perMonitor = 10000, 6
	e := webtest.New(b, nil)
	now := e.Clock.Now()
	st := e.Store
	rt := e.RT
	rt.Cfg = &config.Config{}
	rt.Views = nil
	for i := range 100 {
		rt.Cfg.Services = append(rt.Cfg.Services, config.Service{ID: fmt.Sprintf("svc%d", i), Name: fmt.Sprintf("Service %d", i)})
	}
	var batch store.Batch
	for i := range monitors {
		id := fmt.Sprintf("m%05d", i)
		status := monitor.StatusUp
		if i%50 == 0 {
			status = monitor.StatusDown
		}
		v := webtest.HTTPMonitor(id, "Monitor "+id, fmt.Sprintf("svc%d", i%100), "https://host"+id+".example/", status)
		last := probe.Result{MonitorID: id, Time: now.Add(-10 * time.Second), Duration: 40 * time.Millisecond, Status: probe.OK}
		v.LastResult = &last
		rt.Views = append(rt.Views, v)
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
	benchPages(b, e, "/", "/?state=down", "/?q=m09")
}

// benchPages signs in through first-run setup and runs a sub-benchmark
// rendering each path with that session.
func benchPages(b *testing.B, e *webtest.Env, paths ...string) {
	c := e.Setup()
	u, err := url.Parse(e.HTTP.URL)
	if err != nil {
		b.Fatal(err)
	}
	cookies := c.Jar.Cookies(u)
	if len(cookies) != 1 {
		b.Fatalf("after setup the client holds %d cookies, want the session's", len(cookies))
	}
	h := e.Server.Handler()
	for _, path := range paths {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("GET", path, nil)
				req.AddCookie(cookies[0])
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("GET %s: %d %s", path, w.Code, w.Body.String())
				}
			}
		})
	}
}
