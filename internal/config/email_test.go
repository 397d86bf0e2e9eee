package config

import "testing"

const emailConfig = `
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
`

func TestEmailLocation(t *testing.T) {
	cfg, err := Parse([]byte(emailConfig), "x.yaml", testKinds)
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
