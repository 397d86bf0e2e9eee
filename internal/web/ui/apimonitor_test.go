package ui_test

import (
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestAPIMonitorBadge: a monitor created through the API carries an "API"
// badge in the list and on its page, which says where to change it; a
// monitor of the file has neither.
func TestAPIMonitorBadge(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := e.Setup()
	e.RT.Views[1].Config.Stored = true
	id, other := e.RT.Views[1].Config.ID, e.RT.Views[0].Config.ID
	badge := `<span class="badge api" title="Created through the API">API</span>`

	r := e.Get(c, "/")
	if r.Status != 200 || strings.Count(r.Body, badge) != 1 {
		t.Errorf("overview: %d, %d API badges, want one", r.Status, strings.Count(r.Body, badge))
	}
	r = e.Get(c, "/monitors/"+id)
	if r.Status != 200 || !strings.Contains(r.Body, badge) || !strings.Contains(r.Body, "PUT /api/v1/monitors/"+id) {
		t.Errorf("page of the API monitor: %d, badge or how to change it missing", r.Status)
	}
	r = e.Get(c, "/monitors/"+other)
	if r.Status != 200 || strings.Contains(r.Body, badge) || !strings.Contains(r.Body, "in the configuration file") {
		t.Errorf("page of the file's monitor: %d, want no badge and where it is defined", r.Status)
	}
}
