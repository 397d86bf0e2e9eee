package inbox_test

import (
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/notify/inbox"
)

// TestNotifyAccepts checks that an inbox accepts every event without a
// retry: the dispatcher then records the message as sent, and the outbox
// row stays as the inbox entry.
func TestNotifyAccepts(t *testing.T) {
	var n notify.Notifier = inbox.New()
	retry, err := n.Notify(t.Context(), notify.Event{ID: "n1", Event: notify.EventMonitorDown, MonitorID: "web", Time: time.Unix(0, 0)})
	if err != nil || retry {
		t.Fatalf("Notify = %v, %v; want false, nil", retry, err)
	}
}
