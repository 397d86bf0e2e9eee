package ui_test

import (
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/web/webtest"
)

func TestServiceOwnersAndDescriptionInTheUI(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	webtest.OwnedShop(e)
	c := e.Setup()
	owners := `Alice Example &lt;<a href="mailto:alice@example.com">alice@example.com</a>&gt;`
	team := `Operations <span class="muted">(team)</span>: Bob &lt;the builder&gt;`
	pages := map[string][]string{
		"/monitors/web": {`<p class="owners">Owners: `, owners, team, "Checkout &amp; payment."},
		"/":             {`<p class="owners">Owners: `, owners, team, "Checkout &amp; payment."},
	}
	for path, wants := range pages {
		r := e.Get(c, path)
		if r.Status != 200 {
			t.Fatalf("%s: %d", path, r.Status)
		}
		for _, want := range wants {
			if !strings.Contains(r.Body, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
	}
	// A monitor without a service shows neither.
	if r := e.Get(c, "/monitors/lone"); strings.Contains(r.Body, "Owners") || strings.Contains(r.Body, "<dt>Service</dt>") {
		t.Errorf("/monitors/lone shows a service or owners")
	}
}
