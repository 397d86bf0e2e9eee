package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/cron"
	"github.com/tocsin/tocsin/internal/web/api"
)

const maintenanceUsage = `usage:
  tocsin maintenance list [--json]
  tocsin maintenance add --reason TEXT (--duration D | --end TIME) [--start TIME] [--timezone TZ]
                         [--service ID]... [--monitor ID]... [--host ID]... [--component ID]... [--tag TAG]...
  tocsin maintenance add --reason TEXT --cron EXPR --duration D [--timezone TZ] [--start TIME] [--end TIME]
                         [--service ID]... [--monitor ID]... [--host ID]... [--component ID]... [--tag TAG]...
  tocsin maintenance end ID

With --cron the window recurs: it opens at each time of EXPR, read in
--timezone, and lasts --duration each time; --start (default now) and
--end (default: until ended) bound the recurrence. Every form also takes
--server URL (default $TOCSIN_URL) and --token TOKEN (default $TOCSIN_TOKEN,
an API token from Settings → API tokens). TIME is RFC 3339 or
"YYYY-MM-DD HH:MM" in --timezone (default UTC).
`

const silenceUsage = `usage:
  tocsin silence list [--json]
  tocsin silence add --reason TEXT (--duration D | --end TIME) [--start TIME] [--timezone TZ] MATCHER...
  tocsin silence expire ID

A MATCHER is name=value, name!=value, name=~regex or name!~regex, with name
one of monitor, service, tag, host, component; all must match. Every form
also takes --server URL (default $TOCSIN_URL) and --token TOKEN (default
$TOCSIN_TOKEN). TIME is RFC 3339 or "YYYY-MM-DD HH:MM" in --timezone.
`

// listFlag collects a flag given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// apiClient calls the server's JSON API with a token.
type apiClient struct {
	server, token string
	http          *http.Client
}

func (c apiClient) do(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.server, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("reaching %s: %w", c.server, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("reading the answer of %s: %w", c.server, err)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
			return errors.New(e.Error.Message)
		}
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = data
		return nil
	}
	return json.Unmarshal(data, out)
}

// muteFlags are the flags every maintenance and silence command takes.
type muteFlags struct {
	server, token, reason, start, end, tz string
	duration                              time.Duration
	json                                  bool
}

func newMuteFlagSet(name string, env Env, f *muteFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("tocsin "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.StringVar(&f.server, "server", env.Getenv("TOCSIN_URL"), "Tocsin server base URL (default $TOCSIN_URL)")
	fs.StringVar(&f.token, "token", env.Getenv("TOCSIN_TOKEN"), "API token (default $TOCSIN_TOKEN)")
	return fs
}

func addSpanFlags(fs *flag.FlagSet, f *muteFlags) {
	fs.StringVar(&f.reason, "reason", "", "why (required)")
	fs.StringVar(&f.start, "start", "", "start time (default now)")
	fs.StringVar(&f.end, "end", "", "end time")
	fs.DurationVar(&f.duration, "duration", 0, "how long, such as 2h (instead of --end)")
	fs.StringVar(&f.tz, "timezone", "UTC", "timezone of --start and --end")
}

func (f *muteFlags) client() (apiClient, error) {
	if f.server == "" {
		return apiClient{}, errors.New("no server: use --server URL or set TOCSIN_URL, such as https://tocsin.example.com")
	}
	if u, err := url.Parse(f.server); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return apiClient{}, fmt.Errorf("--server %q: use an absolute http or https URL", f.server)
	}
	if f.token == "" {
		return apiClient{}, errors.New("no API token: use --token or set TOCSIN_TOKEN (create one under Settings → API tokens)")
	}
	return apiClient{server: f.server, token: f.token, http: &http.Client{Timeout: 30 * time.Second}}, nil
}

// span reads --start, --end and --duration into the request fields.
func (f *muteFlags) span() (start, end time.Time, d config.Duration, err error) {
	loc, err := cron.LoadLocation(f.tz)
	if err != nil {
		return start, end, d, err
	}
	if f.start != "" {
		if start, err = config.ParseLocalTime(f.start, loc); err != nil {
			return start, end, d, fmt.Errorf("--start: %w", err)
		}
	}
	if f.end != "" {
		if end, err = config.ParseLocalTime(f.end, loc); err != nil {
			return start, end, d, fmt.Errorf("--end: %w", err)
		}
	}
	return start, end, config.Duration(f.duration), nil
}

// runMuteCmd parses args (flags may follow positional arguments), runs fn
// with the client and positionals, and turns errors into exit codes.
func runMuteCmd(name string, env Env, fs *flag.FlagSet, f *muteFlags, args []string, usage string, fn func(apiClient, []string) error) int {
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		fmt.Fprint(env.Stderr, usage)
		return 2
	}
	c, err := f.client()
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin %s: %v\n", name, err)
		return 2
	}
	if err := fn(c, pos); err != nil {
		fmt.Fprintf(env.Stderr, "tocsin %s: %v\n", name, err)
		return 1
	}
	return 0
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

func cmdMaintenance(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, maintenanceUsage)
		return 2
	}
	var f muteFlags
	sub, args := args[0], args[1:]
	fs := newMuteFlagSet("maintenance "+sub, env, &f)
	switch sub {
	case "list":
		fs.BoolVar(&f.json, "json", false, "print the API's JSON")
		return runMuteCmd("maintenance list", env, fs, &f, args, maintenanceUsage, func(c apiClient, pos []string) error {
			if len(pos) != 0 {
				return errors.New("list takes no arguments")
			}
			return printList(ctx, c, env, "/api/v1/maintenance", f.json,
				"", "", "ID\tSTATE\tSTART\tEND\tCOVERS\tREASON\tREPEATS\tNEXT", func(w api.MaintenanceWindow) string {
					return fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", w.ID, w.State, fmtTime(w.StartsAt), fmtTime(w.EndsAt), describeMatch(w.Match), w.Reason,
						repeats(w), fmtTime(w.NextStartsAt))
				})
		})
	case "add":
		addSpanFlags(fs, &f)
		var cronExpr string
		fs.StringVar(&cronExpr, "cron", "", "make the window recurring: when it opens, such as \"0 2 * * SUN\" (read in --timezone)")
		var services, monitors, hosts, components, tags listFlag
		fs.Var(&services, "service", "a service to cover (repeatable)")
		fs.Var(&monitors, "monitor", "a monitor to cover (repeatable)")
		fs.Var(&hosts, "host", "a host to cover (repeatable)")
		fs.Var(&components, "component", "a component to cover (repeatable)")
		fs.Var(&tags, "tag", "a tag to cover (repeatable)")
		return runMuteCmd("maintenance add", env, fs, &f, args, maintenanceUsage, func(c apiClient, pos []string) error {
			if len(pos) != 0 {
				return fmt.Errorf("unexpected arguments %q: name what to cover with --service, --monitor, --host, --component or --tag", pos)
			}
			req := map[string]any{"reason": f.reason, "services": services, "monitors": monitors, "hosts": hosts, "components": components, "tags": tags}
			if cronExpr != "" {
				if err := f.recurring(req, cronExpr); err != nil {
					return err
				}
			} else {
				start, end, d, err := f.span()
				if err != nil {
					return err
				}
				setSpan(req, start, end, d)
			}
			var out api.One[api.MaintenanceWindow]
			if err := c.do(ctx, "POST", "/api/v1/maintenance", req, &out); err != nil {
				return err
			}
			w := out.Data
			if w.Cron != "" {
				until := "until ended"
				if w.Until != nil {
					until = "until " + fmtTime(w.Until)
				}
				fmt.Fprintf(env.Stdout, "maintenance window %s: %s, every %s, %s; next opening %s to %s\n", w.ID, describeMatch(w.Match), repeats(w), until,
					fmtTime(w.StartsAt), fmtTime(w.EndsAt))
				return nil
			}
			fmt.Fprintf(env.Stdout, "maintenance window %s: %s from %s to %s\n", w.ID, describeMatch(w.Match), fmtTime(w.StartsAt), fmtTime(w.EndsAt))
			return nil
		})
	case "end":
		return runMuteCmd("maintenance end", env, fs, &f, args, maintenanceUsage, func(c apiClient, pos []string) error {
			if len(pos) != 1 {
				return errors.New("give the id of one window, as `tocsin maintenance list` shows it")
			}
			var out api.One[api.MaintenanceWindow]
			if err := c.do(ctx, "POST", "/api/v1/maintenance/"+url.PathEscape(pos[0])+"/end", nil, &out); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "maintenance window %s ended at %s\n", out.Data.ID, fmtTime(out.Data.EndsAt))
			return nil
		})
	}
	fmt.Fprintf(env.Stderr, "tocsin maintenance: unknown command %q\n\n%s", sub, maintenanceUsage)
	return 2
}

// recurring reads the flags of a recurring window into the request:
// --duration is each opening's length, --timezone the cron's, and --start
// and --end bound the recurrence. The server checks the rest.
func (f *muteFlags) recurring(req map[string]any, cronExpr string) error {
	if f.duration <= 0 {
		return errors.New("--cron needs --duration above zero: how long each opening lasts, such as 2h")
	}
	loc, err := cron.LoadLocation(f.tz)
	if err != nil {
		return err
	}
	req["cron"], req["duration"], req["timezone"] = cronExpr, config.Duration(f.duration).String(), f.tz
	if f.start != "" {
		t, err := config.ParseLocalTime(f.start, loc)
		if err != nil {
			return fmt.Errorf("--start: %w", err)
		}
		req["from"] = t.UTC()
	}
	if f.end != "" {
		t, err := config.ParseLocalTime(f.end, loc)
		if err != nil {
			return fmt.Errorf("--end: %w", err)
		}
		req["until"] = t.UTC()
	}
	return nil
}

// repeats says how a recurring window repeats: "0 2 * * SUN for 2h0m0s
// (Europe/Oslo)"; "-" for a one-off window.
func repeats(w api.MaintenanceWindow) string {
	if w.Cron == "" {
		return "-"
	}
	tz := w.Timezone
	if tz == "" {
		tz = "UTC"
	}
	return fmt.Sprintf("%s for %s (%s)", w.Cron, w.Duration, tz)
}

func setSpan(req map[string]any, start, end time.Time, d config.Duration) {
	if !start.IsZero() {
		req["starts_at"] = start.UTC()
	}
	if !end.IsZero() {
		req["ends_at"] = end.UTC()
	}
	if d != 0 {
		req["duration"] = d.String()
	}
}

func describeMatch(m config.MaintenanceMatch) string {
	var parts []string
	for _, p := range []struct {
		name string
		ids  []string
	}{{"service", m.Services}, {"monitor", m.Monitors}, {"host", m.Hosts}, {"component", m.Components}, {"tag", m.Tags}} {
		for _, id := range p.ids {
			parts = append(parts, p.name+"="+id)
		}
	}
	return strings.Join(parts, ",")
}

func cmdSilence(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, silenceUsage)
		return 2
	}
	var f muteFlags
	sub, args := args[0], args[1:]
	fs := newMuteFlagSet("silence "+sub, env, &f)
	switch sub {
	case "list":
		fs.BoolVar(&f.json, "json", false, "print the API's JSON")
		return runMuteCmd("silence list", env, fs, &f, args, silenceUsage, func(c apiClient, pos []string) error {
			if len(pos) != 0 {
				return errors.New("list takes no arguments")
			}
			return printList(ctx, c, env, "/api/v1/silences", f.json,
				"", "", "ID\tSTATE\tSTART\tEND\tMATCHERS\tBY\tREASON", func(s api.Silence) string {
					return fmt.Sprintf("%d\t%s\t%s\t%s\t%s\t%s\t%s", s.ID, s.State, fmtTime(&s.StartsAt), fmtTime(&s.EndsAt), strings.Join(s.Matchers, ","), s.CreatedBy, s.Reason)
				})
		})
	case "add":
		addSpanFlags(fs, &f)
		return runMuteCmd("silence add", env, fs, &f, args, silenceUsage, func(c apiClient, pos []string) error {
			if len(pos) == 0 {
				return errors.New("give at least one matcher, such as service=web")
			}
			start, end, d, err := f.span()
			if err != nil {
				return err
			}
			req := map[string]any{"reason": f.reason, "matchers": pos}
			setSpan(req, start, end, d)
			var out api.One[api.Silence]
			if err := c.do(ctx, "POST", "/api/v1/silences", req, &out); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "silence %d: %s until %s\n", out.Data.ID, strings.Join(out.Data.Matchers, ","), fmtTime(&out.Data.EndsAt))
			return nil
		})
	case "expire":
		return runMuteCmd("silence expire", env, fs, &f, args, silenceUsage, func(c apiClient, pos []string) error {
			if len(pos) != 1 {
				return errors.New("give the id of one silence, as `tocsin silence list` shows it")
			}
			var out api.One[api.Silence]
			if err := c.do(ctx, "POST", "/api/v1/silences/"+url.PathEscape(pos[0])+"/expire", nil, &out); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "silence %d expired at %s\n", out.Data.ID, fmtTime(&out.Data.EndsAt))
			return nil
		})
	}
	fmt.Fprintf(env.Stderr, "tocsin silence: unknown command %q\n\n%s", sub, silenceUsage)
	return 2
}
