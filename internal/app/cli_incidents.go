package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tocsin/tocsin/internal/web/api"
)

const incidentUsage = `usage:
  tocsin incident list [--state S] [--limit N] [--before ID] [--json]
  tocsin incident show [--json] ID
  tocsin incident declare --title T [--service ID]... [--severity SEV]
                          [--reported-by NAME] [--kind customer|staff|monitor]
                          [--reported-at TIME]
  tocsin incident note [--at TIME] [--key] [--misleading] ID TEXT
  tocsin incident update ID --message M [--status S] [--public]

S is active, investigating, identified, monitoring, resolved or
postmortem; all incidents when not given. An update's status (default the
incident's state) moves the incident to it; --public shows it on the
status pages. TIME is RFC 3339
(2026-12-07T01:10:00Z) or "2026-12-07 01:10" in UTC. Every form also takes
--server URL (default $TOCSIN_URL) and --token TOKEN (default
$TOCSIN_TOKEN); what is done is recorded as the token's user's.
`

// parseCLITime reads RFC 3339 or "2006-01-02 15:04" in UTC.
func parseCLITime(flagName, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02 15:04", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s %q: write a time such as 2026-12-07T01:10:00Z or \"2026-12-07 01:10\" (UTC)", flagName, s)
}

func incidentPath(id string) (string, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return "", fmt.Errorf("no incident %q: incident ids are positive numbers", id)
	}
	return "/api/v1/incidents/" + strconv.FormatInt(n, 10), nil
}

func printIncident(env Env, in api.Incident) error {
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "incident %d\t%s\n", in.ID, in.Title)
	fmt.Fprintf(tw, "state\t%s\n", in.State)
	fmt.Fprintf(tw, "severity\t%s\n", in.Severity)
	fmt.Fprintf(tw, "services\t%s\n", orDash(strings.Join(in.Services, ", ")))
	fmt.Fprintf(tw, "reported by\t%s (%s) at %s\n", orDash(in.ReportedBy.Name), in.ReportedBy.Kind, fmtTime(in.ReportedAt))
	fmt.Fprintf(tw, "opened\t%s\n", fmtTime(&in.OpenedAt))
	fmt.Fprintf(tw, "detected\t%s\n", fmtTime(in.DetectedAt))
	fmt.Fprintf(tw, "acknowledged\t%s\n", fmtTime(in.AcknowledgedAt))
	fmt.Fprintf(tw, "resolved\t%s\n", fmtTime(in.ResolvedAt))
	for _, r := range in.Roles {
		if r.Until == nil {
			fmt.Fprintf(tw, "%s\t%s\n", r.Role, r.Holder)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "\nTIMELINE (UTC)")
	tw = tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	for _, e := range in.Timeline {
		var marks []string
		if e.Key {
			marks = append(marks, "KEY")
		}
		if e.Misleading {
			marks = append(marks, "MISLEADING")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Time.UTC().Format("2006-01-02 15:04:05Z"), e.Kind, alertWho(e.Who), orDash(strings.Join(marks, ",")), e.Text)
	}
	return tw.Flush()
}

func cmdIncident(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, incidentUsage)
		return 2
	}
	var f muteFlags
	sub, args := args[0], args[1:]
	fs := newMuteFlagSet("incident "+sub, env, &f)
	switch sub {
	case "list":
		var state string
		var page pageFlags
		fs.StringVar(&state, "state", "", "active or a state (default all)")
		page.add(fs, "incidents", &f)
		return runMuteCmd("incident list", env, fs, &f, args, incidentUsage, func(c apiClient, pos []string) error {
			if len(pos) != 0 {
				return errors.New("list takes no arguments")
			}
			return printList(ctx, c, env, "/api/v1/incidents?"+page.query(state).Encode(), f.json,
				"no incidents", "tocsin incident list", "ID\tSTATE\tSEVERITY\tOPENED\tSERVICES\tREPORTED BY\tTITLE", func(in api.Incident) string {
					return fmt.Sprintf("%d\t%s\t%s\t%s\t%s\t%s\t%s", in.ID, in.State, in.Severity, fmtTime(&in.OpenedAt), orDash(strings.Join(in.Services, ",")), in.ReportedBy.Kind, in.Title)
				})
		})
	case "show":
		fs.BoolVar(&f.json, "json", false, "print the API's JSON")
		return runMuteCmd("incident show", env, fs, &f, args, incidentUsage, func(c apiClient, pos []string) error {
			if len(pos) != 1 {
				return errors.New("give the id of one incident, as `tocsin incident list` shows it")
			}
			path, err := incidentPath(pos[0])
			if err != nil {
				return err
			}
			var raw []byte
			if err := c.do(ctx, "GET", path, nil, &raw); err != nil {
				return err
			}
			if f.json {
				_, err := env.Stdout.Write(raw)
				return err
			}
			var out api.One[api.Incident]
			if err := json.Unmarshal(raw, &out); err != nil {
				return fmt.Errorf("reading the answer of %s: %w", c.server, err)
			}
			return printIncident(env, out.Data)
		})
	case "declare":
		var title, severity, reporter, kind, at string
		var services listFlag
		fs.StringVar(&title, "title", "", "what is wrong (required)")
		fs.Var(&services, "service", "a service affected (repeat for several)")
		fs.StringVar(&severity, "severity", "", "a severity id (default incidents.severity)")
		fs.StringVar(&reporter, "reported-by", "", "who reported the problem")
		fs.StringVar(&kind, "kind", "", "customer, staff or monitor (default staff)")
		fs.StringVar(&at, "reported-at", "", "when it was reported (default now)")
		return runMuteCmd("incident declare", env, fs, &f, args, incidentUsage, func(c apiClient, pos []string) error {
			if len(pos) != 0 {
				return errors.New("declare takes no arguments; give the title with --title")
			}
			if strings.TrimSpace(title) == "" {
				return errors.New("say what is wrong with --title")
			}
			body := map[string]any{"title": title, "services": []string(services), "severity": strings.ToLower(severity),
				"reported_by": map[string]string{"name": reporter, "kind": kind}}
			if services == nil {
				body["services"] = []string{}
			}
			if at != "" {
				t, err := parseCLITime("--reported-at", at)
				if err != nil {
					return err
				}
				body["reported_at"] = t
			}
			var out api.One[api.Incident]
			if err := c.do(ctx, "POST", "/api/v1/incidents", body, &out); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "incident %d declared: %s (%s, %s)\n", out.Data.ID, out.Data.Title, out.Data.Severity, out.Data.State)
			return nil
		})
	case "note":
		var at string
		var key, misleading bool
		fs.StringVar(&at, "at", "", "when it happened (default now)")
		fs.BoolVar(&key, "key", false, "mark it a key event")
		fs.BoolVar(&misleading, "misleading", false, "mark it an investigation path that turned out wrong")
		return runMuteCmd("incident note", env, fs, &f, args, incidentUsage, func(c apiClient, pos []string) error {
			if len(pos) != 2 {
				return errors.New("give the incident's id and the note's text")
			}
			path, err := incidentPath(pos[0])
			if err != nil {
				return err
			}
			body := map[string]any{"text": pos[1], "key": key, "misleading": misleading}
			if at != "" {
				t, err := parseCLITime("--at", at)
				if err != nil {
					return err
				}
				body["time"] = t
			}
			var out api.One[api.Incident]
			if err := c.do(ctx, "POST", path+"/timeline", body, &out); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "incident %d: note added (%d timeline entries)\n", out.Data.ID, len(out.Data.Timeline))
			return nil
		})
	case "update":
		var message, status string
		var public bool
		fs.StringVar(&message, "message", "", "what to tell (required)")
		fs.StringVar(&status, "status", "", "investigating, identified, monitoring or resolved (default the incident's state)")
		fs.BoolVar(&public, "public", false, "show it on the status pages")
		return runMuteCmd("incident update", env, fs, &f, args, incidentUsage, func(c apiClient, pos []string) error {
			if len(pos) != 1 {
				return errors.New("give the id of one incident, then --message")
			}
			path, err := incidentPath(pos[0])
			if err != nil {
				return err
			}
			if strings.TrimSpace(message) == "" {
				return errors.New("say what to tell with --message")
			}
			if status == "" {
				var cur api.One[api.Incident]
				if err := c.do(ctx, "GET", path, nil, &cur); err != nil {
					return err
				}
				status = cur.Data.State
			}
			var out api.One[api.IncidentUpdate]
			body := map[string]any{"message": message, "status": strings.ToLower(status), "public": public}
			if err := c.do(ctx, "POST", path+"/updates", body, &out); err != nil {
				return err
			}
			vis := "internal"
			if out.Data.Public {
				vis = "public"
			}
			fmt.Fprintf(env.Stdout, "incident %d: %s update posted (%s)\n", out.Data.IncidentID, vis, out.Data.Status)
			return nil
		})
	}
	fmt.Fprintf(env.Stderr, "tocsin incident: unknown command %q\n\n%s", sub, incidentUsage)
	return 2
}
