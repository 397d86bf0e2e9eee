package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// EventDigest is the event of a digest: several monitor events of one
// channel sent together as one notification.
const EventDigest = "digest"

// Digest defaults: the channel types that digest unless told otherwise
// (email and chat) wait this long for companions and name this many
// monitors.
const (
	DefaultDigestWindow = 30 * time.Second
	DefaultDigestMax    = 50
)

// Digest says how a channel coalesces monitor events. A zero Window sends
// each event on its own.
type Digest struct {
	// Window is how long a monitor event waits for others of the same
	// channel before they leave together.
	Window time.Duration
	// Max is the most monitors a digest names; the rest are counted.
	Max int
}

// DigestBody is what a digest carries: the events it stands for, oldest
// first, up to the channel's maximum, and how many more there were.
type DigestBody struct {
	// Count is the number of events in the digest; Down and Up count
	// those among them that are monitor.down and monitor.up.
	Count int `json:"count"`
	Down  int `json:"down"`
	Up    int `json:"up"`
	// Events are the first events, each in the single-event shape
	// (without owners).
	Events []Event `json:"events"`
	// More is how many events are not listed.
	More int `json:"more"`
}

// Digestible reports whether m may travel in a digest: a monitor event of
// a plain channel subscription. Paged alerts, incidents, reminders, status
// page mail and messages addressed to one person always travel alone.
func Digestible(m OutboxMessage) bool {
	e := m.Event
	if e.AlertID != 0 || e.IncidentID != 0 || e.ActionID != 0 || e.Public != nil || e.To != "" {
		return false
	}
	switch e.Event {
	case EventMonitorDown, EventMonitorUp, EventMonitorWarning, EventMonitorFlapping:
		return true
	}
	return false
}

// NewDigest returns the event that carries msgs, two or more messages of
// one channel, naming at most max of them (max ≤ 0: all). Its id is drawn
// from the ids of the messages, so a digest sent again with the same
// messages has the same id.
func NewDigest(msgs []OutboxMessage, max int) Event {
	msgs = slices.Clone(msgs)
	slices.SortStableFunc(msgs, func(a, b OutboxMessage) int { return a.Event.Time.Compare(b.Event.Time) })
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	slices.Sort(ids)
	sum := sha256.Sum256([]byte(strings.Join(ids, "\x00")))
	body := &DigestBody{Count: len(msgs), Events: []Event{}}
	var last time.Time
	for _, m := range msgs {
		switch m.Event.Event {
		case EventMonitorDown:
			body.Down++
		case EventMonitorUp:
			body.Up++
		}
		if m.Event.Time.After(last) {
			last = m.Event.Time
		}
		if max > 0 && len(body.Events) >= max {
			body.More++
			continue
		}
		e := m.Event
		e.Owners = nil
		body.Events = append(body.Events, e)
	}
	return Event{
		ID:     "digest-" + hex.EncodeToString(sum[:12]),
		Event:  EventDigest,
		Status: "",
		Reason: digestSummary(body),
		Time:   last.UTC(),
		Digest: body,
	}
}

// digestSummary says what a digest holds in one line:
// "12 monitors changed: 10 down, 2 up".
func digestSummary(b *DigestBody) string {
	var parts []string
	if b.Down > 0 {
		parts = append(parts, fmt.Sprintf("%d down", b.Down))
	}
	if b.Up > 0 {
		parts = append(parts, fmt.Sprintf("%d up", b.Up))
	}
	if other := b.Count - b.Down - b.Up; other > 0 {
		parts = append(parts, fmt.Sprintf("%d other", other))
	}
	return fmt.Sprintf("%d monitors changed: %s", b.Count, strings.Join(parts, ", "))
}

// DigestLines tells each event of a digest in one line, such as
// "DOWN: Website (web) — GET https://x/: 503", ending with
// "and 12 more" when the digest names only some.
func DigestLines(b *DigestBody) []string {
	out := make([]string, 0, len(b.Events)+1)
	for _, e := range b.Events {
		s := Label(e) + ": " + subject(e)
		if r := firstLine(e.Reason); r != "" {
			s += " — " + truncate(r, 120)
		}
		out = append(out, s)
	}
	if b.More > 0 {
		out = append(out, fmt.Sprintf("and %d more", b.More))
	}
	return out
}
