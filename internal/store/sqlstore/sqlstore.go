// Package sqlstore implements the store interfaces on database/sql for
// SQLite (modernc.org/sqlite, pure Go) and PostgreSQL (pgx through its
// database/sql adapter). The SQL is shared; only placeholders, a few scalar
// functions and the outbox claim differ per dialect.
//
// Storage layout, chosen to keep a month of results for a thousand monitors
// within a few hundred megabytes:
//
//   - monitors are referenced by a small integer key (table monitors);
//   - results are keyed by (monitor key, start time in unix milliseconds),
//     which is also the result ID used for paging; on SQLite the table is
//     clustered on that key (WITHOUT ROWID), so it needs no second index;
//     on PostgreSQL the results of closed ten-minute slices are packed,
//     one row per monitor and slice (compact.go, pack.go);
//   - durations are stored in microseconds, so stored results lose
//     sub-microsecond precision and times lose sub-millisecond precision;
//   - the Reason of an OK result is not stored (Results returns "");
//   - metrics are stored as "kind=value" pairs, the constant part of each
//     metric (name, unit, thresholds) living once in metric_kinds.
//
// Two results of one monitor that start in the same millisecond are stored
// one millisecond apart rather than dropped.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Drivers accepted in Options.Driver.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Options configures Open.
type Options struct {
	// Driver is "sqlite" (the default when empty) or "postgres".
	Driver string
	// DSN is a SQLite file path (or ":memory:") or a PostgreSQL connection
	// string (URL or key=value form).
	DSN string
	// Now is the clock; default time.Now. The store reads it once per
	// transaction where it needs the current time.
	Now func() time.Time
	// Logger receives migration and maintenance messages; default discards.
	Logger *slog.Logger
	// WALRestartFrames is the SQLite WAL size, in 4 KiB pages, past which
	// the background checkpoint starts the log over, so the file stays
	// bounded under constant writes. Default 16384 (64 MiB).
	WALRestartFrames int64
	// QuickCheckBudget bounds the check of a SQLite file at open (PRAGMA
	// quick_check); default DefaultQuickCheckBudget, negative skips it.
	QuickCheckBudget time.Duration
	// ReadOnly opens the database for a caller that only reads (`tocsin
	// export`): no migration, no start-up check, no checkpoints. The
	// database must already be at the schema this build writes.
	ReadOnly bool
	// IdleInTransaction, on PostgreSQL, has the server end any session
	// of this store that waits longer than this for its client in the
	// middle of a transaction (idle_in_transaction_session_timeout, set
	// when each connection starts, so it costs no statement), rolling the
	// transaction back. Replicas set it to their fencing margin, so that a
	// write whose connection stalls (the network stops answering without
	// closing it) cannot hold the rows it locked, among them its bucket
	// leases (Fence), past the time its lease could end: see
	// docs/high-availability.md. Zero leaves the server's setting.
	IdleInTransaction time.Duration
}

// DB is a Tocsin store on SQLite or PostgreSQL. It is safe for concurrent
// use. On SQLite all writes go through one connection and reads through a
// pool; on PostgreSQL both share one pool.
type DB struct {
	postgres bool
	write    *sql.DB
	read     *sql.DB
	now      func() time.Time
	log      *slog.Logger

	mu          sync.Mutex
	monitorKeys map[string]int64
	monitorIDs  map[int64]string
	metricKeys  map[string]int64
	metricSpecs map[int64]string
	stmts       map[string]string // rebound SQL text by source text
	pingStmts   map[int]*sql.Stmt // prepared ping inserts by row count
	// newestResult is, on PostgreSQL, the time of the newest stored result
	// per monitor key as far as this process knows, valid while
	// result_writes.n is resultWrites (insertResultsPostgres).
	newestResult map[int64]int64
	resultWrites int64

	// stopCheckpoints ends the SQLite checkpointer; nil when none runs.
	stopCheckpoints func()
	// walRestartFrames is the WAL size, in frames, past which a checkpoint
	// starts the log over (defaultWALRestartFrames).
	walRestartFrames int64
	// ckMu serialises checkpoints; walFrames and walQuiet, under it, are
	// the WAL's size at the last one and how many in a row found it
	// unchanged and fully copied.
	ckMu      sync.Mutex
	walFrames int64
	walQuiet  int
}

// Open connects to the database, applies pending migrations and returns the
// store. The caller must Close it.
func Open(ctx context.Context, o Options) (*DB, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.WALRestartFrames <= 0 {
		o.WALRestartFrames = defaultWALRestartFrames
	}
	if o.QuickCheckBudget == 0 {
		o.QuickCheckBudget = DefaultQuickCheckBudget
	}
	d := &DB{
		walRestartFrames: o.WALRestartFrames,
		now:              func() time.Time { return o.Now().UTC() },
		log:              o.Logger,
		monitorKeys:      map[string]int64{},
		monitorIDs:       map[int64]string{},
		metricKeys:       map[string]int64{},
		metricSpecs:      map[int64]string{},
		stmts:            map[string]string{},
	}
	var err error
	switch o.Driver {
	case "", DriverSQLite:
		if o.ReadOnly {
			err = d.openSQLiteReadOnly(o.DSN)
		} else {
			err = d.openSQLite(o.DSN)
		}
	case DriverPostgres:
		d.postgres = true
		err = d.openPostgres(o.DSN, o.IdleInTransaction)
	default:
		return nil, errs.Errorf(errs.EINVALID, "storage driver %q is not supported: use %q or %q", o.Driver, DriverSQLite, DriverPostgres)
	}
	if err != nil {
		return nil, err
	}
	if err := d.write.PingContext(ctx); err != nil {
		d.Close()
		if isCorrupt(err) {
			return nil, damaged(sqlitePath(o.DSN), "opening it failed: "+err.Error())
		}
		return nil, fmt.Errorf("connect to the %s database: %w", d.dialectName(), err)
	}
	if o.ReadOnly {
		if err := d.checkNotNewer(ctx); err != nil {
			d.Close()
			return nil, err
		}
		return d, nil
	}
	if !d.postgres && d.read != d.write {
		if err := d.quickCheck(ctx, o.DSN, o.QuickCheckBudget); err != nil {
			d.Close()
			return nil, err
		}
	}
	if err := d.migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	if !d.postgres && d.read != d.write {
		d.startCheckpointer()
	}
	return d, nil
}

// quickCheckProblems bounds how many of quick_check's findings the
// refusal to start quotes (quick_check stops after that many).
const quickCheckProblems = 5

// DefaultQuickCheckBudget bounds the start-up check of a SQLite file. It
// reads every page, about 10 s for 600 MB on a small shared server with the
// file in the page cache, so the budget covers files up to about 1.2 GB; a
// larger file is checked as far as the budget goes (docs/operations.md).
const DefaultQuickCheckBudget = 20 * time.Second

// quickCheck runs PRAGMA quick_check on a SQLite file before anything is
// written to it: a damaged page found at start is a clear refusal, where
// found later it would be a failed write in the middle of monitoring (or
// results quietly missing from the history). quick_check reads every page
// but skips the index-to-table cross-checks of integrity_check (about
// half the time of integrity_check here). It stops after budget, logging
// that the check was cut short, rather than hold the start back for
// minutes on a file of many gigabytes.
func (d *DB) quickCheck(ctx context.Context, dsn string, budget time.Duration) error {
	if budget < 0 {
		return nil
	}
	path := sqlitePath(dsn)
	start := time.Now()
	qctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	problems, err := d.quickCheckRows(qctx)
	switch {
	case err == nil && len(problems) == 0:
		d.log.Debug("SQLite file checked", "file", path, "duration", time.Since(start))
		return nil
	case err == nil:
		return damaged(path, "PRAGMA quick_check found: "+strings.Join(problems, "; "))
	case isCorrupt(err):
		return damaged(path, "PRAGMA quick_check failed: "+err.Error())
	case qctx.Err() != nil && ctx.Err() == nil:
		d.log.Warn("the start-up check of the SQLite file was cut short; check it in full while Tocsin is stopped",
			"file", path, "budget", budget, "command", "sqlite3 "+path+` "PRAGMA quick_check"`)
		return nil
	default:
		return fmt.Errorf("check the SQLite database %s: %w", path, err)
	}
}

// quickCheckRows returns what PRAGMA quick_check finds, one problem per
// entry; none when the file is sound.
func (d *DB) quickCheckRows(ctx context.Context) ([]string, error) {
	rows, err := d.write.QueryContext(ctx, "PRAGMA quick_check("+strconv.Itoa(quickCheckProblems)+")")
	if err != nil {
		return nil, err
	}
	var problems []string
	for rows.Next() {
		var text string
		if err := rows.Scan(&text); err != nil {
			rows.Close()
			return nil, err
		}
		for line := range strings.Lines(text) {
			line = strings.TrimSpace(line)
			if line != "ok" && line != "" && !strings.HasPrefix(line, "***") { // "*** in database main ***"
				problems = append(problems, line)
			}
		}
	}
	return problems, rowsDone(rows)
}

// isCorrupt reports whether err is SQLite saying the file is damaged or
// not a database.
func isCorrupt(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	code := se.Code() & 0xff // the primary code of an extended one
	return code == sqlite3.SQLITE_CORRUPT || code == sqlite3.SQLITE_NOTADB
}

// damaged is the refusal to start on a damaged SQLite file: what is wrong
// (problem), where the file is and what to do.
func damaged(path, problem string) error {
	return fmt.Errorf("the SQLite database %[1]s is damaged; Tocsin will not start on it.\n"+
		"%[2]s\n"+
		"Stop anything that uses the file and keep a copy of it with its -wal and -shm files, then either\n"+
		"  - restore the latest backup: put it in place of %[1]s and remove %[1]s-wal and %[1]s-shm, or\n"+
		"  - salvage what can be read into a new file and use that one:\n"+
		"      sqlite3 %[1]s \".recover\" | sqlite3 %[1]s.recovered\n"+
		"      rm -f %[1]s-wal %[1]s-shm && mv %[1]s.recovered %[1]s\n"+
		"(see \"A damaged SQLite file\" in docs/operations.md)", path, problem)
}

// sqlitePath is the file a SQLite DSN names, absolute when it can be.
func sqlitePath(dsn string) string {
	p := strings.TrimPrefix(dsn, "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	return p
}

// startCheckpointer copies the SQLite WAL into the database file every
// checkpointEvery from a reader connection, in PASSIVE mode: it never
// blocks the writer, and a commit never waits for it.
func (d *DB) startCheckpointer() {
	stop, done := make(chan struct{}), make(chan struct{})
	d.stopCheckpoints = func() { close(stop); <-done }
	go func() {
		defer close(done)
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			d.checkpoint(ctx)
			cancel()
		}
	}()
}

// checkpoint copies what it can without waiting (PASSIVE). Under constant
// writes that never ends with an empty WAL, so past d.walRestartFrames it
// also runs a RESTART checkpoint, which waits for the writer between two
// transactions, finishes the copy (little is left by then) and makes the
// next transaction write the WAL from its start: the file stays bounded
// (journal_size_limit cuts it back to that size when it starts over).
//
// The file is also emptied (a TRUNCATE checkpoint) whenever a PASSIVE one
// has copied all of it and it holds more than walTruncateFrames — after a
// storm, as soon as the copy catches up — or it has been fully copied and
// unchanged for walIdleChecks in a row, so the disk space a burst took is
// given back instead of being held until shutdown.
func (d *DB) checkpoint(ctx context.Context) (restarted bool) {
	d.ckMu.Lock()
	defer d.ckMu.Unlock()
	var busy, frames, done int64
	if err := d.read.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &done); err != nil {
		d.log.Warn("SQLite checkpoint", "err", err)
		return false
	}
	copied := frames > 0 && frames == done
	if copied && frames == d.walFrames {
		d.walQuiet++
	} else {
		d.walQuiet = 0
	}
	d.walFrames = frames
	if copied && (frames >= walTruncateFrames || d.walQuiet >= walIdleChecks) {
		ok := d.truncateWAL(ctx)
		if ok {
			d.walFrames, d.walQuiet = 0, 0
		}
		return ok
	}
	if frames < d.walRestartFrames {
		return false
	}
	if err := d.read.QueryRowContext(ctx, "PRAGMA wal_checkpoint(RESTART)").Scan(&busy, &frames, &done); err != nil {
		d.log.Warn("SQLite checkpoint", "mode", "restart", "err", err)
		return false
	}
	// busy: a reader or writer held the WAL; the next tick tries again.
	return busy == 0
}

// checkpointEvery is how often the SQLite WAL is checkpointed.
const checkpointEvery = time.Second

// walIdleChecks is how many checkpoints in a row must find the WAL copied
// and unchanged before it is truncated: ten seconds without writes.
const walIdleChecks = 10

// walTruncateFrames (pages of 4 KiB: 4 MiB) is the size past which a WAL
// that has been copied completely is emptied at once.
const walTruncateFrames = 1024

// truncateBusyTimeout bounds how long a TRUNCATE checkpoint waits for
// readers of older snapshots. It holds the write lock while it waits, so
// it gives up soon and leaves the file to the next tick rather than stall
// the writes behind it.
const truncateBusyTimeout = 100 * time.Millisecond

// truncateWAL runs a TRUNCATE checkpoint on a reader connection with a
// short busy timeout, and reports whether it emptied the file.
func (d *DB) truncateWAL(ctx context.Context) bool {
	c, err := d.read.Conn(ctx)
	if err != nil {
		d.log.Warn("SQLite checkpoint", "mode", "truncate", "err", err)
		return false
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "PRAGMA busy_timeout = "+strconv.Itoa(int(truncateBusyTimeout/time.Millisecond))); err != nil {
		d.log.Warn("SQLite checkpoint", "mode", "truncate", "err", err)
		return false
	}
	// The connection goes back to the pool with the pool's own timeout.
	defer c.ExecContext(context.WithoutCancel(ctx), "PRAGMA busy_timeout = 10000") //nolint:errcheck // the next use sets nothing else
	var busy, frames, done int64
	if err := c.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &done); err != nil {
		d.log.Warn("SQLite checkpoint", "mode", "truncate", "err", err)
		return false
	}
	return busy == 0
}

// defaultWALRestartFrames (pages of 4 KiB: 64 MiB) bounds the WAL file.
const defaultWALRestartFrames = 16384

func (d *DB) dialectName() string {
	if d.postgres {
		return DriverPostgres
	}
	return DriverSQLite
}

// openSQLiteReadOnly opens a SQLite file that is only read: SQLite
// itself refuses writes (mode=ro), and closing it folds nothing of the
// write-ahead log into the file.
func (d *DB) openSQLiteReadOnly(dsn string) error {
	if dsn == "" || dsn == ":memory:" || strings.Contains(dsn, "mode=memory") {
		return errs.Errorf(errs.EINVALID, "a read-only SQLite database needs a file path, not %q", dsn)
	}
	uri := dsn
	if !strings.HasPrefix(uri, "file:") {
		uri = "file:" + dsn
	}
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	db, err := sql.Open("sqlite", uri+sep+"mode=ro&_busy_timeout=10000")
	if err != nil {
		return fmt.Errorf("open SQLite database %q: %w", dsn, err)
	}
	d.write, d.read = db, db
	return nil
}

func (d *DB) openSQLite(dsn string) error {
	if dsn == "" {
		return errs.Errorf(errs.EINVALID, "storage dsn is empty: give the SQLite file path")
	}
	memory := dsn == ":memory:" || strings.Contains(dsn, "mode=memory")
	params := "_busy_timeout=10000&_foreign_keys=1&_txlock=immediate&_pragma=temp_store(MEMORY)&_pragma=cache_size(-32768)"
	if !memory {
		// Checkpoints run in the background (checkpointer), not inside
		// whichever commit crosses the WAL size: a checkpoint syncs the
		// database file, which would stall every write queued behind it.
		params += "&_journal_mode=WAL&_synchronous=NORMAL&_auto_vacuum=INCREMENTAL&_pragma=wal_autocheckpoint(0)" +
			"&_pragma=journal_size_limit(" + strconv.FormatInt(d.walRestartFrames*4096, 10) + ")"
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	w, err := sql.Open("sqlite", dsn+sep+params)
	if err != nil {
		return fmt.Errorf("open SQLite database %q: %w", dsn, err)
	}
	// One writer: SQLite allows one write transaction at a time, and a single
	// connection turns lock contention into a queue in Go.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	d.write = w
	if memory {
		// Every connection to ":memory:" is a database of its own, so reads
		// share the one connection.
		d.read = w
		return nil
	}
	r, err := sql.Open("sqlite", dsn+sep+"_busy_timeout=10000&_foreign_keys=1&_txlock=deferred")
	if err != nil {
		w.Close()
		return fmt.Errorf("open SQLite database %q: %w", dsn, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	d.read = r
	return nil
}

func (d *DB) openPostgres(dsn string, idle time.Duration) error {
	if dsn == "" {
		return errs.Errorf(errs.EINVALID, "storage dsn is empty: give a PostgreSQL connection string")
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return fmt.Errorf("open PostgreSQL database: %w", err)
	}
	if idle > 0 {
		db.Close()
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return fmt.Errorf("open PostgreSQL database: %w", err)
		}
		// Only this: a statement_timeout would also end the long
		// statements of compaction, rollups and backups, and a statement
		// on a stalled network is not what holds the locks: once the
		// server has answered it waits for the client's next message,
		// idle in the transaction, and this ends it.
		cfg.RuntimeParams["idle_in_transaction_session_timeout"] = strconv.FormatInt(max(idle.Milliseconds(), 1), 10)
		db = stdlib.OpenDB(*cfg)
	}
	db.SetMaxOpenConns(max(8, 2*runtime.GOMAXPROCS(0)))
	db.SetMaxIdleConns(max(8, 2*runtime.GOMAXPROCS(0)))
	db.SetConnMaxIdleTime(5 * time.Minute)
	d.write, d.read = db, db
	return nil
}

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.read.PingContext(ctx); err != nil {
		return errs.Errorf(errs.EUNAVAILABLE, "the %s database is not reachable: %v", d.dialectName(), err)
	}
	return nil
}

// Close closes the database connections.
func (d *DB) Close() error {
	if d.stopCheckpoints != nil {
		d.stopCheckpoints()
		d.stopCheckpoints = nil
	}
	d.mu.Lock()
	for _, st := range d.pingStmts {
		_ = st.Close()
	}
	d.pingStmts = nil
	d.mu.Unlock()
	err := d.write.Close()
	if d.read != d.write {
		err = errors.Join(err, d.read.Close())
	}
	return err
}

// q returns query with "?" placeholders rewritten for the dialect. The
// queries in this package never contain a literal question mark.
func (d *DB) q(query string) string {
	if !d.postgres {
		return query
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.qLocked(query)
}

// qLocked is q for callers holding d.mu.
func (d *DB) qLocked(query string) string {
	if !d.postgres {
		return query
	}
	if s, ok := d.stmts[query]; ok {
		return s
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	s := b.String()
	if len(d.stmts) < 4096 {
		d.stmts[query] = s
	}
	return s
}

// least returns the dialect's two-argument minimum.
func (d *DB) least(a, b string) string {
	if d.postgres {
		return "LEAST(" + a + ", " + b + ")"
	}
	return "MIN(" + a + ", " + b + ")"
}

// greatest returns the dialect's two-argument maximum.
func (d *DB) greatest(a, b string) string {
	if d.postgres {
		return "GREATEST(" + a + ", " + b + ")"
	}
	return "MAX(" + a + ", " + b + ")"
}

// isUniqueViolation reports whether err is a unique or primary key
// constraint failure.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return false
}

// inTx runs fn in a write transaction, committing when it returns nil.
func (d *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin a database transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit a database transaction: %w", err)
	}
	return nil
}

// placeholders returns "(?,?,…),(?,?,…)" for rows rows of cols columns.
func placeholders(rows, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	return strings.TrimSuffix(strings.Repeat(one+",", rows), ",")
}

// ms converts a time to unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS converts unix milliseconds to a UTC time.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// nullMS stores the zero time as NULL.
func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromNullMS returns the zero time for NULL.
func fromNullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

const hourMS = int64(time.Hour / time.Millisecond)

// floorHour rounds unix milliseconds down to the hour.
func floorHour(v int64) int64 {
	if v < 0 {
		return v - (hourMS+v%hourMS)%hourMS
	}
	return v - v%hourMS
}

// ceilHour rounds unix milliseconds up to the hour.
func ceilHour(v int64) int64 {
	f := floorHour(v)
	if f == v {
		return v
	}
	return f + hourMS
}

// clampPage applies the Page defaults and limits.
func clampPage(p store.Page) (limit int, before int64) {
	limit = p.Limit
	switch {
	case limit <= 0:
		limit = 50
	case limit > 1000:
		limit = 1000
	}
	before = p.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	return limit, before
}

var _ store.Store = (*DB)(nil)

// rowsDone closes rows and returns the error that ended the iteration.
func rowsDone(rows *sql.Rows) error {
	return errors.Join(rows.Err(), rows.Close())
}

// SQLiteFile returns the path of the SQLite file a DSN names, and false
// for an in-memory database.
func SQLiteFile(dsn string) (string, bool) {
	if dsn == "" || dsn == ":memory:" || strings.Contains(dsn, "mode=memory") {
		return "", false
	}
	return sqlitePath(dsn), true
}
