package api_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

func TestServiceOwnersAndDescriptionInTheAPI(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	webtest.OwnedShop(e)
	c := e.Setup()
	wantOwners := []any{
		map[string]any{"id": "alice", "name": "Alice Example", "kind": "person", "email": "alice@example.com"},
		map[string]any{"id": "ops", "name": "Operations", "kind": "team", "members": []any{
			map[string]any{"id": "bob", "name": "Bob <the builder>", "kind": "person"},
		}},
	}
	var one struct {
		Data map[string]any `json:"data"`
	}
	r := e.Get(c, "/api/v1/monitors/web")
	if err := json.Unmarshal([]byte(r.Body), &one); err != nil {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if diff := cmp.Diff(wantOwners, one.Data["owners"]); diff != "" {
		t.Errorf("owners (-want +got):\n%s", diff)
	}
	if one.Data["service"] != "shop" || one.Data["service_name"] != "Web shop" || one.Data["service_description"] != "Checkout & payment." {
		t.Errorf("service fields: %s", r.Body)
	}

	var all struct {
		Data []map[string]any `json:"data"`
	}
	r = e.Get(c, "/api/v1/monitors")
	if err := json.Unmarshal([]byte(r.Body), &all); err != nil || len(all.Data) != 3 {
		t.Fatalf("%d %s", r.Status, r.Body)
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
