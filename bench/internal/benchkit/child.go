package benchkit

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"github.com/tocsin/tocsin/internal/app"
)

// Environment of a bench command's own binary started as a `tocsin serve`
// child (RunChild): the configuration file it serves, its log level and,
// when set, the address it serves its CPU profile on (FetchCPUProfile).
const (
	ServeEnv    = "TOCSIN_BENCH_SERVE"
	LogLevelEnv = "TOCSIN_BENCH_LOG_LEVEL"
	PprofEnv    = "TOCSIN_BENCH_PPROF"
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
	if addr := os.Getenv(PprofEnv); addr != "" {
		// A mux of its own: the profile is the bench's, never served on
		// the server's listener.
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		go func() { log.Println(http.ListenAndServe(addr, mux)) }()
	}
	os.Exit(app.Main(context.Background(), []string{"serve", "--config", path, "--log-level", os.Getenv(LogLevelEnv)},
		app.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
}

// FetchCPUProfile asks a child started with PprofEnv=addr for a CPU
// profile of the next d and writes it to path; it logs a failure and
// returns, since a missing profile does not spoil the measures.
func FetchCPUProfile(addr string, d time.Duration, path string) {
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, max(int(d.Seconds()), 1)))
	if err != nil {
		log.Printf("profile %s: %v", path, err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		log.Printf("profile %s: %s", path, resp.Status)
		return
	}
	f, err := os.Create(path)
	if err != nil {
		log.Printf("profile %s: %v", path, err)
		return
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		log.Printf("profile %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		log.Printf("profile %s: %v", path, err)
	}
}
