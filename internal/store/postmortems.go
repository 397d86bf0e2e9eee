package store

import (
	"context"
	"time"
)

// Postmortem states, in order.
const (
	PostmortemDraft     = "draft"
	PostmortemInReview  = "in_review"
	PostmortemPublished = "published"
)

// Postmortem is the stored, edited postmortem of one incident.
type Postmortem struct {
	IncidentID int64
	Title      string
	// Body is the Markdown text.
	Body                 string
	State                string
	CreatedAt, UpdatedAt time.Time
	CreatedBy, UpdatedBy string
	// ApprovedBy and ApprovedAt say who published it, and when.
	ApprovedBy string
	ApprovedAt time.Time
}

// Postmortems stores postmortems.
type Postmortems interface {
	// Postmortem returns the postmortem of an incident; ENOTFOUND.
	Postmortem(ctx context.Context, incidentID int64) (Postmortem, error)
	// SavePostmortem stores the title and body of an incident's
	// postmortem, creating it as a draft when there is none. A published
	// postmortem is refused with ECONFLICT; an unknown incident with
	// ENOTFOUND.
	SavePostmortem(ctx context.Context, p Postmortem, by string) (Postmortem, error)
	// SetPostmortemState moves a postmortem: draft to in_review, in_review
	// back to draft or on to published (recording by as the approver).
	// Other moves are refused with ECONFLICT, unknown states with
	// EINVALID.
	SetPostmortemState(ctx context.Context, incidentID int64, state, by string) (Postmortem, error)
	// PublishedPostmortems lists published postmortems whose title or
	// body contains q (any case; "" lists all), highest incident id
	// first, paged by incident id.
	PublishedPostmortems(ctx context.Context, q string, p Page) ([]Postmortem, error)
}
