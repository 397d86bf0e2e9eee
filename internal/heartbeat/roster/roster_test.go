package roster_test

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/heartbeat/roster"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
)

const cfgYAML = `
services:
  - id: exports
channels:
  - id: ops
    type: webhook
    webhook:
      url: https://hooks.example.org/ops
monitors:
  - id: site
    type: http
    http:
      url: https://example.org/
heartbeats:
  - id: job
    uuid: 5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278
    slug: nightly
`

func parse(t *testing.T, y string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(y), "tocsin.yaml", probekinds.Config())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

type fixture struct {
	db  *sqlstore.DB
	r   *roster.Roster
	hub *heartbeat.Hub
	cfg *config.Config
	log *bytes.Buffer
}

// setup opens a database holding stored, loads a roster from it and hands
// its definitions to a hub, as the app does.
func setup(t *testing.T, stored ...store.StoredHeartbeat) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, sqlstore.Options{Driver: "sqlite", DSN: ":memory:", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, h := range stored {
		if err := db.CreateHeartbeat(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{db: db, cfg: parse(t, cfgYAML), log: &bytes.Buffer{}}
	now := time.Date(2026, 3, 28, 10, 0, 0, 0, time.UTC)
	f.r, err = roster.Load(ctx, roster.Options{Store: db, Logger: slog.New(slog.NewTextHandler(f.log, nil)), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	f.hub = heartbeat.New(heartbeat.Options{Store: db})
	f.hub.SetDefinitions(f.r.Definitions(f.cfg))
	return f
}

func ids(hs []config.Heartbeat) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.ID
	}
	return out
}

// TestStoredClashesGiveWay: a stored heartbeat whose id, uuid or slug the
// configuration file now uses (or whose id a monitor uses) is left out of
// every list, and logged when the hub is told; the others follow the
// file's heartbeats, marked stored, with their defaults filled in.
func TestStoredClashesGiveWay(t *testing.T) {
	f := setup(t,
		store.StoredHeartbeat{ID: "job", UUID: "00000000-0000-4000-8000-000000000001", Spec: []byte(`{}`)},
		store.StoredHeartbeat{ID: "same-uuid", UUID: "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278", Spec: []byte(`{}`)},
		store.StoredHeartbeat{ID: "same-slug", UUID: "00000000-0000-4000-8000-000000000003", Slug: "nightly", Spec: []byte(`{}`)},
		store.StoredHeartbeat{ID: "site", UUID: "00000000-0000-4000-8000-000000000004", Spec: []byte(`{}`)},
		store.StoredHeartbeat{ID: "backup", UUID: "00000000-0000-4000-8000-000000000005", Slug: "backup", Spec: []byte(`{"cron": "0 3 * * *", "max_runtime": "2h"}`)},
	)
	clashes := func() int { return strings.Count(f.log.String(), "clashes with the configuration") }
	if got := clashes(); got != 4 {
		t.Errorf("%d clashes logged when the hub was told, want 4:\n%s", got, f.log)
	}
	all, stored := f.r.All(f.cfg, false)
	if diff := cmp.Diff([]string{"job", "backup"}, ids(all)); diff != "" {
		t.Errorf("All (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]bool{"backup": true}, stored); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
	defs := f.r.Definitions(f.cfg)
	if len(defs) != 2 || defs[0].Stored || !defs[1].Stored || defs[1].Name != "backup" || defs[1].MaxRuntime != 2*time.Hour ||
		defs[1].Schedule.Cron != "0 3 * * *" || defs[1].Schedule.Grace != config.DefaultHeartbeatGrace {
		t.Errorf("Definitions = %+v", defs)
	}
	if cs := f.r.Configs(f.cfg); len(cs) != 2 || cs["backup"].Slug != "backup" {
		t.Errorf("Configs = %+v", cs)
	}
	ec := f.r.EvalConfig(f.cfg)
	var ms []string
	for _, m := range ec.Monitors {
		ms = append(ms, m.ID+":"+m.Type)
	}
	if diff := cmp.Diff([]string{"site:http", "job:heartbeat", "backup:heartbeat"}, ms); diff != "" {
		t.Errorf("EvalConfig monitors (-want +got):\n%s", diff)
	}
	if got := clashes(); got != 8 {
		t.Errorf("%d clashes logged, want 8: 4 each time the hub is told, none when the lists are read", got)
	}
	if len(f.cfg.Monitors) != 1 {
		t.Errorf("EvalConfig changed the config it was given: %d monitors", len(f.cfg.Monitors))
	}
}

// TestCreateChecks: a new heartbeat is refused with every problem at once,
// or for the first id, uuid or slug it would take; one that passes is
// stored, listed and comes back from the database.
func TestCreateChecks(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	for _, tc := range []struct {
		h    config.Heartbeat
		code string
		want string
	}{
		{config.Heartbeat{ID: "Bad ID", Cron: "0 0 30 2 *", Service: "nowhere", Channels: []string{"ops", "pager"}}, errs.EINVALID,
			`id: "Bad ID" must be 1 to 63 lowercase letters, digits, '_', '.' or '-', starting with a letter or digit; ` +
				`cron: cron expression "0 0 30 2 *" never fires (is there a day that does not exist, such as 30 February?); ` +
				`service: undefined service "nowhere"; channels: undefined channel "pager"`},
		{config.Heartbeat{ID: "site"}, errs.ECONFLICT, `id "site" is taken by a monitor`},
		{config.Heartbeat{ID: " job "}, errs.ECONFLICT, `id "job" is taken by a heartbeat`},
		{config.Heartbeat{ID: "x", UUID: "5BF66975-D4C7-4BF5-BCC8-B8D8A82EA278"}, errs.ECONFLICT, `uuid "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278" is taken by another heartbeat`},
		{config.Heartbeat{ID: "x", Slug: "nightly"}, errs.ECONFLICT, `slug "nightly" is taken by another heartbeat`},
	} {
		_, err := f.r.Create(ctx, f.cfg, f.hub, tc.h)
		if errs.Code(err) != tc.code || errs.Message(err) != tc.want {
			t.Errorf("Create(%+v) = %v (%s), want %s: %s", tc.h, err, errs.Code(err), tc.code, tc.want)
		}
	}
	if n, _ := f.db.StoredHeartbeats(ctx); len(n) != 0 {
		t.Fatalf("refused heartbeats were stored: %+v", n)
	}

	h, err := f.r.Create(ctx, f.cfg, f.hub, config.Heartbeat{ID: " backup ", Service: "exports", Channels: []string{"ops"}, Period: config.Duration(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if h.ID != "backup" || !config.ValidUUID(h.UUID) || h.Name != "backup" || h.Grace != config.Duration(config.DefaultHeartbeatGrace) {
		t.Errorf("created %+v: want the id trimmed, a uuid made, name and grace filled in", h)
	}
	if all, stored := f.r.All(f.cfg, false); len(all) != 2 || !stored["backup"] {
		t.Errorf("after Create: %v, stored %v", ids(all), stored)
	}
	again, err := roster.Load(ctx, roster.Options{Store: f.db})
	if err != nil {
		t.Fatal(err)
	}
	if all, _ := again.All(f.cfg, false); len(all) != 2 || !cmp.Equal(all[1], h) {
		t.Errorf("loaded back %+v, want %+v", all, h)
	}
}

// TestDelete: a heartbeat of the file cannot be deleted, an unknown one is
// not found, a stored one goes from the list and the database.
func TestDelete(t *testing.T) {
	f := setup(t, store.StoredHeartbeat{ID: "backup", UUID: "00000000-0000-4000-8000-000000000005", Spec: []byte(`{}`)})
	ctx := context.Background()
	if err := f.r.Delete(ctx, f.cfg, "job"); errs.Code(err) != errs.ECONFLICT ||
		errs.Message(err) != `heartbeat "job" is defined in the configuration file; remove it there` {
		t.Errorf("Delete(job) = %v, want ECONFLICT", err)
	}
	if err := f.r.Delete(ctx, f.cfg, "nothing"); errs.Code(err) != errs.ENOTFOUND {
		t.Errorf("Delete(nothing) = %v, want ENOTFOUND", err)
	}
	if err := f.r.Delete(ctx, f.cfg, "backup"); err != nil {
		t.Fatal(err)
	}
	if all, _ := f.r.All(f.cfg, false); len(all) != 1 {
		t.Errorf("after Delete: %v", ids(all))
	}
	if rows, _ := f.db.StoredHeartbeats(ctx); len(rows) != 0 {
		t.Errorf("still stored: %+v", rows)
	}
}

// TestAutoCreated: a ?create=1 ping's heartbeat is named after its slug
// and takes it as its id when it can; otherwise the id gets a random
// suffix. With auto_create off nothing is made.
func TestAutoCreated(t *testing.T) {
	f := setup(t)
	if _, err := roster.AutoCreated(f.cfg, f.hub, "backup"); errs.Code(err) != errs.ENOTFOUND ||
		errs.Message(err) != `no heartbeat has slug "backup" (auto_create is off)` {
		t.Errorf("auto_create off: %v, want ENOTFOUND", err)
	}
	f.cfg.Server.Pings.AutoCreate = true
	suffixed := regexp.MustCompile(`^(.*)-[0-9a-f]{8}$`)
	for _, tc := range []struct {
		slug string
		id   string // the id, or its part before "-" and eight hex digits
		sfx  bool
	}{
		{"backup", "backup", false},
		{"job", "job", true},   // a heartbeat's id
		{"site", "site", true}, // a monitor's id
		{strings.Repeat("a", 70), strings.Repeat("a", 63), false},
		{"_x-", "_x", true}, // no valid id: trimmed, suffixed
	} {
		h, err := roster.AutoCreated(f.cfg, f.hub, tc.slug)
		if err != nil {
			t.Fatal(err)
		}
		id := h.ID
		if tc.sfx {
			m := suffixed.FindStringSubmatch(id)
			if m == nil {
				t.Errorf("AutoCreated(%q) = %+v, want an id with a random suffix", tc.slug, h)
				continue
			}
			id = m[1]
		}
		if id != tc.id || h.Slug != tc.slug || h.Name != tc.slug || len(h.ID) > 63 {
			t.Errorf("AutoCreated(%q) = %+v, want the id %q (suffixed %v)", tc.slug, h, tc.id, tc.sfx)
		}
	}
}
