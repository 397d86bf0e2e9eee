package web_test

import (
	"context"
	stdjson "encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/api"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// Every route behind a login needs a role that the table names: a new
// route without one fails here (and serves only administrators).
func TestEveryRouteHasARole(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, func(o *web.Options) { o.Pings = nullPings{} })
	routes := e.Server.AuthedRoutes()
	if len(routes) < 100 {
		t.Fatalf("only %d routes behind a login; the route table changed shape", len(routes))
	}
	for _, p := range routes {
		if _, ok := web.RouteRole(p); !ok {
			t.Errorf("route %q has no role: add its audit action to actionRoles", p)
		}
	}
	for p, want := range map[string]store.Role{
		"GET /alerts":                         store.RoleViewer,
		"GET /api/v1/audit":                   store.RoleAdmin,
		"GET /audit":                          store.RoleAdmin,
		"POST /api/v1/alerts/{id}/ack":        store.RoleResponder,
		"POST /incidents/{id}/postmortem":     store.RoleResponder,
		"PATCH /api/v1/actions/{id}":          store.RoleResponder,
		"POST /api/v1/silences":               store.RoleResponder,
		"POST /api/v1/monitors":               store.RoleAdmin,
		"DELETE /api/v1/agents/{id}":          store.RoleAdmin,
		"POST /monitors/{id}/baseline/accept": store.RoleAdmin,
		"POST /api/v1/tokens":                 store.RoleViewer,
		// docs/alertmanager.md: the token Alertmanager posts with needs the
		// responder role.
		"POST /api/v1/alertmanager": store.RoleResponder,
	} {
		if got, _ := web.RouteRole(p); got != want {
			t.Errorf("RouteRole(%q) = %q, want %q", p, got, want)
		}
	}
}

// loginAs makes an account with role and returns a client logged in as it.
func loginAs(t *testing.T, e *webtest.Env, name string, role store.Role) *http.Client {
	t.Helper()
	h, err := web.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.CreateUser(context.Background(), store.User{Name: name, PasswordHash: h, Role: role}); err != nil {
		t.Fatal(err)
	}
	c := e.Client()
	if r := e.PostForm(c, "/login", url.Values{"name": {name}, "password": {"correct horse"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("login %s: %d %.300s", name, r.Status, r.Body)
	}
	return c
}

// Each role is refused every change its role does not allow, on every
// route of the pages and the API, with 403 and a message naming the role
// needed (in JSON on the API); what it may do is not refused.
func TestRolesEnforcedOnEveryRoute(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, func(o *web.Options) { o.Pings = nullPings{} })
	e.Setup()
	clients := map[store.Role]*http.Client{
		store.RoleViewer:    loginAs(t, e, "vera", store.RoleViewer),
		store.RoleResponder: loginAs(t, e, "rick", store.RoleResponder),
	}
	param := regexp.MustCompile(`\{[^}]*\}`)
	checked := 0
	for _, p := range e.Server.AuthedRoutes() {
		method, path, _ := strings.Cut(p, " ")
		if method == http.MethodGet && !strings.Contains(p, "audit") {
			continue
		}
		need, _ := web.RouteRole(p)
		path = param.ReplaceAllStringFunc(path, func(s string) string {
			if s == "{$}" {
				return ""
			}
			return "1"
		})
		for role, c := range clients {
			r := e.Do(c, method, path, strings.NewReader("{}"), map[string]string{"Content-Type": "application/json"})
			if role.Allows(need) {
				if r.Status == http.StatusForbidden {
					t.Errorf("%s %s as %s (needs %s): 403 %.200s", method, path, role, need, r.Body)
				}
				continue
			}
			checked++
			if r.Status != http.StatusForbidden {
				t.Errorf("%s %s as %s (needs %s): %d, want 403", method, path, role, need, r.Status)
				continue
			}
			if strings.HasPrefix(path, "/api/") {
				if d := webtest.APIError(t, r); d.Code != "forbidden" || !strings.Contains(d.Message, "needs the "+string(need)+" role") {
					t.Errorf("%s %s as %s: %+v", method, path, role, d)
				}
			} else if !strings.Contains(r.Body, "needs the "+string(need)+" role") {
				t.Errorf("%s %s as %s: the page does not say the role needed: %.300s", method, path, role, r.Body)
			}
		}
	}
	if checked < 60 {
		t.Errorf("only %d refusals checked", checked)
	}
}

// A token has a role, never more than its creator's; a request with it
// acts with the lesser of the token's role and its user's present role.
func TestTokenRoles(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	admin := e.Setup()
	rick := loginAs(t, e, "rick", store.RoleResponder)
	json := map[string]string{"Content-Type": "application/json"}
	token := func(r webtest.Response) api.Token {
		t.Helper()
		var out struct {
			Data api.Token `json:"data"`
		}
		if err := stdjson.Unmarshal([]byte(r.Body), &out); err != nil {
			t.Fatalf("%d %s: %v", r.Status, r.Body, err)
		}
		return out.Data
	}

	// More than the creator's role is refused; a role that is none too.
	r := e.Do(rick, "POST", "/api/v1/tokens", strings.NewReader(`{"name":"x","role":"admin"}`), json)
	if d := webtest.APIError(t, r); r.Status != http.StatusForbidden || !strings.Contains(d.Message, "more than your role") {
		t.Errorf("a responder's admin token: %d %+v", r.Status, d)
	}
	r = e.Do(rick, "POST", "/api/v1/tokens", strings.NewReader(`{"name":"x","role":"root"}`), json)
	if r.Status != http.StatusBadRequest {
		t.Errorf("a root token: %d %s", r.Status, r.Body)
	}
	// No role is the creator's.
	r = e.Do(rick, "POST", "/api/v1/tokens", strings.NewReader(`{"name":"own"}`), json)
	if r.Status != http.StatusCreated || token(r).Role != store.RoleResponder {
		t.Errorf("a token without a role: %d %s", r.Status, r.Body)
	}

	// An admin's viewer token reads but does not act.
	r = e.Do(admin, "POST", "/api/v1/tokens", strings.NewReader(`{"name":"dash","role":"viewer"}`), json)
	if r.Status != http.StatusCreated || token(r).Role != store.RoleViewer {
		t.Fatalf("an admin's viewer token: %d %s", r.Status, r.Body)
	}
	viewerTok := token(r).Token
	if r := e.Get(e.Client(), "/api/v1/monitors"); r.Status != http.StatusUnauthorized {
		t.Fatalf("no token: %d", r.Status)
	}
	if r := e.Do(e.Client(), "GET", "/api/v1/monitors", nil, webtest.Bearer(viewerTok)); r.Status != http.StatusOK {
		t.Errorf("a viewer token reads: %d %s", r.Status, r.Body)
	}
	r = e.Do(e.Client(), "POST", "/api/v1/monitors/web/pause", nil, webtest.Bearer(viewerTok))
	if d := webtest.APIError(t, r); r.Status != http.StatusForbidden || !strings.Contains(d.Message, "needs the responder role") {
		t.Errorf("a viewer token pauses: %d %+v", r.Status, d)
	}

	// An admin token of a user later made a viewer acts as a viewer.
	adminTok := e.Token(admin, "full")
	if r := e.Do(e.Client(), "GET", "/api/v1/audit", nil, webtest.Bearer(adminTok)); r.Status != http.StatusOK {
		t.Fatalf("an admin token reads the audit log: %d %s", r.Status, r.Body)
	}
	u, err := e.Store.UserByName(context.Background(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Store.SetUserRole(context.Background(), u.ID, store.RoleViewer); err != nil {
		t.Fatal(err)
	}
	if r := e.Do(e.Client(), "GET", "/api/v1/audit", nil, webtest.Bearer(adminTok)); r.Status != http.StatusForbidden {
		t.Errorf("the token of a user made a viewer reads the audit log: %d", r.Status)
	}
}

// The pages show each role only the controls it may use: every form
// that posts somewhere is one whose route the role is allowed, and the
// controls of the roles above it are missing.
func TestPagesHideWhatTheRoleCannotUse(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	webtest.OncallShop(e)
	e.RT.Cfg.Incidents = config.Incidents{Severities: config.DefaultSeverities(), Roles: config.DefaultIncidentRoles(), Severity: "p2"}
	admin := e.Setup()
	hdr := map[string]string{"Content-Type": "application/json"}
	if r := e.Do(admin, "POST", "/api/v1/incidents", strings.NewReader(`{"title":"Checkout fails","services":["shop"]}`), hdr); r.Status != http.StatusCreated {
		t.Fatalf("declaring: %d %s", r.Status, r.Body)
	}
	if r := e.Do(admin, "POST", "/api/v1/incidents/1/actions", strings.NewReader(`{"title":"Retry payments"}`), hdr); r.Status != http.StatusCreated {
		t.Fatalf("adding an action: %d %s", r.Status, r.Body)
	}
	if r := e.Do(admin, "POST", "/api/v1/silences", strings.NewReader(`{"matchers":{"service":"shop"},"duration":"1h","reason":"deploy"}`), hdr); r.Status != http.StatusCreated {
		t.Logf("silence (not needed): %d %s", r.Status, r.Body)
	}

	// Which route a form posts to, as the server would route it.
	mux := http.NewServeMux()
	for _, p := range e.Server.AuthedRoutes() {
		if !strings.HasPrefix(p, "GET ") {
			mux.Handle(p, http.NotFoundHandler())
		}
	}
	form := regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	pages := []string{"/", "/monitors/web", "/incidents", "/incidents/1", "/incidents/1/postmortem", "/actions", "/maintenance",
		"/silences", "/heartbeats", "/changes", "/agents", "/channels/ops", "/settings/tokens", "/status-pages"}
	users := []struct {
		role store.Role
		c    *http.Client
	}{{store.RoleViewer, loginAs(t, e, "vera", store.RoleViewer)}, {store.RoleResponder, loginAs(t, e, "rick", store.RoleResponder)}, {store.RoleAdmin, admin}}
	seen := map[store.Role]map[store.Role]int{}
	for _, u := range users {
		seen[u.role] = map[store.Role]int{}
		for _, p := range pages {
			r := e.Get(u.c, p)
			if r.Status != http.StatusOK {
				if r.Status != http.StatusNotFound {
					t.Errorf("GET %s as %s: %d", p, u.role, r.Status)
				}
				continue
			}
			for _, m := range form.FindAllStringSubmatch(r.Body, -1) {
				action := html.UnescapeString(m[1])
				req := httptest.NewRequest("POST", action, nil)
				_, pattern := mux.Handler(req)
				if pattern == "" {
					continue // the log-out button and other public forms
				}
				need, _ := web.RouteRole(pattern)
				seen[u.role][need]++
				if !u.role.Allows(need) {
					t.Errorf("GET %s as %s shows a form to %s (%s), which needs %s", p, u.role, action, pattern, need)
				}
			}
		}
	}
	// The test sees controls of every level, so it can fail.
	if seen[store.RoleAdmin][store.RoleAdmin] == 0 || seen[store.RoleAdmin][store.RoleResponder] < 5 || seen[store.RoleResponder][store.RoleResponder] < 5 {
		t.Errorf("too few controls seen: %v", seen)
	}
}
