package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/heartbeat/mailping"
)

// newMailPing builds the email ping listener when server.smtp_listen is
// set. Its mails go to the heartbeat hub, which also tells it at RCPT
// which addresses name no heartbeat.
func newMailPing(cfg *config.Config, hub *heartbeat.Hub, log *slog.Logger, now func() time.Time) (*mailping.Server, error) {
	s := cfg.Server
	if s.SMTPListen == "" {
		return nil, nil
	}
	return mailping.New(mailping.Options{
		Domain:          s.SMTPDomain,
		Receiver:        hub,
		Known:           hub.Known,
		Keywords:        mailKeywords(cfg),
		BodyLimit:       s.Pings.BodyLimit,
		MaxMessageBytes: int64(s.SMTPMaxMessageSize),
		MaxRecipients:   s.SMTPMaxRecipients,
		MaxConnections:  s.SMTPMaxConnections,
		Timeout:         s.SMTPTimeout.D(),
		Logger:          log.With("listener", "smtp"),
		Now:             now,
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
