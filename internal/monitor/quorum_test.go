package monitor

import (
	"slices"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/probe"
)

func loc(name string, st Status, last probe.Status, reason string, live bool) Location {
	l := Location{Name: name, State: State{Status: st, Since: time.Date(2026, 3, 2, 9, 41, 7, 0, time.UTC)}, Live: live}
	if last >= 0 {
		l.Last = &probe.Result{Status: last, Reason: reason}
	}
	return l
}

func TestCombine(t *testing.T) {
	up := func(n string) Location { return loc(n, StatusUp, probe.OK, "", true) }
	warn := func(n string) Location { return loc(n, StatusWarning, probe.Warning, "slow", true) }
	down := func(n string) Location { return loc(n, StatusDown, probe.Critical, "refused", true) }
	silent := func(n string) Location { return loc(n, StatusDown, probe.Critical, "refused", false) }
	unknownResult := func(n string) Location { return loc(n, StatusDown, probe.Unknown, "plugin missing", true) }
	none := func(n string) Location { return loc(n, StatusPending, -1, "", true) }
	pending := func(n string) Location { return loc(n, StatusPending, probe.Critical, "refused", true) }
	for _, c := range []struct {
		name        string
		q           Quorum
		locs        []Location
		want        probe.Status
		down, unkno []string
	}{
		{"any all up", Quorum{}, []Location{up("a"), up("b"), up("c")}, probe.OK, nil, nil},
		{"any one down", Quorum{Mode: QuorumAny}, []Location{up("a"), down("b"), up("c")}, probe.Critical, []string{"b"}, nil},
		{"any warning", Quorum{}, []Location{up("a"), warn("b")}, probe.Warning, nil, nil},
		{"all one down", Quorum{Mode: QuorumAll}, []Location{up("a"), down("b"), up("c")}, probe.OK, []string{"b"}, nil},
		{"all every down", Quorum{Mode: QuorumAll}, []Location{down("a"), down("b"), down("c")}, probe.Critical, []string{"a", "b", "c"}, nil},
		{"all down but silent", Quorum{Mode: QuorumAll}, []Location{down("a"), silent("b")}, probe.Critical, []string{"a"}, []string{"b"}},
		{"at least 2 of 3, one", Quorum{Mode: QuorumAtLeast, AtLeast: 2}, []Location{up("a"), down("b"), up("c")}, probe.OK, []string{"b"}, nil},
		{"at least 2 of 3, two", Quorum{Mode: QuorumAtLeast, AtLeast: 2}, []Location{up("a"), down("b"), down("c")}, probe.Critical, []string{"b", "c"}, nil},
		{"at least 2, one down one silent", Quorum{Mode: QuorumAtLeast, AtLeast: 2}, []Location{up("a"), down("b"), silent("c")}, probe.OK, []string{"b"}, []string{"c"}},
		{"silent does not page", Quorum{}, []Location{up("a"), silent("b")}, probe.OK, nil, []string{"b"}},
		{"unknown result does not page", Quorum{}, []Location{up("a"), unknownResult("b")}, probe.OK, nil, []string{"b"}},
		{"nothing known", Quorum{}, []Location{none("a"), silent("b"), pending("c")}, probe.Unknown, nil, []string{"a", "b", "c"}},
		{"at least 1 of only unknown and down", Quorum{Mode: QuorumAtLeast, AtLeast: 1}, []Location{none("a"), down("b")}, probe.Critical, []string{"b"}, []string{"a"}},
	} {
		v := Combine(c.q, c.locs)
		if v.Status != c.want || !slices.Equal(v.Down, c.down) || !slices.Equal(v.Unknown, c.unkno) {
			t.Errorf("%s: %v down %v unknown %v, want %v down %v unknown %v", c.name, v.Status, v.Down, v.Unknown, c.want, c.down, c.unkno)
		}
	}
}

func TestExplain(t *testing.T) {
	inside := loc("campus-internal", StatusUp, probe.OK, "", true)
	eu := loc("external-eu", StatusDown, probe.Critical, "tcp vpn.example.edu:22: timed out after 10s", true)
	us := loc("external-us", StatusDown, probe.Critical, "tcp vpn.example.edu:22: connect: connection refused", true)
	us.State.Since = us.State.Since.Add(3 * time.Minute)
	eu2 := loc("external-eu", StatusDown, probe.Critical, "ssh vpn.example.edu:22: failed at tcp connect: connection refused (nothing listens on the port, or a firewall rejects it)", true)
	asia := loc("external-asia", StatusUp, probe.Unknown, "", false)
	for _, c := range []struct {
		name string
		q    Quorum
		locs []Location
		want string
	}{
		{"inside passes, outside fails", Quorum{}, []Location{inside, eu, us},
			"reachable from campus-internal, failing from external-eu and external-us since 09:41 UTC (external-eu: timed out at tcp connect; external-us: refused): a network path or firewall change is likely"},
		{"same stage everywhere", Quorum{}, []Location{inside, eu2, us},
			"reachable from campus-internal, refused from external-eu and external-us since 09:41 UTC: a network path or firewall change is likely"},
		{"everywhere", Quorum{}, []Location{eu, us},
			"failing from external-eu and external-us since 09:41 UTC (external-eu: timed out at tcp connect; external-us: refused)"},
		{"with a silent location", Quorum{}, []Location{inside, us, asia},
			"reachable from campus-internal, refused from external-us since 09:44 UTC; unknown from external-asia: a network path or firewall change is likely"},
		{"up", Quorum{Mode: QuorumAll}, []Location{inside, us, asia},
			"up from campus-internal, failing from external-us; unknown from external-asia"},
	} {
		got := Explain(Combine(c.q, c.locs), c.locs)
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

func TestFailureStage(t *testing.T) {
	for _, c := range []struct {
		r    probe.Result
		want string
	}{
		{probe.Result{Status: probe.Critical, Reason: "tcp h:22: timed out after 5s"}, "timed out at tcp connect"},
		{probe.Result{Status: probe.Critical, Reason: "tcp h:22: timed out after 5s waiting for \"SSH\" (got nothing)", Timing: probe.Timing{Connect: time.Millisecond}}, "timed out"},
		{probe.Result{Status: probe.Critical, Reason: "ssh h:22: failed at banner: timed out after 5s waiting for the server's version line"}, "timed out at banner"},
		{probe.Result{Status: probe.Critical, Reason: "ssh h:22: failed at auth: user \"backup\" was refused (tried publickey)"}, "auth refused"},
		{probe.Result{Status: probe.Critical, Reason: "tcp h:443: tls: certificate expired on 2026-01-01"}, "TLS"},
		{probe.Result{Status: probe.Critical, Reason: "lookup h.example: no such host"}, "DNS"},
		{probe.Result{Status: probe.Critical, Reason: "tcp h:22: reading: read: connection reset by peer"}, "reset"},
		{probe.Result{Status: probe.Critical, Reason: "http https://h/: status 503"}, "http https://h/: status 503"},
		{probe.Result{Status: probe.Critical}, "critical"},
	} {
		if got := FailureStage(c.r); got != c.want {
			t.Errorf("%q: %q, want %q", c.r.Reason, got, c.want)
		}
	}
}
