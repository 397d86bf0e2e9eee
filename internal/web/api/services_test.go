package api_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/web/webtest"
)

func TestServiceOncallAPI(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	webtest.OncallShop(e)
	c := e.Setup()
	tok := e.Token(c, "script")
	get := func(path string) (int, map[string]any) {
		t.Helper()
		r := e.Do(e.Client(), "GET", path, nil, webtest.Bearer(tok))
		var one struct {
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal([]byte(r.Body), &one); err != nil {
			t.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
		return r.Status, one.Data
	}
	status, got := get("/api/v1/services/shop/oncall")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	person := func(target, id, name string, contacts ...any) map[string]any {
		return map[string]any{"target": target, "kind": "person", "id": id, "name": name, "contacts": append([]any{}, contacts...)}
	}
	annMail := map[string]any{"channel": "mail", "after_seconds": 0.0, "address": "ann@example.com"}
	want := map[string]any{
		"service":    "shop",
		"name":       "Web shop",
		"oncall_now": []any{"ann"},
		"next":       []any{map[string]any{"schedule": "tech-support", "from": "2026-03-02T08:00:00Z", "people": []any{"bob"}}},
		"policy": map[string]any{"id": "shop", "name": "Shop escalation", "repeat": 0.0, "steps": []any{
			map[string]any{"after_seconds": 0.0, "notify": []any{"schedule:tech-support"}, "recipients": []any{
				person("schedule:tech-support", "ann", "Ann Berg", annMail),
			}},
			map[string]any{"after_seconds": 900.0, "notify": []any{"team:appsupport"}, "recipients": []any{
				person("team:appsupport", "bob", "Bob Dahl",
					map[string]any{"channel": "hook", "after_seconds": 0.0},
					map[string]any{"channel": "mail", "after_seconds": 300.0, "address": "bob@example.com"}),
				func() map[string]any {
					m := person("team:appsupport", "cid", "Cid Ek")
					m["problem"] = "Cid Ek has no usable contact"
					return m
				}(),
				map[string]any{"target": "team:appsupport", "kind": "channel", "id": "room", "name": "room",
					"contacts": []any{map[string]any{"channel": "room", "after_seconds": 0.0}}},
			}},
		}},
		"owners": []any{map[string]any{"id": "appsupport", "name": "Application support", "kind": "team", "members": []any{
			map[string]any{"id": "bob", "name": "Bob Dahl", "kind": "person", "email": "bob@example.com"},
			map[string]any{"id": "cid", "name": "Cid Ek", "kind": "person"},
		}}},
		"runbook":    "https://wiki.example.com/shop",
		"tier":       1.0,
		"contacts":   []any{"ERP vendor hotline +47 800 12 345"},
		"depends_on": []any{"db", "host:db1"},
		"dependents": []any{},
		"monitors":   []any{"web", "api"},
		"heartbeats": []any{},
		"tags":       []any{"public", "erp"},
		"warnings":   []any{"step 2 (team:appsupport): Cid Ek has no usable contact"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /api/v1/services/shop/oncall (-want +got):\n%s", diff)
	}

	// The next day bob is on call.
	e.Clock.Add(24 * time.Hour)
	if _, got := get("/api/v1/services/db/oncall"); !cmp.Equal(got["oncall_now"], []any{"bob"}) || !cmp.Equal(got["dependents"], []any{"shop"}) {
		t.Errorf("db a day later: oncall_now %v, dependents %v", got["oncall_now"], got["dependents"])
	}
	// No policy: null, nobody on call, and the warnings say so.
	_, got = get("/api/v1/services/stray/oncall")
	if got["policy"] != nil || !cmp.Equal(got["oncall_now"], []any{}) || got["tier"] != nil || len(got["warnings"].([]any)) != 2 {
		t.Errorf("stray: %v", got)
	}
	r := e.Do(e.Client(), "GET", "/api/v1/services/nope/oncall", nil, webtest.Bearer(tok))
	if d := webtest.APIError(t, r); r.Status != 404 || d.Code != "not_found" {
		t.Errorf("unknown service: %d %+v", r.Status, d)
	}
	if r := e.Do(e.Client(), "GET", "/api/v1/services/shop/oncall", nil, nil); r.Status != 401 {
		t.Errorf("without a token: %d", r.Status)
	}
}

func TestServicesAPI(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	webtest.OncallShop(e)
	c := e.Setup()
	tok := e.Token(c, "script")
	list := func(path string) (int, []map[string]any) {
		t.Helper()
		r := e.Do(e.Client(), "GET", path, nil, webtest.Bearer(tok))
		var all struct {
			Data []map[string]any `json:"data"`
			Next any              `json:"next"`
		}
		if err := json.Unmarshal([]byte(r.Body), &all); err != nil {
			t.Fatalf("%s: %d %s", path, r.Status, r.Body)
		}
		if r.Status == 200 && all.Next != nil {
			t.Errorf("%s: next = %v", path, all.Next)
		}
		return r.Status, all.Data
	}
	_, all := list("/api/v1/services")
	var ids []string
	for _, s := range all {
		ids = append(ids, s["id"].(string))
	}
	if !cmp.Equal(ids, []string{"shop", "db", "stray"}) {
		t.Fatalf("ids %v", ids)
	}
	if s := all[0]; s["policy"] != "shop" || s["tier"] != 1.0 || !cmp.Equal(s["oncall_now"], []any{"ann"}) || !cmp.Equal(s["tags"], []any{"public", "erp"}) {
		t.Errorf("shop: %v", s)
	}
	if s := all[2]; s["policy"] != nil || s["tier"] != nil || len(s["warnings"].([]any)) != 2 || !cmp.Equal(s["owners"], []any{}) {
		t.Errorf("stray: %v", s)
	}
	for q, want := range map[string]int{"erp": 1, "Ann": 2, "cid": 2, "nothing-like-it": 0, "": 3} {
		if _, got := list("/api/v1/services?q=" + q); len(got) != want {
			t.Errorf("q=%s: %d services, want %d", q, len(got), want)
		}
	}
	r := e.Do(e.Client(), "GET", "/api/v1/services?q="+strings.Repeat("x", 201), nil, webtest.Bearer(tok))
	if d := webtest.APIError(t, r); r.Status != 400 || d.Code != "invalid" {
		t.Errorf("a long q: %d %+v", r.Status, d)
	}
}
