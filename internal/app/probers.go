package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/dnsx"
	"github.com/tocsin/tocsin/internal/probe/httpx"
	"github.com/tocsin/tocsin/internal/probe/imap"
	"github.com/tocsin/tocsin/internal/probe/mailloop"
	"github.com/tocsin/tocsin/internal/probe/pop3"
	"github.com/tocsin/tocsin/internal/probe/smtp"
	"github.com/tocsin/tocsin/internal/probe/tcp"
	"github.com/tocsin/tocsin/internal/probe/tlsx"
	"github.com/tocsin/tocsin/internal/redact"
	"github.com/tocsin/tocsin/internal/scheduler"
)

// proberDeps is what probers share across monitors and reloads.
type proberDeps struct {
	// transports pools HTTP connections between monitors; nil gives each
	// prober its own (tocsin check).
	transports *httpx.Transports
	// ledger keeps the mail loop's mails in flight; nil keeps them in
	// memory, for one-off runs.
	ledger mailloop.Ledger
}

// newProber builds the prober for one monitor from its type block.
func newProber(m *config.Monitor, deps proberDeps) (probe.Prober, error) {
	switch m.Type {
	case "http":
		return httpx.New(m.HTTP, deps.transports)
	case "tcp":
		return tcp.New(m.TCP)
	case "tls":
		return tlsx.New(m.TLS)
	case "dns":
		return dnsx.New(m.DNS)
	case "mailloop":
		return mailloop.New(m.ID, m.MailLoop, deps.ledger)
	case "smtp":
		return smtp.New(m.SMTP)
	case "imap":
		return imap.New(m.IMAP)
	case "pop3":
		return pop3.New(m.POP3)
	case "ssh", "sftp", "icmp", "command":
		return newHostProber(m)
	default:
		return nil, fmt.Errorf("unknown monitor type %q", m.Type)
	}
}

// buildProbers builds a prober for every monitor in next, reusing the
// running prober (and so its warm connections) of monitors whose definition
// did not change. A monitor whose prober cannot be built (a CA file that
// vanished after validation, say) gets one that reports why on every run, so
// the problem shows on its page instead of stopping the server.
func buildProbers(next, prev *config.Config, running map[string]probe.Prober, deps proberDeps, log *slog.Logger) map[string]probe.Prober {
	out := make(map[string]probe.Prober, len(next.Monitors))
	for i := range next.Monitors {
		m := &next.Monitors[i]
		if prev != nil {
			if old, ok := prev.Monitor(m.ID); ok && old.Fingerprint() == m.Fingerprint() && running[m.ID] != nil {
				out[m.ID] = running[m.ID]
				continue
			}
		}
		p, err := newProber(m, deps)
		if err != nil {
			why := redact.Target(err.Error())
			log.Error("monitor cannot run", "monitor", m.ID, "err", why)
			msg := fmt.Sprintf("monitor %q cannot run: %s", m.ID, why)
			p = probe.ProberFunc(func(context.Context) probe.Result {
				return probe.Result{Status: probe.Unknown, Reason: msg}
			})
		}
		out[m.ID] = p
	}
	return out
}

// targetHost is the host a monitor talks to, for the per-host limit.
func targetHost(m *config.Monitor) string {
	hostOf := func(addr string) string {
		if h, _, err := net.SplitHostPort(addr); err == nil {
			return h
		}
		return addr
	}
	switch {
	case m.HTTP != nil:
		if u, err := url.Parse(m.HTTP.URL); err == nil {
			return u.Hostname()
		}
	case m.TCP != nil:
		return hostOf(m.TCP.Address)
	case m.TLS != nil:
		return hostOf(m.TLS.Address)
	case m.DNS != nil:
		if m.DNS.Server != "" {
			return hostOf(m.DNS.Server)
		}
		return "dns"
	case m.MailLoop != nil && m.MailLoop.SMTP != nil:
		return hostOf(m.MailLoop.SMTP.Address)
	case m.MailLoop != nil && m.MailLoop.IMAP != nil:
		return hostOf(m.MailLoop.IMAP.Address)
	case m.MailLoop != nil && m.MailLoop.POP3 != nil:
		return hostOf(m.MailLoop.POP3.Address)
	case m.SMTP != nil:
		return hostOf(m.SMTP.Address)
	case m.IMAP != nil:
		return hostOf(m.IMAP.Address)
	case m.POP3 != nil:
		return hostOf(m.POP3.Address)
	case m.SSH != nil || m.SFTP != nil || m.ICMP != nil || m.Command != nil:
		return hostTargetHost(m)
	}
	return m.ID
}

// CheckOnce runs one monitor's probe once, outside the server, for
// `tocsin check`.
func CheckOnce(ctx context.Context, m *config.Monitor) probe.Result {
	p, err := newProber(m, proberDeps{})
	if err != nil {
		return probe.Result{MonitorID: m.ID, Time: time.Now().UTC(), Status: probe.Unknown, Reason: redact.Target(err.Error())}
	}
	return runProbe(ctx, m, p, time.Now)
}

// runProbe runs a prober under the monitor's timeout and fills in what the
// prober may leave out. Every result's reason passes through redact here,
// whatever the kind: a reason is shown and sent everywhere, the
// credentials of a target never are.
func runProbe(ctx context.Context, m *config.Monitor, p probe.Prober, now func() time.Time) probe.Result {
	start := now()
	ctx, cancel := context.WithTimeout(ctx, m.Timeout.D())
	defer cancel()
	r := p.Probe(ctx)
	r.MonitorID = m.ID
	r.Reason = redact.Target(r.Reason)
	if r.Time.IsZero() {
		r.Time = start
	}
	r.Time = r.Time.UTC()
	if r.Duration == 0 {
		r.Duration = now().Sub(start)
	}
	return r
}

// jobs turns the configured monitors into scheduler jobs. Paused monitors
// stay scheduled but skip their runs, so resuming needs no reschedule.
func (a *App) jobs(cfg *config.Config) []scheduler.Job {
	out := make([]scheduler.Job, 0, len(cfg.Monitors))
	for i := range cfg.Monitors {
		m := &cfg.Monitors[i]
		id := m.ID
		out = append(out, scheduler.Job{
			ID:       id,
			Key:      m.Fingerprint(),
			Interval: m.Interval.D(),
			Host:     targetHost(m),
			Run: func(ctx context.Context, scheduled time.Time) {
				if a.eval.paused(id) {
					return
				}
				en, ok := a.eval.view(id)
				if !ok || en.prober == nil {
					return
				}
				a.eval.submit(ctx, runProbe(ctx, &en.cfg, en.prober, a.now))
			},
		})
	}
	return out
}
