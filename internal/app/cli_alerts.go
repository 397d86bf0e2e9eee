package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/web/api"
)

const alertsUsage = `usage:
  tocsin alerts list [--state S] [--limit N] [--before ID] [--json]
  tocsin alerts show [--json] ID
  tocsin alerts ack ID
  tocsin alerts unack ID
  tocsin alerts resolve ID
  tocsin alerts snooze --for D ID

S is active (open and acknowledged), open, acknowledged or resolved; all
alerts when not given. D is how long, such as 30m, 4h or 1d. Every form
also takes --server URL (default $TOCSIN_URL) and --token TOKEN (default
$TOCSIN_TOKEN, an API token from Settings → API tokens); the actions are
recorded as the token's user's.
`

// alertPath is the API path of the alert named on the command line; an id
// that is not a positive number is refused before any request.
func alertPath(pos []string) (string, error) {
	if len(pos) != 1 {
		return "", errors.New("give the id of one alert, as `tocsin alerts list` shows it")
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return "", fmt.Errorf("no alert %q: alert ids are positive numbers", pos[0])
	}
	return "/api/v1/alerts/" + strconv.FormatInt(id, 10), nil
}

// alertWho is who acted in words: "admin", "ann (by link)".
func alertWho(w string) string {
	kind, id, ok := strings.Cut(w, ":")
	switch {
	case !ok:
		return w
	case kind == "user":
		return id
	case kind == "link":
		return id + " (by link)"
	}
	return w
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func alertMonitors(a api.Alert) string {
	ids := make([]string, len(a.Monitors))
	for i, m := range a.Monitors {
		ids[i] = m.ID
	}
	return strings.Join(ids, ",")
}

// alertState is the state with who acknowledged or resolved it.
func alertState(a api.Alert) string {
	switch {
	case a.State == "acknowledged" && a.SnoozedUntil != nil:
		return fmt.Sprintf("snoozed by %s until %s", alertWho(a.AcknowledgedBy), fmtTime(a.SnoozedUntil))
	case a.State == "acknowledged":
		return fmt.Sprintf("acknowledged by %s at %s", alertWho(a.AcknowledgedBy), fmtTime(a.AcknowledgedAt))
	case a.State == "resolved":
		return fmt.Sprintf("resolved by %s at %s", alertWho(a.ResolvedBy), fmtTime(a.ResolvedAt))
	}
	return a.State
}

func printAlert(env Env, a api.Alert) error {
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "alert %d\t%s\n", a.ID, alertState(a))
	fmt.Fprintf(tw, "service\t%s\n", orDash(a.ServiceID))
	fmt.Fprintf(tw, "policy\t%s\n", orDash(a.PolicyID))
	fmt.Fprintf(tw, "opened\t%s\n", fmtTime(&a.OpenedAt))
	step := "none yet"
	if a.Step > 0 {
		step = fmt.Sprintf("step %d, round %d", a.Step, a.Round)
	}
	fmt.Fprintf(tw, "escalation\t%s\n", step)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "\nMONITORS")
	tw = tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	for _, m := range a.Monitors {
		impacted := ""
		if m.ImpactedBy != "" {
			impacted = " (impacted by " + m.ImpactedBy + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s%s\n", m.ID, m.Status, fmtTime(&m.JoinedAt), m.Reason, impacted)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "\nLOG")
	tw = tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	for _, x := range a.Actions {
		var what []string
		for _, s := range []string{x.Target, x.Channel, x.Address, x.Detail} {
			if s != "" {
				what = append(what, s)
			}
		}
		kind := x.Kind
		if kind == "problem" {
			kind = "PROBLEM"
		}
		step := "-"
		if x.Step > 0 {
			step = strconv.Itoa(x.Step)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", fmtTime(&x.Time), kind, alertWho(x.Who), step, strings.Join(what, " · "))
	}
	return tw.Flush()
}

func cmdAlerts(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, alertsUsage)
		return 2
	}
	var f muteFlags
	sub, args := args[0], args[1:]
	fs := newMuteFlagSet("alerts "+sub, env, &f)
	switch sub {
	case "list":
		var state string
		var page pageFlags
		fs.StringVar(&state, "state", "", "active, open, acknowledged or resolved (default all)")
		page.add(fs, "alerts", &f)
		return runMuteCmd("alerts list", env, fs, &f, args, alertsUsage, func(c apiClient, pos []string) error {
			if len(pos) != 0 {
				return errors.New("list takes no arguments")
			}
			return printList(ctx, c, env, "/api/v1/alerts?"+page.query(state).Encode(), f.json,
				"no alerts", "tocsin alerts list", "ID\tSTATE\tSERVICE\tOPENED\tSTEP\tMONITORS\tBY", func(a api.Alert) string {
					by := "-"
					switch {
					case a.AcknowledgedBy != "":
						by = alertWho(a.AcknowledgedBy)
					case a.ResolvedBy != "":
						by = alertWho(a.ResolvedBy)
					}
					return fmt.Sprintf("%d\t%s\t%s\t%s\t%d\t%d: %s\t%s", a.ID, a.State, orDash(a.ServiceID), fmtTime(&a.OpenedAt), a.Step, len(a.Monitors), alertMonitors(a), by)
				})
		})
	case "show":
		fs.BoolVar(&f.json, "json", false, "print the API's JSON")
		return runMuteCmd("alerts show", env, fs, &f, args, alertsUsage, func(c apiClient, pos []string) error {
			path, err := alertPath(pos)
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
			var out api.One[api.Alert]
			if err := json.Unmarshal(raw, &out); err != nil {
				return fmt.Errorf("reading the answer of %s: %w", c.server, err)
			}
			return printAlert(env, out.Data)
		})
	case "ack", "unack", "resolve", "snooze":
		var span string
		if sub == "snooze" {
			fs.StringVar(&span, "for", "", "how long, such as 30m, 4h or 1d (required)")
		}
		return runMuteCmd("alerts "+sub, env, fs, &f, args, alertsUsage, func(c apiClient, pos []string) error {
			path, err := alertPath(pos)
			if err != nil {
				return err
			}
			var body any
			if sub == "snooze" {
				if span == "" {
					return errors.New("say how long with --for, such as --for 1h")
				}
				if d, err := config.ParseDuration(span); err != nil || d <= 0 {
					return fmt.Errorf("--for %q: write how long, such as 30m, 4h or 1d", span)
				}
				body = map[string]string{"for": span}
			}
			var out api.One[api.Alert]
			if err := c.do(ctx, "POST", path+"/"+sub, body, &out); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "alert %d %s\n", out.Data.ID, alertState(out.Data))
			return nil
		})
	}
	fmt.Fprintf(env.Stderr, "tocsin alerts: unknown command %q\n\n%s", sub, alertsUsage)
	return 2
}
