// Package uptimekuma imports Uptime Kuma's monitors, notifications, tags
// and maintenance windows, from its JSON backup or from its SQLite
// database (kuma.db), which it opens read-only and never changes.
package uptimekuma

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// MaxBackupSize bounds the JSON backup read.
const MaxBackupSize = 64 << 20

// Source is what was read from Uptime Kuma, by either reader.
type Source struct {
	Notifications []Row
	Monitors      []Row
	// Maintenance is only in the database: the JSON backup has none.
	Maintenance []Row
	// FromDB says the source was kuma.db (its columns are snake_case).
	FromDB bool
}

// Row is one record: a JSON object of the backup or a database row. Its
// getters accept Uptime Kuma's loose types (1 or true, "80" or 80).
type Row map[string]any

// Str returns the first of keys that is set, as text.
func (r Row) Str(keys ...string) string {
	for _, k := range keys {
		switch v := r[k].(type) {
		case nil:
			continue
		case string:
			return v
		case []byte:
			return string(v)
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		case int64:
			return strconv.FormatInt(v, 10)
		case bool:
			return strconv.FormatBool(v)
		case time.Time:
			return v.UTC().Format("2006-01-02 15:04:05")
		default:
			return fmt.Sprint(v)
		}
	}
	return ""
}

// Num returns the first of keys that is set, as a number (0 if none is).
func (r Row) Num(keys ...string) float64 {
	for _, k := range keys {
		switch v := r[k].(type) {
		case float64:
			return v
		case int64:
			return float64(v)
		case bool:
			if v {
				return 1
			}
			return 0
		case string, []byte:
			f, err := strconv.ParseFloat(strings.TrimSpace(r.Str(k)), 64)
			if err == nil {
				return f
			}
		}
	}
	return 0
}

// Int is Num as an int64.
func (r Row) Int(keys ...string) int64 { return int64(r.Num(keys...)) }

// Bool returns the first of keys that is set, as a boolean.
func (r Row) Bool(def bool, keys ...string) bool {
	for _, k := range keys {
		switch v := r[k].(type) {
		case bool:
			return v
		case float64, int64:
			return r.Num(k) != 0
		case string:
			b, err := strconv.ParseBool(v)
			if err == nil {
				return b
			}
		}
	}
	return def
}

// ReadBackup reads the JSON backup Uptime Kuma's settings page exports
// (version, notificationList, monitorList).
func ReadBackup(r io.Reader) (*Source, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBackupSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxBackupSize {
		return nil, fmt.Errorf("the backup is larger than the %d MiB limit", MaxBackupSize>>20)
	}
	var b struct {
		Version          string `json:"version"`
		NotificationList []Row  `json:"notificationList"`
		MonitorList      []Row  `json:"monitorList"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("not an Uptime Kuma backup: %w", jsonError(data, err))
	}
	if b.MonitorList == nil && b.NotificationList == nil {
		return nil, errors.New("not an Uptime Kuma backup: it has neither monitorList nor notificationList")
	}
	s := &Source{Notifications: b.NotificationList, Monitors: b.MonitorList}
	for _, list := range [][]Row{s.Notifications, s.Monitors} {
		for _, row := range list {
			normalize(row)
		}
	}
	for _, n := range s.Notifications {
		// The backup holds each notification's settings as a JSON text.
		if cfg, ok := n["config"].(string); ok {
			var c Row
			if err := json.Unmarshal([]byte(cfg), &c); err == nil {
				n["config"] = c
			}
		}
	}
	return s, nil
}

// normalize turns json.Number values into float64, so Row's getters see
// one numeric type.
func normalize(r Row) {
	for k, v := range r {
		if n, ok := v.(json.Number); ok {
			f, _ := n.Float64()
			r[k] = f
		}
	}
}

// jsonError adds the line and column to a JSON syntax error.
func jsonError(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(data[:se.Offset], []byte("\n"))
		col := int(se.Offset) - bytes.LastIndexByte(data[:se.Offset], '\n') - 1
		return fmt.Errorf("line %d, column %d: %w", line, col, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return errors.New("the JSON ends too early: the file is truncated")
	}
	return err
}

// sqliteMagic starts every SQLite database file.
const sqliteMagic = "SQLite format 3\x00"

// ReadDB reads kuma.db. The file is opened read-only and immutable, so
// nothing is written to it nor beside it, even while Uptime Kuma runs;
// what Uptime Kuma has not yet copied from its write-ahead log into the
// file is not seen, and a warning says so. tick, if set, is called once
// per row read.
func ReadDB(ctx context.Context, path string, tick func()) (*Source, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	head := make([]byte, len(sqliteMagic))
	_, err = io.ReadFull(f, head)
	f.Close()
	if err != nil || string(head) != sqliteMagic {
		return nil, nil, fmt.Errorf("%s is not an SQLite database (Uptime Kuma's kuma.db is one; a backup ends in .json)", path)
	}
	var warnings []string
	if st, err := os.Stat(path + "-wal"); err == nil && st.Size() > 0 {
		warnings = append(warnings, fmt.Sprintf("%s-wal holds changes not yet in %s; they are not read: stop Uptime Kuma first to import its latest state", path, filepath.Base(path)))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, nil, err
	}
	dsn := (&url.URL{Scheme: "file", Path: abs, RawQuery: "mode=ro&immutable=1"}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, nil, err
	}
	defer db.Close()
	r := &dbReader{ctx: ctx, db: db, tick: tick}
	tables, err := r.tables()
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if !tables["monitor"] {
		return nil, nil, fmt.Errorf("%s has no monitor table: not an Uptime Kuma database", path)
	}
	s := &Source{FromDB: true}
	if s.Monitors, err = r.rows("SELECT * FROM monitor ORDER BY id"); err != nil {
		return nil, nil, fmt.Errorf("reading %s: monitors: %w", path, err)
	}
	byID := make(map[int64]Row, len(s.Monitors))
	for _, m := range s.Monitors {
		byID[m.Int("id")] = m
	}
	if tables["notification"] {
		if s.Notifications, err = r.rows("SELECT * FROM notification ORDER BY id"); err != nil {
			return nil, nil, fmt.Errorf("reading %s: notifications: %w", path, err)
		}
		for _, n := range s.Notifications {
			var c Row
			if err := json.Unmarshal([]byte(n.Str("config")), &c); err == nil {
				n["config"] = c
			}
		}
	}
	if tables["monitor_notification"] {
		links, err := r.rows("SELECT monitor_id, notification_id FROM monitor_notification ORDER BY id")
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s: monitor_notification: %w", path, err)
		}
		for _, l := range links {
			if m, ok := byID[l.Int("monitor_id")]; ok {
				ids, _ := m["notificationIDList"].(map[string]any)
				if ids == nil {
					ids = map[string]any{}
					m["notificationIDList"] = ids
				}
				ids[l.Str("notification_id")] = true
			}
		}
	}
	if tables["tag"] && tables["monitor_tag"] {
		tags, err := r.rows("SELECT mt.monitor_id, mt.value, t.name FROM monitor_tag mt JOIN tag t ON t.id = mt.tag_id ORDER BY t.name, mt.value")
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s: tags: %w", path, err)
		}
		for _, t := range tags {
			if m, ok := byID[t.Int("monitor_id")]; ok {
				list, _ := m["tags"].([]any)
				m["tags"] = append(list, map[string]any{"name": t.Str("name"), "value": t.Str("value")})
			}
		}
	}
	if tables["maintenance"] {
		if s.Maintenance, err = r.rows("SELECT * FROM maintenance ORDER BY id"); err != nil {
			return nil, nil, fmt.Errorf("reading %s: maintenance: %w", path, err)
		}
		if tables["monitor_maintenance"] {
			links, err := r.rows("SELECT monitor_id, maintenance_id FROM monitor_maintenance ORDER BY id")
			if err != nil {
				return nil, nil, fmt.Errorf("reading %s: monitor_maintenance: %w", path, err)
			}
			byMW := map[int64]Row{}
			for _, w := range s.Maintenance {
				byMW[w.Int("id")] = w
			}
			for _, l := range links {
				if w, ok := byMW[l.Int("maintenance_id")]; ok {
					list, _ := w["monitors"].([]int64)
					w["monitors"] = append(list, l.Int("monitor_id"))
				}
			}
		}
	}
	return s, warnings, nil
}

type dbReader struct {
	ctx  context.Context
	db   *sql.DB
	tick func()
}

func (r *dbReader) tables() (map[string]bool, error) {
	rows, err := r.rows("SELECT name FROM sqlite_master WHERE type = 'table'")
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, row := range rows {
		out[row.Str("name")] = true
	}
	return out, nil
}

func (r *dbReader) rows(query string) ([]Row, error) {
	rows, err := r.db.QueryContext(r.ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []Row
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make(Row, len(cols))
		for i, c := range cols {
			row[c] = vals[i]
		}
		out = append(out, row)
		if r.tick != nil {
			r.tick()
		}
	}
	return out, rows.Err()
}
