package config

import (
	"strconv"
	"strings"
	"testing"
)

// TestLocationsValidation refuses bad locations, a quorum larger than the
// locations, and a host check with locations, each at its file and line.
func TestLocationsValidation(t *testing.T) {
	const head = "monitors:\n  - id: m\n    tcp: {address: \"127.0.0.1:22\"}\n"
	for _, c := range []struct {
		name, in, err string
		line          int
	}{
		{"fine", "    locations: [local, external-eu]\n    down_when: {at_least: 2}\n", "", 0},
		{"all", "    locations: [local, external-eu]\n    down_when: all\n", "", 0},
		{"bad name", "    locations: [local, External EU]\n", `invalid location "External EU"`, 4},
		{"twice", "    locations:\n      - local\n      - local\n", `location "local" is listed twice`, 6},
		{"quorum", "    locations: [local, x]\n    down_when: {at_least: 3}\n", "at_least 3 is more than the 2 location(s) the monitor runs from (local, x)", 5},
		{"quorum local", "    down_when: {at_least: 2}\n", "more than the 1 location(s)", 4},
		{"agent and locations", "    agent: db-01\n    locations: [local]\n", "a host check runs on its agent's host; it has no locations", 5},
		{"agent and quorum", "    agent: db-01\n    down_when: all\n", "no locations to count", 5},
		{"agent id", "    agent: DB 01\n", `invalid agent id "DB 01"`, 4},
	} {
		_, err := Parse([]byte(head+c.in), "tocsin.yaml", testKinds)
		if c.err == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: loaded", c.name)
			continue
		}
		want := "tocsin.yaml:" + strconv.Itoa(c.line) + ":"
		if !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q at %s", c.name, err, c.err, want)
		}
	}
}
