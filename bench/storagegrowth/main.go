// Command storagegrowth measures how large the database (SQLite or
// PostgreSQL) grows when Tocsin watches many monitors for a long time. It drives the real store
// with a fake clock: results as an HTTPS check produces them (the time to
// the first byte on a reused connection, or all four timings with -fresh;
// certificate expiry; the status code, size, time and certificate-days
// metrics), an occasional outage
// with its transitions and notifications, and every simulated hour the
// rollup and prune the server runs, and every simulated minute the
// compaction (-compact, on by default; it changes only PostgreSQL, which
// packs closed ten-minute slices). It prints the row counts, the size of
// the database and the bytes each stored result costs (the tables of
// results and their indexes, divided by the results they hold) as the
// days pass, and what compaction cost. On PostgreSQL it also writes every
// batch to a second schema that is never compacted, and prints its bytes
// per result as "uncompacted".
//
//	go run ./bench/storagegrowth                 # 1,000 monitors, 60 s, 30 days
//	go run ./bench/storagegrowth -days 2 -flush 1m
//	go run ./bench/storagegrowth -driver postgres -dsn postgres://postgres@127.0.0.1:5432/test?sslmode=disable -days 1
//
// On PostgreSQL it works in a schema of its own, created at the start and
// dropped at the end, so it never touches other tables of the database.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // to read sizes from PostgreSQL
	_ "modernc.org/sqlite"             // to read row counts from the file

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
)

func main() {
	os.Exit(run())
}

type config struct {
	monitors        int
	interval        time.Duration
	days            int
	flush           time.Duration
	rawRetention    time.Duration
	rollupRetention time.Duration
	path            string
	driver          string
	dsn             string
	plainDSN        string
	detail          bool
	fresh           bool
	compact         bool
	report          []int
}

func run() int {
	var c config
	flag.IntVar(&c.monitors, "monitors", 1000, "number of monitors")
	flag.DurationVar(&c.interval, "interval", 60*time.Second, "check interval of every monitor")
	flag.IntVar(&c.days, "days", 30, "simulated days")
	flag.DurationVar(&c.flush, "flush", time.Hour, "results per SaveBatch call, as simulated time (the server flushes every 200ms; larger batches only make the run faster)")
	flag.DurationVar(&c.rawRetention, "raw-retention", 7*24*time.Hour, "how long raw results are kept")
	flag.DurationVar(&c.rollupRetention, "rollup-retention", 365*24*time.Hour, "how long hourly rollups are kept")
	flag.BoolVar(&c.detail, "detail", true, "give results HTTPS detail (timings, certificate expiry, four metrics); false for bare results like a TCP check")
	flag.BoolVar(&c.fresh, "fresh", false, "results of fresh_connection monitors: DNS, connect and TLS times on every result (default: a reused keep-alive connection, first byte only)")
	flag.BoolVar(&c.compact, "compact", true, "compact results as the server does (once a simulated minute, slices closed a minute before); PostgreSQL also keeps an uncompacted copy in a second schema and prints both")
	flag.StringVar(&c.path, "db", "", "SQLite: database file to create (default: a temporary file, removed afterwards)")
	flag.StringVar(&c.driver, "driver", sqlstore.DriverSQLite, "database: sqlite or postgres")
	flag.StringVar(&c.dsn, "dsn", "", "PostgreSQL: URL of the database in which a schema of its own is created and dropped afterwards")
	flag.Parse()
	if c.driver == sqlstore.DriverPostgres {
		schema, drop, err := pgSchema(c.dsn, "storagegrowth")
		if err != nil {
			fmt.Fprintln(os.Stderr, "storagegrowth:", err)
			return 1
		}
		defer drop()
		if c.compact {
			plain, drop, err := pgSchema(c.dsn, "storagegrowth-plain")
			if err != nil {
				fmt.Fprintln(os.Stderr, "storagegrowth:", err)
				return 1
			}
			defer drop()
			c.plainDSN = plain
		}
		c.dsn = schema
	} else if c.driver != sqlstore.DriverSQLite {
		fmt.Fprintln(os.Stderr, "storagegrowth: -driver must be sqlite or postgres")
		return 2
	}
	if c.monitors < 1 || c.interval <= 0 || c.days < 1 || c.flush <= 0 || time.Hour%c.flush != 0 {
		fmt.Fprintln(os.Stderr, "storagegrowth: -monitors, -interval and -days must be positive and -flush must divide an hour")
		return 2
	}
	c.report = []int{1, 7, 14, 30}
	if !slices.Contains(c.report, c.days) {
		c.report = append(c.report, c.days)
	}
	if c.path == "" && c.driver == sqlstore.DriverSQLite {
		dir, err := os.MkdirTemp("", "storagegrowth")
		if err != nil {
			fmt.Fprintln(os.Stderr, "storagegrowth:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		c.path = filepath.Join(dir, "tocsin.db")
	}
	if err := simulate(context.Background(), c); err != nil {
		fmt.Fprintln(os.Stderr, "storagegrowth:", err)
		return 1
	}
	return 0
}

func simulate(ctx context.Context, c config) error {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	dsn := c.path
	if c.driver == sqlstore.DriverPostgres {
		dsn = c.dsn
	}
	db, err := sqlstore.Open(ctx, sqlstore.Options{Driver: c.driver, DSN: dsn, Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer db.Close()
	// plain gets the same writes without compaction: the figures before it.
	var plain *sqlstore.DB
	if c.plainDSN != "" {
		plain, err = sqlstore.Open(ctx, sqlstore.Options{Driver: c.driver, DSN: c.plainDSN, Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			return err
		}
		defer plain.Close()
	}
	stores := []*sqlstore.DB{db}
	if plain != nil {
		stores = append(stores, plain)
	}
	var cost compactionCost
	defer func() {
		if cost.meter != nil {
			cost.meter.Close()
		}
	}()

	rng := mrand.New(mrand.NewPCG(1, 2))
	ids := make([]string, c.monitors)
	phase := make([]time.Duration, c.monitors)
	for i := range ids {
		ids[i] = fmt.Sprintf("web-%04d", i)
		phase[i] = time.Duration(rng.Int64N(int64(c.interval)))
	}
	sim := &simulator{c: c, ids: ids, phase: phase, rng: rng, states: map[string]monitor.State{}, cert: start.AddDate(0, 3, 0), epoch: start}

	where := c.path
	if c.driver == sqlstore.DriverPostgres {
		where = "PostgreSQL schema " + schemaOf(c.dsn)
	}
	fmt.Printf("simulating %d monitors every %s for %d days (raw kept %s, rollups %s, flushed every %s) in %s\n",
		c.monitors, c.interval, c.days, c.rawRetention, c.rollupRetention, c.flush, where)
	if c.driver == sqlstore.DriverPostgres {
		fmt.Printf("%4s %12s %12s %10s %12s %10s %10s %10s %12s %9s\n", "day", "results", "rollups", "schema MB", "results MB", "B/result", "rows", "packs", "uncompacted", "elapsed")
	} else {
		fmt.Printf("%4s %12s %12s %10s %12s %10s %10s %9s\n", "day", "results", "rollups", "file MB", "free pages", "WAL MB", "B/result", "elapsed")
	}
	began := time.Now()
	var written int
	for day := 1; day <= c.days; day++ {
		for h := 0; h < 24; h++ {
			hourStart := start.Add(time.Duration((day-1)*24+h) * time.Hour)
			for f := hourStart; f.Before(hourStart.Add(time.Hour)); f = f.Add(c.flush) {
				b := sim.batch(f, f.Add(c.flush))
				prev := now
				now = f.Add(c.flush)
				for _, st := range stores {
					if err := st.SaveBatch(ctx, b); err != nil {
						return fmt.Errorf("day %d: %w", day, err)
					}
				}
				written += len(b.Results)
				// The server compacts once a minute.
				if c.compact && now.Truncate(time.Minute) != prev.Truncate(time.Minute) {
					if err := cost.compact(ctx, db, dsn, now.Add(-time.Minute)); err != nil {
						return fmt.Errorf("day %d: %w", day, err)
					}
				}
			}
			// What the server does every hour.
			for _, st := range stores {
				if err := st.Rollup(ctx, now.Truncate(time.Hour)); err != nil {
					return fmt.Errorf("day %d: %w", day, err)
				}
				if _, err := st.Prune(ctx, now.Add(-c.rawRetention), now.Add(-c.rollupRetention)); err != nil {
					return fmt.Errorf("day %d: %w", day, err)
				}
			}
		}
		if slices.Contains(c.report, day) {
			var err error
			if c.driver == sqlstore.DriverPostgres {
				err = reportPostgres(ctx, dsn, c.plainDSN, day, time.Since(began))
			} else {
				err = report(ctx, dsn, day, time.Since(began))
			}
			if err != nil {
				return err
			}
		}
	}
	fmt.Printf("wrote %d results in %s (%.0f results/s)\n", written, time.Since(began).Round(time.Second), float64(written)/time.Since(began).Seconds())
	if cost.moved > 0 {
		k := float64(cost.moved) / 1000
		fmt.Printf("compaction: %d runs packed %d results; per 1,000 results: %.1f ms of tocsin CPU, %.1f ms of PostgreSQL CPU (its connections), %.1f ms wall; vacuum of the emptied rows (autovacuum's work, run by the bench): %.1f ms of PostgreSQL CPU\n",
			cost.runs, cost.moved, cost.self.Seconds()*1e3/k, cost.server.Seconds()*1e3/k, cost.wall.Seconds()*1e3/k, cost.vacuum.Seconds()*1e3/k)
	}
	return nil
}

// compactionCost adds up what compaction costs.
type compactionCost struct {
	runs, moved                int64
	self, server, wall, vacuum time.Duration
	// meter is a connection of its own for measuring and vacuuming.
	meter *sql.DB
}

// compact runs a compaction step the way the server's minute loop does and
// measures it: this process's CPU (getrusage), and on PostgreSQL the CPU of
// the server processes of this bench's connections (/proc, so only with
// PostgreSQL on this host). After a step that moved results it runs the
// VACUUM that autovacuum would run in real time (the simulated day passes
// in minutes, faster than autovacuum wakes), so the emptied rows' space is
// reused as it is on a server.
func (c *compactionCost) compact(ctx context.Context, db *sqlstore.DB, dsn string, before time.Time) error {
	pg := strings.HasPrefix(dsn, "postgres")
	var server0 time.Duration
	if pg {
		if c.meter == nil {
			m, err := sql.Open("pgx", dsn)
			if err != nil {
				return err
			}
			m.SetMaxOpenConns(1)
			c.meter = m
		}
		server0 = backendCPU(ctx, c.meter, dsn)
	}
	self0, wall0 := processCPU(), time.Now()
	n, err := db.CompactResults(ctx, before)
	if err != nil {
		return err
	}
	c.runs++
	c.moved += n
	c.wall += time.Since(wall0)
	c.self += processCPU() - self0
	if !pg {
		return nil
	}
	server1 := backendCPU(ctx, c.meter, dsn)
	c.server += server1 - server0
	if n == 0 {
		return nil
	}
	if _, err := c.meter.ExecContext(ctx, "VACUUM results, result_packs"); err != nil {
		return err
	}
	c.vacuum += backendCPU(ctx, c.meter, dsn) - server1
	return nil
}

// processCPU returns the CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendCPU returns the CPU time used so far by the PostgreSQL server
// processes of the connections whose application_name is dsn's.
// The meter's own connection counts too: it runs the vacuum.
func backendCPU(ctx context.Context, meter *sql.DB, dsn string) time.Duration {
	u, err := url.Parse(dsn)
	if err != nil {
		return 0
	}
	rows, err := meter.QueryContext(ctx, "SELECT pid FROM pg_stat_activity WHERE application_name = $1", u.Query().Get("application_name"))
	if err != nil {
		return 0
	}
	defer rows.Close()
	var total time.Duration
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) != nil {
			return 0
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the command's closing parenthesis; utime and stime
		// are the 14th and 15th of the line, in clock ticks (100 a second).
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(ut+st) * 10 * time.Millisecond
	}
	return total
}

// simulator produces the results, states, transitions and notifications
// of the monitors.
type simulator struct {
	c      config
	ids    []string
	phase  []time.Duration
	rng    *mrand.Rand
	states map[string]monitor.State
	cert   time.Time
	epoch  time.Time
	seq    int
}

// batch returns everything the monitors produce in [from, to).
func (s *simulator) batch(from, to time.Time) store.Batch {
	b := store.Batch{States: map[string]monitor.State{}}
	for i, id := range s.ids {
		// The first run at or after from.
		first := s.epoch.Add(s.phase[i])
		k := max(0, (from.Sub(first)+s.c.interval-1)/s.c.interval)
		for at := first.Add(k * s.c.interval); at.Before(to); at = at.Add(s.c.interval) {
			r := s.result(i, id, at)
			b.Results = append(b.Results, r)
			s.observe(&b, id, r)
		}
	}
	return b
}

// result is one HTTPS check. Each monitor is down for ten minutes about
// every three days.
func (s *simulator) result(i int, id string, at time.Time) probe.Result {
	dur := time.Duration(15000+s.rng.IntN(60000)) * time.Microsecond
	r := probe.Result{
		MonitorID: id, Time: at.Add(time.Duration(s.rng.IntN(1000)) * time.Microsecond), Duration: dur, Status: probe.OK,
		Reason:     fmt.Sprintf("200 OK in %dms", dur.Milliseconds()),
		Timing:     probe.Timing{FirstByte: dur - 2*time.Millisecond},
		CertExpiry: s.cert,
		// What the http probe reports (httpx): status, size, time, and
		// the days the certificate has left.
		Metrics: []probe.Metric{
			{Name: "status_code", Value: 200},
			{Name: "body_bytes", Value: float64(18000 + s.rng.IntN(200)), Unit: "B", Min: "0"},
			{Name: "time", Value: dur.Round(time.Microsecond).Seconds(), Unit: "s", Min: "0"},
			{Name: "cert_days", Value: float64(int(s.cert.Sub(at).Hours() / 24))},
		},
	}
	if s.c.fresh {
		r.Timing.DNS = time.Duration(200+s.rng.IntN(800)) * time.Microsecond
		r.Timing.Connect = time.Duration(1000+s.rng.IntN(4000)) * time.Microsecond
		r.Timing.TLS = time.Duration(4000+s.rng.IntN(8000)) * time.Microsecond
	}
	if !s.c.detail {
		r.Timing, r.CertExpiry, r.Metrics = probe.Timing{}, time.Time{}, nil
	}
	cycle := 72 * time.Hour
	offset := time.Duration(i) * cycle / time.Duration(len(s.ids))
	if pos := (at.Sub(s.epoch) + offset) % cycle; pos < 10*time.Minute {
		r.Status = probe.Critical
		r.Reason = "GET https://" + id + ".example.com/: 503 Service Unavailable, expected 200"
		if len(r.Metrics) > 0 {
			r.Metrics[0].Value = 503
		}
	}
	return r
}

// observe moves the monitor's state like the engine would, adding a
// transition and a notification when it changes.
func (s *simulator) observe(b *store.Batch, id string, r probe.Result) {
	st := s.states[id]
	to := monitor.StatusUp
	if r.Failed() {
		to = monitor.StatusDown
	}
	if st.Status != to {
		from := st.Status
		if from == "" {
			from = monitor.StatusPending
		}
		st.Status, st.Since = to, r.Time
		b.Transitions = append(b.Transitions, monitor.Transition{MonitorID: id, From: from, To: to, Time: r.Time, Reason: r.Reason, Result: r})
		if from != monitor.StatusPending {
			s.seq++
			ev := notify.Event{ID: fmt.Sprintf("n-%d", s.seq), Event: "monitor." + string(to), MonitorID: id, ServiceID: "shop", Status: string(to), PreviousStatus: string(from), Reason: r.Reason, Time: r.Time}
			b.Outbox = append(b.Outbox, notify.OutboxMessage{ID: ev.ID, Channel: "ops", Event: ev, State: "sent", Attempts: 1, NextAttempt: r.Time, CreatedAt: r.Time})
		}
	}
	st.LastResultAt, st.LastStatus, st.LastReason = r.Time, r.Status, r.Reason
	s.states[id] = st
	b.States[id] = st
}

func report(ctx context.Context, path string, day int, elapsed time.Duration) error {
	size := func(p string) float64 {
		fi, err := os.Stat(p)
		if err != nil {
			return 0
		}
		return float64(fi.Size()) / 1e6
	}
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
	if err != nil {
		return err
	}
	defer db.Close()
	var results, rollups, free, resultBytes int64
	for _, q := range []struct {
		sql string
		v   *int64
	}{
		{"SELECT COUNT(*) FROM results", &results},
		{"SELECT COUNT(*) FROM rollups", &rollups},
		{"PRAGMA freelist_count", &free},
		// The pages of the results table and its indexes.
		{"SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN (SELECT name FROM sqlite_schema WHERE tbl_name = 'results')", &resultBytes},
	} {
		if err := db.QueryRowContext(ctx, q.sql).Scan(q.v); err != nil {
			return fmt.Errorf("report: %s: %w", q.sql, err)
		}
	}
	fmt.Printf("%4d %12d %12d %10.1f %12d %10.1f %10.1f %9s\n", day, results, rollups, size(path), free, size(path+"-wal"), perResult(resultBytes, results), elapsed.Round(time.Second))
	return nil
}

func perResult(bytes, rows int64) float64 {
	if rows == 0 {
		return 0
	}
	return float64(bytes) / float64(rows)
}

// reportPostgres prints the day's figures of the schema in dsn's
// search_path: its results in rows (the results table with its indexes and
// TOAST) and packs (result_packs, likewise); with plain, the bytes a result
// costs in that schema, written without compaction.
func reportPostgres(ctx context.Context, dsn, plain string, day int, elapsed time.Duration) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var rows, packs, packed, rollups, schemaBytes, resultBytes int64
	for _, q := range []struct {
		sql string
		v   []any
	}{
		{"SELECT COUNT(*) FROM results", []any{&rows}},
		{"SELECT COUNT(*), COALESCE(SUM(n), 0) FROM result_packs", []any{&packs, &packed}},
		{"SELECT COUNT(*) FROM rollups", []any{&rollups}},
		{"SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'm')", []any{&schemaBytes}},
		{"SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relname IN ('results', 'result_packs')", []any{&resultBytes}},
	} {
		if err := db.QueryRowContext(ctx, q.sql).Scan(q.v...); err != nil {
			return fmt.Errorf("report: %s: %w", q.sql, err)
		}
	}
	before := "-"
	if plain != "" {
		p, err := sql.Open("pgx", plain)
		if err != nil {
			return err
		}
		defer p.Close()
		var n, bytes int64
		if err := p.QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM results), pg_total_relation_size('results')").Scan(&n, &bytes); err != nil {
			return fmt.Errorf("report: the uncompacted schema: %w", err)
		}
		before = fmt.Sprintf("%.1f", perResult(bytes, n))
	}
	fmt.Printf("%4d %12d %12d %10.1f %12.1f %10.1f %10d %10d %12s %9s\n", day, rows+packed, rollups, float64(schemaBytes)/1e6, float64(resultBytes)/1e6, perResult(resultBytes, rows+packed), rows, packs, before, elapsed.Round(time.Second))
	return nil
}

// pgSchema creates a schema of its own in the database at dsn and returns
// a DSN whose search_path is that schema, and a function that drops it.
func pgSchema(dsn, app string) (string, func(), error) {
	if dsn == "" {
		return "", nil, fmt.Errorf("-driver postgres needs -dsn")
	}
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, fmt.Errorf("-dsn must be a postgres:// URL")
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, err
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "storagegrowth_" + hex.EncodeToString(b[:])
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	drop := func() {
		defer db.Close()
		if _, err := db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			fmt.Fprintln(os.Stderr, "storagegrowth: drop schema:", err)
		}
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

// schemaOf returns the search_path of a DSN made by pgSchema.
func schemaOf(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return u.Query().Get("search_path")
}
