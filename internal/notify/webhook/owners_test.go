package webhook

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
)

func TestPayloadCarriesOwnersAndDescription(t *testing.T) {
	e := testEvent()
	e.ServiceDescription = "The public site."
	e.Owners = []catalog.Owner{
		{ID: "alice", Name: "Alice Example", Kind: catalog.OwnerPerson, Email: "alice@example.org"},
		{ID: "ops", Name: "Operations", Kind: catalog.OwnerTeam, Members: []catalog.Owner{
			{ID: "dan", Name: "dan", Kind: catalog.OwnerPerson},
		}},
	}
	noOwners := testEvent()
	noOwners.Owners = nil
	tests := []struct {
		name  string
		event notify.Event
		want  map[string]any
	}{
		{"owners and description", e, map[string]any{
			"service_description": "The public site.",
			"owners": []any{
				map[string]any{"id": "alice", "name": "Alice Example", "kind": "person", "email": "alice@example.org"},
				map[string]any{"id": "ops", "name": "Operations", "kind": "team", "members": []any{
					map[string]any{"id": "dan", "name": "dan", "kind": "person"},
				}},
			},
		}},
		{"no owners is an empty list, no description is left out", noOwners, map[string]any{
			"owners": []any{},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, got := receiver(t, http.StatusNoContent, "")
			if _, err := New(&config.WebhookConfig{URL: srv.URL}, srv.Client()).Notify(context.Background(), tt.event); err != nil {
				t.Fatal(err)
			}
			var payload map[string]any
			if err := json.Unmarshal((<-got).body, &payload); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"owners", "service_description"} {
				if diff := cmp.Diff(tt.want[k], payload[k]); diff != "" {
					t.Errorf("payload[%q] (-want +got):\n%s", k, diff)
				}
			}
			// The fields every receiver already reads are still there.
			for _, k := range []string{"id", "event", "monitor_id", "service_id", "status", "reason", "time"} {
				if _, ok := payload[k]; !ok {
					t.Errorf("payload lacks %q", k)
				}
			}
		})
	}
}
