// Command tocsin-agent is the slim build of `tocsin agent`: the same agent
// with the same flags, linked without the server's database drivers, web UI
// and renderers, for hosts where the agent's memory counts. Build it with
//
//	go build -o tocsin-agent ./cmd/tocsin-agent
//
// and run it as `tocsin-agent --server URL --token T`. See docs/agents.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/tocsin/tocsin/internal/agentcmd"
)

// version is set at build time with
// -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := agentcmd.Main(ctx, os.Args[1:], agentcmd.Env{Stderr: os.Stderr, Getenv: os.Getenv, Version: version, Name: "tocsin-agent"})
	stop()
	os.Exit(code)
}
