package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/tocsin/tocsin/internal/web/api"
)

const actionsUsage = `usage:
  tocsin actions list [--status S] [--owner O] [--incident ID] [--limit N] [--before ID] [--json]
  tocsin actions add --incident ID --title T [--owner O] [--due YYYY-MM-DD] [--priority P] [--type T] [--link URL]
  tocsin actions done ID
  tocsin actions status ID STATUS

S is open (open or in progress, the default), overdue, done (done or
won't do) or all. P is high, medium or low; T detective, corrective or
preventive; STATUS open, in_progress, done or wont_do. Every form also
takes --server URL (default $TOCSIN_URL) and --token TOKEN (default
$TOCSIN_TOKEN, an API token from Settings → API tokens); changes are
recorded as the token's user's.
`

// actionPath is the API path of the action named on the command line.
func actionPath(arg string) (string, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id <= 0 {
		return "", fmt.Errorf("no follow-up action %q: action ids are positive numbers", arg)
	}
	return "/api/v1/actions/" + strconv.FormatInt(id, 10), nil
}

// actionDue is the due date, marked when overdue.
func actionDue(a api.Action) string {
	switch {
	case a.Due == "":
		return "-"
	case a.Overdue:
		return a.Due + " OVERDUE"
	}
	return a.Due
}

func cmdActions(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, actionsUsage)
		return 2
	}
	var f muteFlags
	sub, args := args[0], args[1:]
	fs := newMuteFlagSet("actions "+sub, env, &f)
	switch sub {
	case "list":
		var status, owner string
		var incident int64
		var page pageFlags
		fs.StringVar(&status, "status", "open", "open, overdue, done or all")
		fs.StringVar(&owner, "owner", "", "only this owner's actions")
		fs.Int64Var(&incident, "incident", 0, "only this incident's actions")
		page.add(fs, "actions", &f)
		return runMuteCmd("actions list", env, fs, &f, args, actionsUsage, func(c apiClient, pos []string) error {
			if len(pos) != 0 {
				return errors.New("list takes no arguments")
			}
			q := page.query("")
			q.Set("status", status)
			path := "/api/v1/actions?"
			if incident > 0 {
				path = fmt.Sprintf("/api/v1/incidents/%d/actions?", incident)
			}
			if owner != "" {
				q.Set("owner", owner)
			}
			return printList(ctx, c, env, path+q.Encode(), f.json, "no follow-up actions", "tocsin actions list",
				"ID\tINCIDENT\tSTATUS\tDUE\tPRIORITY\tTYPE\tOWNER\tTITLE", func(a api.Action) string {
					return fmt.Sprintf("%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s", a.ID, a.IncidentID, a.Status, actionDue(a), a.Priority, a.Type, orDash(a.Owner), a.Title)
				})
		})
	case "add":
		var incident int64
		body := map[string]*string{}
		for _, k := range []string{"title", "owner", "due", "priority", "type", "link"} {
			body[k] = fs.String(k, "", "the action's "+k)
		}
		fs.Int64Var(&incident, "incident", 0, "the incident the action follows up (required)")
		return runMuteCmd("actions add", env, fs, &f, args, actionsUsage, func(c apiClient, pos []string) error {
			if len(pos) != 0 {
				return errors.New("add takes no arguments: give the action with --title and the other flags")
			}
			if incident <= 0 {
				return errors.New("say which incident with --incident ID")
			}
			req := map[string]string{}
			for k, v := range body {
				if *v != "" {
					req[k] = *v
				}
			}
			var out api.One[api.Action]
			if err := c.do(ctx, "POST", fmt.Sprintf("/api/v1/incidents/%d/actions", incident), req, &out); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "follow-up action %d added to incident %d, due %s\n", out.Data.ID, out.Data.IncidentID, actionDue(out.Data))
			return nil
		})
	case "done", "status":
		return runMuteCmd("actions "+sub, env, fs, &f, args, actionsUsage, func(c apiClient, pos []string) error {
			want := 1
			if sub == "status" {
				want = 2
			}
			if len(pos) != want {
				return fmt.Errorf("give %s, as `tocsin actions list` shows it", map[string]string{"done": "the id of one action", "status": "the id of one action and its new status"}[sub])
			}
			path, err := actionPath(pos[0])
			if err != nil {
				return err
			}
			status := "done"
			if sub == "status" {
				status = pos[1]
			}
			var out api.One[api.Action]
			if err := c.do(ctx, "PATCH", path, map[string]string{"status": status}, &out); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "follow-up action %d is %s\n", out.Data.ID, out.Data.Status)
			return nil
		})
	}
	fmt.Fprintf(env.Stderr, "tocsin actions: unknown command %q\n\n%s", sub, actionsUsage)
	return 2
}
