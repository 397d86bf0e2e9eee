package web

import (
	"strings"
	"testing"

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
