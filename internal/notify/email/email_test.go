package email

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	smtp "github.com/emersion/go-smtp"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
)

// delivered is one mail the test server accepted.
type delivered struct {
	from string
	to   []string
	data []byte
	tls  bool
	user string
}

// mailServer is an in-process SMTP submission server.
type mailServer struct {
	addr string
	port int

	// user and password, when set, are required (AUTH PLAIN).
	user, password string
	// dataReply, when set, is returned at the end of DATA.
	dataReply *smtp.SMTPError

	mu   sync.Mutex
	got  []delivered
	seen chan struct{}
}

type serverOpts struct {
	starttls    bool // offer STARTTLS
	implicitTLS bool // TLS from the first byte
	user, pass  string
}

func startServer(t *testing.T, o serverOpts) *mailServer {
	t.Helper()
	ms := &mailServer{user: o.user, password: o.pass, seen: make(chan struct{}, 10)}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &session{srv: ms, tls: isTLS, conn: c}, nil
	}))
	s.Domain = "mail.test"
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	s.ErrorLog = testLogger{t}
	// Authentication without TLS is allowed only for the "tls: none" tests.
	s.AllowInsecureAuth = !o.starttls && !o.implicitTLS

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.starttls || o.implicitTLS {
		cfg := &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
		if o.starttls {
			s.TLSConfig = cfg
		} else {
			l = tls.NewListener(l, cfg)
		}
	}
	ms.addr = l.Addr().String()
	ms.port = l.Addr().(*net.TCPAddr).Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(l)
	}()
	t.Cleanup(func() {
		s.Close()
		<-done
	})
	return ms
}

func (ms *mailServer) deliveries() []delivered {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]delivered(nil), ms.got...)
}

type session struct {
	srv  *mailServer
	conn *smtp.Conn
	tls  bool
	user string
	from string
	to   []string
}

func (s *session) AuthMechanisms() []string {
	if s.srv.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.srv.user || password != s.srv.password {
			return smtp.ErrAuthFailed
		}
		s.user = username
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "nobody@") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.srv.dataReply != nil {
		return s.srv.dataReply
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.srv.mu.Lock()
	s.srv.got = append(s.srv.got, delivered{from: s.from, to: s.to, data: b, tls: isTLS || s.tls, user: s.user})
	s.srv.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

type testLogger struct{ t *testing.T }

func (l testLogger) Printf(format string, v ...any) { l.t.Logf("smtp server: "+format, v...) }
func (l testLogger) Println(v ...any)               { l.t.Log(append([]any{"smtp server:"}, v...)...) }

// selfSigned returns a certificate for 127.0.0.1 that no one trusts.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mail.test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func testEvent() notify.Event {
	return notify.Event{
		ID:             "0b6f0e1c-5d43-4d1b-9a57-7f3c7c1b2a10",
		Event:          "monitor.down",
		MonitorID:      "web",
		MonitorName:    "Website",
		ServiceID:      "shop",
		ServiceName:    "Shop",
		Status:         "down",
		PreviousStatus: "up",
		Reason:         "GET https://x/: 503, expected 200",
		Time:           time.Date(2025, 3, 4, 6, 6, 7, 0, time.FixedZone("CET", 3600)),
		URL:            "https://tocsin.example/monitors/web",
	}
}

func channel(ms *mailServer, mode string) *config.EmailConfig {
	return &config.EmailConfig{
		Host:    "127.0.0.1",
		Port:    ms.port,
		TLS:     mode,
		From:    "Tocsin <tocsin@example.org>",
		Timeout: config.Duration(5 * time.Second),
	}
}

func TestNotifySTARTTLSWithAuth(t *testing.T) {
	ms := startServer(t, serverOpts{starttls: true, user: "alerts", pass: "pw"})
	c := channel(ms, "starttls")
	c.InsecureSkipVerify = true
	c.Username, c.Password = "alerts", "pw"

	n := New(c, []string{"ops@example.org", "oncall@example.org"})
	if retry, err := n.Notify(context.Background(), testEvent()); err != nil {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	got := ms.deliveries()
	if len(got) != 1 {
		t.Fatalf("server got %d mails, want 1", len(got))
	}
	d := got[0]
	if !d.tls || d.user != "alerts" {
		t.Errorf("mail went over tls=%v as user %q; want TLS and user alerts", d.tls, d.user)
	}
	if d.from != "tocsin@example.org" || strings.Join(d.to, ",") != "ops@example.org,oncall@example.org" {
		t.Errorf("envelope from %q to %q", d.from, d.to)
	}

	msg, err := mail.ReadMessage(strings.NewReader(string(d.data)))
	if err != nil {
		t.Fatalf("parsing the mail: %v\n%s", err, d.data)
	}
	dec := new(mimeDecoder)
	subject := dec.header(t, msg.Header.Get("Subject"))
	if want := "[Tocsin] DOWN: Website (web) — GET https://x/: 503, expected 200"; subject != want {
		t.Errorf("subject = %q, want %q", subject, want)
	}
	if id := msg.Header.Get("Message-Id"); id != "<0b6f0e1c-5d43-4d1b-9a57-7f3c7c1b2a10@example.org>" {
		t.Errorf("Message-ID = %q", id)
	}
	if v := msg.Header.Get("Auto-Submitted"); v != "auto-generated" {
		t.Errorf("Auto-Submitted = %q", v)
	}
	date, err := msg.Header.Date()
	if err != nil || !date.Equal(testEvent().Time) {
		t.Errorf("Date = %v (%v), want the event time", date, err)
	}
	body, _ := io.ReadAll(msg.Body)
	text := string(body)
	for _, want := range []string{
		"Website is DOWN.",
		"Monitor:  Website (web)",
		"Service:  Shop (shop)",
		"Status:   up → down",
		"Time:     2025-03-04 05:06:07 UTC",
		"Link:     https://tocsin.example/monitors/web",
		"GET https://x/: 503, expected 200",
	} {
		if !strings.Contains(dec.body(t, msg.Header.Get("Content-Transfer-Encoding"), text), want) {
			t.Errorf("body lacks %q:\n%s", want, text)
		}
	}
}

func TestNotifyImplicitTLS(t *testing.T) {
	ms := startServer(t, serverOpts{implicitTLS: true})
	c := channel(ms, "tls")
	c.InsecureSkipVerify = true
	if _, err := New(c, []string{"ops@example.org"}).Notify(context.Background(), testEvent()); err != nil {
		t.Fatal(err)
	}
	if got := ms.deliveries(); len(got) != 1 || !got[0].tls {
		t.Fatalf("deliveries = %+v, want one over TLS", got)
	}
}

func TestNotifyPlainWithAuth(t *testing.T) {
	ms := startServer(t, serverOpts{user: "u", pass: "p"})
	c := channel(ms, "none")
	c.Username, c.Password = "u", "p"
	if _, err := New(c, []string{"ops@example.org"}).Notify(context.Background(), testEvent()); err != nil {
		t.Fatal(err)
	}
	if got := ms.deliveries(); len(got) != 1 || got[0].tls || got[0].user != "u" {
		t.Fatalf("deliveries = %+v, want one in plain text as u", got)
	}
}

func TestNotifySTARTTLSIsMandatory(t *testing.T) {
	ms := startServer(t, serverOpts{}) // offers no STARTTLS
	_, err := New(channel(ms, "starttls"), []string{"ops@example.org"}).Notify(context.Background(), testEvent())
	if err == nil {
		t.Fatal("Notify sent without STARTTLS")
	}
	if !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("error = %v, want it to name STARTTLS", err)
	}
	if n := len(ms.deliveries()); n != 0 {
		t.Errorf("server got %d mails in plain text", n)
	}
}

func TestNotifyUntrustedCertificateRetries(t *testing.T) {
	ms := startServer(t, serverOpts{starttls: true})
	retry, err := New(channel(ms, "starttls"), []string{"ops@example.org"}).Notify(context.Background(), testEvent())
	var uerr x509.UnknownAuthorityError
	if err == nil || !errors.As(err, &uerr) {
		t.Fatalf("Notify = %v, want an unknown authority error", err)
	}
	if !retry {
		t.Error("a certificate problem should be retried (it may be fixed on the server)")
	}
}

func TestNotifyPermanentAndTemporaryRefusals(t *testing.T) {
	t.Run("bad password is permanent", func(t *testing.T) {
		ms := startServer(t, serverOpts{user: "u", pass: "p"})
		c := channel(ms, "none")
		c.Username, c.Password = "u", "wrong"
		retry, err := New(c, []string{"ops@example.org"}).Notify(context.Background(), testEvent())
		if err == nil || retry {
			t.Fatalf("Notify = %v, %v; want a permanent error", retry, err)
		}
		if !strings.Contains(err.Error(), "535") {
			t.Errorf("error = %v, want the server's 535", err)
		}
	})
	t.Run("rejected recipient is permanent", func(t *testing.T) {
		ms := startServer(t, serverOpts{})
		retry, err := New(channel(ms, "none"), []string{"nobody@example.org"}).Notify(context.Background(), testEvent())
		if err == nil || retry {
			t.Fatalf("Notify = %v, %v; want a permanent error", retry, err)
		}
		if !strings.Contains(err.Error(), "550") || !strings.Contains(err.Error(), "No such user") {
			t.Errorf("error = %v, want the server's 550 reply", err)
		}
	})
	t.Run("greylisting is temporary", func(t *testing.T) {
		ms := startServer(t, serverOpts{})
		ms.dataReply = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Greylisted, try again"}
		retry, err := New(channel(ms, "none"), []string{"ops@example.org"}).Notify(context.Background(), testEvent())
		if err == nil || !retry {
			t.Fatalf("Notify = %v, %v; want a temporary error", retry, err)
		}
	})
	t.Run("connection refused is temporary", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		c := &config.EmailConfig{Host: "127.0.0.1", Port: port, TLS: "none", From: "t@example.org"}
		retry, err := New(c, []string{"ops@example.org"}).Notify(context.Background(), testEvent())
		if err == nil || !retry {
			t.Fatalf("Notify = %v, %v; want a temporary error", retry, err)
		}
		if !strings.Contains(err.Error(), "127.0.0.1:"+strconv.Itoa(port)) {
			t.Errorf("error = %v, want it to name the server", err)
		}
	})
}

func TestNotifyBadConfig(t *testing.T) {
	ok := &config.EmailConfig{Host: "127.0.0.1", Port: 1, TLS: "none", From: "t@example.org"}
	tests := []struct {
		name string
		c    *config.EmailConfig
		to   []string
	}{
		{"nil config", nil, []string{"a@example.org"}},
		{"no recipients", ok, nil},
		{"bad recipient", ok, []string{"not an address"}},
		{"no from", &config.EmailConfig{Host: "127.0.0.1", Port: 1}, []string{"a@example.org"}},
		{"bad tls mode", &config.EmailConfig{Host: "127.0.0.1", Port: 1, TLS: "sometimes", From: "t@example.org"}, []string{"a@example.org"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			retry, err := New(tt.c, tt.to).Notify(context.Background(), testEvent())
			if err == nil || retry {
				t.Errorf("Notify = %v, %v; want a permanent error", retry, err)
			}
		})
	}
}

func TestSubject(t *testing.T) {
	long := strings.Repeat("é", 300)
	tests := []struct {
		e    notify.Event
		want string
	}{
		{notify.Event{Event: "monitor.up", MonitorID: "web", MonitorName: "Website", Reason: "200 OK"},
			"[Tocsin] UP: Website (web) — 200 OK"},
		{notify.Event{Event: "monitor.warning", MonitorID: "web", Reason: "slow\nsecond line"},
			"[Tocsin] WARNING: web — slow"},
		{notify.Event{Event: "monitor.flapping", MonitorID: "web", Flapping: true},
			"[Tocsin] FLAPPING: web"},
		{notify.Event{Event: "monitor.flapping", MonitorID: "web"},
			"[Tocsin] STOPPED FLAPPING: web"},
		{notify.Event{Event: "incident.opened", MonitorID: "web"},
			"[Tocsin] OPENED: web"},
		{notify.Event{Event: "monitor.down", MonitorID: "web", Reason: long},
			"[Tocsin] DOWN: web — " + strings.Repeat("é", maxSubjectReason-1) + "…"},
	}
	for _, tt := range tests {
		if got := Subject(tt.e); got != tt.want {
			t.Errorf("Subject(%+v) = %q, want %q", tt.e, got, tt.want)
		}
	}
}

func TestMessageID(t *testing.T) {
	tests := []struct{ id, from, want string }{
		{"abc-123", "Tocsin <t@example.org>", "abc-123@example.org"},
		{"abc-123", "t@example.org", "abc-123@example.org"},
		{"abc 1<2>", "bad", "abc-1-2-@tocsin.invalid"},
		{"x", "t@[127.0.0.1]", "x@tocsin.invalid"},
	}
	for _, tt := range tests {
		if got := MessageID(tt.id, tt.from); got != tt.want {
			t.Errorf("MessageID(%q, %q) = %q, want %q", tt.id, tt.from, got, tt.want)
		}
	}
}

// mimeDecoder undoes the encodings go-mail may choose for headers and body.
type mimeDecoder struct{}

func (mimeDecoder) header(t *testing.T, s string) string {
	t.Helper()
	out, err := new(mime.WordDecoder).DecodeHeader(s)
	if err != nil {
		t.Fatalf("decoding header %q: %v", s, err)
	}
	return out
}

func (mimeDecoder) body(t *testing.T, cte, s string) string {
	t.Helper()
	if strings.EqualFold(cte, "quoted-printable") {
		b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(s)))
		if err != nil {
			t.Fatalf("decoding body: %v", err)
		}
		return string(b)
	}
	return s
}
