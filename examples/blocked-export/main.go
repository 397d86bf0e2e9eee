// Command blocked-export replays the second founding incident with real
// parts and a real Tocsin: a catalogue export that partner institutions
// fetch over SFTP, a firewall change that starts dropping SSH from outside,
// the incident that opens and pages the owner, the public status notice,
// the recovery, and the postmortem draft with its timeline and the
// firewall change flagged as a suspect.
//
//	go run ./examples/blocked-export            # about half a minute
//	go run ./examples/blocked-export -keep      # then keep serving the UI
//
// Nothing is needed beyond Go: the SFTP server, the firewall and the
// pager are small in-process servers on loopback ports.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"
)

func main() {
	dir := flag.String("dir", "", "where to keep the database, configuration and postmortem draft (default: a new temporary directory)")
	listen := flag.String("listen", "127.0.0.1:8080", "address of Tocsin's web server")
	interval := flag.Duration("interval", 2*time.Second, "how often the export is checked")
	keep := flag.Bool("keep", false, "keep Tocsin running after the replay, to look around its pages")
	verbose := flag.Bool("v", false, "show Tocsin's log")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *dir == "" {
		d, err := os.MkdirTemp("", "tocsin-blocked-export-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		*dir = d
	}
	o := options{Dir: *dir, Listen: *listen, Interval: *interval, ResolveAfter: 5 * time.Second, Wait: time.Minute}
	if *verbose {
		o.Log = os.Stderr
	}
	if *keep {
		o.Keep = ctx.Done()
	}
	if _, err := run(ctx, os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "blocked-export:", err)
		os.Exit(1)
	}
}
