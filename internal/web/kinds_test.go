package web

import (
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/command"
	"github.com/tocsin/tocsin/internal/probe/sftp"
	"github.com/tocsin/tocsin/internal/probe/ssh"
)

// TestHostMonitorDetails shows the last run of an sftp monitor, its
// metrics and its target on the page and in the API, without its secrets.
func TestHostMonitorDetails(t *testing.T) {
	const password = "Ui-Secret-77aa"
	e := newEnv(t, nil)
	last := probe.Result{MonitorID: "export", Time: e.clock.Now(), Status: probe.Critical,
		Reason: "sftp export@files.example.org:22 /exports/*.xml: failed at sftp: export-1130.xml is older than max_age 26h0m0s",
		Metrics: []probe.Metric{
			{Name: "stage", Value: 4, Min: "0", Max: "5"},
			{Name: "files", Value: 12, Min: "0"},
			{Name: "newest_age", Value: 108000, Unit: "s", Crit: "93600", Min: "0"},
		}}
	e.rt.mu.Lock()
	e.rt.views = append(e.rt.views, MonitorView{
		Config: config.Monitor{ID: "export", Type: "sftp", Interval: config.Duration(60e9), Block: &sftp.Check{
			Connection: ssh.Connection{Address: "files.example.org", User: "export", Password: password},
			Path:       "/exports/*.xml"}},
		State:      monitor.State{Status: monitor.StatusDown},
		LastResult: &last,
	}, MonitorView{
		Config: config.Monitor{ID: "disk", Type: "command", Interval: config.Duration(60e9), Block: &command.Check{
			Path: "/usr/lib/nagios/plugins/check_disk", Args: []string{"-p", password}}},
		State: monitor.State{Status: monitor.StatusUp},
	})
	e.rt.mu.Unlock()
	c := e.setup()
	r := e.get(c, "/monitors/export")
	for _, want := range []string{"Last run", "is older than max_age 26h0m0s", "export@files.example.org:22 /exports/*.xml", "<td>newest_age</td><td class=\"num\">108000 s</td>", "<td>stage</td><td class=\"num\">sftp</td>", "<td>93600</td>"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("monitor page lacks %q", want)
		}
	}
	tok := e.token(c, "ci")
	api := e.do(c, "GET", "/api/v1/monitors", nil, bearer(tok))
	if !strings.Contains(api.body, `"newest_age"`) {
		t.Errorf("API lacks the metrics: %s", api.body)
	}
	d := e.get(c, "/monitors/disk")
	if !strings.Contains(d.body, "/usr/lib/nagios/plugins/check_disk") {
		t.Error("command page lacks its program")
	}
	for _, body := range []string{r.body, api.body, d.body, e.get(c, "/").body} {
		if strings.Contains(body, password) {
			t.Errorf("a page shows the secret")
		}
	}
}
