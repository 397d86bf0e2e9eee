package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const ownersConfig = `
people:
  - {id: alice, name: Alice Example, email: alice@example.com, timezone: Europe/Paris}
  - {id: bob, email: Bob@Example.com, timezone: Europe/Paris}
  - {id: carol, name: Carol, timezone: America/New_York, email: carol@example.com}
  - {id: dan, name: Dan}
  - {id: erin, email: "Erin E. <erin@example.com>"}
teams:
  - {id: ops, name: Operations, members: [bob, dan]}
  - {id: empty}
channels:
  - {id: alice-mail, type: email, email: {host: h, from: t@example.com, people: [alice]}}
  - {id: by-address, type: email, email: {host: h, from: t@example.com, to: ["Bob <bob@example.com>", alice@example.com]}}
  - {id: mixed, type: email, email: {host: h, from: t@example.com, people: [alice, carol]}}
  - {id: stranger, type: email, email: {host: h, from: t@example.com, to: [ops@example.com], people: [alice]}}
  - {id: no-zone, type: email, email: {host: h, from: t@example.com, to: [dan@example.com]}}
  - {id: team, type: email, email: {host: h, from: t@example.com, teams: [ops]}}
services:
  - {id: shop, name: Shop, description: The public shop., owners: [ops, alice, empty, erin]}
  - {id: bare}
`

func TestServiceOwners(t *testing.T) {
	cfg, err := Parse([]byte(ownersConfig), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []Owner{
		{ID: "ops", Name: "Operations", Kind: OwnerTeam, Members: []Owner{
			{ID: "bob", Name: "bob", Kind: OwnerPerson, Email: "Bob@Example.com"},
			{ID: "dan", Name: "Dan", Kind: OwnerPerson},
		}},
		{ID: "alice", Name: "Alice Example", Kind: OwnerPerson, Email: "alice@example.com"},
		{ID: "empty", Name: "empty", Kind: OwnerTeam},
		{ID: "erin", Name: "erin", Kind: OwnerPerson, Email: "erin@example.com"},
	}
	if diff := cmp.Diff(want, cfg.ServiceOwners("shop")); diff != "" {
		t.Errorf("ServiceOwners(shop) (-want +got):\n%s", diff)
	}
	for _, id := range []string{"bare", "nope", ""} {
		if got := cfg.ServiceOwners(id); got != nil {
			t.Errorf("ServiceOwners(%q) = %v, want nil", id, got)
		}
	}
}

func TestEmailLocation(t *testing.T) {
	cfg, err := Parse([]byte(ownersConfig), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		"alice-mail": "Europe/Paris", // a person's address fills the channel
		"by-address": "Europe/Paris", // addresses in to match two people of one zone
		"mixed":      "",             // two zones: UTC only
		"stranger":   "",             // one recipient is nobody's address
		"no-zone":    "",             // not a person's address (dan has none)
		"team":       "Europe/Paris", // dan has no address: bob reads it alone
	}
	for id, want := range tests {
		ch, ok := cfg.Channel(id)
		if !ok {
			t.Fatalf("no channel %s", id)
		}
		got := ""
		if loc := ch.Email.Location(cfg); loc != nil {
			got = loc.String()
		}
		if got != want {
			t.Errorf("channel %s: Location = %q, want %q", id, got, want)
		}
	}
}
