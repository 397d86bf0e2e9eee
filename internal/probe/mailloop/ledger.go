package mailloop

import (
	"context"
	"slices"
	"sync"
	"time"
)

// States of a probe mail.
const (
	StatePending  = "pending"  // sent, not seen yet
	StateReceived = "received" // seen within max_delivery
	StateLost     = "lost"     // not seen within max_delivery
	StateLate     = "late"     // seen after it had been counted as lost
)

// Message is the bookkeeping of one probe mail a mail loop monitor sent.
// It is declared here, not taken from the store, so the probe needs nothing
// but the small Ledger interface; the app converts the store's MailProbe,
// which has the same fields, to it.
type Message struct {
	MonitorID string
	// Token is unique per mail; it is in the X-Tocsin-Probe header and the
	// subject.
	Token  string
	SentAt time.Time
	// Via is the SMTP server the mail was submitted to.
	Via   string
	State string
	// ReceivedAt is when the mail was delivered (the receiving server's
	// Received: header) or, without one, when the probe first saw it.
	ReceivedAt time.Time
	// Folder is where the probe found it.
	Folder string
}

// Latency is the delivery latency of a received mail, 0 otherwise.
func (m Message) Latency() time.Duration {
	if m.ReceivedAt.IsZero() {
		return 0
	}
	return max(m.ReceivedAt.Sub(m.SentAt), 0)
}

// Ledger keeps the probe mails of mail loop monitors across runs and
// restarts. internal/app passes the store; `tocsin check` passes a
// MemoryLedger. Implementations must be safe for concurrent use.
type Ledger interface {
	// AddMailProbe records a mail just sent.
	AddMailProbe(ctx context.Context, m Message) error
	// UpdateMailProbe stores the State, ReceivedAt and Folder of a
	// recorded mail (by MonitorID and Token); an unknown mail is ENOTFOUND.
	UpdateMailProbe(ctx context.Context, m Message) error
	// MailProbes lists a monitor's mails sent at or after since, and every
	// one still pending whatever its age, oldest first.
	MailProbes(ctx context.Context, monitorID string, since time.Time) ([]Message, error)
	// PruneMailProbes deletes the monitor's mails (every monitor's when
	// monitorID is "") sent before before, returning how many went.
	PruneMailProbes(ctx context.Context, monitorID string, before time.Time) (int64, error)
}

// MemoryLedger is a Ledger in memory, for one-off checks and tests.
type MemoryLedger struct {
	mu   sync.Mutex
	msgs []Message
}

var _ Ledger = (*MemoryLedger)(nil)

// AddMailProbe records m.
func (l *MemoryLedger) AddMailProbe(_ context.Context, m Message) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, m)
	return nil
}

// UpdateMailProbe updates the recorded copy of m.
func (l *MemoryLedger) UpdateMailProbe(_ context.Context, m Message) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range l.msgs {
		if l.msgs[i].MonitorID == m.MonitorID && l.msgs[i].Token == m.Token {
			l.msgs[i].State, l.msgs[i].ReceivedAt, l.msgs[i].Folder = m.State, m.ReceivedAt, m.Folder
			return nil
		}
	}
	return errNotFound
}

// MailProbes lists the monitor's mails sent since since, and pending ones.
func (l *MemoryLedger) MailProbes(_ context.Context, monitorID string, since time.Time) ([]Message, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Message
	for _, m := range l.msgs {
		if m.MonitorID == monitorID && (!m.SentAt.Before(since) || m.State == StatePending) {
			out = append(out, m)
		}
	}
	slices.SortStableFunc(out, func(a, b Message) int { return a.SentAt.Compare(b.SentAt) })
	return out, nil
}

// PruneMailProbes deletes old mails.
func (l *MemoryLedger) PruneMailProbes(_ context.Context, monitorID string, before time.Time) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.msgs)
	l.msgs = slices.DeleteFunc(l.msgs, func(m Message) bool {
		return (monitorID == "" || m.MonitorID == monitorID) && m.SentAt.Before(before)
	})
	return int64(n - len(l.msgs)), nil
}
