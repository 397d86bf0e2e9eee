package kinds

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/command"
	"github.com/tocsin/tocsin/internal/probe/dnsx"
	"github.com/tocsin/tocsin/internal/probe/hostres"
	"github.com/tocsin/tocsin/internal/probe/httpx"
	"github.com/tocsin/tocsin/internal/probe/icmp"
	"github.com/tocsin/tocsin/internal/probe/imap"
	"github.com/tocsin/tocsin/internal/probe/mailloop"
	"github.com/tocsin/tocsin/internal/probe/process"
	"github.com/tocsin/tocsin/internal/probe/sftp"
	"github.com/tocsin/tocsin/internal/probe/smtp"
	"github.com/tocsin/tocsin/internal/probe/ssh"
	"github.com/tocsin/tocsin/internal/probe/systemd"
	"github.com/tocsin/tocsin/internal/probe/tcp"
	"github.com/tocsin/tocsin/internal/probe/tlsx"
)

func TestHostAndCommandHosts(t *testing.T) {
	kinds := All(Deps{})
	for _, tc := range []struct {
		m    config.Monitor
		want string
	}{
		{config.Monitor{ID: "a", Block: &ssh.Check{Connection: ssh.Connection{Address: "files.example.org"}}}, "files.example.org"},
		{config.Monitor{ID: "b", Block: &sftp.Check{Connection: ssh.Connection{Address: "[2001:db8::1]:2222"}}}, "2001:db8::1"},
		{config.Monitor{ID: "c", Block: &icmp.Check{Host: "192.0.2.1"}}, "192.0.2.1"},
		{config.Monitor{ID: "d", Block: &command.Check{Path: "/bin/true"}}, "localhost"},
		{config.Monitor{ID: "e", Block: &process.Check{Name: "sshd"}}, "localhost"},
		{config.Monitor{ID: "f", Block: &systemd.Check{Unit: "ssh.service"}}, "localhost"},
		{config.Monitor{ID: "g", Block: &hostres.Load{}}, "localhost"},
		{config.Monitor{ID: "h", Block: &hostres.Memory{}}, "localhost"},
		{config.Monitor{ID: "i", Block: &hostres.Swap{}}, "localhost"},
	} {
		if got := kinds.Host(&tc.m); got != tc.want {
			t.Errorf("Host(%s) = %q, want %q", tc.m.ID, got, tc.want)
		}
	}
}

// TestEveryMonitorTypeHasOneKind checks that every kind says how to build,
// place and describe its monitors and declares its configuration block,
// and that the table is the one config loads with.
func TestEveryMonitorTypeHasOneKind(t *testing.T) {
	kinds := All(Deps{})
	for _, name := range kinds.Names() {
		k, _ := kinds.Kind(name)
		if k.Build == nil || k.Host == nil || k.Target == nil || k.Block == nil {
			t.Errorf("kind %s lacks Build, Host, Target or Block", name)
			continue
		}
		if b, ok := Config().NewBlock(name); !ok || b == nil {
			t.Errorf("config cannot decode the %s block", name)
		}
	}
}

// TestUnknownType checks what a monitor of no known kind gets: an error
// instead of a prober, its id as host, no target, plain metrics.
func TestUnknownType(t *testing.T) {
	kinds := All(Deps{})
	m := config.Monitor{ID: "x", Type: "gopher"}
	if p, err := kinds.Build(&m); err == nil || p != nil || err.Error() != `unknown monitor type "gopher"` {
		t.Errorf("Build = %v, %v", p, err)
	}
	if h := kinds.Host(&m); h != "x" {
		t.Errorf("Host = %q", h)
	}
	if s := kinds.Target(&m); s != "" {
		t.Errorf("Target = %q", s)
	}
	if s := kinds.FormatMetric("gopher", probe.Metric{Name: "loss", Value: 12.5, Unit: "%"}); s != "12.5%" {
		t.Errorf("FormatMetric = %q", s)
	}
}

// TestBuildErrorIsNil checks that a kind whose prober cannot be built
// returns a nil Prober, not a nil pointer inside a non-nil interface.
func TestBuildErrorIsNil(t *testing.T) {
	m := config.Monitor{ID: "t", Type: "tcp", Block: &tcp.Check{}}
	p, err := All(Deps{}).Build(&m)
	if err == nil || p != nil {
		t.Fatalf("Build = %#v, %v; want nil and an error", p, err)
	}
}

// TestTargets shows what each kind says a monitor looks at.
func TestTargets(t *testing.T) {
	kinds := All(Deps{})
	for _, tc := range []struct {
		m    config.Monitor
		want string
	}{
		{config.Monitor{Type: "http", Block: &httpx.Check{URL: "https://x.example/health", Method: "GET"}}, "https://x.example/health"},
		{config.Monitor{Type: "http", Block: &httpx.Check{URL: "https://x.example/", Method: "POST"}}, "POST https://x.example/"},
		{config.Monitor{Type: "tls", Block: &tlsx.Check{Address: "mx.example:25", StartTLS: "smtp"}}, "mx.example:25 (STARTTLS smtp)"},
		{config.Monitor{Type: "dns", Block: &dnsx.Check{Name: "example.org", Server: "192.0.2.53"}}, "example.org A @192.0.2.53"},
		{config.Monitor{Type: "smtp", Block: &smtp.Check{Address: "mx.example:587", TLS: "starttls"}}, "mx.example:587 (STARTTLS)"},
		{config.Monitor{Type: "imap", Block: &imap.Check{Address: "mail.example:993", TLS: "tls", Username: "u", Mailbox: "INBOX"}}, "mail.example:993 INBOX"},
		{config.Monitor{Type: "mailloop", Block: &mailloop.Check{Mode: "roundtrip",
			SMTP: &mailloop.SMTP{Address: "smtp.example:587"}, IMAP: &mailloop.IMAP{Address: "imap.example:993", Mailbox: "INBOX"}}},
			"smtp smtp.example:587 → imap imap.example:993 INBOX"},
		{config.Monitor{Type: "ssh", Block: &ssh.Check{Connection: ssh.Connection{Address: "h.example", User: "u", Password: "secret"}, Command: "uptime"}}, "u@h.example:22 (runs a command)"},
		{config.Monitor{Type: "command", Block: &command.Check{Path: "/bin/check", Args: []string{"--password", "secret"}}}, "/bin/check"},
		{config.Monitor{Type: "process", Block: &process.Check{Name: "postfix/master", PidFile: "/run/p.pid"}}, "process postfix/master"},
		{config.Monitor{Type: "process", Block: &process.Check{PidFile: "/run/p.pid"}}, "process of /run/p.pid"},
		{config.Monitor{Type: "systemd", Block: &systemd.Check{Unit: "postfix.service"}}, "unit postfix.service"},
		{config.Monitor{Type: "load", Block: &hostres.Load{Average: "15m"}}, "load average 15m"},
		{config.Monitor{Block: &hostres.Load{}}, "load average 5m"},
		{config.Monitor{Block: &hostres.Swap{}}, "swap in use"},
		// Without a type, the one block says which kind it is.
		{config.Monitor{Block: &tcp.Check{Address: "db.example:5432"}}, "db.example:5432"},
	} {
		if got := kinds.Target(&tc.m); got != tc.want {
			t.Errorf("Target(%s) = %q, want %q", tc.m.Type, got, tc.want)
		}
	}
}

func TestCheckCreatableByAPI(t *testing.T) {
	kinds := All(Deps{})
	if err := kinds.CheckCreatableByAPI(&config.Monitor{ID: "x", Type: "command", Block: &command.Check{Path: "/bin/true"}}); err == nil {
		t.Error("a command monitor was accepted from the API")
	}
	if err := kinds.CheckCreatableByAPI(&config.Monitor{ID: "x", Type: "http", Block: &command.Check{Path: "/bin/true"}}); err == nil {
		t.Error("a command block under another type was accepted from the API")
	}
	if err := kinds.CheckCreatableByAPI(&config.Monitor{ID: "x", Type: "ssh", Block: &ssh.Check{}}); err != nil {
		t.Errorf("an ssh monitor was refused: %v", err)
	}
}

// TestBlockOfAnotherType checks what a monitor built in code whose block
// is not its type's (another kind's, none, or a nil one) gets, for every
// kind with a block: no panic, but what a monitor of no known kind gets,
// and an error instead of a prober.
func TestBlockOfAnotherType(t *testing.T) {
	kinds := All(Deps{})
	for _, name := range kinds.Names() {
		own, ok := kinds.NewBlock(name)
		if !ok {
			continue
		}
		var other config.Block = &tcp.Check{Address: "db.example:5432"}
		if name == "tcp" {
			other = &httpx.Check{URL: "https://example.org"}
		}
		nilOwn := reflect.Zero(reflect.TypeOf(own)).Interface().(config.Block)
		for _, m := range []config.Monitor{
			{ID: "x", Type: name},
			{ID: "x", Type: name, Block: other},
			{ID: "x", Type: name, Block: nilOwn},
		} {
			what := fmt.Sprintf("a %s monitor with the block %#v", name, m.Block)
			func() {
				defer func() {
					if v := recover(); v != nil {
						t.Errorf("%s: panic %v", what, v)
					}
				}()
				if h := kinds.Host(&m); h != "x" {
					t.Errorf("%s: Host = %q, want its id", what, h)
				}
				if s := kinds.Target(&m); s != "" {
					t.Errorf("%s: Target = %q, want none", what, s)
				}
				if c := kinds.ClassOf(&m); c != probe.ClassLiveness {
					t.Errorf("%s: ClassOf = %q", what, c)
				}
				if p, err := kinds.Build(&m); err == nil || p != nil {
					t.Errorf("%s: Build = %v, %v; want an error", what, p, err)
				}
			}()
		}
	}
}
