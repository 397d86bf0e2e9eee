package store

import (
	"context"
	"time"
)

// Change is a change event: a deploy, a firewall rule, a configuration
// edit that someone or a pipeline announced, with what it touched.
// Components are "host:ID", "component:ID" or free names.
type Change struct {
	ID         int64
	Title      string
	Author     string
	Time       time.Time
	Services   []string
	Components []string
	Link       string
	CreatedAt  time.Time
	CreatedBy  string
}

// ChangeFilter selects change events: those touching Service when set,
// whose Time is at or after Since and before Until when set; one Page of
// them, newest recorded (highest ID) first.
type ChangeFilter struct {
	Service string
	Since   time.Time
	Until   time.Time
	Page    Page
}

// Changes keeps the change events.
type Changes interface {
	// AddChange stores a change event; the store sets ID and CreatedAt,
	// and Time when it is zero.
	AddChange(ctx context.Context, c Change) (Change, error)
	// Change returns one change event; ENOTFOUND when there is none.
	Change(ctx context.Context, id int64) (Change, error)
	// ChangeList lists the change events f selects, highest ID first.
	ChangeList(ctx context.Context, f ChangeFilter) ([]Change, error)
}
