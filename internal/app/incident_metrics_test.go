package app

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/testkit"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// scrapeMetrics reads /metrics of a running server.
func scrapeMetrics(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// TestIncidentMetricsScrape stores incidents in a running server and
// reads their figures on /metrics once the series are computed again, on
// both databases; until then a scrape shows the last computation, as it
// never reads the store. The API and the page answer from the same store.
func TestIncidentMetricsScrape(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			target := testkit.NewTarget(t)
			hook := testkit.NewWebhook(t)
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, baseConfig(t, driver, target.URL, hook.URL))
			r := runApp(t, Options{ConfigPath: path})
			scrape := func() string { return scrapeMetrics(t, r.url) }
			// The first computation runs at start.
			deadline := time.Now().Add(10 * time.Second)
			for !strings.Contains(scrape(), "\ntocsin_incident_metrics_window_seconds 7.776e+06\n") {
				if time.Now().After(deadline) {
					t.Fatalf("no incident series after start:\n%s", scrape())
				}
				time.Sleep(20 * time.Millisecond)
			}
			if body := scrape(); !strings.Contains(body, "\ntocsin_incidents_in_window{reported_by=\"customer\",service=\"\"} 0\n") ||
				strings.Contains(body, "tocsin_incident_time_to_detect_seconds{") {
				t.Fatalf("an empty store's series:\n%s", body)
			}

			ctx := t.Context()
			now := time.Now()
			day := 24 * time.Hour
			webtest.MeasuredIncident(t, r.app.store, now.Add(-2*day), store.ReportedByMonitor, time.Minute, 4*time.Minute, 30*time.Minute, "web")
			webtest.MeasuredIncident(t, r.app.store, now.Add(-3*day), store.ReportedByCustomer, 30*time.Minute, 40*time.Minute, 0, "web", "db")
			webtest.MeasuredIncident(t, r.app.store, now.Add(-40*day), store.ReportedByStaff, 5*time.Minute, 0, 0, "db")
			webtest.MeasuredIncident(t, r.app.store, now.Add(-100*day), store.ReportedByMonitor, time.Minute, 0, 0, "web") // outside the window

			if body := scrape(); !strings.Contains(body, "\ntocsin_incidents_in_window{reported_by=\"customer\",service=\"\"} 0\n") {
				t.Errorf("a scrape read the store before the next computation:\n%s", body)
			}
			if err := r.app.incidents.refresh(ctx, r.app.store, time.Now()); err != nil {
				t.Fatal(err)
			}
			body := scrape()
			for _, want := range []string{
				`tocsin_incidents_in_window{reported_by="customer",service=""} 1`,
				`tocsin_incidents_in_window{reported_by="monitor",service=""} 1`,
				`tocsin_incidents_in_window{reported_by="staff",service=""} 1`,
				`tocsin_incidents_in_window{reported_by="customer",service="db"} 1`,
				`tocsin_incidents_in_window{reported_by="monitor",service="web"} 1`,
				`tocsin_incidents_in_window{reported_by="staff",service="web"} 0`,
				`tocsin_incident_time_to_detect_seconds{quantile="0.5",service=""} 300`,
				`tocsin_incident_time_to_detect_seconds{quantile="0.9",service=""} 1500`,
				`tocsin_incident_time_to_acknowledge_seconds{quantile="0.5",service=""} 1320`,
				`tocsin_incident_time_to_acknowledge_seconds{quantile="0.9",service=""} 2184`,
				`tocsin_incident_time_to_resolve_seconds{quantile="0.5",service="web"} 1800`,
				`tocsin_incident_time_to_detect_seconds{quantile="0.5",service="web"} 930`,
			} {
				if !strings.Contains(body, "\n"+want+"\n") {
					t.Errorf("/metrics lacks %s", want)
				}
			}
			if strings.Contains(body, `tocsin_incident_time_to_resolve_seconds{quantile="0.5",service="db"}`) {
				t.Error("db has no resolved incident, yet a time to resolve")
			}

			token, cookie := signIn(t, r.app.store)
			api := signedIn(t, r.url, "/api/v1/incidents/metrics?window=30d&service=web", false, token, cookie)
			if !strings.Contains(api, `"count": 2`) || !strings.Contains(api, `"median_seconds": 930`) {
				t.Errorf("the API over 30d for web:\n%s", api)
			}
			page := signedIn(t, r.url, "/incidents/metrics?window=365d", true, token, cookie)
			if !strings.Contains(page, `<th scope="row">All services</th><td>4</td>`) {
				t.Errorf("the page over 365d:\n%s", page)
			}
		})
	}
}
