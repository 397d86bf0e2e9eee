package web_test

import (
	stdjson "encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/tocsin/tocsin/internal/audit"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// usersEnv is a server that keeps an audit log, with its first
// administrator "admin" and a viewer "vera" signed in.
func usersEnv(t *testing.T) (e *webtest.Env, admin, viewer *http.Client) {
	t.Helper()
	e = webtest.New(t, func(o *web.Options) {
		o.Pings = nullPings{}
		o.Audit = audit.NewLog(o.Store, nil, o.Now)
	})
	return e, e.Setup(), loginAs(t, e, "vera", store.RoleViewer)
}

// Administrators list the accounts and change their roles through
// /api/v1/users; others are refused with 403; the last administrator
// cannot be demoted; every change is in the audit log as user.role.
func TestUsersAPI(t *testing.T) {
	t.Parallel()
	e, admin, viewer := usersEnv(t)
	patch := func(c *http.Client, id int64, role string) webtest.Response {
		return e.Do(c, "PATCH", fmt.Sprintf("/api/v1/users/%d", id), strings.NewReader(`{"role": "`+role+`"}`), map[string]string{"Content-Type": "application/json"})
	}

	r := e.Get(admin, "/api/v1/users")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /api/v1/users as admin: %d %s", r.Status, r.Body)
	}
	var list struct {
		Data []struct {
			ID     int64
			Name   string
			Role   string
			SignIn string `json:"sign_in"`
		}
	}
	if err := stdjson.Unmarshal([]byte(r.Body), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Data) != 2 || list.Data[0].Name != "admin" || list.Data[0].Role != "admin" || list.Data[0].SignIn != "password" ||
		list.Data[1].Name != "vera" || list.Data[1].Role != "viewer" || strings.Contains(r.Body, "argon2") {
		t.Fatalf("users = %s", r.Body)
	}
	adminID, veraID := list.Data[0].ID, list.Data[1].ID

	if r := e.Get(viewer, "/api/v1/users"); r.Status != http.StatusForbidden {
		t.Errorf("GET /api/v1/users as a viewer: %d, want 403", r.Status)
	}
	if r := patch(viewer, veraID, "admin"); r.Status != http.StatusForbidden {
		t.Errorf("a viewer made themselves admin: %d", r.Status)
	}
	if r := patch(admin, adminID, "viewer"); r.Status != http.StatusConflict || !strings.Contains(r.Body, "last administrator") {
		t.Errorf("the last administrator demoted themselves: %d %s", r.Status, r.Body)
	}
	if r := patch(admin, veraID, "root"); r.Status != http.StatusBadRequest && r.Status != http.StatusUnprocessableEntity {
		t.Errorf("role root: %d %s", r.Status, r.Body)
	}
	if r := patch(admin, veraID, "admin"); r.Status != http.StatusOK || !strings.Contains(r.Body, `"role": "admin"`) {
		t.Fatalf("promote vera: %d %s", r.Status, r.Body)
	}
	// With a second administrator the first may step down.
	if r := patch(admin, adminID, "responder"); r.Status != http.StatusOK {
		t.Errorf("demote admin with another administrator: %d %s", r.Status, r.Body)
	}
	if u, err := e.Store.User(t.Context(), adminID); err != nil || u.Role != store.RoleResponder {
		t.Errorf("admin is %+v, %v", u, err)
	}
	log, err := e.Store.AuditLog(t.Context(), store.AuditFilter{Action: "user.role", Page: store.Page{Limit: 10}})
	if err != nil || len(log) != 2 || log[0].Actor != "user:admin" || log[0].ObjectID != fmt.Sprint(adminID) {
		t.Errorf("audit log of user.role = %+v, %v", log, err)
	}
}

// The users page lists every account with its role, how it signs in and
// when it was made, for administrators only (in their navigation; 403 for
// others); its form changes a role as the API does, refuses demoting the
// last administrator with a message saying so, and is audited as
// user.role.
func TestUsersPage(t *testing.T) {
	t.Parallel()
	e, admin, viewer := usersEnv(t)
	responder := loginAs(t, e, "rick", store.RoleResponder)
	ctx := t.Context()
	if _, err := e.Store.CreateUser(ctx, store.User{Name: "olga", OIDCSubject: "https://idp.example x1", Role: store.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	users, err := e.Store.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, u := range users {
		ids[u.Name] = u.ID
	}
	role := func(c *http.Client, name, role string) webtest.Response {
		return e.PostForm(c, fmt.Sprintf("/users/%d/role", ids[name]), url.Values{"role": {role}})
	}
	row := func(body, name string) string {
		_, after, ok := strings.Cut(body, `data-user="`+name+`"`)
		if !ok {
			t.Fatalf("no row of %s in %s", name, body)
		}
		before, _, _ := strings.Cut(after, "</tr>")
		return before
	}

	r := e.Get(admin, "/users")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /users as admin: %d %.300s", r.Status, r.Body)
	}
	if !strings.Contains(r.Body, `href="/users"`) {
		t.Errorf("the navigation of an administrator has no link to /users")
	}
	for name, want := range map[string][]string{
		"admin": {`data-role="admin"`, "password"},
		"vera":  {`data-role="viewer"`, "password"},
		"rick":  {`data-role="responder"`, "password"},
		"olga":  {`data-role="viewer"`, "OIDC"},
	} {
		got := row(r.Body, name)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("row of %s lacks %q: %s", name, w, got)
			}
		}
		if !strings.Contains(got, "<time") {
			t.Errorf("row of %s shows no creation time: %s", name, got)
		}
	}
	for name, c := range map[string]*http.Client{"viewer": viewer, "responder": responder} {
		if r := e.Get(c, "/users"); r.Status != http.StatusForbidden {
			t.Errorf("GET /users as %s: %d, want 403", name, r.Status)
		}
		if r := e.Get(c, "/"); strings.Contains(r.Body, `href="/users"`) {
			t.Errorf("the navigation of a %s links to /users", name)
		}
		if r := role(c, "vera", "admin"); r.Status != http.StatusForbidden {
			t.Errorf("POST /users/{id}/role as %s: %d, want 403", name, r.Status)
		}
	}

	if r := role(admin, "admin", "viewer"); r.Status != http.StatusConflict || !strings.Contains(r.Body, "admin is the last administrator") {
		t.Errorf("the last administrator demoted themselves: %d %.300s", r.Status, r.Body)
	}
	if r := role(admin, "vera", "root"); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "role must be viewer, responder or admin") {
		t.Errorf("role root: %d %.300s", r.Status, r.Body)
	}
	r = role(admin, "vera", "responder")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "vera is now responder.") || !strings.Contains(row(r.Body, "vera"), `data-role="responder"`) {
		t.Fatalf("vera to responder: %d %.300s", r.Status, r.Body)
	}
	if r := role(admin, "olga", "admin"); r.Status != http.StatusOK {
		t.Fatalf("olga to admin: %d %.300s", r.Status, r.Body)
	}
	// With a second administrator the first may step down.
	if r := role(admin, "admin", "viewer"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Errorf("demote admin with another administrator: %d %q %.300s", r.Status, r.Header.Get("Location"), r.Body)
	}
	if r := e.Get(admin, "/users"); r.Status != http.StatusForbidden {
		t.Errorf("GET /users after stepping down: %d, want 403", r.Status)
	}
	for name, want := range map[string]store.Role{"admin": store.RoleViewer, "vera": store.RoleResponder, "olga": store.RoleAdmin, "rick": store.RoleResponder} {
		if u, err := e.Store.User(ctx, ids[name]); err != nil || u.Role != want {
			t.Errorf("%s is %q (%v), want %s", name, u.Role, err, want)
		}
	}
	log, err := e.Store.AuditLog(ctx, store.AuditFilter{Action: "user.role", Page: store.Page{Limit: 10}})
	if err != nil || len(log) != 3 || log[0].Actor != "user:admin" || log[0].ObjectKind != "user" || log[0].ObjectID != fmt.Sprint(ids["admin"]) || log[2].ObjectID != fmt.Sprint(ids["vera"]) {
		t.Errorf("audit log of user.role = %+v, %v", log, err)
	}
}

// Two administrators demoting each other at once through the API: never
// both succeed, and an administrator is always left.
func TestUsersAPIConcurrentDemotions(t *testing.T) {
	t.Parallel()
	e, admin, _ := usersEnv(t)
	ada := loginAs(t, e, "ada", store.RoleAdmin)
	ids := map[string]int64{}
	users, err := e.Store.Users(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		ids[u.Name] = u.ID
	}
	demote := func(c *http.Client, name string) int {
		return e.Do(c, "PATCH", fmt.Sprintf("/api/v1/users/%d", ids[name]), strings.NewReader(`{"role": "viewer"}`), map[string]string{"Content-Type": "application/json"}).Status
	}
	for round := range 20 {
		for _, name := range []string{"admin", "ada"} {
			if err := e.Store.SetUserRole(t.Context(), ids[name], store.RoleAdmin); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		var got [2]int
		wg.Go(func() { <-start; got[0] = demote(admin, "ada") })
		wg.Go(func() { <-start; got[1] = demote(ada, "admin") })
		close(start)
		wg.Wait()
		admins := 0
		for _, name := range []string{"admin", "ada"} {
			if u, err := e.Store.User(t.Context(), ids[name]); err == nil && u.Role == store.RoleAdmin {
				admins++
			}
		}
		if admins != 1 || got[0] == http.StatusOK && got[1] == http.StatusOK {
			t.Fatalf("round %d: demotions answered %v, %d administrators left; want one refused and one left", round, got, admins)
		}
	}
}
