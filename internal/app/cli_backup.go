package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/text"
)

const (
	backupUsage  = "usage: tocsin backup [--config FILE] FILE"
	restoreUsage = "usage: tocsin restore [--config FILE] FILE"
)

// cmdBackup writes a consistent copy of the database the configuration
// names to a file, while the server goes on using the database. It
// neither migrates nor writes the database.
func cmdBackup(ctx context.Context, args []string, env Env) int {
	fs, path := newFlagSet("backup", env)
	quiet := fs.Bool("quiet", false, "print nothing but errors")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(env.Stderr, backupUsage)
		return 2
	}
	cfg, code := loadConfig(*path, env)
	if code != 0 {
		return code
	}
	st, err := openReadOnly(ctx, cfg)
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin backup: %v\n", err)
		return 1
	}
	defer st.Close()
	start := time.Now()
	info, err := st.Backup(ctx, pos[0], progressTo(env, "backup", *quiet))
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin backup: %v\n", err)
		return 1
	}
	if !*quiet {
		fmt.Fprintf(env.Stderr, "tocsin backup: wrote %s: %s database at schema %d, %s in %s, %s\n",
			pos[0], info.Driver, info.Schema, text.Plural(int(info.Rows()), "row"), text.Plural(len(info.Tables), "table"), time.Since(start).Round(time.Millisecond))
	}
	return 0
}

// cmdRestore loads a backup into the empty database the configuration
// names, and migrates it to this version's schema.
func cmdRestore(ctx context.Context, args []string, env Env) int {
	fs, path := newFlagSet("restore", env)
	quiet := fs.Bool("quiet", false, "print nothing but errors")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(env.Stderr, restoreUsage)
		return 2
	}
	cfg, code := loadConfig(*path, env)
	if code != 0 {
		return code
	}
	if _, err := os.Stat(pos[0]); err != nil {
		fmt.Fprintf(env.Stderr, "tocsin restore: %v\n", err)
		return 1
	}
	start := time.Now()
	info, err := sqlstore.Restore(ctx, storeOptions(cfg, slog.New(slog.NewTextHandler(io.Discard, nil))), pos[0], progressTo(env, "restore", *quiet))
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin restore: %v\n", err)
		return 1
	}
	if !*quiet {
		fmt.Fprintf(env.Stderr, "tocsin restore: loaded %s: %s in %s from schema %d, now at schema %d, in %s\n",
			pos[0], text.Plural(int(info.Rows()), "row"), text.Plural(len(info.Tables), "table"), info.Schema, sqlstore.KnownSchema(info.Driver), time.Since(start).Round(time.Millisecond))
	}
	return 0
}

// progressTo writes progress lines to standard error.
func progressTo(env Env, cmd string, quiet bool) sqlstore.Progress {
	if quiet {
		return nil
	}
	return func(line string) { fmt.Fprintf(env.Stderr, "tocsin %s: %s\n", cmd, line) }
}
