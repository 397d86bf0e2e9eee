package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// nullPings takes every ping.
type nullPings struct{}

func (nullPings) Receive(context.Context, heartbeat.Ping) error { return nil }
func (nullPings) BodyLimit() int                                { return 1000 }
func (nullPings) UnknownNotFound() bool                         { return false }

// A method a path does not take gets 405 with the methods it takes in
// Allow, for every route of the UI, the API, health, metrics, static files
// and pings, after login or not; the API answers in JSON. Unknown paths
// stay 404.
func TestWrongMethodIs405(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, func(o *web.Options) { o.Pings = nullPings{} })
	c := e.Setup()

	// The methods each path takes, from the route table.
	allowed := map[string][]string{}
	var paths []string
	for _, rt := range e.Server.RoutePatterns() {
		method, pattern, ok := strings.Cut(rt, " ")
		if !ok {
			continue
		}
		if _, seen := allowed[pattern]; !seen {
			paths = append(paths, pattern)
		}
		allowed[pattern] = append(allowed[pattern], method)
		if method == http.MethodGet {
			allowed[pattern] = append(allowed[pattern], http.MethodHead)
		}
	}
	if len(paths) < 30 {
		t.Fatalf("only %d paths in the route table", len(paths))
	}
	concrete := strings.NewReplacer("{id}", "web", "{file}", "app.css", "{$}", "")
	type tc struct{ method, path, allow string }
	var cases []tc
	for _, p := range paths {
		ms := allowed[p]
		slices.Sort(ms)
		for _, m := range []string{"PUT", "PATCH", "DELETE", "POST", "GET"} {
			if !slices.Contains(ms, m) {
				cases = append(cases, tc{m, concrete.Replace(p), strings.Join(ms, ", ")})
				break
			}
		}
	}
	cases = append(cases, tc{"PUT", "/ping/0f8fad5b-d9cb-469f-a165-70867728950e", "GET, HEAD, POST"},
		tc{"DELETE", "/ping/key/backup", "GET, HEAD, POST"})

	for _, client := range []*http.Client{c, e.Client()} {
		for _, tc := range cases {
			r := e.Do(client, tc.method, tc.path, nil, nil)
			if r.Status != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: %d, want 405", tc.method, tc.path, r.Status)
				continue
			}
			got := strings.Split(r.Header.Get("Allow"), ", ")
			slices.Sort(got)
			if strings.Join(got, ", ") != tc.allow {
				t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, r.Header.Get("Allow"), tc.allow)
			}
			switch {
			case strings.HasPrefix(tc.path, "/api/"):
				if d := webtest.APIError(t, r); d.Code != "method_not_allowed" || !strings.Contains(d.Message, tc.path) {
					t.Errorf("%s %s: %+v", tc.method, tc.path, d)
				}
			case strings.HasPrefix(tc.path, "/ping/"):
			default:
				if !strings.Contains(r.Body, "Method not allowed") || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
					t.Errorf("%s %s: not the error page: %.200s", tc.method, tc.path, r.Body)
				}
			}
		}
	}

	// Unknown paths are still 404, in the form of their part of the site.
	if r := e.Do(c, "PUT", "/nothing/here", nil, nil); r.Status != 404 || !strings.Contains(r.Body, "Page not found") {
		t.Errorf("PUT /nothing/here: %d %.200s", r.Status, r.Body)
	}
	if r := e.Do(c, "GET", "/api/v1/nothing", nil, nil); r.Status != 404 || webtest.APIError(t, r).Code != "not_found" {
		t.Errorf("GET /api/v1/nothing: %d %s", r.Status, r.Body)
	}
	if r := e.Do(e.Client(), "GET", "/api/v1/nothing", nil, nil); r.Status != 401 {
		t.Errorf("GET /api/v1/nothing without a login: %d, want 401 as for every API path", r.Status)
	}
	// The redirect of an unclean path passes through.
	if r := e.Do(c, "GET", "/static//app.css", nil, nil); r.Status != http.StatusTemporaryRedirect && r.Status != http.StatusMovedPermanently {
		t.Errorf("GET /static//app.css: %d, want a redirect", r.Status)
	}
}

func TestOpenAPICoversEveryRoute(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	r := e.Get(e.Client(), "/api/v1/openapi.json")
	var spec struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(r.Body), &spec); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if !strings.HasPrefix(spec.OpenAPI, "3.1") {
		t.Errorf("openapi = %q, want 3.1", spec.OpenAPI)
	}
	pat := regexp.MustCompile(`^([A-Z]+) (/api/v1/\S+)$`)
	n := 0
	for _, rt := range e.Server.RoutePatterns() {
		m := pat.FindStringSubmatch(rt)
		if m == nil {
			continue
		}
		n++
		op, ok := spec.Paths[m[2]][strings.ToLower(m[1])]
		if !ok {
			t.Errorf("route %q is not described in openapi.json", rt)
			continue
		}
		if _, ok := op["responses"]; !ok {
			t.Errorf("route %q has no responses in openapi.json", rt)
		}
	}
	if n < 13 {
		t.Errorf("only %d API routes found; the route table changed shape", n)
	}
	// And nothing described is missing from the server.
	for p, ops := range spec.Paths {
		for method := range ops {
			found := false
			for _, rt := range e.Server.RoutePatterns() {
				if rt == strings.ToUpper(method)+" "+p {
					found = true
				}
			}
			if !found {
				t.Errorf("openapi.json describes %s %s, which the server does not serve", method, p)
			}
		}
	}
}
