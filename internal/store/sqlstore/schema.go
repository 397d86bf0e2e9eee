package sqlstore

import (
	"context"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/tocsin/tocsin/internal/errs"
)

// versionTable is the table in which goose records applied migrations.
const versionTable = "goose_db_version"

// migrationsDir is the embedded folder of the dialect's migrations.
func (d *DB) migrationsDir() string {
	if d.postgres {
		return "migrations/postgres"
	}
	return "migrations/sqlite"
}

// KnownSchema is the newest schema version this build can write for
// driver ("sqlite" or "postgres"): the number of its last migration.
func KnownSchema(driver string) int64 {
	d := &DB{postgres: driver == DriverPostgres}
	entries, err := fs.ReadDir(migrations, d.migrationsDir())
	if err != nil {
		return 0
	}
	var top int64
	for _, e := range entries {
		v, err := goose.NumericComponent(e.Name())
		if err == nil && v > top {
			top = v
		}
	}
	return top
}

// SchemaVersion returns the newest migration recorded in the database, 0
// for a database Tocsin has never migrated.
func (d *DB) SchemaVersion(ctx context.Context) (int64, error) {
	var exists bool
	var err error
	if d.postgres {
		err = d.read.QueryRowContext(ctx, "SELECT to_regclass('"+versionTable+"') IS NOT NULL").Scan(&exists)
	} else {
		err = d.read.QueryRowContext(ctx, "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '"+versionTable+"'").Scan(&exists)
	}
	if err != nil {
		return 0, fmt.Errorf("read the schema version of the %s database: %w", d.dialectName(), err)
	}
	if !exists {
		return 0, nil
	}
	var v int64
	if err := d.read.QueryRowContext(ctx, "SELECT COALESCE(MAX(version_id), 0) FROM "+versionTable+" WHERE is_applied").Scan(&v); err != nil {
		return 0, fmt.Errorf("read the schema version of the %s database: %w", d.dialectName(), err)
	}
	return v, nil
}

// checkNotNewer refuses a database that a newer Tocsin has migrated: this
// build would not know its tables, and writing to it could lose data.
func (d *DB) checkNotNewer(ctx context.Context) error {
	v, err := d.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if known := KnownSchema(d.dialectName()); v > known {
		return errs.Errorf(errs.EINVALID, "the %s database is at schema %d, and this tocsin knows schemas up to %d: a newer tocsin has used it. "+
			"Upgrade tocsin to that version or later, or restore a backup taken before the upgrade (docs/operations.md, \"Upgrades\")",
			d.dialectName(), v, known)
	}
	return nil
}

// migrate applies every pending migration.
func (d *DB) migrate(ctx context.Context) error { return d.migrateTo(ctx, 0) }

// migrateTo applies the pending migrations up to version, or every one
// when version is 0. It refuses a database newer than this build.
func (d *DB) migrateTo(ctx context.Context, version int64) error {
	if err := d.checkNotNewer(ctx); err != nil {
		return err
	}
	p, err := d.provider(ctx)
	if err != nil {
		return err
	}
	var results []*goose.MigrationResult
	if version == 0 {
		results, err = p.Up(ctx)
	} else {
		results, err = p.UpTo(ctx, version)
	}
	if err != nil {
		return fmt.Errorf("migrate the %s database: %w", d.dialectName(), err)
	}
	for _, r := range results {
		d.log.Info("applied database migration", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	return nil
}

// provider is the goose migration provider of the dialect.
func (d *DB) provider(ctx context.Context) (*goose.Provider, error) {
	dialect := goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if d.postgres {
		dialect = goose.DialectPostgres
		// Migrations are per schema, so the advisory lock is too: replicas
		// sharing a schema wait for each other, other schemas do not.
		var schema string
		if err := d.write.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			return nil, fmt.Errorf("read the PostgreSQL schema: %w", err)
		}
		h := fnv.New64a()
		h.Write([]byte("tocsin migrations " + schema))
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, fmt.Errorf("set up the migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	sub, err := fs.Sub(migrations, d.migrationsDir())
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	p, err := goose.NewProvider(dialect, d.write, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("prepare database migrations: %w", err)
	}
	return p, nil
}
