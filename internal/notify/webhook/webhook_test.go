package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
)

func testEvent() notify.Event {
	return notify.Event{
		ID:             "0b6f0e1c-5d43-4d1b-9a57-7f3c7c1b2a10",
		Event:          "monitor.down",
		MonitorID:      "home",
		MonitorName:    "Home page",
		ServiceID:      "web",
		ServiceName:    "Website",
		Status:         "down",
		PreviousStatus: "up",
		Reason:         "GET https://x/: 503, expected 200",
		Time:           time.Date(2025, 3, 4, 6, 6, 7, 0, time.FixedZone("CET", 3600)),
		URL:            "https://tocsin.example/monitors/home",
	}
}

type received struct {
	header http.Header
	body   []byte
}

// receiver starts a server that records the request and answers code.
func receiver(t *testing.T, code int, answer string) (*httptest.Server, <-chan received) {
	t.Helper()
	got := make(chan received, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			t.Errorf("method = %s, want POST", r.Method)
		}
		b, _ := io.ReadAll(r.Body)
		got <- received{header: r.Header.Clone(), body: b}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func TestNotifyPayloadHeadersAndSignature(t *testing.T) {
	srv, got := receiver(t, http.StatusNoContent, "")
	n := New(&config.WebhookConfig{
		URL:     srv.URL + "/hook",
		Secret:  "s3cret",
		Headers: map[string]string{"Authorization": "Bearer abc", "X-Team": "ops"},
	}, srv.Client())

	retry, err := n.Notify(context.Background(), testEvent())
	if err != nil || retry {
		t.Fatalf("Notify = %v, %v; want success", retry, err)
	}
	r := <-got
	for name, want := range map[string]string{
		"Content-Type":    "application/json",
		"Idempotency-Key": testEvent().ID,
		"User-Agent":      "Tocsin",
		"Authorization":   "Bearer abc",
		"X-Team":          "ops",
		"X-Tocsin-Event":  "monitor.down",
	} {
		if v := r.header.Get(name); v != want {
			t.Errorf("header %s = %q, want %q", name, v, want)
		}
	}
	// The receiver's side of the signature check, written out as a
	// receiver would, not with Verify.
	sig := r.header.Get("X-Tocsin-Signature")
	if want := Sign("s3cret", r.body); sig != want || !strings.HasPrefix(sig, "sha256=") || len(sig) != len("sha256=")+64 {
		t.Errorf("signature = %q, want %q", sig, want)
	}
	if !Verify("s3cret", r.body, sig) {
		t.Error("Verify rejects the signature the notifier sent")
	}
	if Verify("other", r.body, sig) || Verify("s3cret", append(r.body, ' '), sig) {
		t.Error("Verify accepts a wrong secret or a changed body")
	}

	var payload map[string]any
	if err := json.Unmarshal(r.body, &payload); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, r.body)
	}
	want := map[string]any{
		"id":              testEvent().ID,
		"event":           "monitor.down",
		"monitor_id":      "home",
		"monitor_name":    "Home page",
		"service_id":      "web",
		"service_name":    "Website",
		"status":          "down",
		"previous_status": "up",
		"reason":          "GET https://x/: 503, expected 200",
		"flapping":        false,
		"time":            "2025-03-04T05:06:07Z",
		"url":             "https://tocsin.example/monitors/home",
	}
	for k, v := range want {
		if payload[k] != v {
			t.Errorf("payload[%q] = %#v, want %#v", k, payload[k], v)
		}
	}
}

func TestNotifyWithoutSecretSendsNoSignature(t *testing.T) {
	srv, got := receiver(t, http.StatusOK, "")
	if _, err := New(&config.WebhookConfig{URL: srv.URL}, nil).Notify(context.Background(), testEvent()); err != nil {
		t.Fatal(err)
	}
	if sig := (<-got).header.Get("X-Tocsin-Signature"); sig != "" {
		t.Errorf("signature = %q, want none", sig)
	}
}

func TestNotifySecretFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, got := receiver(t, http.StatusOK, "")
	if _, err := New(&config.WebhookConfig{URL: srv.URL, SecretFile: path}, nil).Notify(context.Background(), testEvent()); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if !Verify("from-file", r.body, r.header.Get("X-Tocsin-Signature")) {
		t.Error("signature was not made with the secret file's content")
	}

	missing := New(&config.WebhookConfig{URL: srv.URL, SecretFile: path + ".missing"}, nil)
	retry, err := missing.Notify(context.Background(), testEvent())
	if err == nil || !retry || !strings.Contains(err.Error(), "signing secret") {
		t.Errorf("missing secret file: Notify = %v, %v; want a retryable error about the secret", retry, err)
	}
}

func TestNotifyStatusClassification(t *testing.T) {
	tests := []struct {
		code  int
		retry bool
	}{
		{http.StatusBadRequest, false},
		{http.StatusUnauthorized, false},
		{http.StatusNotFound, false},
		{http.StatusRequestTimeout, true},
		{http.StatusTooManyRequests, true},
		{http.StatusInternalServerError, true},
		{http.StatusBadGateway, true},
		{http.StatusServiceUnavailable, true},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.code), func(t *testing.T) {
			srv, _ := receiver(t, tt.code, "  nope:\n  try later  ")
			retry, err := New(&config.WebhookConfig{URL: srv.URL + "/secret-token"}, nil).Notify(context.Background(), testEvent())
			if err == nil {
				t.Fatal("Notify succeeded, want an error")
			}
			if retry != tt.retry {
				t.Errorf("retry = %v, want %v (error %v)", retry, tt.retry, err)
			}
			host := strings.TrimPrefix(srv.URL, "http://")
			wantMsg := fmt.Sprintf("webhook to %s: %d %s", host, tt.code, http.StatusText(tt.code))
			if !strings.Contains(err.Error(), wantMsg) || !strings.HasSuffix(err.Error(), ": nope: try later") {
				t.Errorf("error = %q, want it to contain %q and end with the body", err, wantMsg)
			}
			if strings.Contains(err.Error(), "secret-token") {
				t.Errorf("error %q leaks the URL path", err)
			}
		})
	}
}

func TestNotifyDoesNotFollowRedirects(t *testing.T) {
	final, got := receiver(t, http.StatusOK, "")
	srv := httptest.NewServer(http.RedirectHandler(final.URL, http.StatusFound))
	t.Cleanup(srv.Close)
	retry, err := New(&config.WebhookConfig{URL: srv.URL}, srv.Client()).Notify(context.Background(), testEvent())
	if err == nil || retry || !strings.Contains(err.Error(), "redirects are not followed") {
		t.Errorf("Notify = %v, %v; want a permanent error about the redirect", retry, err)
	}
	select {
	case <-got:
		t.Error("the redirect was followed")
	default:
	}
}

func TestNotifyNetworkErrorsRetry(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now

	retry, err := New(&config.WebhookConfig{URL: "http://" + addr + "/t0ken?key=k3y"}, nil).Notify(context.Background(), testEvent())
	if err == nil || !retry {
		t.Fatalf("Notify = %v, %v; want a retryable error", retry, err)
	}
	if strings.Contains(err.Error(), "t0ken") || strings.Contains(err.Error(), "k3y") {
		t.Errorf("error %q leaks the URL", err)
	}
}

func TestNotifyTimeoutRetries(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	n := New(&config.WebhookConfig{URL: srv.URL, Timeout: config.Duration(50 * time.Millisecond)}, nil)
	retry, err := n.Notify(context.Background(), testEvent())
	if err == nil || !retry {
		t.Errorf("client timeout: Notify = %v, %v; want a retryable error", retry, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	retry, err = New(&config.WebhookConfig{URL: srv.URL}, nil).Notify(ctx, testEvent())
	if err == nil || !retry || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Errorf("context deadline: Notify = %v, %v; want a retryable deadline error", retry, err)
	}
}

func TestNotifyReadsBoundedResponse(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		chunk := []byte(strings.Repeat("x", 64<<10))
		for range 160 { // 10 MiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	_, err := New(&config.WebhookConfig{URL: srv.URL}, nil).Notify(context.Background(), testEvent())
	if err == nil {
		t.Fatal("Notify succeeded on a 400")
	}
	if len(err.Error()) > 400 {
		t.Errorf("error is %d bytes long, want the body cut short", len(err.Error()))
	}
}

func TestNotifyBadConfig(t *testing.T) {
	for name, c := range map[string]*config.WebhookConfig{
		"nil":         nil,
		"no url":      {},
		"bad url":     {URL: "http://[::1"},
		"bad scheme":  {URL: "ftp://example.com/x"},
		"bad headers": {URL: "http://127.0.0.1:1/", Headers: map[string]string{"Bad Name": "x"}},
	} {
		t.Run(name, func(t *testing.T) {
			retry, err := New(c, nil).Notify(context.Background(), testEvent())
			if err == nil {
				t.Fatal("Notify succeeded")
			}
			if retry {
				t.Errorf("retry = true for a configuration error: %v", err)
			}
		})
	}
}
