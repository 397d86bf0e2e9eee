package store

import (
	"context"
	"time"

	"github.com/tocsin/tocsin/internal/notify"
)

// Subscriber kinds.
const (
	SubscriberEmail   = "email"
	SubscriberWebhook = "webhook"
)

// Subscriber token purposes.
const (
	TokenConfirm     = "confirm"
	TokenUnsubscribe = "unsubscribe"
)

// Subscriber is someone who asked for a status page's incident updates:
// an email address or a webhook URL. Only confirmed subscribers get
// updates.
type Subscriber struct {
	ID     int64
	PageID string
	// Kind is SubscriberEmail or SubscriberWebhook; Address the mail
	// address or the URL.
	Kind      string
	Address   string
	CreatedAt time.Time
	// ConfirmedAt is zero while the subscription waits for its
	// confirmation.
	ConfirmedAt time.Time
}

// SubscriberToken is a one-time link's token, kept only as its SHA-256
// hash. A confirm token expires; unsubscribe tokens last as long as their
// subscriber.
type SubscriberToken struct {
	Hash    []byte
	Purpose string
	// Expires is zero for a token that does not expire.
	Expires time.Time
}

// SubscriberMessage is one outbox message for a subscriber with the
// unsubscribe token its link carries: both are stored, or neither.
type SubscriberMessage struct {
	SubscriberID int64
	Token        SubscriberToken
	Message      notify.OutboxMessage
}

// SubscriberCount counts one page's subscribers.
type SubscriberCount struct {
	Pending   int `json:"pending"`
	Confirmed int `json:"confirmed"`
}

// Subscribers keeps the subscriptions to status pages.
type Subscribers interface {
	// AddSubscriber records a subscription request with its confirm
	// token, and the confirmation message when there is one, in one
	// transaction. A request for a page and address already recorded
	// reuses that subscriber, confirmed or not, and adds the new token.
	AddSubscriber(ctx context.Context, s Subscriber, t SubscriberToken, confirmation *notify.OutboxMessage) (Subscriber, error)
	// ConfirmSubscriber confirms the subscriber of a confirm token at now
	// and uses the token up; ENOTFOUND for an unknown, used or expired
	// token.
	ConfirmSubscriber(ctx context.Context, tokenHash []byte, now time.Time) (Subscriber, error)
	// SubscriberByToken returns the subscriber of an unsubscribe token
	// that has not expired; ENOTFOUND when there is none.
	SubscriberByToken(ctx context.Context, tokenHash []byte) (Subscriber, error)
	// DeleteSubscriber removes a page's subscriber and its tokens;
	// ENOTFOUND when there is none.
	DeleteSubscriber(ctx context.Context, pageID string, id int64) error
	// Subscribers lists a page's subscribers, newest first, paged by ID;
	// confirmedBefore, when not zero, keeps only those confirmed before
	// it.
	Subscribers(ctx context.Context, pageID string, confirmedBefore time.Time, p Page) ([]Subscriber, error)
	// SubscriberCounts counts the subscribers of every page that has any.
	SubscriberCounts(ctx context.Context) (map[string]SubscriberCount, error)
	// QueueSubscriberMessages stores each message with its token, in one
	// transaction, skipping those whose id is already queued for their
	// channel (their token too), and returns how many it stored.
	QueueSubscriberMessages(ctx context.Context, ms []SubscriberMessage) (int, error)
	// PruneSubscribers deletes the tokens expired at now and the
	// subscribers never confirmed that have no token left, returning how
	// many subscribers went.
	PruneSubscribers(ctx context.Context, now time.Time) (int64, error)
}
