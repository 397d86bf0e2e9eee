package notify_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/notify"
)

// TestMessages: an event for three channels becomes three pending
// messages, in channel order, each with its own id (also its event's id)
// and due at the event's time; no channels, no messages.
func TestMessages(t *testing.T) {
	at := time.Date(2025, 3, 4, 4, 6, 7, 0, time.UTC)
	ev := notify.Event{Event: "monitor.down", MonitorID: "home", ServiceID: "web", Status: "down", Reason: "503", Time: at}
	n := 0
	newID := func() string { n++; return fmt.Sprintf("id-%d", n) }
	msg := func(id, channel string) notify.OutboxMessage {
		e := ev
		e.ID = id
		return notify.OutboxMessage{ID: id, Channel: channel, Event: e, State: "pending", NextAttempt: at, CreatedAt: at}
	}
	want := []notify.OutboxMessage{msg("id-1", "ops-hook"), msg("id-2", "ops-mail"), msg("id-3", "pager")}
	if diff := cmp.Diff(want, notify.Messages(ev, []string{"ops-hook", "ops-mail", "pager"}, newID)); diff != "" {
		t.Errorf("Messages mismatch (-want +got):\n%s", diff)
	}
	if got := notify.Messages(ev, nil, newID); got != nil {
		t.Errorf("Messages for no channels = %v, want nil", got)
	}
}
