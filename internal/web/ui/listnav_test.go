package ui

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/store"
)

func TestListURL(t *testing.T) {
	for _, c := range []struct {
		path, state string
		before      int64
		want        string
	}{
		{"/alerts", "", 0, "/alerts"},
		{"/incidents", "", 0, "/incidents"},
		{"/incidents", "active", 0, "/incidents?state=active"},
		{"/alerts", "", 42, "/alerts?before=42"},
		{"/incidents", "resolved", 7, "/incidents?before=7&state=resolved"},
		{"/alerts", "a&b", 0, "/alerts?state=a%26b"},
	} {
		if got := listURL(c.path, "state", c.state, c.before); got != c.want {
			t.Errorf("listURL(%q, %q, %d) = %q, want %q", c.path, c.state, c.before, got, c.want)
		}
	}
}

func TestListNav(t *testing.T) {
	filters, next := listNav("/incidents", []string{"active", ""}, "active", store.Page{Limit: 2}, 2, 9)
	want := []alertFilter{{Label: "active", URL: "/incidents?state=active", Current: true}, {Label: "all", URL: "/incidents"}}
	if d := cmp.Diff(want, filters); d != "" {
		t.Errorf("filters (-want +got):\n%s", d)
	}
	if next != "/incidents?before=9&state=active" {
		t.Errorf("next = %q", next)
	}
	// A short page is the last one.
	if _, next := listNav("/alerts", nil, "", store.Page{Limit: 50}, 3, 9); next != "" {
		t.Errorf("next of a short page = %q, want none", next)
	}
}
