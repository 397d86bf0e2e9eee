package sqlstore

import (
	"context"
	"log/slog"
	"time"
)

// MigrateTo sets the database o names up at schema version, as an older
// tocsin would have left it.
func MigrateTo(ctx context.Context, o Options, version int64) error {
	d := &DB{postgres: o.Driver == DriverPostgres, now: time.Now, log: slog.New(slog.DiscardHandler),
		walRestartFrames: defaultWALRestartFrames, stmts: map[string]string{}}
	var err error
	if d.postgres {
		err = d.openPostgres(o.DSN, 0)
	} else {
		err = d.openSQLite(o.DSN)
	}
	if err != nil {
		return err
	}
	defer d.Close()
	return d.migrateTo(ctx, version)
}
