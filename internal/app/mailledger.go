package app

import (
	"context"
	"time"

	"github.com/tocsin/tocsin/internal/probe/mailloop"
	"github.com/tocsin/tocsin/internal/store"
)

// mailLedger is the store's bookkeeping of probe mails seen as the
// mailloop.Ledger the mail loop probers use. The store's MailProbe and the
// probe's Message have the same fields, so each is converted to the other;
// a field added to one and not the other stops the build here.
type mailLedger struct{ st store.MailProbes }

var _ mailloop.Ledger = mailLedger{}

func (l mailLedger) AddMailProbe(ctx context.Context, m mailloop.Message) error {
	return l.st.AddMailProbe(ctx, store.MailProbe(m))
}

func (l mailLedger) UpdateMailProbe(ctx context.Context, m mailloop.Message) error {
	return l.st.UpdateMailProbe(ctx, store.MailProbe(m))
}

func (l mailLedger) MailProbes(ctx context.Context, monitorID string, since time.Time) ([]mailloop.Message, error) {
	ms, err := l.st.MailProbes(ctx, monitorID, since)
	if err != nil {
		return nil, err
	}
	out := make([]mailloop.Message, len(ms))
	for i, m := range ms {
		out[i] = mailloop.Message(m)
	}
	return out, nil
}

func (l mailLedger) PruneMailProbes(ctx context.Context, monitorID string, before time.Time) (int64, error) {
	return l.st.PruneMailProbes(ctx, monitorID, before)
}
