package mailping

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/heartbeat"
)

const (
	domain = "ping.example.com"
	hbUUID = "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"
)

// recorder is a Receiver that keeps what it is given; fail maps a
// heartbeat (UUID or slug) to the error Receive returns for it.
type recorder struct {
	mu    sync.Mutex
	pings []heartbeat.Ping
	fail  map[string]error
}

func (r *recorder) Receive(_ context.Context, p heartbeat.Ping) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.fail[p.UUID+p.Slug]; err != nil {
		return err
	}
	r.pings = append(r.pings, p)
	return nil
}

func (r *recorder) got() []heartbeat.Ping {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]heartbeat.Ping(nil), r.pings...)
}

var testTime = time.Date(2026, 3, 29, 10, 8, 0, 0, time.UTC)

// start runs a Server on 127.0.0.1:0 and returns its address.
func start(t *testing.T, o Options) (string, *recorder) {
	t.Helper()
	rec := &recorder{fail: map[string]error{}}
	if o.Receiver == nil {
		o.Receiver = rec
	}
	o.Domain = domain
	o.Now = func() time.Time { return testTime }
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String(), rec
}

func dial(t *testing.T, addr string) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Hello("backup.example.org"); err != nil {
		t.Fatal(err)
	}
	return c
}

// send delivers msg and returns the SMTP error of DATA, if any.
func send(t *testing.T, c *smtp.Client, from string, to []string, msg string) error {
	t.Helper()
	if err := c.Mail(from, nil); err != nil {
		t.Fatalf("MAIL: %v", err)
	}
	for _, rc := range to {
		if err := c.Rcpt(rc, nil); err != nil {
			t.Fatalf("RCPT %s: %v", rc, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatalf("DATA: %v", err)
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	return w.Close()
}

func code(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

const plainMail = "From: backup@example.org\r\nTo: " + hbUUID + "@" + domain + "\r\nSubject: nightly export\r\n\r\nexported 25 files\r\n"

func TestMailBecomesAPing(t *testing.T) {
	addr, rec := start(t, Options{})
	c := dial(t, addr)
	if err := send(t, c, "backup@example.org", []string{strings.ToUpper(hbUUID) + "@PING.example.COM"}, plainMail); err != nil {
		t.Fatalf("mail refused: %v", err)
	}
	// A second mail on the same connection, to a slug address.
	if err := send(t, c, "", []string{"Nightly-Export+fqOOd6-F4MMNuCEnzTU01w@" + domain}, plainMail); err != nil {
		t.Fatalf("second mail refused: %v", err)
	}
	got := rec.got()
	if len(got) != 2 {
		t.Fatalf("got %d pings, want 2", len(got))
	}
	p := got[0]
	if p.UUID != hbUUID || p.Kind != heartbeat.KindSuccess || p.Transport != "email" || p.Method != "SMTP" ||
		p.Source != "backup@example.org" || !p.Time.Equal(testTime) || p.Truncated || string(p.Body) != plainMail {
		t.Errorf("ping %+v", p)
	}
	if p := got[1]; p.UUID != "" || p.Slug != "nightly-export" || p.PingKey != "fqOOd6-F4MMNuCEnzTU01w" || p.Source != "" {
		t.Errorf("slug ping %+v", p)
	}
}

func TestKeywordsDecideTheKind(t *testing.T) {
	kw := Keywords{Success: []string{"completed"}, Failure: []string{"error", "FAILED"}, Start: []string{"démarrage"}}
	addr, rec := start(t, Options{Keywords: kw})
	c := dial(t, addr)
	mails := []struct {
		name string
		msg  string
		want heartbeat.Kind
	}{
		{"subject", "Subject: Backup Failed\r\n\r\nsee log\r\n", heartbeat.KindFail},
		{"encoded subject", "Subject: =?utf-8?q?D=C3=A9marrage_de_l'export?=\r\n\r\n.\r\n", heartbeat.KindStart},
		{"base64 body", "Subject: report\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nQmFja3VwIGNvbXBsZXRlZCBpbiA0\r\nIG1pbnV0ZXM=\r\n", heartbeat.KindSuccess},
		{"failure wins", "Subject: completed\r\n\r\nwith 2 errors\r\n", heartbeat.KindFail},
		{"multipart", "Subject: report\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nSauvegarde: d=E9marrage\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>d&eacute;<b>marrage</b></p>\r\n--b1--\r\n", heartbeat.KindStart},
		{"html only", "Subject: report\r\nContent-Type: text/html\r\n\r\n<p>job <b>completed</b></p>\r\n", heartbeat.KindSuccess},
		{"attachment ignored", "Subject: report\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nall good\r\n--x\r\nContent-Type: application/octet-stream\r\n\r\nerror error\r\n--x--\r\n", heartbeat.KindLog},
		{"no keyword", "Subject: hello\r\n\r\nhi\r\n", heartbeat.KindLog},
	}
	for _, m := range mails {
		if err := send(t, c, "job@example.org", []string{hbUUID + "@" + domain}, m.msg); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
	}
	got := rec.got()
	if len(got) != len(mails) {
		t.Fatalf("got %d pings, want %d", len(got), len(mails))
	}
	for i, m := range mails {
		if got[i].Kind != m.want {
			t.Errorf("%s: kind %q, want %q", m.name, got[i].Kind, m.want)
		}
	}
}

func TestUnknownRecipientsRefusedAtRCPT(t *testing.T) {
	known := func(_ context.Context, p heartbeat.Ping) error {
		if p.UUID == hbUUID || p.Slug == "nightly" && p.PingKey == "k" {
			return nil
		}
		if p.UUID == "00000000-0000-4000-8000-00000000000b" {
			return errs.Errorf(errs.EUNAVAILABLE, "store is down")
		}
		return errs.Errorf(errs.ENOTFOUND, "no such heartbeat")
	}
	addr, rec := start(t, Options{Known: known})
	c := dial(t, addr)
	if err := c.Mail("job@example.org", nil); err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{
		hbUUID + "@other.example.com",                    // not our domain
		"postmaster@" + domain,                           // not a heartbeat address
		"5bf66975-d4c7-4bf5-bcc8@" + domain,              // cut UUID
		"00000000-0000-4000-8000-000000000000@" + domain, // unknown UUID
		"nightly+wrong@" + domain,                        // wrong ping key
		"nightly+k/../x@" + domain,
	} {
		if err := c.Rcpt(to, nil); code(err) != 550 {
			t.Errorf("RCPT %s: %v, want 550", to, err)
		}
	}
	if err := c.Rcpt("00000000-0000-4000-8000-00000000000B@"+domain, nil); code(err) != 451 {
		t.Errorf("RCPT while the lookup fails: %v, want 451", err)
	}
	for _, to := range []string{hbUUID + "@" + domain, "nightly+k@" + domain} {
		if err := c.Rcpt(to, nil); err != nil {
			t.Errorf("RCPT %s: %v", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte(plainMail))
	if err := w.Close(); err != nil {
		t.Fatalf("DATA after refused recipients: %v", err)
	}
	if got := rec.got(); len(got) != 2 {
		t.Errorf("got %d pings, want one per accepted recipient", len(got))
	}
}

func TestReceiverErrorsBecomeReplies(t *testing.T) {
	rec := &recorder{fail: map[string]error{
		"00000000-0000-4000-8000-000000000001": errs.Errorf(errs.ENOTFOUND, "no heartbeat"),
		"00000000-0000-4000-8000-000000000002": errs.Errorf(errs.ERATELIMIT, "slow down"),
		"00000000-0000-4000-8000-000000000003": errors.New("database is locked"),
	}}
	addr, _ := start(t, Options{Receiver: rec})
	c := dial(t, addr)
	for _, tc := range []struct {
		to   []string
		want int
	}{
		{[]string{"00000000-0000-4000-8000-000000000001@" + domain}, 550},
		{[]string{"00000000-0000-4000-8000-000000000002@" + domain}, 451},
		{[]string{"00000000-0000-4000-8000-000000000003@" + domain}, 451},
		// One stored, one unknown: accepted, the unknown one is dropped.
		{[]string{hbUUID + "@" + domain, "00000000-0000-4000-8000-000000000001@" + domain}, 0},
		// One stored, one not stored: the sender must retry.
		{[]string{hbUUID + "@" + domain, "00000000-0000-4000-8000-000000000003@" + domain}, 451},
	} {
		if err := send(t, c, "job@example.org", tc.to, plainMail); code(err) != tc.want {
			t.Errorf("to %v: %v, want %d", tc.to, err, tc.want)
		}
	}
}

func TestLimits(t *testing.T) {
	addr, rec := start(t, Options{MaxMessageBytes: 4096, BodyLimit: 1000, MaxRecipients: 2, MaxConnections: 2})
	c := dial(t, addr)

	big := "Subject: big\r\n\r\n" + strings.Repeat("0123456789\r\n", 400)
	if err := send(t, c, "job@example.org", []string{hbUUID + "@" + domain}, big); code(err) != 552 {
		t.Errorf("mail over the size limit: %v, want 552", err)
	}
	medium := "Subject: medium\r\n\r\n" + strings.Repeat("0123456789\r\n", 200)
	if err := send(t, c, "job@example.org", []string{hbUUID + "@" + domain}, medium); err != nil {
		t.Fatalf("mail under the size limit: %v", err)
	}
	if got := rec.got(); len(got) != 1 || len(got[0].Body) != 1000 || !got[0].Truncated || string(got[0].Body) != medium[:1000] {
		t.Errorf("pings %d; want one with the first 1000 bytes, truncated", len(got))
	}

	if err := c.Mail("job@example.org", nil); err != nil {
		t.Fatal(err)
	}
	for i, to := range []string{hbUUID, "a+k", "b+k"} {
		err := c.Rcpt(to+"@"+domain, nil)
		if i < 2 && err != nil || i == 2 && code(err) != 452 {
			t.Errorf("recipient %d: %v", i+1, err)
		}
	}
	_ = c.Reset()

	// Two connections are open (c and this one); a third is turned away.
	dial(t, addr)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	buf := make([]byte, 100)
	n, _ := conn.Read(buf)
	if !strings.HasPrefix(string(buf[:n]), "421 ") {
		t.Errorf("third connection greeted with %q, want 421", buf[:n])
	}
}

func TestTooManyBadRecipientsCloses(t *testing.T) {
	addr, _ := start(t, Options{})
	c := dial(t, addr)
	if err := c.Mail("scan@example.org", nil); err != nil {
		t.Fatal(err)
	}
	var last error
	for i := 0; i <= maxBadRecipients; i++ {
		last = c.Rcpt("guess@"+domain, nil)
	}
	if code(last) != 421 {
		t.Errorf("after %d refused recipients: %v, want 421", maxBadRecipients+1, last)
	}
	if err := c.Noop(); err == nil {
		t.Error("the connection is still open")
	}
}

func TestIdleConnectionTimesOut(t *testing.T) {
	addr, _ := start(t, Options{Timeout: 50 * time.Millisecond})
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // generous: a hang fails the test
	var all []byte
	buf := make([]byte, 256)
	for {
		n, err := conn.Read(buf)
		all = append(all, buf[:n]...)
		if err != nil {
			break
		}
	}
	if !strings.Contains(string(all), "\n421 ") {
		t.Errorf("an idle client got %q, want a 421 and the connection closed", all)
	}
}
