package web

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/config"
)

// ownedShop gives the test environment's service "shop" a description and
// owners: a person with an address and a team with its members.
func ownedShop(e *env) {
	e.rt.mu.Lock()
	defer e.rt.mu.Unlock()
	e.rt.cfg = &config.Config{
		People: []config.Person{
			{ID: "alice", Name: "Alice Example", Email: "alice@example.com"},
			{ID: "bob", Name: "Bob <the builder>"},
		},
		Teams:    []config.Team{{ID: "ops", Name: "Operations", Members: []string{"bob"}}},
		Services: []config.Service{{ID: "shop", Name: "Web shop", Description: "Checkout & payment.", Owners: []string{"alice", "ops"}}},
	}
}

func TestServiceOwnersAndDescriptionInTheUI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ownedShop(e)
	c := e.setup()
	owners := `Alice Example &lt;<a href="mailto:alice@example.com">alice@example.com</a>&gt;`
	team := `Operations <span class="muted">(team)</span>: Bob &lt;the builder&gt;`
	pages := map[string][]string{
		"/monitors/web": {"<dt>Owners</dt>", owners, team, "Checkout &amp; payment."},
		"/":             {`<p class="owners">Owners: `, owners, team, "Checkout &amp; payment."},
	}
	for path, wants := range pages {
		r := e.get(c, path)
		if r.status != 200 {
			t.Fatalf("%s: %d", path, r.status)
		}
		for _, want := range wants {
			if !strings.Contains(r.body, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
	}
	// A monitor without a service shows neither.
	if r := e.get(c, "/monitors/lone"); strings.Contains(r.body, "Owners") || strings.Contains(r.body, "<dt>Service</dt>") {
		t.Errorf("/monitors/lone shows a service or owners")
	}
}

func TestServiceOwnersAndDescriptionInTheAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ownedShop(e)
	c := e.setup()
	wantOwners := []any{
		map[string]any{"id": "alice", "name": "Alice Example", "kind": "person", "email": "alice@example.com"},
		map[string]any{"id": "ops", "name": "Operations", "kind": "team", "members": []any{
			map[string]any{"id": "bob", "name": "Bob <the builder>", "kind": "person"},
		}},
	}
	var one struct {
		Data map[string]any `json:"data"`
	}
	r := e.get(c, "/api/v1/monitors/web")
	if err := json.Unmarshal([]byte(r.body), &one); err != nil {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if diff := cmp.Diff(wantOwners, one.Data["owners"]); diff != "" {
		t.Errorf("owners (-want +got):\n%s", diff)
	}
	if one.Data["service"] != "shop" || one.Data["service_name"] != "Web shop" || one.Data["service_description"] != "Checkout & payment." {
		t.Errorf("service fields: %s", r.body)
	}

	var all struct {
		Data []map[string]any `json:"data"`
	}
	r = e.get(c, "/api/v1/monitors")
	if err := json.Unmarshal([]byte(r.body), &all); err != nil || len(all.Data) != 3 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if diff := cmp.Diff(wantOwners, all.Data[0]["owners"]); diff != "" {
		t.Errorf("owners in the list (-want +got):\n%s", diff)
	}
	// Without a service: an empty list, and no name or description.
	lone := all.Data[2]
	if owners, ok := lone["owners"].([]any); !ok || len(owners) != 0 {
		t.Errorf("owners of a monitor without a service = %#v, want []", lone["owners"])
	}
	if _, ok := lone["service_name"]; ok {
		t.Errorf("a monitor without a service has a service_name: %v", lone)
	}
}
