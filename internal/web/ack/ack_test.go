package ack_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/escalate"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/testkit"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/ack"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func setup(t *testing.T) (*webtest.Env, *escalate.Links, int64) {
	links := &escalate.Links{}
	e := webtest.New(t, func(o *web.Options) {
		key, err := o.Store.Secret(context.Background(), escalate.SecretName, escalate.SecretSize)
		if err != nil {
			t.Fatal(err)
		}
		links.Key = key
		o.AlertLinks = ack.New(ack.Deps{Store: o.Store, Links: links, Now: o.Now})
	})
	links.BaseURL = e.HTTP.URL
	now := e.Clock.Now()
	if err := e.Store.SaveBatch(t.Context(), store.Batch{Alerts: []store.AlertChange{
		{GroupKey: "shop", ServiceID: "shop", MonitorID: "api", Down: true, Time: now, Reason: "503", FirstStep: now},
		{GroupKey: "other", MonitorID: "lone", Down: true, Time: now, Reason: "timeout"},
	}}); err != nil {
		t.Fatal(err)
	}
	a, err := e.Store.ActiveAlert(t.Context(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	return e, links, a.ID
}

func path(t *testing.T, url string) string {
	t.Helper()
	i := strings.Index(url, "/a/")
	if i < 0 {
		t.Fatalf("link %q has no /a/", url)
	}
	return url[i:]
}

// TestLinkAcknowledges: GET shows a confirmation and changes nothing (mail
// scanners follow links); POST acknowledges, recording the person; the
// link then works no more.
func TestLinkAcknowledges(t *testing.T) {
	e, links, id := setup(t)
	c := e.Client()
	p := path(t, links.URL(id, escalate.LinkAcknowledge, "person:ana", e.Clock.Now()))

	r := e.Get(c, p)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Acknowledge alert") || !strings.Contains(r.Body, `<form method="post">`) {
		t.Fatalf("GET = %d\n%s", r.Status, r.Body)
	}
	if a, _ := e.Store.Alert(t.Context(), id); a.State != store.AlertOpen {
		t.Fatalf("GET changed the alert to %s", a.State)
	}
	// The inline style is allowed by its hash, and nothing else is.
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "style-src 'sha256-") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	e.Clock.Add(time.Minute)
	r = e.Do(c, "POST", p, nil, nil)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "acknowledged by ana") {
		t.Fatalf("POST = %d\n%s", r.Status, r.Body)
	}
	a, err := e.Store.Alert(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if a.State != store.AlertAcknowledged || a.AcknowledgedBy != "link:ana" || !a.AcknowledgedAt.Equal(e.Clock.Now()) {
		t.Errorf("alert after the link = %s by %q at %s", a.State, a.AcknowledgedBy, a.AcknowledgedAt)
	}
	// Unacknowledge from the API, then the same link again: refused, it
	// was used.
	if _, err := e.Store.Act(t.Context(), id, store.AlertAct{Kind: store.ActUnacknowledge, Who: "user:admin"}); err != nil {
		t.Fatal(err)
	}
	r = e.Do(c, "POST", p, nil, nil)
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "used already") {
		t.Errorf("reused link = %d\n%s", r.Status, r.Body)
	}
	if a, _ := e.Store.Alert(t.Context(), id); a.State != store.AlertOpen {
		t.Errorf("a reused link changed the alert to %s", a.State)
	}
}

// TestLinkRefusals: forged, altered, expired and other-alert links are
// refused with a clear page, and acknowledge nothing.
func TestLinkRefusals(t *testing.T) {
	e, links, id := setup(t)
	c := e.Client()
	good := path(t, links.URL(id, escalate.LinkAcknowledge, "person:ana", e.Clock.Now()))
	payload, sig, _ := strings.Cut(strings.TrimPrefix(good, "/a/"), ".")
	other := links.Token(escalate.Claim{AlertID: id + 1, Action: escalate.LinkAcknowledge, Who: "person:ana", Expires: e.Clock.Now().Add(time.Hour)})
	otherPayload, _, _ := strings.Cut(other, ".")
	forger := &escalate.Links{Key: []byte("not the server's key, but long enough"), BaseURL: e.HTTP.URL}
	expired := path(t, links.URL(id, escalate.LinkAcknowledge, "person:ana", e.Clock.Now().Add(-25*time.Hour)))
	for _, tc := range []struct {
		name, path string
		status     int
		says       string
	}{
		{"signature changed", "/a/" + payload + "." + flip(sig, 0, 0b100000), http.StatusNotFound, "not valid"},
		{"signature spelt differently", "/a/" + payload + "." + flip(sig, len(sig)-1, 1), http.StatusNotFound, "not valid"},
		{"another alert's id under this signature", "/a/" + otherPayload + "." + sig, http.StatusNotFound, "not valid"},
		{"signed by another key", path(t, forger.URL(id, escalate.LinkAcknowledge, "person:ana", e.Clock.Now())), http.StatusNotFound, "not valid"},
		{"no signature", "/a/" + payload, http.StatusNotFound, "not valid"},
		{"garbage", "/a/%00%ff..", http.StatusNotFound, "not valid"},
		{"expired", expired, http.StatusGone, "expired"},
	} {
		for _, method := range []string{"GET", "POST"} {
			r := e.Do(c, method, tc.path, nil, nil)
			if r.Status != tc.status || !strings.Contains(r.Body, tc.says) {
				t.Errorf("%s, %s = %d, want %d saying %q\n%s", tc.name, method, r.Status, tc.status, tc.says, r.Body)
			}
		}
	}
	if a, _ := e.Store.Alert(t.Context(), id); a.State != store.AlertOpen || len(a.Actions) != 1 {
		t.Errorf("refused links changed the alert: %s, %d actions", a.State, len(a.Actions))
	}
	// A link for an alert that is resolved meanwhile: nothing to do.
	if _, err := e.Store.Act(t.Context(), id, store.AlertAct{Kind: store.ActResolve, Who: "user:admin"}); err != nil {
		t.Fatal(err)
	}
	if r := e.Get(c, good); r.Status != http.StatusOK || !strings.Contains(r.Body, "is resolved") || strings.Contains(r.Body, "<form") {
		t.Errorf("GET of a resolved alert's link = %d\n%s", r.Status, r.Body)
	}
	if r := e.Do(c, "POST", good, nil, nil); r.Status != http.StatusConflict {
		t.Errorf("POST of a resolved alert's link = %d\n%s", r.Status, r.Body)
	}
}

// flip returns s, a base64url text, with the character at i replaced by
// the one whose 6-bit value differs by the bits of mask. Flipping the
// lowest bit of the last character of a 32-byte value changes only bits
// the encoding does not use: the same bytes, spelt differently.
func flip(s string, i int, mask byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	v := strings.IndexByte(alphabet, s[i])
	return s[:i] + string(alphabet[byte(v)^mask]) + s[i+1:]
}
