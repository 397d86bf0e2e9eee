package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/tocsin/tocsin/internal/agent"
	"github.com/tocsin/tocsin/internal/probe/httpx"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/web/api"
)

const agentUsage = `usage:
  tocsin agent --server URL --token T [--location NAME] [--buffer DIR] [--buffer-max BYTES]

Runs the monitors the server assigns to this agent and pushes their results.
--server defaults to $TOCSIN_URL and --token to $TOCSIN_AGENT_TOKEN (a token
from tocsin agent-token create). --buffer defaults to $STATE_DIRECTORY (set
by systemd's StateDirectory=), else tocsin-agent under the user's cache
folder. See docs/agents.md.
`

// The agent's garbage collection: half the heap growth of the default
// before a collection, and a soft limit on the memory the Go runtime
// holds (the mapped binary is not counted). Both give way to GOGC and
// GOMEMLIMIT in the environment.
const (
	agentGCPercent   = 50
	agentMemoryLimit = 10 << 20
)

// defaultBufferDir is where the agent keeps its buffer unless told.
func defaultBufferDir(getenv func(string) string) string {
	if d := getenv("STATE_DIRECTORY"); d != "" {
		return filepath.Join(filepath.SplitList(d)[0], "buffer")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "tocsin-agent")
	}
	return filepath.Join(os.TempDir(), "tocsin-agent")
}

func cmdAgent(ctx context.Context, args []string, env Env) int {
	fs := flag.NewFlagSet("tocsin agent", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	server := fs.String("server", env.Getenv("TOCSIN_URL"), "Tocsin server base URL (default $TOCSIN_URL)")
	token := fs.String("token", env.Getenv("TOCSIN_AGENT_TOKEN"), "agent token (default $TOCSIN_AGENT_TOKEN)")
	location := fs.String("location", "", "the location the server knows this agent by; a mismatch stops the agent")
	bufDir := fs.String("buffer", defaultBufferDir(env.Getenv), "folder of the on-disk buffer")
	bufMax := fs.Int64("buffer-max", agent.DefaultBufferMax, "size bound of the buffer in bytes; the oldest results go first")
	poll := fs.Duration("poll", 10*time.Second, "how often the assignment is fetched")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		fmt.Fprint(env.Stderr, agentUsage)
		return 2
	}
	if *server == "" || *token == "" {
		fmt.Fprintf(env.Stderr, "tocsin agent: --server and --token are required\n\n%s", agentUsage)
		return 2
	}
	// The agent lives on the hosts it watches and should stay small
	// there: unless GOGC or GOMEMLIMIT say otherwise, its heap is
	// collected sooner than a server's (docs/agents.md, Scale).
	if env.Getenv("GOGC") == "" {
		debug.SetGCPercent(agentGCPercent)
	}
	if env.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(agentMemoryLimit)
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, nil))
	buf, err := agent.OpenBuffer(*bufDir, *bufMax, log)
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin agent: %v\n", err)
		return 1
	}
	defer buf.Close()
	log.Info("agent starting", "server", *server, "buffer", *bufDir, "buffered", buf.Pending(), "version", Version)
	err = agent.Run(ctx, agent.Options{
		Server: *server, Token: *token, Location: *location, Buffer: buf, Logger: log, Poll: *poll,
		Kinds: probekinds.All(probekinds.Deps{Transports: httpx.NewTransports()}), Client: &http.Client{Timeout: 30 * time.Second},
	})
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin agent: %v\n", err)
		if errors.Is(err, agent.ErrRefused) {
			return 3
		}
		return 1
	}
	return 0
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
