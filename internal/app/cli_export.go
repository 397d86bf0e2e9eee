package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/importer"
	"github.com/tocsin/tocsin/internal/notify/channels"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/redact"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
)

const exportUsage = "usage: tocsin export [--config FILE] [--all] [--include-secrets] [--out FILE]"

// cmdExport prints the monitors created through the API (with --all, every
// monitor) as a configuration file holding only monitors, which reads back
// as it is and can be included from the main file. It only reads the
// database. Secrets are not written unless asked for: values the file
// read from ${NAME} references are written as those references, values
// read from *_file keys as the keys, and any other secret as a reference
// to an environment variable named after it, which stderr lists.
func cmdExport(ctx context.Context, args []string, env Env) int {
	fs, path := newFlagSet("export", env)
	all := fs.Bool("all", false, "export the configuration file's monitors too")
	secrets := fs.Bool("include-secrets", false, "write passwords, tokens and other secrets as they are, in clear")
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
	stored, err := storedMonitors(ctx, st, cfg, func(msg string) { fmt.Fprintf(env.Stderr, "tocsin export: %s\n", msg) })
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin export: %v\n", err)
		return 1
	}
	var mons []config.Monitor
	if *all {
		mons = append(mons, cfg.Monitors...)
	}
	mons = append(mons, stored...)
	x := exporter{expanded: cfg.Expanded, clear: *secrets}
	doc, err := x.monitors(mons, !*all, time.Now())
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
	x.report(env.Stderr)
	return 0
}

// storedMonitors returns the monitors created through the API that would
// run with cfg, and says through note why each other one is left out.
func storedMonitors(ctx context.Context, st *sqlstore.DB, cfg *config.Config, note func(string)) ([]config.Monitor, error) {
	rows, err := st.StoredMonitors(ctx)
	if err != nil {
		return nil, err
	}
	kinds := channels.Config(probekinds.Config())
	var mons []config.Monitor
	for _, row := range rows {
		if _, ok := cfg.Monitor(row.ID); ok {
			note(fmt.Sprintf("monitor %q created through the API is left out: the configuration file defines that id, and its monitor runs", row.ID))
			continue
		}
		m, err := config.ParseMonitor([]byte(row.Spec), "monitor "+row.ID, kinds, cfg)
		if err != nil {
			note(fmt.Sprintf("monitor %q created through the API is left out, as it does not run: %v", row.ID, err))
			continue
		}
		if why := missingRefs(cfg, &m); why != "" {
			note(fmt.Sprintf("monitor %q created through the API is left out, as it does not run: %s", row.ID, why))
			continue
		}
		m.Stored = true
		mons = append(mons, m)
	}
	return mons, nil
}

// exporter writes monitors as configuration, keeping secrets out unless
// clear is set.
type exporter struct {
	// expanded is Config.Expanded: values read from ${NAME} references.
	expanded map[string]string
	clear    bool
	// placed lists the environment variables written in place of secrets,
	// as "NAME (monitor ID, field)".
	placed []string
}

// monitors writes mons as a configuration file holding only them.
func (x *exporter) monitors(mons []config.Monitor, apiOnly bool, now time.Time) ([]byte, error) {
	list := make([]any, 0, len(mons))
	for _, m := range mons {
		f, err := config.MonitorFields(m)
		if err != nil {
			return nil, err
		}
		// The block is a struct of its kind: its YAML form is what the
		// file holds, as plain maps to walk.
		b, err := yaml.Marshal(f)
		if err != nil {
			return nil, fmt.Errorf("monitor %q: %w", m.ID, err)
		}
		var plain map[string]any
		if err := yaml.Unmarshal(b, &plain); err != nil {
			return nil, fmt.Errorf("monitor %q: %w", m.ID, err)
		}
		list = append(list, x.value(m.ID, "", "", plain))
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
	if len(x.placed) > 0 {
		head += "# Secrets are written as ${NAME} references: set these variables where tocsin runs,\n# or export again with --include-secrets to write them in clear.\n"
	}
	return append([]byte(head), b...), nil
}

// value returns v, found under key at path in monitor id's fields, as the
// file is to hold it.
func (x *exporter) value(id, path, key string, v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			// A value next to its *_file key was read from that file
			// (the loader refuses both written): the key says where it is
			// and the value stays out, or with the secrets in clear the
			// value stays and the key goes, as both may not be set.
			if f, ok := v[k+"_file"].(string); ok && f != "" && !x.clear {
				continue
			}
			if base, ok := strings.CutSuffix(k, "_file"); ok && x.clear {
				if val, _ := v[base].(string); val != "" {
					continue
				}
			}
			out[k] = x.value(id, joinKey(path, k), k, e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = x.value(id, fmt.Sprintf("%s[%d]", path, i), key, e)
		}
		return out
	case string:
		return x.text(id, path, key, v)
	}
	return v
}

func joinKey(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// text returns s as the file is to hold it: as written when it came from
// ${NAME} references, a reference in place of a secret, and otherwise with
// its dollar signs escaped so that it reads back as it is.
func (x *exporter) text(id, path, key, s string) string {
	if x.clear {
		return importer.Literal(s)
	}
	if written, ok := x.expanded[s]; ok {
		return written
	}
	if secretValue(path, key, s) {
		name := exportEnvName(id, path)
		x.placed = append(x.placed, fmt.Sprintf("%s (monitor %q, %s)", name, id, path))
		return "${" + name + "}"
	}
	return importer.Literal(s)
}

// secretValue reports whether the string s at path (key its last name)
// holds a credential: a field named like one (password, private_key,
// token), a secret header's value, or a URL or text with credentials in
// it, as the redact package sees them everywhere Tocsin shows a target.
func secretValue(path, key, s string) bool {
	if s == "" {
		return false
	}
	if strings.HasSuffix(key, "_file") {
		return false
	}
	if redact.Param(key) {
		return true
	}
	if parent := path[:max(0, strings.LastIndexByte(path, '.'))]; strings.HasSuffix(parent, "headers") && redact.SecretHeader(key) {
		return true
	}
	return redact.Target(s) != s
}

// exportEnvName names the environment variable that stands for the secret
// at path of monitor id: TOCSIN_ and both in capitals, other characters
// as _.
func exportEnvName(id, path string) string {
	var b strings.Builder
	b.WriteString("TOCSIN_")
	last := byte('_')
	for _, c := range []byte(strings.ToUpper(id + "_" + path)) {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			c = '_'
		}
		if c == '_' && last == '_' {
			continue
		}
		b.WriteByte(c)
		last = c
	}
	return strings.TrimRight(b.String(), "_")
}

// report lists on w the variables written in place of secrets.
func (x *exporter) report(w io.Writer) {
	if len(x.placed) == 0 {
		return
	}
	slices.Sort(x.placed)
	fmt.Fprintf(w, "tocsin export: %d secrets are written as ${NAME} references (--include-secrets writes them in clear); set these variables where tocsin runs:\n", len(x.placed))
	for _, p := range x.placed {
		fmt.Fprintf(w, "  %s\n", p)
	}
}
