package subscribe

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
)

func TestCheckEmail(t *testing.T) {
	for in, want := range map[string]string{"ana@example.com": "ana@example.com", "  ana@example.com ": "ana@example.com"} {
		if got, err := CheckEmail(in); err != nil || got != want {
			t.Errorf("CheckEmail(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "ana", "ana@localhost", "Ana <ana@example.com>", "a@b.c, d@e.f", "ana@exa mple.com"} {
		if _, err := CheckEmail(in); errs.Code(err) != errs.EINVALID {
			t.Errorf("CheckEmail(%q): %v, want EINVALID", in, err)
		}
	}
}

func TestCheckWebhook(t *testing.T) {
	if got, err := CheckWebhook("https://hooks.example.com/x?y=1"); err != nil || got != "https://hooks.example.com/x?y=1" {
		t.Errorf("CheckWebhook = %q, %v", got, err)
	}
	for _, in := range []string{"", "ftp://example.com/", "javascript:alert(1)", "/relative", "https://user:pw@example.com/", "http:///nohost"} {
		if _, err := CheckWebhook(in); errs.Code(err) != errs.EINVALID {
			t.Errorf("CheckWebhook(%q): %v, want EINVALID", in, err)
		}
	}
}

// TestLimiter: a key gives its burst, then refuses with the time until
// its next request; a refused request takes nothing from the other keys.
func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(func() time.Time { return now })
	client := Key{Name: "client 192.0.2.1", Every: time.Minute, Burst: 3}
	addr := func(a string) Key { return Key{Name: "address " + a, Every: 10 * time.Minute, Burst: 1} }
	if ok, _ := l.Allow(client, addr("a")); !ok {
		t.Fatal("first request refused")
	}
	ok, wait := l.Allow(client, addr("a"))
	if ok || wait != 10*time.Minute {
		t.Fatalf("second request for one address = %v, %v; want refused for 10m", ok, wait)
	}
	// The refusal gave the client's token back: two more fit.
	for _, a := range []string{"b", "c"} {
		if ok, _ := l.Allow(client, addr(a)); !ok {
			t.Fatalf("request for %s refused", a)
		}
	}
	if ok, wait := l.Allow(client, addr("d")); ok || wait != time.Minute {
		t.Fatalf("fourth request from one client = %v, %v; want refused for 1m", ok, wait)
	}
	now = now.Add(time.Minute)
	if ok, _ := l.Allow(client, addr("d")); !ok {
		t.Fatal("a minute later the client is still refused")
	}
}

// TestPosterRefusesPrivateAddresses: without allow_private_webhooks a
// webhook on loopback is refused before anything is sent, for good.
func TestPosterRefusesPrivateAddresses(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	p := &Poster{AllowPrivate: func(slug string) bool { return slug == "open" }}
	retry, err := p.Post(context.Background(), "closed", srv.URL, Payload{ID: "x", Event: EventChallenge})
	if !errors.Is(err, ErrPrivateAddress) || retry || hits != 0 {
		t.Fatalf("post to loopback = %v, %v, %d hits; want ErrPrivateAddress, no retry, no hit", retry, err, hits)
	}
	if _, err := p.Post(context.Background(), "open", srv.URL, Payload{ID: "x", Event: EventChallenge}); err != nil || hits != 1 {
		t.Fatalf("post with private addresses allowed = %v, %d hits", err, hits)
	}
}
