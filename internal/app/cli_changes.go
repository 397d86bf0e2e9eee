package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/change"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/cron"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/web/api"
)

const changeUsage = `usage:
  tocsin change [add] --title TEXT [--author NAME] [--time TIME] [--timezone TZ]
                      [--service ID]... [--component host:ID|component:ID|NAME]... [--link URL]
  tocsin change list [--service ID] [--since TIME] [--limit N] [--json]

Records a change event (a deploy, a firewall rule, a configuration edit) on
a running server, or lists them. --time defaults to now. Every form also
takes --server URL (default $TOCSIN_URL) and --token TOKEN (default
$TOCSIN_TOKEN, an API token from Settings → API tokens). TIME is RFC 3339
or "YYYY-MM-DD HH:MM" in --timezone (default UTC).
`

const impactUsage = `usage: tocsin impact [--config FILE] [--json] host:ID|component:ID|SERVICE

Lists every service that depends on the host, component or service,
directly or through other services, with its owners and who is on call
now. It reads the configuration file only; no server is needed.
`

const coverageUsage = `usage: tocsin coverage [--config FILE] [--json]

Reports how each service is watched: services with no check or only
liveness checks (a port, a ping, a certificate, a process), services
without owner or escalation policy, heartbeats and mail loops whose alerts
reach nobody on call. It reads the configuration file only. Exit status:
0 nothing to report, 1 findings, 2 usage or configuration error.
`

func cmdChange(ctx context.Context, args []string, env Env) int {
	sub := "add"
	if len(args) > 0 && (args[0] == "add" || args[0] == "list") {
		sub, args = args[0], args[1:]
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprint(env.Stdout, changeUsage)
		return 0
	}
	var f muteFlags
	fs := newMuteFlagSet("change "+sub, env, &f)
	fs.StringVar(&f.tz, "timezone", "UTC", "timezone of --time and --since")
	var services listFlag
	if sub == "list" {
		var service, since string
		var limit int
		fs.StringVar(&service, "service", "", "only changes naming this service")
		fs.StringVar(&since, "since", "", "only changes at or after this time")
		fs.IntVar(&limit, "limit", 50, "at most this many changes (1 to 1000)")
		fs.BoolVar(&f.json, "json", false, "print the API's JSON")
		return runMuteCmd("change list", env, fs, &f, args, changeUsage, func(c apiClient, pos []string) error {
			if len(pos) != 0 {
				return errors.New("list takes no arguments")
			}
			q := url.Values{"limit": {fmt.Sprint(limit)}}
			if service != "" {
				q.Set("service", service)
			}
			if since != "" {
				t, err := f.parseTime("--since", since)
				if err != nil {
					return err
				}
				q.Set("since", t.Format(time.RFC3339))
			}
			return printList(ctx, c, env, "/api/v1/changes?"+q.Encode(), f.json,
				"no changes", "", "ID\tTIME\tAUTHOR\tTOUCHES\tTITLE", func(ch api.Change) string {
					return fmt.Sprintf("%d\t%s\t%s\t%s\t%s", ch.ID, fmtTime(&ch.Time), ch.Author, strings.Join(append(ch.Services, ch.Components...), ","), ch.Title)
				})
		})
	}
	var title, author, at, link string
	var components listFlag
	fs.StringVar(&title, "title", "", "what was changed (required)")
	fs.StringVar(&author, "author", "", "who made the change (default the token's user)")
	fs.StringVar(&at, "time", "", "when the change was made (default now)")
	fs.StringVar(&link, "link", "", "a link to the ticket, pull request or pipeline run")
	fs.Var(&services, "service", "a service the change touches (repeatable)")
	fs.Var(&components, "component", "a host:ID, component:ID or free name the change touches (repeatable)")
	return runMuteCmd("change", env, fs, &f, args, changeUsage, func(c apiClient, pos []string) error {
		if len(pos) != 0 {
			return fmt.Errorf("unexpected arguments %q: give the title with --title", pos)
		}
		req := map[string]any{"title": title, "author": author, "services": services, "components": components, "link": link}
		if at != "" {
			t, err := f.parseTime("--time", at)
			if err != nil {
				return err
			}
			req["time"] = t.Format(time.RFC3339)
		}
		var out api.One[api.Change]
		if err := c.do(ctx, "POST", "/api/v1/changes", req, &out); err != nil {
			return err
		}
		ch := out.Data
		fmt.Fprintf(env.Stdout, "change %d recorded: %s at %s by %s\n", ch.ID, ch.Title, fmtTime(&ch.Time), ch.Author)
		return nil
	})
}

// parseTime reads a time flag in --timezone.
func (f *muteFlags) parseTime(name, v string) (time.Time, error) {
	loc, err := cron.LoadLocation(f.tz)
	if err != nil {
		return time.Time{}, err
	}
	t, err := config.ParseLocalTime(v, loc)
	if err != nil {
		return t, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}

// configCommand parses a command's flags and one optional positional
// argument, and loads the configuration: the shared start of the commands
// that work from the file alone. ok false means the exit code is set.
func configCommand(name, usage string, args []string, env Env, wantArg bool) (cfg *config.Config, arg string, asJSON bool, code int, ok bool) {
	fs, path := newFlagSet(name, env)
	fs.BoolVar(&asJSON, "json", false, "print JSON")
	fs.Usage = func() { fmt.Fprint(env.Stderr, usage) }
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, "", false, 0, false
		}
		return nil, "", false, 2, false
	}
	if (wantArg && len(pos) != 1) || (!wantArg && len(pos) != 0) {
		fmt.Fprint(env.Stderr, usage)
		return nil, "", false, 2, false
	}
	if wantArg {
		arg = pos[0]
	}
	// A configuration that does not load is a 2, apart from the 1 of
	// coverage findings.
	if cfg, _ = loadConfig(*path, env); cfg == nil {
		return nil, "", false, 2, false
	}
	return cfg, arg, asJSON, 0, true
}

func cmdImpact(args []string, env Env) int {
	cfg, entry, asJSON, code, ok := configCommand("impact", impactUsage, args, env, true)
	if !ok {
		return code
	}
	r, err := change.Impact(catalog.New(cfg), entry, time.Now())
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin impact: %v\n", err)
		return 1
	}
	if asJSON {
		writeJSON(env.Stdout, api.ToAPIImpact(r))
		return 0
	}
	printImpact(env.Stdout, r)
	return 0
}

func printImpact(w io.Writer, r change.ImpactReport) {
	name := r.Entry
	if r.Name != "" && r.Name != strings.TrimPrefix(strings.TrimPrefix(r.Entry, "host:"), "component:") {
		name += " (" + r.Name + ")"
	}
	if len(r.Affected) == 0 {
		fmt.Fprintf(w, "no service depends on %s\n", name)
		return
	}
	fmt.Fprintf(w, "if %s goes, %d services are affected:\n\n", name, len(r.Affected))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tHOW\tOWNERS\tON CALL NOW\tPROBLEMS")
	for _, a := range r.Affected {
		how := "through another service"
		if a.Direct {
			how = "directly"
		}
		var owners, who []string
		for _, o := range a.Service.Owners {
			owners = append(owners, o.Name)
		}
		for _, p := range a.OnCall {
			s := p.Name
			if p.Phone != "" {
				s += " " + p.Phone
			}
			who = append(who, s)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Service.ID, how, orDash(strings.Join(owners, ", ")), orDash(strings.Join(who, ", ")), orDash(strings.Join(a.Problems, "; ")))
	}
	tw.Flush()
}

func cmdCoverage(args []string, env Env) int {
	cfg, _, asJSON, code, ok := configCommand("coverage", coverageUsage, args, env, false)
	if !ok {
		return code
	}
	r := change.Coverage(cfg, catalog.New(cfg), probekinds.All(probekinds.Deps{}).ClassOf, time.Now())
	if asJSON {
		writeJSON(env.Stdout, api.ToAPICoverage(r))
	} else {
		printCoverage(env.Stdout, r)
	}
	if !r.Clean() {
		return 1
	}
	return 0
}

func printCoverage(w io.Writer, r change.Report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tEND TO END\tOWNER\tPOLICY\tCHECKS")
	for _, s := range r.Services {
		var checks []string
		for _, c := range s.Checks {
			checks = append(checks, fmt.Sprintf("%s %s (%s)", c.Type, c.ID, c.Class))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, yesNo(s.Functional), yesNo(s.HasOwner), yesNo(s.HasPolicy), orDash(strings.Join(checks, ", ")))
	}
	tw.Flush()
	if r.Clean() {
		fmt.Fprintln(w, "\nnothing to report")
		return
	}
	fmt.Fprintf(w, "\n%d to fix:\n", len(r.Findings))
	for _, f := range r.Findings {
		fmt.Fprintf(w, "  - %s\n", f.Message)
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
