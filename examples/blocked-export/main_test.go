package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestBlockedExportDemo runs the replay and checks what it leaves: the
// owner paged, the public told, and a postmortem draft whose timeline,
// detection and suspect change are written already.
func TestBlockedExportDemo(t *testing.T) {
	var out bytes.Buffer
	res, err := run(t.Context(), &out, options{Dir: t.TempDir(), Listen: "127.0.0.1:0", Interval: 500 * time.Millisecond, ResolveAfter: time.Second, Wait: 45 * time.Second})
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Pages) == 0 || !strings.Contains(strings.Join(res.Pages, "\n"), "catalogue-export") {
		t.Errorf("pages = %q, want the owner paged about catalogue-export", res.Pages)
	}
	if res.StatusPage.State == "operational" || len(res.StatusPage.Components) != 1 || res.StatusPage.Components[0].State == "operational" {
		t.Errorf("status page during the incident = %+v", res.StatusPage)
	}
	var public []string
	for _, e := range res.StatusPage.Events {
		public = append(public, e.Text)
	}
	if got := strings.Join(public, "\n"); !strings.Contains(got, "firewall change") || !strings.Contains(got, "investigating") && !strings.Contains(got, "We are investigating") {
		t.Errorf("public events = %q, want the first notice and the update", public)
	}
	for _, want := range []string{
		"firewall: block inbound SSH from outside the campus network", // the suspect change
		"NET-4711",
		"catalogue-export",
		"Detection",
		"| ", // the timeline table
		"acknowledged",
	} {
		if !strings.Contains(res.Postmortem, want) {
			t.Errorf("the postmortem draft lacks %q:\n%s", want, res.Postmortem)
		}
	}
	if strings.Contains(res.Postmortem, partnerPassword) || strings.Contains(out.String(), partnerPassword) {
		t.Error("the partner password leaked into the draft or the narration")
	}
}
