package ui_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

func TestPauseResumeUI(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := e.Setup()
	if r := e.Get(c, "/monitors/api"); !strings.Contains(r.Body, `action="/monitors/api/pause"`) {
		t.Fatalf("monitor page lacks a pause button")
	}
	r := e.PostForm(c, "/monitors/api/pause", nil)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/monitors/api" {
		t.Fatalf("pause: %d to %q", r.Status, r.Header.Get("Location"))
	}
	if got := e.RT.PausedStatus("api"); got != monitor.StatusPaused {
		t.Fatalf("state after pause = %s", got)
	}
	if r := e.Get(c, "/monitors/api"); !strings.Contains(r.Body, `action="/monitors/api/resume"`) {
		t.Fatalf("paused monitor's page lacks a resume button")
	}
	e.PostForm(c, "/monitors/api/resume", nil)
	if got := e.RT.PausedStatus("api"); got != monitor.StatusDown {
		t.Fatalf("state after resume = %s, want down again", got)
	}
	if r := e.PostForm(c, "/monitors/nope/pause", nil); r.Status != http.StatusNotFound {
		t.Errorf("pausing an unknown monitor: %d, want 404", r.Status)
	}
}
