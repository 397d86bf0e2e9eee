package catalog

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/config"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
)

const ownersConfig = `
people:
  - {id: alice, name: Alice Example, email: alice@example.com, timezone: Europe/Paris}
  - {id: bob, email: Bob@Example.com}
  - {id: carol, name: Carol, email: carol@example.com}
  - {id: dan, name: Dan}
  - {id: erin, email: "Erin E. <erin@example.com>"}
teams:
  - {id: web, name: Web, members: [dan, carol]}
  - {id: ops, name: Operations, members: [bob, dan]}
  - {id: empty}
channels:
  - {id: pager, type: webhook, webhook: {url: "https://example.com/hook"}}
services:
  - {id: shop, name: Shop, description: The public shop., owners: [ops, alice, empty, erin], channels: [pager]}
  - {id: bare}
  - {id: blog, owners: [web]}
  - {id: mail, name: Mail, owners: [carol, ops]}
`

func parse(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(ownersConfig), "x.yaml", probekinds.Config())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

var (
	bob     = Owner{ID: "bob", Name: "bob", Kind: OwnerPerson, Email: "Bob@Example.com"}
	dan     = Owner{ID: "dan", Name: "Dan", Kind: OwnerPerson}
	carol   = Owner{ID: "carol", Name: "Carol", Kind: OwnerPerson, Email: "carol@example.com"}
	ops     = Owner{ID: "ops", Name: "Operations", Kind: OwnerTeam, Members: []Owner{bob, dan}}
	shopOwn = []Owner{
		ops,
		{ID: "alice", Name: "Alice Example", Kind: OwnerPerson, Email: "alice@example.com"},
		{ID: "empty", Name: "empty", Kind: OwnerTeam},
		{ID: "erin", Name: "erin", Kind: OwnerPerson, Email: "erin@example.com"},
	}
)

func TestServiceOwners(t *testing.T) {
	cfg := parse(t)
	if diff := cmp.Diff(shopOwn, ServiceOwners(cfg, "shop")); diff != "" {
		t.Errorf("ServiceOwners(shop) (-want +got):\n%s", diff)
	}
	for _, id := range []string{"bare", "nope", ""} {
		if got := ServiceOwners(cfg, id); got != nil {
			t.Errorf("ServiceOwners(%q) = %v, want nil", id, got)
		}
	}
	if got := ServiceOwners(nil, "shop"); got != nil {
		t.Errorf("ServiceOwners of no config = %v, want nil", got)
	}
}

func TestCatalogLookups(t *testing.T) {
	c := New(parse(t))
	services := map[string]Service{
		"shop": {ID: "shop", Name: "Shop", Description: "The public shop.", Owners: shopOwn, Channels: []string{"pager"}},
		"bare": {ID: "bare", Name: "bare"},
		"blog": {ID: "blog", Name: "blog", Owners: []Owner{{ID: "web", Name: "Web", Kind: OwnerTeam, Members: []Owner{dan, carol}}}},
	}
	for id, want := range services {
		got, ok := c.Service(id)
		if !ok {
			t.Errorf("Service(%q) not found", id)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Service(%q) (-want +got):\n%s", id, diff)
		}
		if diff := cmp.Diff(ServiceOwners(parse(t), id), got.Owners); diff != "" {
			t.Errorf("Service(%q).Owners differ from ServiceOwners (-func +catalog):\n%s", id, diff)
		}
	}
	if _, ok := c.Service("nope"); ok {
		t.Error("Service(nope) found")
	}
	var ids []string
	for _, s := range c.Services() {
		ids = append(ids, s.ID)
	}
	if diff := cmp.Diff([]string{"shop", "bare", "blog", "mail"}, ids); diff != "" {
		t.Errorf("Services() ids (-want +got):\n%s", diff)
	}

	people := map[string]Person{
		"alice": {ID: "alice", Name: "Alice Example", Email: "alice@example.com", Timezone: "Europe/Paris"},
		"dan":   {ID: "dan", Name: "Dan", Teams: []string{"web", "ops"}},
		"erin":  {ID: "erin", Name: "erin", Email: "erin@example.com"},
	}
	for id, want := range people {
		got, ok := c.Person(id)
		if diff := cmp.Diff(want, got); !ok || diff != "" {
			t.Errorf("Person(%q) found=%v (-want +got):\n%s", id, ok, diff)
		}
	}
	if got, ok := c.Team("ops"); !ok || !cmp.Equal(Team{ID: "ops", Name: "Operations", Members: []Owner{bob, dan}}, got) {
		t.Errorf("Team(ops) = %+v, %v", got, ok)
	}
	if got, ok := c.Team("empty"); !ok || got.Name != "empty" || got.Members != nil {
		t.Errorf("Team(empty) = %+v, %v; want the id as its name and no members", got, ok)
	}
	if _, ok := c.Person("ops"); ok {
		t.Error("Person(ops) found: ops is a team")
	}
}

func TestOwnedBy(t *testing.T) {
	c := New(parse(t))
	tests := []struct {
		id   string
		want []string
	}{
		{"alice", []string{"shop"}},               // named directly
		{"bob", []string{"shop", "mail"}},         // through ops
		{"dan", []string{"shop", "blog", "mail"}}, // through ops and web
		{"carol", []string{"blog", "mail"}},       // through web, and directly
		{"ops", []string{"shop", "mail"}},         // a team: only where it is named
		{"web", []string{"blog"}},
		{"empty", []string{"shop"}},
		{"erin", []string{"shop"}},
		{"nobody", nil},
		{"", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, s := range c.OwnedBy(tt.id) {
			got = append(got, s.ID)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("OwnedBy(%q) (-want +got):\n%s", tt.id, diff)
		}
	}
}

func TestEmptyCatalog(t *testing.T) {
	c := New(nil)
	if len(c.Services()) != 0 || c.OwnedBy("alice") != nil {
		t.Error("the catalog of no config is not empty")
	}
	if _, ok := c.Service("shop"); ok {
		t.Error("Service(shop) found in the catalog of no config")
	}
}
