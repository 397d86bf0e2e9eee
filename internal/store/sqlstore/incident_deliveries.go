package sqlstore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/store"
)

// maxDeliveryRows bounds the outbox rows one timeline reads.
const maxDeliveryRows = 5000

// delivery is one outbox message about an incident or its alerts.
type delivery struct {
	channel, event, state, lastError string
	created, ended                   time.Time
}

// deliveries derives timeline entries from the outbox messages of an
// incident's events and of its alerts: "sent to CHANNEL", then
// "delivered" or "failed: reason". Over store.MaxDeliveryEntries
// messages, one summary per channel replaces them.
func (d *DB) deliveries(ctx context.Context, incidentID int64, alerts []int64) ([]store.TimelineEntry, error) {
	// Each message id starts with its incident's or alert's prefix, and
	// a prefix is a range of ids that an index answers: a LIKE would read
	// the whole outbox for every incident opened in a storm. PostgreSQL
	// compares in byte order only under the C collation, which the index
	// outbox_id_c (migration 00035) is built with. "seq + 0" keeps
	// PostgreSQL's generic plan from walking the whole outbox in seq
	// order to find the few rows of one prefix.
	col := "id"
	if d.postgres {
		col = `id COLLATE "C"`
	}
	var ranges []string
	var args []any
	for _, prefix := range append([]string{store.IncidentMessageID(incidentID, "")}, alertPrefixes(alerts)...) {
		ranges = append(ranges, "("+col+" >= ? AND "+col+" < ?)")
		args = append(args, prefix, prefixEnd(prefix))
	}
	rows, err := d.read.QueryContext(ctx, d.q("SELECT channel, event, state, last_error, created_at, next_attempt FROM outbox WHERE ("+
		strings.Join(ranges, " OR ")+") ORDER BY seq + 0 LIMIT ?"), append(args, maxDeliveryRows)...)
	if err != nil {
		return nil, fmt.Errorf("read the notifications of incident %d: %w", incidentID, err)
	}
	var ds []delivery
	for rows.Next() {
		var x delivery
		var js string
		var created, next int64
		if err := rows.Scan(&x.channel, &js, &x.state, &x.lastError, &created, &next); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the notifications of incident %d: %w", incidentID, err)
		}
		var ev struct {
			Event string `json:"event"`
		}
		if json.Unmarshal([]byte(js), &ev) != nil || ev.Event == "" {
			ev.Event = "a notification"
		}
		x.event, x.created, x.ended = ev.Event, fromMS(created), fromMS(next)
		ds = append(ds, x)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read the notifications of incident %d: %w", incidentID, err)
	}
	return deliveryEntries(ds, store.MaxDeliveryEntries), nil
}

// alertPrefixes returns the prefix of the message ids of each alert.
func alertPrefixes(alerts []int64) []string {
	out := make([]string, len(alerts))
	for i, a := range alerts {
		out[i] = "alert-" + strconv.FormatInt(a, 10) + "-"
	}
	return out
}

// prefixEnd returns the least string above every string starting with
// prefix, which ends in an ASCII character below 0x7f.
func prefixEnd(prefix string) string {
	return prefix[:len(prefix)-1] + string(prefix[len(prefix)-1]+1)
}

// deliveryEntries says what became of each message, or per channel when
// there are more than max.
func deliveryEntries(ds []delivery, max int) []store.TimelineEntry {
	var out []store.TimelineEntry
	if len(ds) <= max {
		for _, x := range ds {
			out = append(out, store.TimelineEntry{Time: x.created, Kind: store.EntryNotificationSent, Who: "system",
				Text: fmt.Sprintf("%s sent to %s", x.event, x.channel)})
			switch x.state {
			case "sent":
				out = append(out, store.TimelineEntry{Time: x.ended, Kind: store.EntryNotificationDelivered, Who: "system",
					Text: fmt.Sprintf("%s delivered to %s", x.event, x.channel)})
			case "failed":
				out = append(out, store.TimelineEntry{Time: x.ended, Kind: store.EntryNotificationFailed, Who: "system",
					Text: fmt.Sprintf("%s failed on %s: %s", x.event, x.channel, orUnknown(x.lastError))})
			}
		}
		return out
	}
	type sum struct {
		sent, delivered, failed int
		last                    time.Time
		lastError               string
	}
	by := map[string]*sum{}
	for _, x := range ds {
		s := by[x.channel]
		if s == nil {
			s = &sum{}
			by[x.channel] = s
		}
		s.sent++
		s.last = maxTime(s.last, x.created)
		switch x.state {
		case "sent":
			s.delivered++
			s.last = maxTime(s.last, x.ended)
		case "failed":
			s.failed++
			s.last = maxTime(s.last, x.ended)
			s.lastError = x.lastError
		}
	}
	for ch, s := range by {
		text := fmt.Sprintf("%s: %d sent, %d delivered, %d failed", ch, s.sent, s.delivered, s.failed)
		if s.failed > 0 {
			text += " (last failure: " + orUnknown(s.lastError) + ")"
		}
		out = append(out, store.TimelineEntry{Time: s.last, Kind: store.EntryNotificationSummary, Who: "system", Text: text})
	}
	slices.SortFunc(out, func(a, b store.TimelineEntry) int {
		return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.Text, b.Text))
	})
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
