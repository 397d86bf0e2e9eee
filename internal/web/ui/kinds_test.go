package ui_test

import (
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/command"
	"github.com/tocsin/tocsin/internal/probe/sftp"
	"github.com/tocsin/tocsin/internal/probe/ssh"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestHostMonitorDetails shows the last run of an sftp monitor, its
// metrics and its target on the page and in the API, without its secrets.
func TestHostMonitorDetails(t *testing.T) {
	const password = "Ui-Secret-77aa"
	e := webtest.New(t, nil)
	last := probe.Result{MonitorID: "export", Time: e.Clock.Now(), Status: probe.Critical,
		Reason: "sftp export@files.example.org:22 /exports/*.xml: failed at sftp: export-1130.xml is older than max_age 26h0m0s",
		Metrics: []probe.Metric{
			{Name: "stage", Value: 4, Min: "0", Max: "5"},
			{Name: "files", Value: 12, Min: "0"},
			{Name: "newest_age", Value: 108000, Unit: "s", Crit: "93600", Min: "0"},
		}}
	e.RT.Mu.Lock()
	e.RT.Views = append(e.RT.Views, web.MonitorView{
		Config: config.Monitor{ID: "export", Type: "sftp", Interval: config.Duration(60e9), Block: &sftp.Check{
			Connection: ssh.Connection{Address: "files.example.org", User: "export", Password: password},
			Path:       "/exports/*.xml"}},
		State:      monitor.State{Status: monitor.StatusDown},
		LastResult: &last,
	}, web.MonitorView{
		Config: config.Monitor{ID: "disk", Type: "command", Interval: config.Duration(60e9), Block: &command.Check{
			Path: "/usr/lib/nagios/plugins/check_disk", Args: []string{"-p", password}}},
		State: monitor.State{Status: monitor.StatusUp},
	})
	e.RT.Mu.Unlock()
	c := e.Setup()
	r := e.Get(c, "/monitors/export")
	for _, want := range []string{"Last run", "is older than max_age 26h0m0s", "export@files.example.org:22 /exports/*.xml", "<td>newest_age</td><td class=\"num\">108000 s</td>", "<td>stage</td><td class=\"num\">sftp</td>", "<td>93600</td>"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("monitor page lacks %q", want)
		}
	}
	tok := e.Token(c, "ci")
	api := e.Do(c, "GET", "/api/v1/monitors", nil, webtest.Bearer(tok))
	if !strings.Contains(api.Body, `"newest_age"`) {
		t.Errorf("API lacks the metrics: %s", api.Body)
	}
	d := e.Get(c, "/monitors/disk")
	if !strings.Contains(d.Body, "/usr/lib/nagios/plugins/check_disk") {
		t.Error("command page lacks its program")
	}
	for _, body := range []string{r.Body, api.Body, d.Body, e.Get(c, "/").Body} {
		if strings.Contains(body, password) {
			t.Errorf("a page shows the secret")
		}
	}
}
