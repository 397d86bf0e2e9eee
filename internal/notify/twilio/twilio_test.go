package twilio_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/notify/twilio"
)

const (
	sid   = "AC0123456789abcdef0123456789abcdef"
	token = "auth-token-secret"
)

// messagesAPI stands in for Twilio's Messages resource: it checks the
// path, basic credentials and form fields as documented, and answers 201
// with a message resource, or a Twilio error object.
type messagesAPI struct {
	mu    sync.Mutex
	forms []map[string]string
}

func (a *messagesAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fail := func(status, code int, msg string) {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg, "more_info": "https://www.twilio.com/docs/errors/" + fmt.Sprint(code), "status": status})
	}
	if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+sid+"/Messages.json" {
		fail(404, 20404, "The requested resource was not found")
		return
	}
	if u, p, ok := r.BasicAuth(); !ok || u != sid || p != token {
		fail(401, 20003, "Authenticate")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		fail(400, 21000, "content type "+ct)
		return
	}
	if err := r.ParseForm(); err != nil {
		fail(400, 21000, "form")
		return
	}
	to, from, body := r.PostForm.Get("To"), r.PostForm.Get("From"), r.PostForm.Get("Body")
	switch {
	case to == "+15005550001":
		fail(400, 21211, "The 'To' number +15005550001 is not a valid phone number.")
		return
	case to == "+15005550009":
		fail(503, 20503, "Service unavailable")
		return
	case to == "" || from == "" && r.PostForm.Get("MessagingServiceSid") == "":
		fail(400, 21604, "A 'To' and a 'From' phone number are required.")
		return
	case utf8.RuneCountInString(body) > 1600:
		fail(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
		return
	}
	a.mu.Lock()
	a.forms = append(a.forms, map[string]string{"To": to, "From": from, "Body": body})
	a.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]any{"sid": "SM" + strings.Repeat("0", 32), "status": "queued", "to": to, "from": from, "body": body})
}

func notifier(t *testing.T, to ...string) (*twilio.Notifier, *messagesAPI) {
	api := &messagesAPI{}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	b := &twilio.Block{AccountSID: sid, AuthToken: token, From: "+15005550006", To: to, APIURL: srv.URL}
	b.Defaults(func(string) bool { return false })
	if fes := b.Validate(); len(fes) > 0 {
		t.Fatal(fes)
	}
	return twilio.New(b, srv.Client()), api
}

var down = notify.Event{ID: "n1", Event: notify.EventMonitorDown, MonitorID: "checkout", MonitorName: "Checkout API",
	ServiceID: "shop", Status: "down", Reason: "GET https://shop.example.com/: " + strings.Repeat("connection reset by peer; ", 30),
	Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), URL: "https://tocsin.example.com/monitors/checkout"}

// TestSend: every number gets one short text naming the monitor, with
// the link kept whole at the end.
func TestSend(t *testing.T) {
	n, api := notifier(t, "+4790000001", "+4790000002")
	if retry, err := n.Notify(context.Background(), down); err != nil {
		t.Fatal(retry, err)
	}
	if len(api.forms) != 2 || api.forms[0]["To"] != "+4790000001" || api.forms[1]["To"] != "+4790000002" {
		t.Fatalf("forms = %v", api.forms)
	}
	body := api.forms[0]["Body"]
	if n := utf8.RuneCountInString(body); n > twilio.MaxLength {
		t.Errorf("body is %d characters, more than %d", n, twilio.MaxLength)
	}
	if !strings.HasPrefix(body, "Tocsin DOWN: Checkout API (checkout)") || !strings.HasSuffix(body, "\nhttps://tocsin.example.com/monitors/checkout") {
		t.Errorf("body = %q", body)
	}
	if api.forms[0]["From"] != "+15005550006" {
		t.Errorf("from = %q", api.forms[0]["From"])
	}
}

// TestRefusals: a bad number is a final error naming it; a 503 is
// retried; the auth token never shows.
func TestRefusals(t *testing.T) {
	n, _ := notifier(t, "+15005550001")
	retry, err := n.Notify(context.Background(), down)
	if err == nil || retry || !strings.Contains(err.Error(), "+15005550001: HTTP 400: The 'To' number +15005550001 is not a valid phone number. (error 21211)") {
		t.Errorf("bad number: %v, %v", retry, err)
	}
	n, _ = notifier(t, "+4790000001", "+15005550009")
	retry, err = n.Notify(context.Background(), down)
	if err == nil || !retry {
		t.Errorf("503: %v, %v; want a retry", retry, err)
	}
	if err != nil && strings.Contains(err.Error(), token) {
		t.Errorf("error shows the token: %v", err)
	}
}
