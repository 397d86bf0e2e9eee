package sqlstore

import (
	"context"
	"database/sql"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/storetest"
)

// TestResultsLayoutMigration writes results in PostgreSQL's layout before
// version 18 (an OK result with HTTPS detail, a failure with its reason, a
// reason with hostile text) and checks that they read back the same after
// the upgrade rebuilds the table, and that new results are added beside
// them.
func TestResultsLayoutMigration(t *testing.T) {
	t.Parallel()
	dsn := storetest.PostgresDSN(t)
	ctx := context.Background()
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	sub, err := fs.Sub(migrations, "migrations/postgres")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, raw, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 17); err != nil {
		t.Fatalf("migrate to 17: %v", err)
	}

	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	hostile := "503 " + strings.Repeat("é\u202e<script>", 400)
	ok := probe.Result{MonitorID: "web", Time: at, Duration: 41250 * time.Microsecond, Status: probe.OK,
		Timing: probe.Timing{FirstByte: 39 * time.Millisecond}, CertExpiry: at.AddDate(0, 2, 0), Location: "eu-west",
		Metrics: []probe.Metric{{Name: "status_code", Value: 200}, {Name: "time", Value: 0.04125, Unit: "s", Min: "0"}}}
	down := probe.Result{MonitorID: "web", Time: at.Add(time.Minute + 7*time.Millisecond), Duration: 10 * time.Second, Status: probe.Critical,
		Reason: "GET https://web.example.com/: 503 Service Unavailable, expected 200"}
	odd := probe.Result{MonitorID: "api", Time: at, Duration: 3 * time.Hour, Status: probe.Unknown, Reason: hostile}
	if _, err := raw.ExecContext(ctx, "INSERT INTO monitors (id) VALUES ('web'), ('api')"); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, "INSERT INTO metric_kinds (spec) VALUES ($1), ($2)", metricSpec(ok.Metrics[0]), metricSpec(ok.Metrics[1])); err != nil {
		t.Fatal(err)
	}
	keys := map[string]int64{}
	for _, q := range []string{"SELECT id, key FROM monitors", "SELECT spec, key FROM metric_kinds"} {
		rows, err := raw.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n string
			var k int64
			if err := rows.Scan(&n, &k); err != nil {
				t.Fatal(err)
			}
			keys[n] = k
		}
		rows.Close()
	}
	for _, r := range []probe.Result{ok, down, odd} {
		var reason any
		if r.Reason != "" {
			reason = r.Reason
		}
		if _, err := raw.ExecContext(ctx, "INSERT INTO results (monitor_key, t, status, duration_us, reason, detail) VALUES ($1, $2, $3, $4, $5, $6)",
			keys[r.MonitorID], ms(r.Time), int64(r.Status), r.Duration.Microseconds(), reason, encodeDetail(r, keys)); err != nil {
			t.Fatal(err)
		}
	}

	now := at.Add(time.Hour)
	db, err := Open(ctx, Options{Driver: DriverPostgres, DSN: dsn, Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	var cols string
	if err := raw.QueryRowContext(ctx, "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'results'::regclass AND attnum > 0 AND NOT attisdropped").Scan(&cols); err != nil {
		t.Fatal(err)
	}
	if cols != "t,duration_us,monitor_key,status,reason,detail" {
		t.Errorf("results columns after the upgrade = %s", cols)
	}

	later := probe.Result{MonitorID: "web", Time: at.Add(2 * time.Minute), Duration: time.Millisecond, Status: probe.OK}
	if err := db.SaveBatch(ctx, store.Batch{Results: []probe.Result{later, {MonitorID: "web", Time: down.Time, Duration: time.Millisecond, Status: probe.OK}}}); err != nil {
		t.Fatalf("SaveBatch after the upgrade: %v", err)
	}
	moved := down.Time.Add(time.Millisecond) // the clash with a migrated result moves a millisecond on
	web, err := db.Results(ctx, "web", store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	want := []probe.Result{later, {MonitorID: "web", Time: moved, Duration: time.Millisecond, Status: probe.OK}, down, ok}
	if len(web) != len(want) {
		t.Fatalf("web has %d results after the upgrade, want %d: %+v", len(web), len(want), web)
	}
	for i, w := range want {
		if got := web[i].Result; !sameResult(got, w) {
			t.Errorf("web result %d = %+v, want %+v", i, got, w)
		}
	}
	api, err := db.Results(ctx, "api", store.Page{})
	if err != nil || len(api) != 1 || !sameResult(api[0].Result, odd) {
		t.Errorf("api results after the upgrade = %+v, %v; want %+v", api, err, odd)
	}
	if err := db.Rollup(ctx, now); err != nil {
		t.Fatalf("Rollup after the upgrade: %v", err)
	}
	if n, err := db.Prune(ctx, at.Add(90*time.Second), at); err != nil || n != 4 {
		t.Errorf("Prune after the upgrade = %d, %v; want the 4 results before it", n, err)
	}
}

func sameResult(a, b probe.Result) bool {
	if !a.Time.Equal(b.Time) || a.Duration != b.Duration || a.Status != b.Status || a.Reason != b.Reason || a.Location != b.Location ||
		a.Timing != b.Timing || !a.CertExpiry.Equal(b.CertExpiry) || len(a.Metrics) != len(b.Metrics) {
		return false
	}
	for i := range a.Metrics {
		if a.Metrics[i] != b.Metrics[i] {
			return false
		}
	}
	return a.MonitorID == b.MonitorID
}

// TestResultTimesUniqueAcrossProcesses: two stores on one PostgreSQL
// schema, as two processes would be, write results of the same monitor.
// Neither may store a time the other already has, though each remembers
// its own newest result.
func TestResultTimesUniqueAcrossProcesses(t *testing.T) {
	t.Parallel()
	dsn := storetest.PostgresDSN(t)
	ctx := context.Background()
	open := func() *DB {
		db, err := Open(ctx, Options{Driver: DriverPostgres, DSN: dsn, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open(), open()
	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	res := func(d time.Duration) store.Batch {
		return store.Batch{Results: []probe.Result{{MonitorID: "web", Time: at.Add(d), Duration: time.Millisecond, Status: probe.OK}}}
	}
	for _, step := range []struct {
		db *DB
		at time.Duration
	}{{a, 0}, {b, time.Minute}, {a, time.Minute}, {b, 2 * time.Minute}, {a, 2 * time.Minute}, {a, 2 * time.Minute}, {b, 2 * time.Minute}} {
		if err := step.db.SaveBatch(ctx, res(step.at)); err != nil {
			t.Fatalf("SaveBatch: %v", err)
		}
	}
	got, err := a.Results(ctx, "web", store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, r := range got {
		ids = append(ids, r.ID-at.UnixMilli())
	}
	want := []int64{120003, 120002, 120001, 120000, 60001, 60000, 0}
	if !slices.Equal(ids, want) {
		t.Errorf("result times (ms after the first) = %v, want %v", ids, want)
	}
}
