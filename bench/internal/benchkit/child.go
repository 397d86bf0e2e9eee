package benchkit

import (
	"context"
	"os"

	"github.com/tocsin/tocsin/internal/app"
)

// Environment of a bench command's own binary started as a `tocsin serve`
// child (RunChild): the configuration file it serves and its log level.
const (
	ServeEnv    = "TOCSIN_BENCH_SERVE"
	LogLevelEnv = "TOCSIN_BENCH_LOG_LEVEL"
)

// RunChild serves the configuration ServeEnv names and ends the process
// when the variable is set; it returns at once when it is not. A bench
// command calls it first, so that it measures the server as its own
// child process, its CPU and memory apart from the command's.
func RunChild() {
	path := os.Getenv(ServeEnv)
	if path == "" {
		return
	}
	os.Exit(app.Main(context.Background(), []string{"serve", "--config", path, "--log-level", os.Getenv(LogLevelEnv)},
		app.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
}
