package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/heartbeat/mailping"
)

// newMailPing builds the email ping listener when server.smtp_listen is
// set. Pings go to o.HeartbeatReceiver; without one, every mail is answered
// 451 (try again later), so sending servers keep it queued.
func newMailPing(cfg *config.Config, o Options, log *slog.Logger) (*mailping.Server, error) {
	s := cfg.Server
	if s.SMTPListen == "" {
		return nil, nil
	}
	rcv := o.HeartbeatReceiver
	if rcv == nil {
		rcv = noReceiver{}
	}
	return mailping.New(mailping.Options{
		Domain:          s.SMTPDomain,
		Receiver:        rcv,
		Known:           o.HeartbeatKnown,
		Keywords:        mailKeywords(cfg),
		MaxMessageBytes: int64(s.SMTPMaxMessageSize),
		MaxRecipients:   s.SMTPMaxRecipients,
		MaxConnections:  s.SMTPMaxConnections,
		Timeout:         s.SMTPTimeout.D(),
		Logger:          log.With("listener", "smtp"),
		Now:             o.Now,
	})
}

func mailKeywords(cfg *config.Config) mailping.Keywords {
	s := cfg.Server
	return mailping.Keywords{Success: s.SMTPSuccessKeywords, Failure: s.SMTPFailureKeywords, Start: s.SMTPStartKeywords}
}

// serveMailPing listens on server.smtp_listen (or o.SMTPListener) and
// serves until stop is called.
func (a *App) serveMailPing(cfg *config.Config) (stop func(context.Context), err error) {
	ln := a.opts.SMTPListener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Server.SMTPListen); err != nil {
			return nil, fmt.Errorf("listening on %s (server.smtp_listen): %w", cfg.Server.SMTPListen, err)
		}
	}
	if a.opts.HeartbeatReceiver == nil {
		a.log.Warn("email pings are deferred: no heartbeat receiver is wired, mail is answered 451", "addr", ln.Addr().String())
	}
	a.mu.Lock()
	a.smtpAddr = ln.Addr().String()
	a.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.smtp.Serve(ln); err != nil {
			a.log.Error("SMTP listener stopped", "err", err)
		}
	}()
	a.log.Info("email pings listening", "addr", ln.Addr().String(), "domain", cfg.Server.SMTPDomain)
	return func(ctx context.Context) {
		// Mails in transfer get a few seconds to end; idle connections
		// are then closed.
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_ = a.smtp.Shutdown(ctx)
		<-done
	}, nil
}

// SMTPAddr returns the address the email ping listener listens on, once
// Run started it; "" when it is off.
func (a *App) SMTPAddr() string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.smtpAddr
}

// smtpChanged reports a reload that changes what only a restart applies:
// everything of the listener but its keywords.
func smtpChanged(prev, next config.Server) bool {
	return prev.SMTPListen != next.SMTPListen || prev.SMTPDomain != next.SMTPDomain ||
		prev.SMTPMaxMessageSize != next.SMTPMaxMessageSize || prev.SMTPMaxRecipients != next.SMTPMaxRecipients ||
		prev.SMTPMaxConnections != next.SMTPMaxConnections || prev.SMTPTimeout != next.SMTPTimeout
}

// noReceiver stands in until heartbeat ingest is wired: nothing is stored,
// so nothing is acknowledged.
type noReceiver struct{}

func (noReceiver) Receive(context.Context, heartbeat.Ping) error {
	return errs.Errorf(errs.EUNAVAILABLE, "heartbeat ingest is not available")
}
