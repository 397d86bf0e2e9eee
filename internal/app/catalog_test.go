package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/testkit"
)

const catalogWarningsConfig = `
people:
  - {id: ann}
  - {id: bob, email: bob@example.com}
channels:
  - {id: mail, type: email, email: {host: smtp.example.com, from: tocsin@example.com, to: [ops@example.com]}}
teams:
  - {id: ops, members: [ann, bob], escalation_policy: ops}
escalation_policies:
  - id: ops
    steps: [{after: 0s, notify: [team:ops]}]
services:
  - {id: erp, owners: [ops]}
  - {id: lonely}
`

// TestCLIValidateWarnsOfCatalog runs `tocsin validate` on a file with a
// service without owner or policy and a person a policy pages who has no
// contact: each is a warning, and the exit status stays 0.
func TestCLIValidateWarnsOfCatalog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeConfig(t, path, catalogWarningsConfig)
	code, stdout, stderr := runCLI(t, "", "validate", "--config", path)
	if code != 0 || !strings.Contains(stdout, ": OK (") {
		t.Fatalf("validate: exit %d, want 0\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		`warning: service "lonely" has no owner`,
		`warning: service "lonely" has no escalation policy`,
		`warning: person "ann" has no usable contact (no contacts and no email address), and escalation policy "ops" can page them`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("validate output lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, `"erp"`) || strings.Contains(stderr, `"bob"`) {
		t.Errorf("warnings about what is fine:\n%s", stderr)
	}
}

// TestCatalogGauges reads the catalog's gauges on /metrics, and again
// after a reload that fixes what they count.
func TestCatalogGauges(t *testing.T) {
	target := testkit.NewTarget(t)
	hook := testkit.NewWebhook(t)
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	cfg := baseConfig(t, "sqlite", target.URL, hook.URL)
	writeConfig(t, path, cfg)
	r := runApp(t, Options{ConfigPath: path})
	waitState(t, r.app, "site", monitor.StatusUp)
	check := func(want ...string) {
		t.Helper()
		body := scrapeMetrics(t, r.url)
		for _, w := range want {
			if !strings.Contains(body, "\n"+w+"\n") {
				t.Errorf("/metrics lacks %q", w)
			}
		}
	}
	check("tocsin_services_without_owner 1", "tocsin_services_without_escalation_policy 1", "tocsin_people_without_contact 0")

	fixed := strings.Replace(cfg, "    name: Website\n", "    name: Website\n    owners: [ann]\n    escalation_policy: web\n", 1) + `people:
  - {id: ann}
escalation_policies:
  - {id: web, steps: [{after: 0s, notify: [person:ann]}]}
`
	writeConfig(t, path, fixed)
	if err := r.app.Reload(context.Background()); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	check("tocsin_services_without_owner 0", "tocsin_services_without_escalation_policy 0", "tocsin_people_without_contact 1")
}

// TestOncallExample validates examples/oncall-erp.yaml as a user would:
// no errors and no warnings, and the ERP's path pages technical support's
// person on call first and application support after 15 minutes.
func TestOncallExample(t *testing.T) {
	t.Setenv("TOCSIN_SMTP_PASSWORD", "stand-in")
	path := filepath.Join("..", "..", "examples", "oncall-erp.yaml")
	code, stdout, stderr := runCLI(t, "", "validate", "--config", path)
	if code != 0 || stderr != "" {
		t.Fatalf("validate: exit %d\n%s%s", code, stdout, stderr)
	}
	cfg, err := config.Load(path, probekinds.Config())
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.New(cfg)
	at := time.Date(2026, 1, 14, 3, 0, 0, 0, time.UTC) // the second week: omar's
	p, steps, ok := cat.Path("erp", at)
	if !ok || p.ID != "erp" || len(steps) != 2 {
		t.Fatalf("erp's path: %+v %d %v", p, len(steps), ok)
	}
	var got []string
	for _, st := range steps {
		for _, r := range st.Recipients {
			got = append(got, st.After.String()+" "+r.Kind+":"+r.ID)
		}
	}
	want := []string{"0s person:omar", "15m0s person:ingrid", "15m0s person:lars", "15m0s channel:app-support-room"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("erp's path at %s: %v, want %v", at, got, want)
	}
}
