package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/tocsin/tocsin/internal/agentcmd"
	"github.com/tocsin/tocsin/internal/web/api"
)

// cmdAgent runs the agent: the same command as the slim tocsin-agent build.
func cmdAgent(ctx context.Context, args []string, env Env) int {
	return agentcmd.Main(ctx, args, agentcmd.Env{Stderr: env.Stderr, Getenv: env.Getenv, Version: Version, Name: "tocsin agent"})
}

const agentTokenUsage = `usage:
  tocsin agent-token create [--location L] ID
  tocsin agent-token list [--json]
  tocsin agent-token revoke ID

create prints the new agent's token once: keep it for tocsin agent --token.
Every form also takes --server URL (default $TOCSIN_URL) and --token TOKEN
(default $TOCSIN_TOKEN, an API token from Settings → API tokens).
`

func cmdAgentToken(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, agentTokenUsage)
		return 2
	}
	var f muteFlags
	sub, args := args[0], args[1:]
	fs := newMuteFlagSet("agent-token "+sub, env, &f)
	switch sub {
	case "create":
		var location string
		fs.StringVar(&location, "location", "", "where the agent runs (default its id)")
		return runMuteCmd("agent-token create", env, fs, &f, args, agentTokenUsage, func(c apiClient, pos []string) error {
			if len(pos) != 1 {
				return errors.New("give the id of one agent")
			}
			var out api.One[api.Agent]
			if err := c.do(ctx, "POST", "/api/v1/agents", map[string]string{"id": pos[0], "location": location}, &out); err != nil {
				return err
			}
			fmt.Fprintf(env.Stderr, "agent %s created at location %s; its token, shown this once:\n", out.Data.ID, out.Data.Location)
			fmt.Fprintln(env.Stdout, out.Data.Token)
			return nil
		})
	case "list":
		fs.BoolVar(&f.json, "json", false, "print the API's JSON")
		return runMuteCmd("agent-token list", env, fs, &f, args, agentTokenUsage, func(c apiClient, pos []string) error {
			if len(pos) != 0 {
				return errors.New("list takes no arguments")
			}
			return printList(ctx, c, env, "/api/v1/agents", f.json, "no agents", "", "ID\tLOCATION\tSTATE\tLAST SEEN\tFROM", func(a api.Agent) string {
				state, from := "silent", "api"
				switch {
				case a.RevokedAt != nil:
					state = "revoked " + fmtTime(a.RevokedAt)
				case a.Live:
					state = "live"
				}
				if a.FromFile {
					from = "config file"
				}
				return fmt.Sprintf("%s\t%s\t%s\t%s\t%s", a.ID, a.Location, state, fmtTime(a.LastSeen), from)
			})
		})
	case "revoke":
		return runMuteCmd("agent-token revoke", env, fs, &f, args, agentTokenUsage, func(c apiClient, pos []string) error {
			if len(pos) != 1 {
				return errors.New("give the id of one agent")
			}
			var raw []byte
			if err := c.do(ctx, "DELETE", "/api/v1/agents/"+url.PathEscape(pos[0]), nil, &raw); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "agent %s revoked\n", pos[0])
			return nil
		})
	}
	fmt.Fprintf(env.Stderr, "tocsin agent-token: unknown command %q\n\n%s", sub, agentTokenUsage)
	return 2
}
