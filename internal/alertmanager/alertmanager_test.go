package alertmanager

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

func fixture(t *testing.T, name string) Payload {
	t.Helper()
	body, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Decode(body)
	if err != nil {
		t.Fatalf("Decode(%s): %v", name, err)
	}
	return p
}

func testConfig() *config.Config {
	return &config.Config{
		Services:     []config.Service{{ID: "shop"}, {ID: "warehouse"}, {ID: "quiet"}},
		Alerting:     config.Alerting{GroupWait: config.Duration(10 * time.Second), GroupInterval: config.Duration(time.Minute)},
		Alertmanager: config.Alertmanager{ServiceLabel: "service"},
	}
}

var policies = func(svc string) (config.EscalationPolicy, bool) {
	if svc == "shop" {
		return config.EscalationPolicy{ID: "shop-oncall", Steps: []config.EscalationStep{{After: config.Duration(time.Minute), Notify: []string{"channel:hook"}}}}, true
	}
	return config.EscalationPolicy{}, false
}

func TestTranslateFiring(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	changes, outcomes := Translate(testConfig(), policies, fixture(t, "firing.json"), now)
	started := time.Date(2026, 3, 2, 9, 58, 0, 123e6, time.UTC)
	wantChanges := []store.AlertChange{
		{GroupKey: "alertmanager:3f2c1a9b8d7e6f50", MonitorID: "alertmanager:3f2c1a9b8d7e6f50", ServiceID: "shop", PolicyID: "shop-oncall", Down: true,
			Time: started, Reason: "CheckoutErrors: 5xx above 5% on web-1 — The checkout answers 502 to 7% of requests.",
			FirstStep: started.Add(70 * time.Second), UpdateEvery: time.Minute},
		{GroupKey: "alertmanager:0badc0ffee000001", MonitorID: "alertmanager:0badc0ffee000001", ServiceID: "warehouse", Down: true,
			Time: time.Date(2026, 3, 2, 9, 59, 0, 0, time.UTC), Reason: "CheckoutErrors", UpdateEvery: time.Minute},
	}
	if diff := cmp.Diff(wantChanges, changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	wantOutcomes := []Outcome{
		{Index: 0, Fingerprint: "3f2c1a9b8d7e6f50", AlertName: "CheckoutErrors", Status: "firing", Service: "shop", Accepted: true},
		{Index: 1, Fingerprint: "a1b2c3d4e5f60718", AlertName: "CheckoutErrors", Status: "firing",
			Error: `no "service" label: it names the service the alert belongs to (alertmanager.service_label)`},
		{Index: 2, Fingerprint: "0badc0ffee000001", AlertName: "CheckoutErrors", Status: "firing", Service: "warehouse", Accepted: true},
	}
	if diff := cmp.Diff(wantOutcomes, outcomes); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
}

func TestTranslateResolved(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)
	changes, outcomes := Translate(testConfig(), policies, fixture(t, "resolved.json"), now)
	want := []store.AlertChange{{GroupKey: "alertmanager:3f2c1a9b8d7e6f50", MonitorID: "alertmanager:3f2c1a9b8d7e6f50", ServiceID: "shop",
		Time: time.Date(2026, 3, 2, 10, 20, 0, 0, time.UTC), Reason: "CheckoutErrors: 5xx above 5% on web-1", UpdateEvery: time.Minute}}
	if diff := cmp.Diff(want, changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if len(outcomes) != 1 || !outcomes[0].Accepted {
		t.Errorf("outcomes = %+v, want the one alert accepted", outcomes)
	}
}

func TestTranslateRefusals(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	cfg := testConfig()
	cfg.Alertmanager.ServiceLabel = "team_service"
	p := Payload{Version: "4", Alerts: []Alert{
		{Status: "firing", Labels: map[string]string{"team_service": "nope"}, Fingerprint: "01"},
		{Status: "firing", Labels: map[string]string{"service": "shop"}, Fingerprint: "02"},
		{Status: "pending", Labels: map[string]string{"team_service": "shop"}, Fingerprint: "03"},
		{Status: "firing", Labels: map[string]string{"team_service": "shop"}, Fingerprint: "no/slash"},
		{Status: "firing", Labels: map[string]string{"team_service": "shop"}, Fingerprint: strings.Repeat("f", 65)},
		{Status: "firing", Labels: map[string]string{"team_service": "shop", "alertname": "A"},
			StartsAt: now.Add(time.Hour)}, // no fingerprint; a start still to come
	}}
	changes, outcomes := Translate(cfg, nil, p, now)
	errors := []string{
		`unknown service "nope" in label "team_service": name a service of the configuration`,
		`no "team_service" label: it names the service the alert belongs to (alertmanager.service_label)`,
		`status "pending" is neither "firing" nor "resolved"`,
		`fingerprint "no/slash" is not 1 to 64 letters and digits`,
		`fingerprint "` + strings.Repeat("f", 64) + `…" is not 1 to 64 letters and digits`,
		"",
	}
	for i, o := range outcomes {
		if o.Error != errors[i] || o.Accepted != (errors[i] == "") {
			t.Errorf("alert %d: accepted %v, error %q; want error %q", i, o.Accepted, o.Error, errors[i])
		}
	}
	if len(changes) != 1 || !changes[0].Time.Equal(now) || changes[0].PolicyID != "" || changes[0].GroupKey != Prefix+Fingerprint(p.Alerts[5].Labels) {
		t.Errorf("changes = %+v, want one at now, keyed by the labels' fingerprint, with no policy", changes)
	}

	// default_service takes the alerts without the label.
	cfg.Alertmanager.DefaultService = "quiet"
	changes, outcomes = Translate(cfg, nil, Payload{Alerts: []Alert{{Status: "resolved", Fingerprint: "ab"}}}, now)
	if len(changes) != 1 || changes[0].ServiceID != "quiet" || !outcomes[0].Accepted {
		t.Errorf("default service: changes %+v outcomes %+v", changes, outcomes)
	}
	// No configuration loaded: nothing is taken.
	if changes, outcomes := Translate(nil, nil, Payload{Alerts: []Alert{{Status: "firing", Labels: map[string]string{"service": "shop"}, Fingerprint: "ab"}}}, now); len(changes) != 0 || outcomes[0].Accepted {
		t.Errorf("without configuration: %+v %+v", changes, outcomes)
	}
}

func TestFingerprintStable(t *testing.T) {
	a := Fingerprint(map[string]string{"alertname": "X", "service": "shop"})
	b := Fingerprint(map[string]string{"service": "shop", "alertname": "X"})
	c := Fingerprint(map[string]string{"service": "shop", "alertname": "Y"})
	if a != b || a == c || len(a) != 16 {
		t.Errorf("fingerprints %q %q %q: want the same labels to match and others not, 16 digits", a, b, c)
	}
	// Keys and values cannot run into each other.
	if Fingerprint(map[string]string{"a": "bc"}) == Fingerprint(map[string]string{"ab": "c"}) {
		t.Error("labels a=bc and ab=c share a fingerprint")
	}
}

func TestReason(t *testing.T) {
	long := strings.Repeat("é", 800)
	for _, tc := range []struct {
		a    Alert
		want string
	}{
		{Alert{Labels: map[string]string{"alertname": "Down"}, Annotations: map[string]string{"description": " d "}}, "Down: d"},
		{Alert{Annotations: map[string]string{"summary": "s"}}, "s"},
		{Alert{}, "firing in Alertmanager"},
	} {
		if got := Reason(tc.a); got != tc.want {
			t.Errorf("Reason(%+v) = %q, want %q", tc.a, got, tc.want)
		}
	}
	r := Reason(Alert{Annotations: map[string]string{"summary": long}})
	if len(r) > maxReason+len("…") || !strings.HasSuffix(r, "é…") {
		t.Errorf("long reason: %d bytes, ends %q", len(r), r[len(r)-8:])
	}
}

func TestDecodeRefuses(t *testing.T) {
	many := `{"version":"4","alerts":[` + strings.Repeat(`{"status":"firing"},`, MaxAlerts) + `{"status":"firing"}]}`
	for _, tc := range []struct {
		body, code, msg string
	}{
		{``, errs.EINVALID, "not an Alertmanager webhook payload"},
		{`[]`, errs.EINVALID, "not an Alertmanager webhook payload"},
		{`{"version":"3","alerts":[]}`, errs.EINVALID, `payload version "3" is not supported`},
		{`{"version":"4"}`, errs.EINVALID, `no "alerts" list`},
		{`{"version":"4","alerts":[]} {}`, errs.EINVALID, "more than one JSON value"},
		{`{"version":"4","alerts":[{"labels":{"a":1}}]}`, errs.EINVALID, "not an Alertmanager webhook payload"},
		{`{"version":"4","alerts":[{"startsAt":"yesterday"}]}`, errs.EINVALID, "not an Alertmanager webhook payload"},
		{many, errs.ETOOLARGE, "holds 1001 alerts"},
	} {
		_, err := Decode([]byte(tc.body))
		if errs.Code(err) != tc.code || !strings.Contains(errs.Message(err), tc.msg) {
			t.Errorf("Decode(%.40s): %v (%s), want %s containing %q", tc.body, err, errs.Code(err), tc.code, tc.msg)
		}
	}
}
