package config

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestDownWhen reads the three forms of down_when and refuses the rest
// with the line of the bad value.
func TestDownWhen(t *testing.T) {
	for _, c := range []struct {
		in   string
		want DownWhen
		err  string
	}{
		{"down_when: any", DownWhen{Mode: DownWhenAny}, ""},
		{"down_when: all", DownWhen{Mode: DownWhenAll}, ""},
		{"down_when: {at_least: 2}", DownWhen{Mode: DownWhenAtLeast, AtLeast: 2}, ""},
		{"down_when: most", DownWhen{}, "expected any, all or {at_least: N}"},
		{"down_when: {at_least: 0}", DownWhen{}, "1 or more"},
		{"down_when: {at_most: 2}", DownWhen{}, "expected any, all or {at_least: N}"},
		{"down_when: [any]", DownWhen{}, "expected any, all or {at_least: N}"},
	} {
		var v struct {
			DownWhen DownWhen `yaml:"down_when"`
		}
		err := yaml.Unmarshal([]byte(c.in), &v)
		if c.err == "" {
			if err != nil || v.DownWhen != c.want {
				t.Errorf("%s: %+v, %v", c.in, v.DownWhen, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%s: error %v, want %q", c.in, err, c.err)
		}
	}
	if got := (DownWhen{Mode: DownWhenAtLeast, AtLeast: 3}).String(); got != "at least 3" {
		t.Errorf("String = %q", got)
	}
}

func TestMonitorWhere(t *testing.T) {
	plain := Monitor{ID: "a"}
	multi := Monitor{ID: "b", Locations: []string{"local", "external-eu"}}
	remote := Monitor{ID: "c", Locations: []string{"external-eu"}}
	host := Monitor{ID: "d", Agent: "db-01", Locations: []string{"local"}}
	for _, c := range []struct {
		m     Monitor
		loc   string
		wants bool
	}{
		{plain, LocalLocation, true}, {plain, "external-eu", false},
		{multi, LocalLocation, true}, {multi, "external-eu", true},
		{remote, LocalLocation, false}, {remote, "external-eu", true},
		{host, LocalLocation, false},
	} {
		if got := c.m.RunsAt(c.loc, LocalLocation); got != c.wants {
			t.Errorf("%s.RunsAt(%s) = %v", c.m.ID, c.loc, got)
		}
	}
	// A server renamed by server.location runs its monitors there.
	if !plain.RunsAt("campus", "campus") || plain.RunsAt(LocalLocation, "campus") {
		t.Error("a monitor without locations does not run at the renamed server's location")
	}
	if (Server{}).Home() != LocalLocation || (Server{Location: "campus"}).Home() != "campus" {
		t.Error("Server.Home")
	}
}
