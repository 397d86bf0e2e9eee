package ui_test

import (
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/web/webtest"
)

// BenchmarkMonitorPage90d renders the page of a monitor checked every 30
// seconds for 90 days, on SQLite, as a running Tocsin leaves it: raw
// results for the last 7 days, hourly rollups before.
func BenchmarkMonitorPage90d(b *testing.B) {
	e := webtest.New(b, nil)
	seedHistory(b, e, "web", 90, 30*time.Second)
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
	for _, path := range []string{"/monitors/web", "/monitors/web?range=1h", "/monitors/web?range=7d", "/monitors/web?range=30d"} {
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
