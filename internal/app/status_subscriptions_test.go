package app

import (
	"encoding/json"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/subscribe"
	"github.com/tocsin/tocsin/internal/testkit"
)

// readMail parses a raw mail and decodes its text body.
func readMail(t *testing.T, raw []byte) (mail.Header, string) {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	var r io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return m.Header, strings.ReplaceAll(string(b), "\r\n", "\n")
}

// waitMail waits for the n-th mail (1-based) the server received.
func waitMail(t *testing.T, ms *testkit.MailServer, n int) (mail.Header, string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if got := ms.Drop.Messages(); len(got) >= n {
			return readMail(t, got[n-1])
		}
		if time.Now().After(deadline) {
			t.Fatalf("mail %d never arrived", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitHook(t *testing.T, hooks <-chan subscribe.Payload) subscribe.Payload {
	t.Helper()
	select {
	case p := <-hooks:
		return p
	case <-time.After(30 * time.Second):
		t.Fatal("the webhook received nothing")
	}
	return subscribe.Payload{}
}

// TestStatusSubscriptions runs the subscriptions of a status page end to
// end on a real SMTP server and a real webhook: a person subscribes, gets
// the confirmation mail, follows its link and confirms; a webhook answers
// the challenge; a public incident update reaches both, by mail with the
// one-click unsubscribe headers, and nothing internal goes with it; the
// page shows the incident on top; after unsubscribing, the next update
// is queued for the webhook only; and the form is rate limited.
func TestStatusSubscriptions(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			ms := testkit.StartMail(t, testkit.MailOptions{})
			hooks := make(chan subscribe.Payload, 10)
			hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var p subscribe.Payload
				if err := json.NewDecoder(r.Body).Decode(&p); err != nil || r.Header.Get("Idempotency-Key") != p.ID {
					http.Error(w, "bad body", http.StatusBadRequest)
					return
				}
				hooks <- p
			}))
			t.Cleanup(hook.Close)
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, `server:
  listen: 127.0.0.1:0
  base_url: https://status.example.com
`+storageYAML(t, driver)+`
channels:
  - id: mail
    type: email
    email: {host: 127.0.0.1, port: `+ms.SMTPAddr[strings.LastIndexByte(ms.SMTPAddr, ':')+1:]+`, tls: none, from: status@example.com, to: [oncall@example.com]}
services:
  - {id: shop, name: Shop}
  - {id: mailer, name: Mailer}
status_pages:
  - id: public
    slug: acme
    title: Acme status
    components: [{service: shop}]
    subscriptions: {email_channel: mail, webhooks: true, allow_private_webhooks: true}
`)
			r := runApp(t, Options{ConfigPath: path})
			st := r.app.Store()
			ctx := t.Context()
			noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			read := func(resp *http.Response, err error) (*http.Response, string) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp, string(b)
			}
			post := func(p string, form url.Values) (*http.Response, string) {
				return read(noRedirect.PostForm(r.url+p, form))
			}
			get := func(p string) (int, string) {
				resp, body := read(noRedirect.Get(r.url + p))
				return resp.StatusCode, body
			}

			for _, bad := range []url.Values{{"email": {"not an address"}}, {"email": {"Ana <ana@example.com>"}}, {"webhook": {"ftp://example.com/x"}}} {
				if resp, body := post("/status/acme/subscribe", bad); resp.StatusCode != http.StatusBadRequest {
					t.Errorf("subscribe %v = %d, want 400: %s", bad, resp.StatusCode, body)
				}
			}
			if resp, body := post("/status/acme/subscribe", url.Values{"email": {"ana@example.com"}}); resp.StatusCode != http.StatusAccepted || !strings.Contains(body, "Check your inbox") {
				t.Fatalf("subscribe = %d %s", resp.StatusCode, body)
			}
			h, body := waitMail(t, ms, 1)
			if h.Get("To") != "<ana@example.com>" && h.Get("To") != "ana@example.com" {
				t.Errorf("confirmation To = %q, want the subscriber alone", h.Get("To"))
			}
			link := regexp.MustCompile(`https://status\.example\.com(/status/acme/confirm/\S+)`).FindStringSubmatch(body)
			if link == nil {
				t.Fatalf("no confirmation link in:\n%s", body)
			}
			if n, _ := st.Subscribers(ctx, "public", time.Now().Add(time.Hour), store.Page{}); len(n) != 0 {
				t.Fatalf("confirmed before the link was followed: %+v", n)
			}
			if code, page := get(link[1]); code != http.StatusOK || !strings.Contains(page, `<form method="post"`) {
				t.Fatalf("GET %s = %d %s", link[1], code, page)
			}
			if resp, page := post(link[1], nil); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Subscribed") {
				t.Fatalf("confirm = %d %s", resp.StatusCode, page)
			}
			if resp, _ := post(link[1], nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("a used confirmation link = %d, want 404", resp.StatusCode)
			}

			if resp, page := post("/status/acme/subscribe", url.Values{"webhook": {hook.URL + "/tocsin"}}); resp.StatusCode != http.StatusOK {
				t.Fatalf("subscribe a webhook = %d %s", resp.StatusCode, page)
			}
			if c := waitHook(t, hooks); c.Event != subscribe.EventChallenge || c.Challenge == "" || c.Page != "Acme status" {
				t.Fatalf("challenge = %+v", c)
			}

			at := time.Now().UTC()
			in, err := st.OpenIncident(ctx, store.Incident{Title: "pay-internal-7 answers 503", Severity: "p1", State: store.IncidentInvestigating, Services: []string{"shop"},
				OpenedAt: at, ReportedKind: store.ReportedByStaff, ReportedAt: at}, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			other, err := st.OpenIncident(ctx, store.Incident{Title: "Mailer slow", Severity: "p2", State: store.IncidentInvestigating, Services: []string{"mailer"},
				OpenedAt: at, ReportedKind: store.ReportedByStaff, ReportedAt: at}, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range []store.IncidentUpdate{
				{IncidentID: in.ID, Status: store.IncidentIdentified, Who: "ana", Message: "secret: rule 42 on pay-internal-7"},
				{IncidentID: other.ID, Status: store.IncidentInvestigating, Public: true, Who: "ana", Message: "Mails are slow."},
				{IncidentID: in.ID, Status: store.IncidentInvestigating, Public: true, Who: "ana", Message: "Card payments fail for some customers; we are on it."},
			} {
				if _, err := st.AddIncidentUpdate(ctx, u); err != nil {
					t.Fatal(err)
				}
			}
			h, body = waitMail(t, ms, 2)
			if got := h.Get("Subject"); !strings.Contains(got, "[Acme status] Investigating: Shop") {
				dec, _ := new(mime.WordDecoder).DecodeHeader(got)
				if !strings.Contains(dec, "[Acme status] Investigating: Shop") {
					t.Errorf("update subject = %q", dec)
				}
			}
			unsub := regexp.MustCompile(`^<https://status\.example\.com(/status/acme/unsubscribe/\S+)>$`).FindStringSubmatch(h.Get("List-Unsubscribe"))
			if unsub == nil || h.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
				t.Fatalf("update mail headers: List-Unsubscribe %q, List-Unsubscribe-Post %q", h.Get("List-Unsubscribe"), h.Get("List-Unsubscribe-Post"))
			}
			if !strings.Contains(body, "Card payments fail for some customers; we are on it.") || !strings.Contains(body, unsub[1]) {
				t.Errorf("update mail body:\n%s", body)
			}
			for _, leak := range []string{"secret", "pay-internal-7", "Mails are slow", "ana@"} {
				if strings.Contains(body, leak) || strings.Contains(h.Get("Subject"), leak) {
					t.Errorf("the update mail shows %q", leak)
				}
			}
			up := waitHook(t, hooks)
			if up.Event != "status.update" || up.Affected != "Shop" || up.Status != "investigating" || up.Message != "Card payments fail for some customers; we are on it." ||
				!strings.HasPrefix(up.UnsubscribeURL, "https://status.example.com/status/acme/unsubscribe/") || up.Time.IsZero() {
				t.Errorf("webhook update = %+v", up)
			}

			code, page := get("/status/acme")
			if code != http.StatusOK {
				t.Fatalf("GET /status/acme = %d", code)
			}
			ai, ci := strings.Index(page, "Active incidents"), strings.Index(page, ">Components<")
			if ai < 0 || ai > ci || !strings.Contains(page[ai:ci], "Card payments fail for some customers") || strings.Contains(page, "Mails are slow") {
				t.Errorf("the page does not show the active incident above the components:\n%s", page)
			}
			if !strings.Contains(page, `name="email"`) || !strings.Contains(page, `name="webhook"`) {
				t.Errorf("the page offers no subscription form")
			}

			// Unsubscribing by the one-click POST of RFC 8058.
			if code, page := get(unsub[1]); code != http.StatusOK || !strings.Contains(page, "ana@example.com") {
				t.Errorf("GET unsubscribe = %d %s", code, page)
			}
			if resp, page := post(unsub[1], url.Values{"List-Unsubscribe": {"One-Click"}}); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Unsubscribed") {
				t.Fatalf("unsubscribe = %d %s", resp.StatusCode, page)
			}
			if resp, _ := post(unsub[1], nil); resp.StatusCode != http.StatusOK {
				t.Errorf("unsubscribing twice = %d, want 200", resp.StatusCode)
			}
			u2, err := st.AddIncidentUpdate(ctx, store.IncidentUpdate{IncidentID: in.ID, Status: store.IncidentResolved, Public: true, Who: "ana", Message: "Fixed."})
			if err != nil {
				t.Fatal(err)
			}
			if up := waitHook(t, hooks); up.Message != "Fixed." {
				t.Fatalf("second webhook update = %+v", up)
			}
			msgs, err := st.OutboxMessages(ctx, "", store.Page{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				if m.Event.Public != nil && m.Event.Public.Message == "Fixed." && m.Channel != subscribe.WebhookChannel {
					t.Errorf("update %d queued for %s on %s after unsubscribing", u2.ID, m.Event.To, m.Channel)
				}
			}
			if n := len(ms.Drop.Messages()); n != 2 {
				t.Errorf("the server received %d mails, want 2", n)
			}

			// The same answer for an address subscribed already, then the limit.
			var limited *http.Response
			for range 6 {
				resp, body := post("/status/acme/subscribe", url.Values{"email": {"bob@example.com"}})
				if resp.StatusCode == http.StatusTooManyRequests {
					limited = resp
					break
				}
				if resp.StatusCode != http.StatusAccepted || !strings.Contains(body, "Check your inbox") {
					t.Fatalf("subscribe again = %d %s", resp.StatusCode, body)
				}
			}
			if limited == nil || limited.Header.Get("Retry-After") == "" || limited.Header.Get("Retry-After") == "0" {
				t.Errorf("no 429 with Retry-After: %+v", limited)
			}
		})
	}
}
