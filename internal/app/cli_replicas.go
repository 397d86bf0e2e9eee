package app

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/tocsin/tocsin/internal/replica"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
)

const replicasUsage = "usage: tocsin replicas [--config FILE] [--json]"

// replicaJSON is one replica in `tocsin replicas --json`.
type replicaJSON struct {
	ID         string    `json:"id"`
	Live       bool      `json:"live"`
	Host       string    `json:"host"`
	PID        int       `json:"pid"`
	Address    string    `json:"address"`
	Version    string    `json:"version"`
	Started    time.Time `json:"started"`
	LastSeen   time.Time `json:"last_seen"`
	Buckets    int       `json:"buckets"`
	Monitors   int       `json:"monitors"`
	LagSeconds float64   `json:"lag_seconds"`
}

// cmdReplicas lists the replicas sharing the configured PostgreSQL
// database, what each holds and how late it runs, from the registry they
// heartbeat. It reads the database only.
func cmdReplicas(ctx context.Context, args []string, env Env) int {
	fs, path := newFlagSet("replicas", env)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 0 {
		fmt.Fprintln(env.Stderr, replicasUsage)
		return 2
	}
	cfg, code := loadConfig(*path, env)
	if code != 0 {
		return code
	}
	if cfg.Storage.Driver != sqlstore.DriverPostgres {
		if *asJSON {
			writeJSON(env.Stdout, []replicaJSON{})
			return 0
		}
		fmt.Fprintf(env.Stdout, "storage is SQLite: one process serves it (%s), which runs every monitor; several replicas need storage.driver: postgres (docs/high-availability.md)\n", cfg.Server.ReplicaName())
		return 0
	}
	st, err := openReadOnly(ctx, cfg)
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin replicas: %v\n", err)
		return 1
	}
	defer st.Close()
	rows, err := st.Replicas(ctx)
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin replicas: %v\n", err)
		return 1
	}
	now := time.Now()
	list := replicaRows(rows, now, cfg.Server.LeaseTTL.D())
	if *asJSON {
		writeJSON(env.Stdout, list)
		return 0
	}
	if len(list) == 0 {
		fmt.Fprintln(env.Stdout, "no replica has joined yet: start `tocsin serve` with this configuration")
		return 0
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPLICA\tSTATE\tMONITORS\tBUCKETS\tLAG\tLAST SEEN\tUP SINCE\tADDRESS\tHOST\tPID\tVERSION")
	for _, r := range list {
		state := "live"
		if !r.Live {
			state = "gone"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d/%d\t%s\t%s ago\t%s\t%s\t%s\t%d\t%s\n", r.ID, state, r.Monitors, r.Buckets, replica.DefaultBuckets,
			time.Duration(r.LagSeconds*float64(time.Second)).Round(time.Millisecond), now.Sub(r.LastSeen).Round(time.Second),
			r.Started.Format(time.RFC3339), r.Address, r.Host, r.PID, r.Version)
	}
	_ = tw.Flush()
	return 0
}

// replicaRows turns registry rows into what `tocsin replicas` shows: a
// replica is live while its last heartbeat is within the lease time.
func replicaRows(rows []store.Replica, now time.Time, ttl time.Duration) []replicaJSON {
	out := make([]replicaJSON, 0, len(rows))
	for _, r := range rows {
		out = append(out, replicaJSON{
			ID: r.ID, Live: now.Sub(r.Seen) < ttl, Host: r.Host, PID: r.PID, Address: r.Address, Version: r.Version,
			Started: r.Started, LastSeen: r.Seen, Buckets: r.Buckets, Monitors: r.Monitors, LagSeconds: r.Lag.Seconds(),
		})
	}
	return out
}
