// Package inbox is the channel that keeps notifications in Tocsin. Every
// notification is already stored in the outbox, with its whole event, before
// any channel sees it; an inbox channel has nothing to send, so delivering
// is accepting it, and the outbox row becomes the inbox entry the Inbox page
// and the API list (store.Outbox.ChannelMessages). The entries are kept as
// long as the store keeps notifications.
package inbox

import (
	"context"

	"github.com/tocsin/tocsin/internal/notify"
)

// Notifier accepts every event: the outbox row that carries it is the
// record. It is safe for concurrent use.
type Notifier struct{}

// New returns an inbox notifier.
func New() Notifier { return Notifier{} }

// Notify accepts e; it never fails.
func (Notifier) Notify(context.Context, notify.Event) (retry bool, err error) {
	return false, nil
}
