package postmortem_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/change"
	"github.com/tocsin/tocsin/internal/postmortem"
	"github.com/tocsin/tocsin/internal/store"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func incident() store.Incident {
	return store.Incident{ID: 7, Title: "db is failing", State: store.IncidentResolved, Severity: "p1", Services: []string{"db", "shop"},
		DetectedAt: t0, OpenedAt: t0.Add(90 * time.Second), AcknowledgedAt: t0.Add(6 * time.Minute), ResolvedAt: t0.Add(47 * time.Minute),
		ReportedKind: store.ReportedByMonitor, ReportedName: "db-query",
		Timeline: []store.TimelineEntry{
			{Time: t0.Add(90 * time.Second), Kind: store.EntryOpened, Who: "system", Text: "incident opened by alert 3 (db)", Key: true},
			{Time: t0.Add(10 * time.Minute), Kind: store.EntryNote, Who: "ana", Text: "suspect the network | firewall", Misleading: true},
			{Time: t0.Add(20 * time.Minute), Kind: store.EntryNote, Who: "ana", Text: "disk full on db1", Key: true},
		}}
}

func TestDraftHoldsTheFacts(t *testing.T) {
	sus := change.Suspects([]store.Change{
		{ID: 1, Title: "grow connection pool", Author: "bo", Time: t0.Add(-3 * time.Hour), Services: []string{"db"}, Link: "https://ci.example/9"},
		{ID: 2, Title: "old change", Time: t0.Add(-30 * time.Hour), Services: []string{"db"}},
		{ID: 3, Title: "other service", Time: t0.Add(-time.Hour), Services: []string{"mail"}},
	}, []string{"db", "shop"}, postmortem.Start(incident()))
	d := postmortem.Build(incident(), postmortem.Severity{ID: "p1", Name: "P1", Description: "Major"}, sus, t0.Add(time.Hour))
	if d.Detection.ToDetect != 90*time.Second || d.Detection.ToAcknowledge != 6*time.Minute || d.Duration != 47*time.Minute {
		t.Fatalf("measured %+v, duration %s", d.Detection, d.Duration)
	}
	md, err := postmortem.Default().Draft(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# Postmortem: db is failing (incident 7)",
		"P1: Major",
		"- db\n- shop\n",
		"Detected: 2026-03-01 10:01:30Z (1m30s after the first failure)",
		"Acknowledged: 2026-03-01 10:06:00Z (6m0s after the first failure)",
		"How: monitor (db-query)",
		"Resolved: 2026-03-01 10:47:00Z (duration 47m0s)",
		"| 2026-03-01 10:20:00Z | **key** | disk full on db1 | ana |",
		`| 2026-03-01 10:10:00Z |  misleading | suspect the network \| firewall | ana |`,
		"## Misleading paths\n\n- 2026-03-01 10:10:00Z: suspect the network | firewall (ana)",
		"- 2026-03-01 07:00:00Z: grow connection pool by bo (touches db) https://ci.example/9",
		"## Root cause", "five times", "## Contributing factors", "## What went well", "## What went badly",
		"## Lessons", "## Follow-up actions", "## Response and recovery", "## Fault", "## Summary",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("draft lacks %q:\n%s", want, md)
		}
	}
	for _, not := range []string{"old change", "other service"} {
		if strings.Contains(md, not) {
			t.Errorf("draft names %q, which is no suspect", not)
		}
	}
}

func TestDraftOfAnOpenUnacknowledgedIncident(t *testing.T) {
	in := incident()
	in.ResolvedAt, in.AcknowledgedAt, in.Timeline = time.Time{}, time.Time{}, nil
	md, err := postmortem.Default().Draft(postmortem.Build(in, postmortem.Severity{}, nil, t0))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Not resolved yet", "Acknowledged: never", "p1", "## Misleading paths\n\n- _none marked_", "## Suspect changes"} {
		if !strings.Contains(md, want) {
			t.Errorf("draft lacks %q:\n%s", want, md)
		}
	}
}

func TestOwnTemplate(t *testing.T) {
	tp, err := postmortem.Parse("own", "# Nachbetrachtung {{.ID}}\nErkannt nach {{duration .Detection.ToDetect}}\n")
	if err != nil {
		t.Fatal(err)
	}
	md, err := tp.Draft(postmortem.Build(incident(), postmortem.Severity{}, nil, t0))
	if err != nil || md != "# Nachbetrachtung 7\nErkannt nach 1m30s\n" {
		t.Fatalf("got %q, %v", md, err)
	}
	if _, err := postmortem.Parse("bad", "{{.ID"); err == nil || !strings.Contains(err.Error(), "postmortem template") {
		t.Fatalf("a broken template: %v", err)
	}
	tp, _ = postmortem.Parse("unknown", "{{.NoSuchField}}")
	if _, err := tp.Draft(postmortem.Data{}); err == nil {
		t.Fatal("a template naming an unknown field drafted")
	}
	if _, err := postmortem.Load("/no/such/file"); err == nil {
		t.Fatal("a missing template file loaded")
	}
}

// TestDraftListsFollowUpActions: the follow-up actions table lists the
// incident's actions oldest first, with table-breaking text escaped, and
// keeps the placeholder row when there are none.
func TestDraftListsFollowUpActions(t *testing.T) {
	d := postmortem.Build(incident(), postmortem.Severity{}, nil, t0).WithActions([]store.FollowUp{
		{ID: 7, Title: "Alert on disk | inode use", Owner: "ann", Due: "2026-03-10", Priority: "high", Type: "detective", Status: "open",
			Link: "https://tickets.example/OPS-7"},
		{ID: 3, Title: "Rotate logs", Owner: "Bob from storage", Priority: "medium", Type: "preventive", Status: "done"},
	})
	md, err := postmortem.Default().Draft(d)
	if err != nil {
		t.Fatal(err)
	}
	want := "| Action | Owner | Due | Priority | Type | Status | Link |\n|--------|-------|-----|----------|------|--------|------|\n" +
		"| Rotate logs | Bob from storage |  | medium | preventive | done |  |\n" +
		"| Alert on disk \\| inode use | ann | 2026-03-10 | high | detective | open | https://tickets.example/OPS-7 |\n\n## Suspect changes"
	if !strings.Contains(md, want) {
		t.Errorf("draft lacks\n%s\nin\n%s", want, md)
	}
	md, err = postmortem.Default().Draft(postmortem.Build(incident(), postmortem.Severity{}, nil, t0))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md, "| _ | _ | _ | _ | detective / corrective / preventive | open | _ |") {
		t.Errorf("no placeholder row without actions:\n%s", md)
	}
}
