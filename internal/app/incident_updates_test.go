package app

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestIncidentNoticeOnStatusPage: a P1 service's monitor fails, its
// incident opens and publishes the first public notice by itself; the
// status page, its JSON and its feed show it and a later public update,
// never an internal one nor the page of a service not concerned.
func TestIncidentNoticeOnStatusPage(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			target := testkit.NewTarget(t)
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, `server:
  listen: 127.0.0.1:0
`+storageYAML(t, driver)+`
services:
  - {id: shop, name: Shop}
  - {id: mail, name: Mail}
incidents:
  severity: p1
status_pages:
  - {id: public, slug: public, title: Example status, components: [{service: shop}]}
  - {id: other, slug: other, title: Mail status, components: [{service: mail}]}
monitors:
  - id: site
    service: shop
    type: http
    interval: 200ms
    timeout: 150ms
    http: {url: `+target.URL+`}
`)
			target.SetFailing(true)
			r := runApp(t, Options{ConfigPath: path})
			st := r.app.Store()
			ctx := context.Background()
			var in store.Incident
			var ups []store.IncidentUpdate
			deadline := time.Now().Add(30 * time.Second)
			for len(ups) == 0 {
				list, err := st.Incidents(ctx, "", store.Page{Limit: 10})
				if err != nil {
					t.Fatal(err)
				}
				if len(list) > 0 {
					in = list[0]
					if ups, err = st.IncidentUpdatesOf(ctx, in.ID); err != nil {
						t.Fatal(err)
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("no first notice; incidents %+v", list)
				}
				time.Sleep(50 * time.Millisecond)
			}
			const notice = "We are investigating a problem with Shop. Next update within 30 minutes."
			if len(ups) != 1 || !ups[0].Public || ups[0].Who != "system" || ups[0].Status != store.IncidentInvestigating || ups[0].Message != notice {
				t.Fatalf("first notice = %+v", ups)
			}
			if _, err := st.AddIncidentUpdate(ctx, store.IncidentUpdate{IncidentID: in.ID, Status: store.IncidentIdentified, Who: "ana",
				Message: "secret: fw rule 42 on sftp-internal-7 drops port 22"}); err != nil {
				t.Fatal(err)
			}
			if _, err := st.AddIncidentUpdate(ctx, store.IncidentUpdate{IncidentID: in.ID, Status: store.IncidentMonitoring, Public: true, Who: "ana",
				Message: "A fix is in place; we are watching."}); err != nil {
				t.Fatal(err)
			}
			get := func(p string) string {
				t.Helper()
				resp, err := http.Get(r.url + p)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s = %d %s", p, resp.StatusCode, b)
				}
				return string(b)
			}
			for _, p := range []string{"/status/public", "/status/public.json", "/status/public/feed.atom", "/status/public/feed.rss"} {
				body := get(p)
				for _, want := range []string{"We are investigating a problem with Shop.", "A fix is in place; we are watching."} {
					if !strings.Contains(body, want) {
						t.Errorf("%s lacks the public update %q", p, want)
					}
				}
				for _, leak := range []string{"secret", "sftp-internal-7", "ana", "shop is failing"} {
					if strings.Contains(body, leak) {
						t.Errorf("%s shows %q", p, leak)
					}
				}
			}
			if body := get("/status/other.json"); strings.Contains(body, "investigating a problem") {
				t.Errorf("a page without the incident's services shows its update: %s", body)
			}
		})
	}
}
