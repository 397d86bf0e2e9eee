package web_test

import (
	stdjson "encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/audit"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// Administrators list the accounts and change their roles through
// /api/v1/users; others are refused with 403; the last administrator
// cannot be demoted; every change is in the audit log as user.role.
func TestUsersAPI(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, func(o *web.Options) {
		o.Pings = nullPings{}
		o.Audit = audit.NewLog(o.Store, nil, o.Now)
	})
	admin := e.Setup()
	viewer := loginAs(t, e, "vera", store.RoleViewer)
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
