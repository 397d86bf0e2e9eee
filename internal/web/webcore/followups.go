package webcore

import (
	"strings"

	"github.com/tocsin/tocsin/internal/catalog"
)

// FollowUpTimezone is the timezone a follow-up action's due date is read
// in: its owner's when the owner is a person of the catalog who has one
// ("person:ana" or "ana"), else UTC.
func FollowUpTimezone(cat *catalog.Catalog, owner string) string {
	if cat == nil {
		return "UTC"
	}
	if p, ok := cat.Person(strings.TrimPrefix(owner, "person:")); ok && p.Timezone != "" {
		return p.Timezone
	}
	return "UTC"
}

// FollowUpsTouched tells the reminders that an action was added or
// changed.
func (d Deps) FollowUpsTouched() {
	if d.FollowUpsChanged != nil {
		d.FollowUpsChanged()
	}
}
