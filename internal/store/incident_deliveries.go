package store

import "strconv"

// Timeline entries derived from the outbox: what was sent about an
// incident and its alerts, and how each delivery ended.
const (
	EntryNotificationSent      = "notification.sent"
	EntryNotificationDelivered = "notification.delivered"
	EntryNotificationFailed    = "notification.failed"
	// EntryNotificationSummary sums up one channel's notifications when
	// there are more than MaxDeliveryEntries, so a storm's timeline stays
	// readable.
	EntryNotificationSummary = "notification.summary"
)

// MaxDeliveryEntries bounds the notifications an incident's timeline
// lists one by one.
const MaxDeliveryEntries = 30

// IncidentMessageID is the outbox id of an incident event's notification:
// the incident's prefix and a unique part. Alerts' notifications start
// with "alert-ID-" the same way.
func IncidentMessageID(incidentID int64, unique string) string {
	return "incident-" + strconv.FormatInt(incidentID, 10) + "-" + unique
}
