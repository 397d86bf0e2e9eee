package sqlstore

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// A backup restores into the other driver too: both backups are rows by
// table and named column (a SQLite file; COPY text under a header), and
// both drivers have the same tables, columns and schema numbers, but for
// these differences, which the restore translates:
//
//   - PostgreSQL keeps booleans as boolean, SQLite as 0 and 1;
//   - PostgreSQL packs closed slices of results into result_packs
//     (pack.go); SQLite has no packs, so a restore into it unpacks them
//     into results. A restore into PostgreSQL loads every result as a row,
//     and the server's compaction packs them again;
//   - result_writes is PostgreSQL's bookkeeping of result inserts, which
//     SQLite does not need;
//   - ids: PostgreSQL's identity sequences and SQLite's AUTOINCREMENT
//     counters are both set past the largest id the source handed out.

// pgOnlyBookkeeping are PostgreSQL tables a SQLite database does without.
var pgOnlyBookkeeping = []string{"result_writes"}

// packTable holds PostgreSQL's packed results.
const packTable = "result_packs"

// restoreSQLiteIntoPostgres loads a SQLite backup into the empty
// PostgreSQL database o names.
func restoreSQLiteIntoPostgres(ctx context.Context, o Options, path string, progress Progress) (BackupInfo, error) {
	src, info, err := readSQLiteBackup(ctx, path, DriverPostgres)
	if err != nil {
		return info, err
	}
	defer src.Close()
	err = intoPostgres(ctx, o, info, func(c *pgx.Conn) error { return loadSQLiteIntoPostgres(ctx, c, src, info, progress) })
	if err != nil {
		return info, fmt.Errorf("restore %s: %w", path, err)
	}
	return info, nil
}

func loadSQLiteIntoPostgres(ctx context.Context, c *pgx.Conn, src *sql.DB, info BackupInfo, progress Progress) error {
	tx, err := c.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit it does nothing
	have, err := pgTables(ctx, tx)
	if err != nil {
		return err
	}
	backup := map[string]BackupTable{}
	for _, t := range info.Tables {
		if t.Name == "sqlite_sequence" {
			continue
		}
		if !slices.Contains(have, t.Name) {
			return fmt.Errorf("the backup has a table %s that schema %d does not have", t.Name, info.Schema)
		}
		backup[t.Name] = t
	}
	if err := clearBookkeeping(have, func(table string) error {
		_, err := tx.Exec(ctx, "DELETE FROM "+quoteIdent(table))
		return err
	}); err != nil {
		return err
	}
	counters, err := sqliteCounters(ctx, src)
	if err != nil {
		return err
	}
	// The target's order loads the rows a foreign key refers to first.
	for _, name := range have {
		t, ok := backup[name]
		if !ok {
			continue
		}
		colRows, err := src.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", name)
		if err != nil {
			return fmt.Errorf("read the columns of %s: %w", name, err)
		}
		cols, err := scanStrings(colRows)
		if err != nil {
			return fmt.Errorf("read the columns of %s: %w", name, err)
		}
		types, err := pgColumnTypes(ctx, tx, name)
		if err != nil {
			return err
		}
		for _, col := range cols {
			if _, ok := types[col]; !ok {
				return fmt.Errorf("the backup's table %s has a column %s that schema %d does not have", name, col, info.Schema)
			}
		}
		rows, err := src.QueryContext(ctx, "SELECT "+quoteIdents(cols)+" FROM "+quoteIdent(name))
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		rs := &sqliteRows{rows: rows, table: name, cols: cols, types: types, vals: make([]any, len(cols))}
		n, err := tx.CopyFrom(ctx, pgx.Identifier{name}, cols, rs)
		rows.Close()
		if rs.err != nil {
			return rs.err
		}
		if err != nil {
			return fmt.Errorf("load %s: %w", name, err)
		}
		if n != t.Rows {
			return fmt.Errorf("load %s: %d rows of %d", name, n, t.Rows)
		}
		ids, err := pgIdentities(ctx, tx, name)
		if err != nil {
			return err
		}
		for _, col := range ids {
			if _, err := tx.Exec(ctx, "SELECT setval(pg_get_serial_sequence($1, $2), GREATEST($3::bigint, (SELECT COALESCE(MAX("+quoteIdent(col)+"), 0) FROM "+quoteIdent(name)+")::bigint, 1))",
				quoteIdent(name), col, counters[name]); err != nil {
				return fmt.Errorf("set the sequence of %s.%s: %w", name, col, err)
			}
		}
		if t.Rows >= progressRows {
			progress(fmt.Sprintf("%s: %d rows", name, t.Rows))
		}
	}
	return tx.Commit(ctx)
}

// sqliteCounters reads a SQLite database's AUTOINCREMENT counters by table.
func sqliteCounters(ctx context.Context, db *sql.DB) (map[string]int64, error) {
	out := map[string]int64{}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_sequence'").Scan(&n); err != nil || n == 0 {
		return out, err
	}
	rows, err := db.QueryContext(ctx, "SELECT name, seq FROM sqlite_sequence")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var seq int64
		if err := rows.Scan(&name, &seq); err != nil {
			return nil, err
		}
		out[name] = seq
	}
	return out, rows.Err()
}

// pgColumnTypes returns the data types of a table's columns by name.
func pgColumnTypes(ctx context.Context, q pgQuerier, table string) (map[string]string, error) {
	rows, err := q.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = $1`, table)
	if err != nil {
		return nil, fmt.Errorf("list the columns of %s: %w", table, err)
	}
	out := map[string]string{}
	var name, typ string
	_, err = pgx.ForEachRow(rows, []any{&name, &typ}, func() error {
		out[name] = typ
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the columns of %s: %w", table, err)
	}
	return out, nil
}

// sqliteRows feeds the rows of a SQLite table to COPY, each value turned
// into what its PostgreSQL column takes. Text is made valid UTF-8 without
// NUL bytes, as the store writes it: PostgreSQL refuses anything else, and
// one such value would fail the whole restore.
type sqliteRows struct {
	rows  *sql.Rows
	table string
	cols  []string
	types map[string]string
	vals  []any
	n     int64
	err   error
}

func (s *sqliteRows) Next() bool {
	if s.err != nil || !s.rows.Next() {
		if s.err == nil {
			s.err = s.rows.Err()
		}
		return false
	}
	s.n++
	ptrs := make([]any, len(s.vals))
	raw := make([]any, len(s.vals))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := s.rows.Scan(ptrs...); err != nil {
		s.err = fmt.Errorf("read %s: %w", s.table, err)
		return false
	}
	for i, v := range raw {
		out, err := toPostgres(v, s.types[s.cols[i]])
		if err != nil {
			s.err = fmt.Errorf("table %s, row %d, column %s: %w", s.table, s.n, s.cols[i], err)
			return false
		}
		s.vals[i] = out
	}
	return true
}

func (s *sqliteRows) Values() ([]any, error) { return s.vals, nil }
func (s *sqliteRows) Err() error             { return s.err }

// toPostgres converts a value SQLite returned to one of PostgreSQL's type
// typ (information_schema's data_type).
func toPostgres(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "boolean":
		switch v := v.(type) {
		case int64:
			return v != 0, nil
		case string:
			return strconv.ParseBool(v)
		}
	case "bytea":
		switch v := v.(type) {
		case []byte:
			return v, nil
		case string:
			return []byte(v), nil
		}
	case "text":
		switch v := v.(type) {
		case string:
			return text(v), nil
		case []byte:
			return text(string(v)), nil
		case int64:
			return strconv.FormatInt(v, 10), nil
		case float64:
			return strconv.FormatFloat(v, 'g', -1, 64), nil
		}
	case "smallint", "integer", "bigint":
		switch v := v.(type) {
		case int64:
			return v, nil
		case float64:
			if v == float64(int64(v)) {
				return int64(v), nil
			}
		case string:
			return strconv.ParseInt(v, 10, 64)
		}
	default:
		return v, nil
	}
	return nil, fmt.Errorf("a %T value %.40v does not fit a %s column", v, v, typ)
}

// restorePostgresIntoSQLite loads a PostgreSQL backup into a new SQLite
// file, put in place of the missing or empty one o names.
func restorePostgresIntoSQLite(ctx context.Context, o Options, path string, progress Progress) (BackupInfo, error) {
	if err := checkSQLiteDSN(o.DSN); err != nil {
		return BackupInfo{}, err
	}
	f, r, info, err := readPostgresBackup(path, DriverSQLite)
	if err != nil {
		return info, err
	}
	defer f.Close()
	return info, intoSQLite(ctx, o, path, info, func(d *DB) error {
		if err := d.migrateTo(ctx, info.Schema); err != nil {
			return err
		}
		return d.loadPostgresBackup(ctx, r, info, progress)
	})
}

// loadPostgresBackup reads the tables of a PostgreSQL backup from r into
// this SQLite database in one transaction.
func (d *DB) loadPostgresBackup(ctx context.Context, r *bufio.Reader, info BackupInfo, progress Progress) error {
	c, err := d.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	if _, err := tx.ExecContext(ctx, "PRAGMA defer_foreign_keys = ON"); err != nil {
		return err
	}
	have, err := txStrings(ctx, tx, "SELECT name FROM sqlite_master WHERE type = 'table'")
	if err != nil {
		return err
	}
	if err := clearBookkeeping(have, func(table string) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM "+quoteIdent(table))
		return err
	}); err != nil {
		return err
	}
	for _, t := range info.Tables {
		if err := sectionStart(r, t.Name); err != nil {
			return err
		}
		var rows int64
		switch {
		case slices.Contains(have, t.Name):
			rows, err = loadCopyRows(ctx, tx, r, t)
		case t.Name == packTable:
			rows, err = unpackCopyRows(ctx, tx, r, t)
		case slices.Contains(pgOnlyBookkeeping, t.Name):
			rows, err = eachCopyRow(r, t, func([]any) error { return nil })
		default:
			return fmt.Errorf("the backup has a table %s that schema %d does not have", t.Name, info.Schema)
		}
		if err != nil {
			return err
		}
		if rows != t.Rows {
			return fmt.Errorf("table %s: the file holds %d rows, its header says %d: it is damaged", t.Name, rows, t.Rows)
		}
		for col, last := range t.Sequences {
			if err := setSQLiteCounter(ctx, tx, t.Name, col, last); err != nil {
				return err
			}
		}
		if t.Rows >= progressRows {
			progress(fmt.Sprintf("%s: %d rows", t.Name, t.Rows))
		}
	}
	if err := sectionEnd(r); err != nil {
		return err
	}
	return tx.Commit()
}

// clearBookkeeping empties, with del, the bookkeeping tables among have,
// whose rows a restore replaces with the backup's.
func clearBookkeeping(have []string, del func(table string) error) error {
	for _, t := range bookkeeping {
		if slices.Contains(have, t) {
			if err := del(t); err != nil {
				return err
			}
		}
	}
	return nil
}

// sectionStart reads the line that begins the rows of table name.
func sectionStart(r *bufio.Reader, name string) error {
	line, err := readLine(r, 1024)
	if err != nil {
		return fmt.Errorf("before table %s: %w", name, err)
	}
	var mark struct {
		Table string `json:"table"`
	}
	if json.Unmarshal(line, &mark) != nil || mark.Table != name {
		return fmt.Errorf("the file is damaged: expected table %s, found %.80q", name, line)
	}
	return nil
}

// sectionEnd reads the line that ends the backup, and checks that nothing
// follows it.
func sectionEnd(r *bufio.Reader) error {
	end, err := readLine(r, 1024)
	if err != nil {
		return err
	}
	if string(end) != `{"end":true}` {
		return fmt.Errorf("the file is damaged: expected its end, found %.80q", end)
	}
	if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
		if err == nil {
			return errors.New("the file is damaged: there is more after its end")
		}
		return readErr(err)
	}
	return nil
}

// setSQLiteCounter sets the AUTOINCREMENT counter of table past last and
// past the largest id loaded, when the table has one.
func setSQLiteCounter(ctx context.Context, tx *sql.Tx, table, col string, last int64) error {
	var auto int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ? AND sql LIKE '%AUTOINCREMENT%'", table).Scan(&auto); err != nil || auto == 0 {
		return err
	}
	var top sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT MAX("+quoteIdent(col)+") FROM "+quoteIdent(table)).Scan(&top); err != nil {
		return err
	}
	seq := max(last, top.Int64)
	if _, err := tx.ExecContext(ctx, "DELETE FROM sqlite_sequence WHERE name = ?", table); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", table, seq); err != nil {
		return fmt.Errorf("set the counter of %s: %w", table, err)
	}
	return nil
}

// maxCopyLine bounds one row of a backup's COPY text.
const maxCopyLine = 1 << 30

// eachCopyRow reads the COPY text rows of table t up to the line `\.`,
// giving fn each row's values: nil for NULL, else the text unescaped. It
// returns how many rows it read.
func eachCopyRow(r *bufio.Reader, t BackupTable, fn func([]any) error) (int64, error) {
	var n int64
	vals := make([]any, len(t.Columns))
	for {
		line, err := readLine(r, maxCopyLine)
		if err != nil {
			return n, fmt.Errorf("table %s: %w", t.Name, err)
		}
		if string(line) == `\.` {
			return n, nil
		}
		n++
		fields := strings.Split(string(line), "\t")
		if len(fields) != len(t.Columns) {
			return n, fmt.Errorf("table %s, row %d: %d values for %d columns: the file is damaged", t.Name, n, len(fields), len(t.Columns))
		}
		for i, f := range fields {
			if f == `\N` {
				vals[i] = nil
				continue
			}
			vals[i] = unescapeCopy(f)
		}
		if err := fn(vals); err != nil {
			return n, fmt.Errorf("table %s, row %d: %w", t.Name, n, err)
		}
	}
}

// unescapeCopy undoes the backslash escapes of COPY's text format.
func unescapeCopy(f string) string {
	if !strings.Contains(f, `\`) {
		return f
	}
	b := make([]byte, 0, len(f))
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '\\' || i+1 == len(f) {
			b = append(b, c)
			continue
		}
		i++
		switch e := f[i]; e {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'v':
			b = append(b, '\v')
		case 'x':
			v, k := 0, 0
			for k < 2 && i+1 < len(f) && isHex(f[i+1]) {
				i++
				v = v*16 + hexVal(f[i])
				k++
			}
			if k == 0 {
				b = append(b, 'x')
			} else {
				b = append(b, byte(v))
			}
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := int(e - '0')
			for k := 1; k < 3 && i+1 < len(f) && f[i+1] >= '0' && f[i+1] <= '7'; k++ {
				i++
				v = v*8 + int(f[i]-'0')
			}
			b = append(b, byte(v))
		default:
			b = append(b, e)
		}
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func hexVal(c byte) int {
	switch {
	case c <= '9':
		return int(c - '0')
	case c >= 'a':
		return int(c-'a') + 10
	}
	return int(c-'A') + 10
}

// fromCopy converts a COPY text value to what a SQLite column of the
// declared type decl takes: integers (booleans as 0 and 1), bytes from
// bytea's hex form, or text.
func fromCopy(v any, decl string) (any, error) {
	s, ok := v.(string)
	if !ok {
		return v, nil // NULL
	}
	decl = strings.ToUpper(decl)
	switch {
	case strings.Contains(decl, "INT"):
		switch s {
		case "t":
			return int64(1), nil
		case "f":
			return int64(0), nil
		}
		return strconv.ParseInt(s, 10, 64)
	case strings.Contains(decl, "BLOB"):
		return byteaHex(s)
	}
	return s, nil
}

// byteaHex decodes bytea's hex output, \x followed by two digits a byte.
func byteaHex(s string) ([]byte, error) {
	h, ok := strings.CutPrefix(s, `\x`)
	if !ok {
		return nil, errors.New("a bytea value not in hex form (bytea_output = 'hex' is the default)")
	}
	return hex.DecodeString(h)
}

// loadCopyRows inserts the rows of table t of a PostgreSQL backup into the
// SQLite table of the same name.
func loadCopyRows(ctx context.Context, tx *sql.Tx, r *bufio.Reader, t BackupTable) (int64, error) {
	decl := map[string]string{}
	rows, err := tx.QueryContext(ctx, "SELECT name, type FROM pragma_table_info(?)", t.Name)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			rows.Close()
			return 0, err
		}
		decl[name] = typ
	}
	if err := rowsDone(rows); err != nil {
		return 0, err
	}
	for _, col := range t.Columns {
		if _, ok := decl[col]; !ok {
			return 0, fmt.Errorf("the backup's table %s has a column %s that this database does not have", t.Name, col)
		}
	}
	stmt, err := tx.PrepareContext(ctx, "INSERT INTO "+quoteIdent(t.Name)+" ("+quoteIdents(t.Columns)+") VALUES ("+strings.TrimSuffix(strings.Repeat("?, ", len(t.Columns)), ", ")+")")
	if err != nil {
		return 0, fmt.Errorf("load %s: %w", t.Name, err)
	}
	defer stmt.Close()
	args := make([]any, len(t.Columns))
	return eachCopyRow(r, t, func(vals []any) error {
		for i, v := range vals {
			a, err := fromCopy(v, decl[t.Columns[i]])
			if err != nil {
				return fmt.Errorf("column %s: %w", t.Columns[i], err)
			}
			args[i] = a
		}
		_, err := stmt.ExecContext(ctx, args...)
		return err
	})
}

// unpackCopyRows turns the packs of result_packs into rows of results.
func unpackCopyRows(ctx context.Context, tx *sql.Tx, r *bufio.Reader, t BackupTable) (int64, error) {
	at := map[string]int{}
	for i, c := range t.Columns {
		at[c] = i
	}
	for _, c := range []string{"monitor_key", "slice", "data"} {
		if _, ok := at[c]; !ok {
			return 0, fmt.Errorf("the backup's table %s has no column %s", t.Name, c)
		}
	}
	stmt, err := tx.PrepareContext(ctx, "INSERT INTO results ("+resultCols+") VALUES (?, ?, ?, ?, ?, ?)")
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	return eachCopyRow(r, t, func(vals []any) error {
		key, err1 := fromCopy(vals[at["monitor_key"]], "INTEGER")
		sl, err2 := fromCopy(vals[at["slice"]], "INTEGER")
		data, err3 := fromCopy(vals[at["data"]], "BLOB")
		if err := errors.Join(err1, err2, err3); err != nil {
			return err
		}
		k, _ := key.(int64)
		s, _ := sl.(int64)
		b, _ := data.([]byte)
		rs, err := decodePack(k, s, b, true)
		if err != nil {
			return fmt.Errorf("the results of monitor key %d in slice %d: %w", k, s, err)
		}
		for _, rec := range rs {
			var reason, detail any
			if rec.reason != "" {
				reason = rec.reason
			}
			if len(rec.detail) > 0 {
				detail = rec.detail
			}
			if _, err := stmt.ExecContext(ctx, rec.key, rec.t, rec.status, rec.dur, reason, detail); err != nil {
				return fmt.Errorf("a result of monitor key %d at %d: %w", rec.key, rec.t, err)
			}
		}
		return nil
	})
}
