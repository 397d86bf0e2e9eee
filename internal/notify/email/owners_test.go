package email

import (
	"context"
	"io"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/notify"
)

// ownedEvent is testEvent for a service with a description and owners.
func ownedEvent() notify.Event {
	e := testEvent()
	e.ServiceDescription = "The public shop.\nCheckout and payment."
	e.Owners = []catalog.Owner{
		{ID: "alice", Name: "Alice Example", Kind: catalog.OwnerPerson, Email: "alice@example.org"},
		{ID: "ops", Name: "Operations", Kind: catalog.OwnerTeam, Members: []catalog.Owner{
			{ID: "bob", Name: "Bob", Kind: catalog.OwnerPerson, Email: "bob@example.org"},
			{ID: "dan", Name: "dan", Kind: catalog.OwnerPerson},
		}},
		{ID: "empty", Name: "empty", Kind: catalog.OwnerTeam},
	}
	return e
}

// sendOne delivers e through n to a fresh in-process SMTP server and
// returns the decoded body of the one mail it received.
func sendOne(t *testing.T, e notify.Event, loc *time.Location) string {
	t.Helper()
	ms := startServer(t, serverOpts{})
	n := New(channel(ms, "none"), []string{"alice@example.org"}).WithLocation(loc)
	if retry, err := n.Notify(context.Background(), e); err != nil {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	got := ms.deliveries()
	if len(got) != 1 {
		t.Fatalf("server got %d mails, want 1", len(got))
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(got[0].data)))
	if err != nil {
		t.Fatalf("parsing the mail: %v\n%s", err, got[0].data)
	}
	body, _ := io.ReadAll(msg.Body)
	text := new(mimeDecoder).body(t, msg.Header.Get("Content-Transfer-Encoding"), string(body))
	return strings.ReplaceAll(text, "\r\n", "\n")
}

func TestBodyShowsServiceDescriptionAndOwners(t *testing.T) {
	body := sendOne(t, ownedEvent(), nil)
	want := "Service:  Shop (shop)\n" +
		"          The public shop.\n" +
		"          Checkout and payment.\n" +
		"Owners:   Alice Example <alice@example.org>\n" +
		"          Operations (team): Bob <bob@example.org>, dan\n" +
		"          empty (team)\n" +
		"Status:   up → down\n"
	if !strings.Contains(body, want) {
		t.Errorf("body lacks\n%s\nin:\n%s", want, body)
	}
}

func TestBodyWithoutOwners(t *testing.T) {
	body := Body(testEvent(), nil)
	if strings.Contains(body, "Owners:") {
		t.Errorf("a service without owners got an Owners line:\n%s", body)
	}
}

func TestBodyTimeInTheRecipientsTimezone(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		loc  *time.Location
		at   time.Time
		want string
	}{
		{"no timezone is UTC", nil, time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC),
			"Time:     2025-03-04 05:06:07 UTC\n"},
		{"UTC itself is not repeated", time.UTC, time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC),
			"Time:     2025-03-04 05:06:07 UTC\n"},
		{"winter in Paris", paris, time.Date(2025, 3, 4, 13, 2, 0, 0, time.UTC),
			"Time:     2025-03-04 14:02:00 CET (13:02:00 UTC)\n"},
		{"summer in Paris", paris, time.Date(2025, 7, 4, 13, 2, 0, 0, time.UTC),
			"Time:     2025-07-04 15:02:00 CEST (13:02:00 UTC)\n"},
		{"another day in UTC", tokyo, time.Date(2025, 3, 4, 20, 30, 0, 0, time.UTC),
			"Time:     2025-03-05 05:30:00 JST (2025-03-04 20:30:00 UTC)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := testEvent()
			e.Time = tt.at
			if body := sendOne(t, e, tt.loc); !strings.Contains(body, tt.want) {
				t.Errorf("body lacks %q:\n%s", tt.want, body)
			}
		})
	}
}
