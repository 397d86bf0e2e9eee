package app

import (
	"encoding/json"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/testkit"
)

// TestMonitorSearch searches the overview and GET /api/v1/monitors of a
// running server through the engine's index: monitors of the file and one
// created through the API, by id, name, type, target and service name, in
// any case and beyond ASCII; after the API's monitor is replaced and the
// file reloaded, by their new texts only.
func TestMonitorSearch(t *testing.T) {
	target := testkit.NewTarget(t)
	hook := testkit.NewWebhook(t)
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	base := baseConfig(t, "sqlite", target.URL, hook.URL)
	file := func(ecoleName string) string {
		return base +
			`  - {id: ecole, name: "` + ecoleName + `", type: tcp, interval: 1h, tcp: {address: "127.0.0.1:1"}}` + "\n"
	}
	writeConfig(t, path, file("ÉCOLE Normale"))
	r := runApp(t, Options{ConfigPath: path, WatchInterval: -1})
	token, cookie := signIn(t, r.app.Store())
	get := func(p string, session bool) string {
		t.Helper()
		return signedIn(t, r.url, p, session, token, cookie)
	}
	call := func(method, p, body string) (int, string) {
		t.Helper()
		return withToken(t, r.url, token, method, p, body)
	}
	rowLink := regexp.MustCompile(`<td><a href="/monitors/([^"]+)">`)
	// search returns the ids the API and the overview find for q, each
	// sorted, with the API's total.
	search := func(q string) (api, overview string) {
		t.Helper()
		var list struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
			Total int `json:"total"`
		}
		if err := json.Unmarshal([]byte(get("/api/v1/monitors?q="+url.QueryEscape(q), false)), &list); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range list.Data {
			ids = append(ids, m.ID)
		}
		if list.Total != len(ids) {
			t.Errorf("q=%q: total %d, %d monitors", q, list.Total, len(ids))
		}
		var rows []string
		for _, m := range rowLink.FindAllStringSubmatch(get("/?q="+url.QueryEscape(q), true), -1) {
			rows = append(rows, m[1])
		}
		slices.Sort(ids)
		slices.Sort(rows)
		return strings.Join(ids, ","), strings.Join(rows, ",")
	}
	check := func(when string, cases map[string][2]string) {
		t.Helper()
		for q, want := range cases {
			if api, overview := search(q); api != want[0] || overview != want[1] {
				t.Errorf("%s, q=%q: the API finds %q, the overview %q; want %q and %q", when, q, api, overview, want[0], want[1])
			}
		}
	}

	status, out := call("POST", "/api/v1/monitors",
		`{"id": "api-made", "name": "Größe Kasse", "service": "web", "interval": "1h", "http": {"url": "http://127.0.0.1:9/Kasse"}}`)
	if status != 201 {
		t.Fatalf("create: %d %s", status, out)
	}
	check("loaded", map[string][2]string{
		"école":       {"ecole", "ecole"},
		" éCoLe ":     {"ecole", "ecole"},
		"GRÖßE":       {"api-made", "api-made"},
		"/kasse":      {"api-made", "api-made"},           // the target
		"127.0.0.1:1": {"ecole", "ecole"},                 // the target of a tcp monitor
		"TCP":         {"ecole", "ecole"},                 // the type
		"API-":        {"api-made", "api-made"},           // the id
		"website":     {"api-made,site", "api-made,site"}, // the service's name
		"other":       {"", "ecole"},                      // the overview names no service "Other"
		"grosse":      {"", ""},
		"kasse\x00":   {"", ""},
	})

	status, out = call("PUT", "/api/v1/monitors/api-made",
		`{"id": "api-made", "name": "Renamed", "interval": "1h", "http": {"url": "http://127.0.0.1:9/till"}}`)
	if status != 200 {
		t.Fatalf("replace: %d %s", status, out)
	}
	writeConfig(t, path, file("Lycée"))
	if err := r.app.Reload(t.Context()); err != nil {
		t.Fatal(err)
	}
	check("replaced and reloaded", map[string][2]string{
		"école":   {"", ""},
		"LYCÉE":   {"ecole", "ecole"},
		"größe":   {"", ""},
		"kasse":   {"", ""},
		"renamed": {"api-made", "api-made"},
		"/TILL":   {"api-made", "api-made"},
		"website": {"site", "site"},
		"other":   {"", "api-made,ecole"},
	})
}
