package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/importer"
	"github.com/tocsin/tocsin/internal/importer/gatus"
	"github.com/tocsin/tocsin/internal/importer/healthchecks"
	"github.com/tocsin/tocsin/internal/importer/uptimekuma"
	"github.com/tocsin/tocsin/internal/notify/channels"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
)

const importUsage = `usage:
  tocsin import gatus        [--out FILE] [--id-prefix P] CONFIG.yaml
  tocsin import uptime-kuma  [--out FILE] [--id-prefix P] BACKUP.json|kuma.db
  tocsin import healthchecks --url BASE_URL (--api-key K | --api-key-file F) [--out FILE] [--id-prefix P]`

// cmdImport reads another tool's monitors and writes them as a Tocsin
// configuration file that validates on its own and can be included from
// the main one. What cannot be mapped is listed on standard error, one
// line per item. The source is only read; nothing is written unless the
// whole import succeeds.
func cmdImport(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, importUsage)
		return 2
	}
	source, rest := args[0], args[1:]
	fs, _ := newFlagSet("import "+source, env)
	out := fs.String("out", "", "write to this file (mode 0600) instead of standard output")
	prefix := fs.String("id-prefix", "", "put this before every id made, to keep them apart from the main file's")
	baseURL := fs.String("url", "", "healthchecks: the site's root, such as https://healthchecks.io")
	apiKey := fs.String("api-key", "", "healthchecks: the project's API key")
	apiKeyFile := fs.String("api-key-file", "", "healthchecks: read the API key from this file")
	pos, err := parseInterleaved(fs, rest)
	if err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(env.Stderr, "tocsin import %s: %v\n", source, err)
		return 1
	}
	if *prefix != "" && importer.Slug(*prefix) == "" {
		return fail(fmt.Errorf("--id-prefix %q holds no letter or digit", *prefix))
	}
	progress := &importer.Progress{W: env.Stderr, What: "items"}
	var (
		frag  *importer.Fragment
		notes importer.Notes
	)
	switch source {
	case "gatus":
		if len(pos) != 1 {
			fmt.Fprintln(env.Stderr, importUsage)
			return 2
		}
		f, err := os.Open(pos[0])
		if err != nil {
			return fail(err)
		}
		cfg, err := gatus.Read(f)
		f.Close()
		if err != nil {
			return fail(fmt.Errorf("%s: %w", pos[0], err))
		}
		progress.What = "endpoints"
		frag, notes = gatus.Map(cfg, gatus.Options{IDPrefix: *prefix, Source: filepath.Base(pos[0]), Tick: progress.Tick})
	case "uptime-kuma", "uptimekuma", "kuma":
		if len(pos) != 1 {
			fmt.Fprintln(env.Stderr, importUsage)
			return 2
		}
		s, err := readKuma(ctx, pos[0], progress, env)
		if err != nil {
			return fail(err)
		}
		mapped := &importer.Progress{W: env.Stderr, What: "monitors"}
		frag, notes = uptimekuma.Map(s, uptimekuma.Options{IDPrefix: *prefix, Source: filepath.Base(pos[0]), Tick: mapped.Tick})
	case "healthchecks":
		if len(pos) != 0 || *baseURL == "" || (*apiKey == "") == (*apiKeyFile == "") {
			fmt.Fprintln(env.Stderr, importUsage)
			return 2
		}
		key := *apiKey
		if *apiKeyFile != "" {
			b, err := os.ReadFile(*apiKeyFile)
			if err != nil {
				return fail(err)
			}
			key = strings.TrimSpace(string(b))
		}
		client := &http.Client{Timeout: 2 * time.Minute}
		s, err := healthchecks.Fetch(ctx, client, *baseURL, key)
		if err != nil {
			return fail(err)
		}
		progress.What = "checks"
		frag, notes = healthchecks.Map(s, healthchecks.Options{IDPrefix: *prefix, Source: strings.TrimRight(*baseURL, "/"), Tick: progress.Tick})
	default:
		fmt.Fprintf(env.Stderr, "tocsin import: unknown source %q\n%s\n", source, importUsage)
		return 2
	}
	name := *out
	if name == "" {
		name = "imported.yaml"
	}
	kinds := channels.Config(probekinds.Config())
	doc, err := importer.Settle(frag, &notes, func(b []byte) error {
		if len(b) > config.MaxFileSize {
			return fmt.Errorf("it would be %.1f MiB, over the %d MiB a configuration file may hold: import the source in parts (a Gatus file per group, say), each with its own --out and --id-prefix", float64(len(b))/(1<<20), config.MaxFileSize>>20)
		}
		_, err := config.Parse(b, name, kinds)
		return err
	})
	if err != nil {
		return fail(err)
	}
	for _, n := range notes {
		fmt.Fprintf(env.Stderr, "tocsin import %s: %s\n", source, n)
	}
	fmt.Fprintf(env.Stderr, "tocsin import %s: %d channels, %d services, %d monitors, %d heartbeats, %d maintenance windows; %d notes\n",
		source, len(frag.Channels), len(frag.Services), len(frag.Monitors), len(frag.Heartbeats), len(frag.Maintenance), len(notes))
	if *out == "" {
		_, err = env.Stdout.Write(doc)
	} else {
		err = writeFileAtomic(*out, doc)
	}
	if err != nil {
		return fail(err)
	}
	return 0
}

// readKuma reads a JSON backup or a kuma.db, by what the file holds.
func readKuma(ctx context.Context, path string, progress *importer.Progress, env Env) (*uptimekuma.Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case strings.HasPrefix(string(head), "SQLite format 3\x00"):
		f.Close()
		progress.What = "rows"
		s, warnings, err := uptimekuma.ReadDB(ctx, path, progress.Tick)
		for _, w := range warnings {
			fmt.Fprintf(env.Stderr, "tocsin import uptime-kuma: warning: %s\n", w)
		}
		return s, err
	case strings.HasPrefix(strings.TrimLeft(string(head), " \t\r\n\ufeff"), "{") || strings.HasSuffix(path, ".json"):
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		s, err := uptimekuma.ReadBackup(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("%s is neither an Uptime Kuma JSON backup nor an SQLite database (kuma.db)", path)
}

// writeFileAtomic writes data to path with mode 0600 (an imported file
// may hold the source's passwords and tokens): to a temporary file beside
// it first, renamed over path once complete, so a failure leaves path as
// it was.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr, os.Chmod(name, 0o600)); err != nil {
		os.Remove(name)
		return err
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return err
	}
	return nil
}
