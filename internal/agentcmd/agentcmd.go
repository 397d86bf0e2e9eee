// Package agentcmd is the command line of the agent process: `tocsin agent`
// in the full program, and the slim `tocsin-agent` build (cmd/tocsin-agent)
// for hosts where the agent's memory counts. It wires the agent side of
// package agent to the probe kind registry and nothing of the server — no
// database driver, no web UI — so the slim build links only what an agent
// runs.
package agentcmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/tocsin/tocsin/internal/agent"
	"github.com/tocsin/tocsin/internal/probe/httpx"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
)

func usage(name string) string {
	return "usage:\n  " + name + agentUsage
}

const agentUsage = ` --server URL --token T [--location NAME] [--buffer DIR] [--buffer-max BYTES]

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

// Env is what the agent command takes from its process, passed in so
// tests can run it without touching the real one.
type Env struct {
	Stderr io.Writer
	Getenv func(string) string
	// Version is the program's version, for the start-up line.
	Version string
	// Name is how the usage names the command: "tocsin agent" or
	// "tocsin-agent".
	Name string
}

// Main runs the agent until ctx ends, and returns the process exit code:
// 0 after a clean stop, 1 on a failure, 2 on a usage error, 3 when the
// server refused the agent (a revoked token, another location).
func Main(ctx context.Context, args []string, env Env) int {
	if env.Name == "" {
		env.Name = "tocsin agent"
	}
	fs := flag.NewFlagSet(env.Name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	server := fs.String("server", env.Getenv("TOCSIN_URL"), "Tocsin server base URL (default $TOCSIN_URL)")
	token := fs.String("token", env.Getenv("TOCSIN_AGENT_TOKEN"), "agent token (default $TOCSIN_AGENT_TOKEN)")
	location := fs.String("location", "", "the location the server knows this agent by; a mismatch stops the agent")
	bufDir := fs.String("buffer", defaultBufferDir(env.Getenv), "folder of the on-disk buffer")
	bufMax := fs.Int64("buffer-max", agent.DefaultBufferMax, "size bound of the buffer in bytes; the oldest results go first")
	poll := fs.Duration("poll", 10*time.Second, "how often the assignment is fetched")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		fmt.Fprint(env.Stderr, usage(env.Name))
		return 2
	}
	if *server == "" || *token == "" {
		fmt.Fprintf(env.Stderr, "%s: --server and --token are required\n\n%s", env.Name, usage(env.Name))
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
		fmt.Fprintf(env.Stderr, "%s: %v\n", env.Name, err)
		return 1
	}
	defer buf.Close()
	log.Info("agent starting", "server", *server, "buffer", *bufDir, "buffered", buf.Pending(), "version", env.Version)
	err = agent.Run(ctx, agent.Options{
		Server: *server, Token: *token, Location: *location, Buffer: buf, Logger: log, Poll: *poll,
		Kinds: probekinds.All(probekinds.Deps{Transports: httpx.NewTransports()}), Client: &http.Client{Timeout: 30 * time.Second},
	})
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\n", env.Name, err)
		if errors.Is(err, agent.ErrRefused) {
			return 3
		}
		return 1
	}
	return 0
}
