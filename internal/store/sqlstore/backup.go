package sqlstore

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/tocsin/tocsin/internal/errs"
)

// Backups: a SQLite database is backed up as a SQLite file (VACUUM INTO,
// one read transaction); a PostgreSQL one as a gzip stream written from
// one REPEATABLE READ transaction: a JSON header line (BackupInfo), then
// per table a line {"table": NAME} followed by the rows in PostgreSQL's
// COPY text format and a line `\.`, and last a line {"end": true}. Each
// restores into a database of its own driver.

// backupFormat is the version of the PostgreSQL backup format.
const backupFormat = 1

// backupKind names the PostgreSQL backup format in its header.
const backupKind = "tocsin-backup"

// sqliteMagic begins every SQLite database file.
const sqliteMagic = "SQLite format 3\x00"

// bookkeeping are tables a fresh schema already fills: they do not make a
// database non-empty, and a restore replaces their rows with the backup's.
var bookkeeping = []string{"cursors", "result_writes"}

// BackupInfo describes a backup: what took it, from which schema, and what
// it holds.
type BackupInfo struct {
	Kind   string        `json:"kind"`
	Format int           `json:"format"`
	Driver string        `json:"driver"`
	Schema int64         `json:"schema"`
	Time   time.Time     `json:"time"`
	Tables []BackupTable `json:"tables"`
}

// BackupTable is one table of a backup.
type BackupTable struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns,omitempty"`
	Rows    int64    `json:"rows"`
	// Sequences holds, on PostgreSQL, the last value of the sequence
	// behind each identity column, so a restore never hands out an id
	// that was used before.
	Sequences map[string]int64 `json:"sequences,omitempty"`
}

// Rows is the number of rows in every table of the backup.
func (b BackupInfo) Rows() int64 {
	var n int64
	for _, t := range b.Tables {
		n += t.Rows
	}
	return n
}

// Progress receives a line of progress now and then during a backup or a
// restore of a large database.
type Progress func(line string)

// progressEvery is how often a long table copy reports.
const progressEvery = 2 * time.Second

// Backup writes a consistent copy of the database to path while the
// database stays in use: the file appears complete or not at all.
func (d *DB) Backup(ctx context.Context, path string, progress Progress) (BackupInfo, error) {
	if progress == nil {
		progress = func(string) {}
	}
	if err := d.checkNotNewer(ctx); err != nil {
		return BackupInfo{}, err
	}
	tmp := tempName(path)
	var info BackupInfo
	var err error
	if d.postgres {
		info, err = d.backupPostgres(ctx, tmp, progress)
	} else {
		info, err = d.backupSQLite(ctx, tmp, progress)
	}
	if err == nil {
		// The copy holds password and token hashes: only its owner reads it.
		err = os.Chmod(tmp, 0o600)
	}
	if err == nil {
		err = syncFile(tmp)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return BackupInfo{}, fmt.Errorf("back up the %s database to %s: %w", d.dialectName(), path, err)
	}
	syncDir(filepath.Dir(path))
	return info, nil
}

// tempName is a new file name next to path, so the final rename stays on
// one file system.
func tempName(path string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-"+hex.EncodeToString(b[:]))
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
}

func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		f.Close()
	}
}

// backupSQLite copies the database with VACUUM INTO, which reads it in one
// transaction (a consistent snapshot; writers go on meanwhile) and writes
// the copy without free pages.
func (d *DB) backupSQLite(ctx context.Context, tmp string, progress Progress) (BackupInfo, error) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if st, err := os.Stat(tmp); err == nil {
					progress(fmt.Sprintf("copied %d MB", st.Size()>>20))
				}
			}
		}
	}()
	_, err := d.read.ExecContext(ctx, "VACUUM INTO ?", tmp)
	close(done)
	if err != nil {
		return BackupInfo{}, err
	}
	src, err := openSQLiteBackup(tmp)
	if err != nil {
		return BackupInfo{}, err
	}
	defer src.Close()
	info, err := sqliteInfo(ctx, src)
	info.Time = d.now()
	return info, err
}

// openSQLiteBackup opens a SQLite backup file to read it, without
// creating companion files next to it.
func openSQLiteBackup(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&immutable=1")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// sqliteInfo describes a SQLite backup: its schema, tables and rows.
func sqliteInfo(ctx context.Context, db *sql.DB) (BackupInfo, error) {
	info := BackupInfo{Kind: backupKind, Format: backupFormat, Driver: DriverSQLite}
	src := &DB{read: db, write: db}
	tables, err := src.sqliteTables(ctx, "main")
	if err != nil {
		return info, err
	}
	if !slices.Contains(tables, versionTable) {
		return info, errs.Errorf(errs.EINVALID, "it is a SQLite database but not one of Tocsin's: it has no %s table", versionTable)
	}
	if info.Schema, err = src.SchemaVersion(ctx); err != nil {
		return info, err
	}
	for _, t := range tables {
		if t == versionTable {
			continue
		}
		bt := BackupTable{Name: t}
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoteIdent(t)).Scan(&bt.Rows); err != nil {
			return info, fmt.Errorf("count the rows of %s: %w", t, err)
		}
		info.Tables = append(info.Tables, bt)
	}
	return info, nil
}

// sqliteTables lists the tables of a SQLite database (schema "main" or an
// attached one) in the order they were created, which is an order that
// loads rows before the rows that refer to them.
func (d *DB) sqliteTables(ctx context.Context, schema string) ([]string, error) {
	rows, err := d.read.QueryContext(ctx, "SELECT name FROM "+schema+".sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid")
	if err != nil {
		return nil, fmt.Errorf("list the tables: %w", err)
	}
	return scanStrings(rows)
}

func scanStrings(rows *sql.Rows) ([]string, error) {
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, s)
	}
	return out, rowsDone(rows)
}

// quoteIdent quotes a table or column name for either dialect.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

func quoteIdents(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteIdent(n)
	}
	return strings.Join(q, ", ")
}

// pgTablesQuery lists the tables of the current schema with the tables
// their foreign keys refer to (partitions are read through their parent).
const pgTablesQuery = `SELECT c.relname, COALESCE(string_agg(r.relname, ',' ORDER BY r.relname) FILTER (WHERE r.relname IS NOT NULL), '')
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'f'
LEFT JOIN pg_class r ON r.oid = k.confrelid AND r.oid <> c.oid
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> '` + versionTable + `'
GROUP BY c.relname ORDER BY c.relname`

// pgQuerier is what both a pgx connection and a transaction offer.
type pgQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// pgTables lists the tables of the current schema, each after the tables
// it refers to.
func pgTables(ctx context.Context, q pgQuerier) ([]string, error) {
	rows, err := q.Query(ctx, pgTablesQuery)
	if err != nil {
		return nil, fmt.Errorf("list the tables: %w", err)
	}
	deps := map[string][]string{}
	var names []string
	for rows.Next() {
		var name, refs string
		if err := rows.Scan(&name, &refs); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, name)
		if refs != "" {
			deps[name] = strings.Split(refs, ",")
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the tables: %w", err)
	}
	var order []string
	placed := map[string]bool{}
	var place func(n string, depth int)
	place = func(n string, depth int) {
		if placed[n] || depth > len(names) {
			return
		}
		for _, r := range deps[n] {
			place(r, depth+1)
		}
		if !placed[n] {
			placed[n] = true
			order = append(order, n)
		}
	}
	for _, n := range names {
		place(n, 0)
	}
	return order, nil
}

// pgColumns lists the columns of a table that take values (not generated
// ones), in their order.
func pgColumns(ctx context.Context, q pgQuerier, table string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT column_name FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position`, table)
	if err != nil {
		return nil, fmt.Errorf("list the columns of %s: %w", table, err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list the columns of %s: %w", table, err)
	}
	return cols, nil
}

// pgIdentities lists the identity (or serial) columns of a table.
func pgIdentities(ctx context.Context, q pgQuerier, table string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT column_name FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = $1 AND (is_identity = 'YES' OR column_default LIKE 'nextval(%') ORDER BY ordinal_position`, table)
	if err != nil {
		return nil, fmt.Errorf("list the identity columns of %s: %w", table, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// withPgx runs fn on one pgx connection of db.
func withPgx(ctx context.Context, db *sql.DB, fn func(*pgx.Conn) error) error {
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Raw(func(dc any) error { return fn(dc.(*stdlib.Conn).Conn()) })
}

// backupPostgres writes every table in one REPEATABLE READ, READ ONLY
// transaction: one snapshot, while writers go on.
func (d *DB) backupPostgres(ctx context.Context, tmp string, progress Progress) (BackupInfo, error) {
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return BackupInfo{}, err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<16)
	gz := gzip.NewWriter(bw)
	info := BackupInfo{Kind: backupKind, Format: backupFormat, Driver: DriverPostgres, Time: d.now()}
	err = withPgx(ctx, d.read, func(c *pgx.Conn) error {
		tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			return err
		}
		defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read only
		if err := tx.QueryRow(ctx, "SELECT COALESCE(MAX(version_id), 0) FROM "+versionTable+" WHERE is_applied").Scan(&info.Schema); err != nil {
			return fmt.Errorf("read the schema version: %w", err)
		}
		tables, err := pgTables(ctx, tx)
		if err != nil {
			return err
		}
		for _, name := range tables {
			t := BackupTable{Name: name}
			if t.Columns, err = pgColumns(ctx, tx, name); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM "+quoteIdent(name)).Scan(&t.Rows); err != nil {
				return fmt.Errorf("count the rows of %s: %w", name, err)
			}
			ids, err := pgIdentities(ctx, tx, name)
			if err != nil {
				return err
			}
			for _, col := range ids {
				// Sequences are outside transactions: the value read may
				// be past the snapshot, which only skips a few ids.
				var last int64
				if err := tx.QueryRow(ctx, "SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence($1, $2)::regclass), 0)",
					quoteIdent(name), col).Scan(&last); err != nil {
					return fmt.Errorf("read the sequence of %s.%s: %w", name, col, err)
				}
				if t.Sequences == nil {
					t.Sequences = map[string]int64{}
				}
				t.Sequences[col] = last
			}
			info.Tables = append(info.Tables, t)
		}
		head, err := json.Marshal(info)
		if err != nil {
			return err
		}
		gz.Write(append(head, '\n'))
		for _, t := range info.Tables {
			fmt.Fprintf(gz, "{\"table\":%q}\n", t.Name)
			w := &lineCounter{w: gz, table: t.Name, total: t.Rows, progress: progress, next: time.Now().Add(progressEvery)}
			tag, err := tx.Conn().PgConn().CopyTo(ctx, w, "COPY (SELECT "+quoteIdents(t.Columns)+" FROM "+quoteIdent(t.Name)+") TO STDOUT")
			if err != nil {
				return fmt.Errorf("copy %s: %w", t.Name, err)
			}
			if tag.RowsAffected() != t.Rows {
				return fmt.Errorf("copy %s: %d rows, counted %d in the same snapshot", t.Name, tag.RowsAffected(), t.Rows)
			}
			io.WriteString(gz, "\\.\n")
			if t.Rows >= progressRows {
				progress(fmt.Sprintf("%s: %d rows", t.Name, t.Rows))
			}
		}
		_, err = io.WriteString(gz, "{\"end\":true}\n")
		return err
	})
	if err != nil {
		return BackupInfo{}, err
	}
	if err := gz.Close(); err != nil {
		return BackupInfo{}, err
	}
	if err := bw.Flush(); err != nil {
		return BackupInfo{}, err
	}
	return info, f.Close()
}

// progressRows is the table size from which a backup or a restore names
// each table it has done.
const progressRows = 100_000

// lineCounter passes COPY output through, reporting progress now and then.
type lineCounter struct {
	w        io.Writer
	table    string
	rows     int64
	total    int64
	progress Progress
	next     time.Time
}

func (l *lineCounter) Write(p []byte) (int, error) {
	l.rows += int64(bytes.Count(p, []byte{'\n'}))
	if now := time.Now(); now.After(l.next) {
		l.next = now.Add(progressEvery)
		l.progress(fmt.Sprintf("%s: %d of %d rows", l.table, l.rows, l.total))
	}
	return l.w.Write(p)
}

// Restore loads the backup at path into the empty database o names, then
// applies the migrations this build has past the backup's schema. It
// refuses a database that holds anything, a backup of the other driver and
// a backup from a schema newer than this build knows. The rows are loaded
// in one transaction.
func Restore(ctx context.Context, o Options, path string, progress Progress) (BackupInfo, error) {
	if progress == nil {
		progress = func(string) {}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	kind, err := backupFileKind(path)
	if err != nil {
		return BackupInfo{}, err
	}
	driver := o.Driver
	if driver == "" {
		driver = DriverSQLite
	}
	switch {
	case kind == DriverSQLite && driver == DriverPostgres:
		return restoreSQLiteIntoPostgres(ctx, o, path, progress)
	case kind == DriverPostgres && driver == DriverSQLite:
		return restorePostgresIntoSQLite(ctx, o, path, progress)
	case driver == DriverPostgres:
		return restorePostgres(ctx, o, path, progress)
	}
	return restoreSQLite(ctx, o, path, progress)
}

// backupFileKind tells a SQLite backup from a PostgreSQL one by its first
// bytes, and refuses anything else.
func backupFileKind(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, len(sqliteMagic))
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case string(head) == sqliteMagic:
		return DriverSQLite, nil
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		return DriverPostgres, nil
	}
	return "", errs.Errorf(errs.EINVALID, "%s is not a Tocsin backup: it is neither a SQLite database nor a gzip'd PostgreSQL backup", path)
}

// checkSchema refuses a backup from a schema newer than this build knows
// for the driver it restores into. Both drivers number their schemas alike.
func checkSchema(info BackupInfo, driver string) error {
	if known := KnownSchema(driver); info.Schema > known {
		return errs.Errorf(errs.EINVALID, "the backup is schema %d, and this tocsin knows schemas up to %d: upgrade tocsin first", info.Schema, known)
	}
	if info.Schema <= 0 {
		return errs.Errorf(errs.EINVALID, "the backup records no schema version")
	}
	return nil
}

// contents names the tables of the current database that hold rows,
// bookkeeping aside, with their row counts: empty when it may be restored
// into.
func (d *DB) contents(ctx context.Context, tables []string) ([]string, error) {
	var held []string
	for _, t := range tables {
		if t == versionTable || slices.Contains(bookkeeping, t) {
			continue
		}
		var n int64
		if err := d.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoteIdent(t)).Scan(&n); err != nil {
			return nil, fmt.Errorf("count the rows of %s: %w", t, err)
		}
		if n > 0 {
			unit := "rows"
			if n == 1 {
				unit = "row"
			}
			held = append(held, fmt.Sprintf("%s (%d %s)", t, n, unit))
		}
	}
	slices.Sort(held)
	return held, nil
}

func notEmpty(where string, held []string) error {
	return errs.Errorf(errs.ECONFLICT, "%s is not empty: it holds %s. Restore into an empty database (a new file, or a new PostgreSQL database or schema)", where, strings.Join(held, ", "))
}

// restoreSQLite builds the restored database in a new file next to the
// target at the backup's schema, copies every table in one transaction,
// migrates it forward and only then puts it in place of the target, which
// must be missing or empty.
func restoreSQLite(ctx context.Context, o Options, path string, progress Progress) (BackupInfo, error) {
	if err := checkSQLiteDSN(o.DSN); err != nil {
		return BackupInfo{}, err
	}
	src, info, err := readSQLiteBackup(ctx, path, DriverSQLite)
	if err != nil {
		return info, err
	}
	defer src.Close()
	return info, intoSQLite(ctx, o, path, info, func(d *DB) error { return d.loadSQLite(ctx, path, info, progress) })
}

// checkSQLiteDSN refuses a SQLite DSN that names no file to restore into.
func checkSQLiteDSN(dsn string) error {
	if dsn == "" || dsn == ":memory:" || strings.Contains(dsn, "mode=memory") {
		return errs.Errorf(errs.EINVALID, "a restore needs a SQLite file path in storage.dsn, not %q", dsn)
	}
	return nil
}

// readSQLiteBackup opens a SQLite backup, checks that it is whole and that
// its schema is one this build knows for driver, and describes it.
func readSQLiteBackup(ctx context.Context, path, driver string) (*sql.DB, BackupInfo, error) {
	src, err := openSQLiteBackup(path)
	if err != nil {
		return nil, BackupInfo{}, err
	}
	srcDB := &DB{read: src, write: src}
	if problems, err := srcDB.quickCheckRows(ctx); err != nil || len(problems) > 0 {
		if err == nil {
			err = errors.New(strings.Join(problems, "; "))
		}
		src.Close()
		return nil, BackupInfo{}, errs.Errorf(errs.EINVALID, "%s is damaged or cut short: %v", path, err)
	}
	info, err := sqliteInfo(ctx, src)
	if err != nil {
		src.Close()
		return nil, BackupInfo{}, fmt.Errorf("%s: %w", path, err)
	}
	if st, err := os.Stat(path); err == nil {
		info.Time = st.ModTime().UTC()
	}
	if err := checkSchema(info, driver); err != nil {
		src.Close()
		return nil, info, err
	}
	return src, info, nil
}

// intoSQLite builds a new SQLite database next to the target named by o,
// which must be missing or empty, at the backup's schema; load fills it in
// one transaction of its own, and it is migrated forward and put in place.
func intoSQLite(ctx context.Context, o Options, path string, info BackupInfo, load func(d *DB) error) error {
	target := sqlitePath(o.DSN)
	if _, err := os.Stat(target); err == nil {
		if err := checkSQLiteTargetEmpty(ctx, target); err != nil {
			return err
		}
	}

	tmp := tempName(target)
	cleanup := func() {
		for _, s := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(tmp + s)
		}
	}
	defer cleanup()
	d := &DB{now: func() time.Time { return o.Now().UTC() }, log: o.Logger, walRestartFrames: defaultWALRestartFrames}
	if err := d.openSQLite(tmp); err != nil {
		return err
	}
	err := load(d)
	if err == nil {
		err = d.migrate(ctx)
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("restore %s into %s: %w", path, target, err)
	}
	for _, s := range []string{"-wal", "-shm"} {
		if err := os.Remove(target + s); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		return err
	}
	syncDir(filepath.Dir(target))
	return nil
}

// checkSQLiteTargetEmpty refuses an existing SQLite file that holds rows.
func checkSQLiteTargetEmpty(ctx context.Context, target string) error {
	db, err := sql.Open("sqlite", "file:"+target+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	t := &DB{read: db, write: db}
	tables, err := t.sqliteTables(ctx, "main")
	if err != nil {
		return fmt.Errorf("read %s: %w", target, err)
	}
	held, err := t.contents(ctx, tables)
	if err != nil {
		return fmt.Errorf("read %s: %w", target, err)
	}
	if len(held) > 0 {
		return notEmpty("the SQLite database "+target, held)
	}
	return nil
}

// loadSQLite migrates the new file to the backup's schema and copies the
// backup's tables into it in one transaction.
func (d *DB) loadSQLite(ctx context.Context, path string, info BackupInfo, progress Progress) error {
	if err := d.migrateTo(ctx, info.Schema); err != nil {
		return err
	}
	c, err := d.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "ATTACH DATABASE ? AS bak", "file:"+path+"?mode=ro&immutable=1"); err != nil {
		return fmt.Errorf("open the backup: %w", err)
	}
	defer c.ExecContext(context.WithoutCancel(ctx), "DETACH DATABASE bak") //nolint:errcheck // the connection closes next
	have, err := connStrings(ctx, c, "SELECT name FROM main.sqlite_master WHERE type = 'table'")
	if err != nil {
		return err
	}
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	if _, err := tx.ExecContext(ctx, "PRAGMA defer_foreign_keys = ON"); err != nil {
		return err
	}
	if err := clearBookkeeping(have, func(table string) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM main."+quoteIdent(table))
		return err
	}); err != nil {
		return err
	}
	for _, t := range info.Tables {
		if !slices.Contains(have, t.Name) {
			return fmt.Errorf("the backup has a table %s that schema %d does not have", t.Name, info.Schema)
		}
		cols, err := txStrings(ctx, tx, "SELECT name FROM pragma_table_info(?, 'bak')", t.Name)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO main."+quoteIdent(t.Name)+" ("+quoteIdents(cols)+") SELECT "+quoteIdents(cols)+" FROM bak."+quoteIdent(t.Name))
		if err != nil {
			return fmt.Errorf("load %s: %w", t.Name, err)
		}
		if n, _ := res.RowsAffected(); n != t.Rows {
			return fmt.Errorf("load %s: %d rows of %d", t.Name, n, t.Rows)
		}
		if t.Rows >= progressRows {
			progress(fmt.Sprintf("%s: %d rows", t.Name, t.Rows))
		}
	}
	var seq int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM bak.sqlite_master WHERE name = 'sqlite_sequence'").Scan(&seq); err != nil {
		return err
	}
	if seq > 0 && slices.Contains(have, "sqlite_sequence") {
		// AUTOINCREMENT counters: ids of deleted rows are never handed out again.
		if _, err := tx.ExecContext(ctx, "DELETE FROM main.sqlite_sequence"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO main.sqlite_sequence (name, seq) SELECT name, seq FROM bak.sqlite_sequence"); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func connStrings(ctx context.Context, c *sql.Conn, query string, args ...any) ([]string, error) {
	rows, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanStrings(rows)
}

func txStrings(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanStrings(rows)
}

// maxHeader bounds the header line of a PostgreSQL backup.
const maxHeader = 16 << 20

// restorePostgres loads a PostgreSQL backup into the current schema of
// the database o names, which must hold no rows.
func restorePostgres(ctx context.Context, o Options, path string, progress Progress) (BackupInfo, error) {
	f, r, info, err := readPostgresBackup(path, DriverPostgres)
	if err != nil {
		return info, err
	}
	defer f.Close()
	err = intoPostgres(ctx, o, info, func(c *pgx.Conn) error { return loadPostgres(ctx, c, r, info, progress) })
	if err != nil {
		return info, fmt.Errorf("restore %s: %w", path, err)
	}
	return info, nil
}

// readPostgresBackup opens a PostgreSQL backup, reads its header and checks
// that its schema is one this build knows for driver; r reads on from the
// first table, and f is to be closed.
func readPostgresBackup(path, driver string) (f *os.File, r *bufio.Reader, info BackupInfo, err error) {
	f, err = os.Open(path)
	if err != nil {
		return nil, nil, info, err
	}
	gz, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		f.Close()
		return nil, nil, info, errs.Errorf(errs.EINVALID, "%s is not a Tocsin backup: %v", path, err)
	}
	r = bufio.NewReaderSize(gz, 1<<16)
	info, err = readHeader(r)
	if err != nil {
		f.Close()
		return nil, nil, info, errs.Errorf(errs.EINVALID, "%s is not a Tocsin backup, or is damaged: %v", path, err)
	}
	if err := checkSchema(info, driver); err != nil {
		f.Close()
		return nil, nil, info, err
	}
	return f, r, info, nil
}

// intoPostgres takes the empty PostgreSQL database o names to the backup's
// schema, has load fill it (in one transaction of its own) and migrates it
// forward.
func intoPostgres(ctx context.Context, o Options, info BackupInfo, load func(c *pgx.Conn) error) error {
	d := &DB{postgres: true, now: func() time.Time { return o.Now().UTC() }, log: o.Logger, stmts: map[string]string{}}
	if err := d.openPostgres(o.DSN, 0); err != nil {
		return err
	}
	defer d.Close()
	if err := d.write.PingContext(ctx); err != nil {
		return fmt.Errorf("connect to the postgres database: %w", err)
	}
	if err := d.checkNotNewer(ctx); err != nil {
		return err
	}
	var tables []string
	if err := withPgx(ctx, d.read, func(c *pgx.Conn) (err error) {
		tables, err = pgTables(ctx, c)
		return err
	}); err != nil {
		return err
	}
	held, err := d.contents(ctx, tables)
	if err != nil {
		return err
	}
	if len(held) > 0 {
		return notEmpty("the PostgreSQL database", held)
	}
	current, err := d.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if current > info.Schema {
		// An empty database a newer build set up: take it back to the
		// backup's schema, so the rows fit the tables.
		p, err := d.provider(ctx)
		if err != nil {
			return err
		}
		if _, err := p.DownTo(ctx, info.Schema); err != nil {
			return fmt.Errorf("take the empty database back to schema %d: %w", info.Schema, err)
		}
	} else if err := d.migrateTo(ctx, info.Schema); err != nil {
		return err
	}
	if err := withPgx(ctx, d.write, load); err != nil {
		return err
	}
	if err := d.migrate(ctx); err != nil {
		return err
	}
	return nil
}

// readHeader reads and checks the first line of a PostgreSQL backup.
func readHeader(r *bufio.Reader) (BackupInfo, error) {
	var info BackupInfo
	line, err := readLine(r, maxHeader)
	if err != nil {
		return info, err
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&info); err != nil || info.Kind != backupKind {
		return info, errors.New("its first line is not a Tocsin backup header")
	}
	if info.Format != backupFormat {
		return info, fmt.Errorf("it is in backup format %d; this tocsin reads format %d", info.Format, backupFormat)
	}
	if info.Driver != DriverPostgres {
		return info, fmt.Errorf("its header names the driver %q", info.Driver)
	}
	return info, nil
}

// readLine reads one line of at most limit bytes, without its newline.
func readLine(r *bufio.Reader, limit int) ([]byte, error) {
	var line []byte
	for {
		part, err := r.ReadSlice('\n')
		line = append(line, part...)
		if len(line) > limit {
			return nil, fmt.Errorf("a line longer than %d bytes", limit)
		}
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return nil, readErr(err)
		}
	}
}

// readErr says what a failed read of a backup means for the user.
func readErr(err error) error {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("the file ends early: it was cut short")
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
		return fmt.Errorf("the file is damaged: %w", err)
	}
	return err
}

// loadPostgres copies every table of the backup in one transaction and
// sets each identity sequence past both the backup's value and the
// largest id loaded.
func loadPostgres(ctx context.Context, c *pgx.Conn, r *bufio.Reader, info BackupInfo, progress Progress) error {
	tx, err := c.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit it does nothing
	have, err := pgTables(ctx, tx)
	if err != nil {
		return err
	}
	if err := clearBookkeeping(have, func(table string) error {
		_, err := tx.Exec(ctx, "DELETE FROM "+quoteIdent(table))
		return err
	}); err != nil {
		return err
	}
	for _, t := range info.Tables {
		if !slices.Contains(have, t.Name) {
			return fmt.Errorf("the backup has a table %s that schema %d does not have", t.Name, info.Schema)
		}
		if err := sectionStart(r, t.Name); err != nil {
			return err
		}
		sec := &copySection{r: r}
		tag, err := tx.Conn().PgConn().CopyFrom(ctx, sec, "COPY "+quoteIdent(t.Name)+" ("+quoteIdents(t.Columns)+") FROM STDIN")
		if sec.err != nil {
			return fmt.Errorf("table %s: %w", t.Name, sec.err)
		}
		if err != nil {
			return fmt.Errorf("load %s: %w", t.Name, err)
		}
		if tag.RowsAffected() != t.Rows {
			return fmt.Errorf("table %s: the file holds %d rows, its header says %d: it is damaged", t.Name, tag.RowsAffected(), t.Rows)
		}
		for col, last := range t.Sequences {
			if _, err := tx.Exec(ctx, "SELECT setval(pg_get_serial_sequence($1, $2), GREATEST($3::bigint, (SELECT COALESCE(MAX("+quoteIdent(col)+"), 0) FROM "+quoteIdent(t.Name)+")::bigint, 1))",
				quoteIdent(t.Name), col, last); err != nil {
				return fmt.Errorf("set the sequence of %s.%s: %w", t.Name, col, err)
			}
		}
		if t.Rows >= progressRows {
			progress(fmt.Sprintf("%s: %d rows", t.Name, t.Rows))
		}
	}
	if err := sectionEnd(r); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// copySection reads the COPY data of one table: lines up to the line `\.`,
// which it does not pass on. A file that ends before it is cut short.
type copySection struct {
	r    *bufio.Reader
	done bool
	mid  bool // the last read ended inside a line
	buf  []byte
	err  error
}

func (s *copySection) Read(p []byte) (int, error) {
	for len(s.buf) == 0 {
		if s.done {
			return 0, io.EOF
		}
		line, err := s.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			s.buf = append(s.buf[:0], line...)
			s.mid = true
			break
		}
		if err != nil {
			s.err = readErr(err)
			return 0, s.err
		}
		if !s.mid && string(line) == "\\.\n" {
			s.done = true
			return 0, io.EOF
		}
		s.mid = false
		s.buf = append(s.buf[:0], line...)
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}
