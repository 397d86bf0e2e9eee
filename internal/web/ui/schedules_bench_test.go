package ui_test

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/tocsin/tocsin/internal/web/webtest"
)

// BenchmarkSchedulePages renders the list of schedules, a schedule's month
// and week, and serves its nine-week iCal feed, for the test schedules.
func BenchmarkSchedulePages(b *testing.B) {
	e := webtest.New(b, nil)
	webtest.Schedules(e)
	c := e.Setup()
	feed := newFeed(b, e, c, "/schedules/support/tokens")
	u, err := url.Parse(e.HTTP.URL)
	if err != nil {
		b.Fatal(err)
	}
	cookies := c.Jar.Cookies(u)
	h := e.Server.Handler()
	for _, bc := range []struct{ name, path string }{
		{"list", "/schedules"}, {"month", "/schedules/support"}, {"week", "/schedules/support?view=week"}, {"feed", feed.RequestURI()},
	} {
		path := bc.path
		b.Run(bc.name, func(b *testing.B) {
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
