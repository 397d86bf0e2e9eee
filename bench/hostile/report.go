package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// report is what one flood did.
type report struct {
	db, flood, desc string
	fatal           string // the run could not be done
	outcome         []string
	took            time.Duration

	mem          memStats
	pings        pingSummary
	checks       float64
	failedChecks float64
	storedDowns  int // down transitions of the watched monitors and heartbeats
	hookDowns    int // monitor.down notifications the webhook received
	validRefused int // valid flood pings not stored (utf8)
	acked        int64
	stored       int64
	lost         int64
	created      int // heartbeats stored in the database (made by ?create=1)
	stop         string
	logLines     int
	logTail      string
	notes        []string
}

// falseDowns counts a down once whether it was stored, notified or both.
func (r *report) falseDowns() int { return max(r.storedDowns, r.hookDowns) }

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "\n== %s: %s — %s\n", r.db, r.flood, r.desc)
	if r.fatal != "" {
		fmt.Fprintf(w, "   FAILED TO RUN: %s\n", r.fatal)
		return
	}
	fmt.Fprintf(w, "   flood took %s\n", r.took.Round(100*time.Millisecond))
	for _, l := range r.outcome {
		fmt.Fprintf(w, "   %s\n", l)
	}
	m := r.mem
	fmt.Fprintf(w, "   server: peak RSS %s (%s when the flood began), at most %d open files, %.2f CPU cores\n",
		mib(m.peak), mib(m.start), m.fds, m.cpu/max(m.span.Seconds(), 1e-9))
	p := r.pings
	fmt.Fprintf(w, "   regular pings during the flood: %d, p50 %s, p95 %s, p99 %s, max %s (p95 before it: %s)\n",
		p.n, ms(p.p50), ms(p.p95), ms(p.p99), ms(p.max), ms(p.baseP95))
	if p.failed > 0 {
		fmt.Fprintf(w, "   regular pings not stored: %d: %s\n", p.failed, p.failedOutcomes)
	}
	fmt.Fprintf(w, "   healthy monitors: %.0f checks, %.0f not OK; false downs %d (stored %d, notified %d)\n",
		r.checks, r.failedChecks, r.falseDowns(), r.storedDowns, r.hookDowns)
	fmt.Fprintf(w, "   pings acknowledged %d, in the database %d, lost %d; heartbeats created in the database %d\n",
		r.acked, r.stored, r.lost, r.created)
	fmt.Fprintf(w, "   server %s; %d log lines\n", r.stop, r.logLines)
	if r.logLines > 0 {
		for _, l := range strings.Split(r.logTail, "\n") {
			fmt.Fprintf(w, "     | %s\n", shorten(l, 200))
		}
	}
	for _, n := range r.notes {
		fmt.Fprintf(w, "   %s\n", n)
	}
}

// printSummary prints one row per flood and an overall row, and reports
// whether a must-be-zero figure was not zero.
func printSummary(w io.Writer, all []*report) (bad bool) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "db\tflood\tpeak RSS\tping p95\tping p99\tregular refused\tvalid refused\tchecks not OK\tfalse downs\tpings lost\tcreated\tlog lines\t")
	var (
		peak           int64
		p95, p99       time.Duration
		refused, downs int
		validRefused   int
		notOK          float64
		lost           int64
		created, logs  int
	)
	for _, r := range all {
		if r.fatal != "" {
			fmt.Fprintf(tw, "%s\t%s\tdid not run\t\t\t\t\t\t\t\t\t\t\n", r.db, r.flood)
			bad = true
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%.0f\t%d\t%d\t%d\t%d\t\n", r.db, r.flood, mib(r.mem.peak), ms(r.pings.p95), ms(r.pings.p99),
			r.pings.failed, r.validRefused, r.failedChecks, r.falseDowns(), r.lost, r.created, r.logLines)
		peak, p95, p99 = max(peak, r.mem.peak), max(p95, r.pings.p95), max(p99, r.pings.p99)
		validRefused += r.validRefused
		refused, notOK, downs, lost = refused+r.pings.failed, notOK+r.failedChecks, downs+r.falseDowns(), lost+r.lost
		created, logs = created+r.created, logs+r.logLines
	}
	fmt.Fprintf(tw, "overall\t\t%s\t%s\t%s\t%d\t%d\t%.0f\t%d\t%d\t%d\t%d\t\n", mib(peak), ms(p95), ms(p99), refused, validRefused, notOK, downs, lost, created, logs)
	_ = tw.Flush()
	if downs > 0 || lost > 0 {
		bad = true
	}
	verdict := "PASS: no false downs, no acknowledged ping lost"
	if bad {
		verdict = fmt.Sprintf("FAIL: %d false downs, %d acknowledged pings lost (both must be 0)", downs, lost)
	}
	fmt.Fprintln(w, verdict)
	return bad
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
