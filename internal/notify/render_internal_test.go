package notify

import (
	"reflect"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
)

// TestValueText: the shapes fields added to Event may take are told in
// words: text, numbers, lists, records by name and id, times, maps.
func TestValueText(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		in   any
		want string
	}{
		{"https://tocsin.example.com/ack/abc", "https://tocsin.example.com/ack/abc"},
		{2, "2"},
		{0, ""},
		{[]string{"ana", "bo"}, "ana, bo"},
		{catalog.Recipient{Target: "team:ops", Kind: "person", ID: "ana", Name: "Ana"}, "Ana (ana)"},
		{[]catalog.Owner{{ID: "ops", Name: "Ops", Kind: catalog.OwnerTeam}}, "Ops (team)"},
		{at, "2026-01-02 03:04:05 UTC"},
		{&at, "2026-01-02 03:04:05 UTC"},
		{map[string]string{"b": "2", "a": "1"}, "a=1, b=2"},
		{true, "yes"},
		{false, ""},
	} {
		if got := valueText(reflect.ValueOf(c.in)); got != c.want {
			t.Errorf("valueText(%#v) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := words("escalation_step"); got != "Escalation step" {
		t.Errorf("words = %q", got)
	}
	if got := words("ack_url"); got != "Ack URL" {
		t.Errorf("words = %q", got)
	}
}
