package app

import (
	"context"
	"fmt"
	"os"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify/channels"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
)

const exportUsage = "usage: tocsin export [--config FILE] [--all] [--out FILE]"

// cmdExport prints the monitors created through the API (with --all, every
// monitor) as a configuration file holding only monitors, which reads back
// as it is and can be included from the main file. It only reads the
// database.
func cmdExport(ctx context.Context, args []string, env Env) int {
	fs, path := newFlagSet("export", env)
	all := fs.Bool("all", false, "export the configuration file's monitors too")
	out := fs.String("out", "", "write to this file (mode 0600) instead of standard output")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 0 {
		fmt.Fprintln(env.Stderr, exportUsage)
		return 2
	}
	cfg, code := loadConfig(*path, env)
	if code != 0 {
		return code
	}
	st, err := openReadOnly(ctx, cfg)
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin export: %v\n", err)
		return 1
	}
	defer st.Close()
	rows, err := st.StoredMonitors(ctx)
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin export: %v\n", err)
		return 1
	}
	var mons []config.Monitor
	if *all {
		mons = append(mons, cfg.Monitors...)
	}
	kinds := channels.Config(probekinds.Config())
	for _, row := range rows {
		if _, ok := cfg.Monitor(row.ID); ok {
			fmt.Fprintf(env.Stderr, "tocsin export: monitor %q created through the API is left out: the configuration file defines that id, and its monitor runs\n", row.ID)
			continue
		}
		m, err := config.ParseMonitor([]byte(row.Spec), "monitor "+row.ID, kinds, cfg)
		if err != nil {
			fmt.Fprintf(env.Stderr, "tocsin export: monitor %q created through the API is left out, as it does not run: %v\n", row.ID, err)
			continue
		}
		mons = append(mons, m)
	}
	doc, err := exportMonitors(mons, !*all, time.Now())
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin export: %v\n", err)
		return 1
	}
	if *out == "" {
		_, err = env.Stdout.Write(doc)
	} else {
		err = os.WriteFile(*out, doc, 0o600)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin export: %v\n", err)
		return 1
	}
	return 0
}

// exportMonitors writes mons as a configuration file holding only them.
func exportMonitors(mons []config.Monitor, apiOnly bool, now time.Time) ([]byte, error) {
	list := make([]map[string]any, 0, len(mons))
	for _, m := range mons {
		f, err := config.MonitorFields(m)
		if err != nil {
			return nil, err
		}
		list = append(list, f)
	}
	b, err := yaml.Marshal(map[string]any{"monitors": list})
	if err != nil {
		return nil, fmt.Errorf("writing the monitors: %w", err)
	}
	what := "every monitor"
	if apiOnly {
		what = "the monitors created through the API"
	}
	head := fmt.Sprintf("# %s, exported by tocsin export at %s.\n# Include this file from the main one (include: [...]) and delete them from the API.\n", what, now.UTC().Format(time.RFC3339))
	return append([]byte(head), b...), nil
}
