package store

import (
	"context"
	"time"
)

// Kinds of calendar token: what a feed's token opens.
const (
	// CalendarSchedule opens the feed of every shift of one schedule.
	CalendarSchedule = "schedule"
	// CalendarPerson opens the feed of one person's shifts in every schedule.
	CalendarPerson = "person"
)

// CalendarToken lets a calendar application read on-call shifts without a
// login. The secret is part of the feed's URL; the store keeps only its
// SHA-256 hash, so a token's URL is shown once, when it is created.
type CalendarToken struct {
	ID int64
	// Kind is CalendarSchedule or CalendarPerson; Subject is the id of the
	// schedule or the person.
	Kind    string
	Subject string
	// TokenHash is the SHA-256 of the secret.
	TokenHash []byte
	// Prefix is the secret's first characters, shown to tell tokens apart.
	Prefix string
	// CreatedBy is the user who created the token; deleting the user
	// revokes their tokens.
	CreatedBy  int64
	CreatedAt  time.Time
	LastUsedAt time.Time // zero until the feed is first read
}

// CalendarTokens holds the tokens of the iCal feeds of on-call schedules.
type CalendarTokens interface {
	// CreateCalendarToken stores t and returns it with its ID and, when
	// t.CreatedAt is zero, the store's time. EINVALID for an unknown kind
	// or an empty subject or hash; ENOTFOUND when the creating user does
	// not exist; ECONFLICT when the hash is taken.
	CreateCalendarToken(ctx context.Context, t CalendarToken) (CalendarToken, error)
	// CalendarTokenByHash returns the token with the hash; ENOTFOUND when
	// there is none (never created, or revoked).
	CalendarTokenByHash(ctx context.Context, tokenHash []byte) (CalendarToken, error)
	// CalendarTokens lists the tokens of one kind and subject, oldest
	// first; kind "" lists every token.
	CalendarTokens(ctx context.Context, kind, subject string) ([]CalendarToken, error)
	// DeleteCalendarToken revokes a token; ENOTFOUND when none has the id.
	DeleteCalendarToken(ctx context.Context, id int64) error
	// TouchCalendarToken records when a token's feed was last read;
	// ENOTFOUND when the token does not exist.
	TouchCalendarToken(ctx context.Context, id int64, at time.Time) error
}
