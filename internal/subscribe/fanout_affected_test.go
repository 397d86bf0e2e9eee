package subscribe

import (
	"testing"

	"github.com/tocsin/tocsin/internal/config"
)

// TestAffected names the components a subscriber's page shows for an
// incident the way the page names them, never by internal ids when a
// name exists, each once.
func TestAffected(t *testing.T) {
	cfg := &config.Config{Services: []config.Service{{ID: "pay-7", Name: "Card payments"}, {ID: "web"}, {ID: "mail", Name: "Mail"}}}
	p := &config.StatusPage{Components: []config.StatusComponent{
		{Service: "pay-7"},
		{Name: "Shop", Services: []string{"web", "pay-7"}},
		{Service: "web"},
		{Service: "mail"},
	}}
	for _, c := range []struct {
		services []string
		want     string
	}{
		{[]string{"pay-7"}, "Card payments, Shop"},
		{[]string{"web"}, "Shop, web"},
		{[]string{"mail", "other"}, "Mail"},
		{[]string{"other"}, ""},
	} {
		if got := Affected(cfg, p, c.services); got != c.want {
			t.Errorf("Affected(%v) = %q, want %q", c.services, got, c.want)
		}
	}
}
