package ssh_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/ssh"
	"github.com/tocsin/tocsin/internal/testkit"
)

const secret = "s3cret-Pa55word"

func intp(n int) *int { return &n }

func newProber(t *testing.T, c *ssh.Check) *ssh.Prober {
	t.Helper()
	p, err := ssh.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, p *ssh.Prober, timeout time.Duration) probe.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return p.Probe(ctx)
}

func stageOf(t *testing.T, r probe.Result) ssh.Stage {
	t.Helper()
	for _, m := range r.Metrics {
		if m.Name == "stage" {
			return ssh.Stage(m.Value)
		}
	}
	t.Fatalf("no stage metric in %+v", r)
	return -1
}

// expect checks status, stage and reason fragments, and that no secret
// leaks into the result in any form.
func expect(t *testing.T, r probe.Result, status probe.Status, stage ssh.Stage, fragments ...string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status %s, want %s (reason %q)", r.Status, status, r.Reason)
	}
	if got := stageOf(t, r); got != stage {
		t.Errorf("stage %s, want %s (reason %q)", got, stage, r.Reason)
	}
	for _, f := range fragments {
		if !strings.Contains(r.Reason, f) {
			t.Errorf("reason %q does not contain %q", r.Reason, f)
		}
	}
	b, _ := json.Marshal(r)
	if strings.Contains(string(b), secret) || strings.Contains(string(b), "PRIVATE KEY") {
		t.Errorf("the result holds a secret: %s", b)
	}
}

func echoExec(cmd string, out io.ReadWriter, _ io.Writer) int {
	switch {
	case cmd == "uptime":
		fmt.Fprintln(out, "10:00:00 up 3 days, load average: 0.10")
		return 0
	case strings.HasPrefix(cmd, "exit "):
		var code int
		fmt.Sscan(strings.TrimPrefix(cmd, "exit "), &code)
		fmt.Fprintf(out, "leaving with %d\n", code)
		return code
	case cmd == "flood":
		chunk := []byte(strings.Repeat("x", 32<<10) + "\n")
		for range 128 { // 4 MiB
			if _, err := out.Write(chunk); err != nil {
				return 1
			}
		}
		fmt.Fprintln(out, "END")
		return 0
	case cmd == "hang": // prints a dot a second until the connection goes
		for {
			time.Sleep(time.Second) // only ever run in a synctest bubble
			if _, err := out.Write([]byte(".")); err != nil {
				return 0
			}
		}
	}
	return 127
}

func TestLoginAndCommand(t *testing.T) {
	keyPEM, pub := testkit.NewSSHKeyPEM(t, "key passphrase")
	srv := testkit.NewSSHServer(t, "backup", secret, pub)
	srv.Exec = echoExec

	tests := []struct {
		name     string
		c        ssh.Check
		status   probe.Status
		stage    ssh.Stage
		fragment []string
	}{
		{"password and command", ssh.Check{
			Connection: ssh.Connection{Address: srv.Addr, User: "backup", Password: secret, HostKey: srv.Fingerprint},
			Command:    "uptime", Expect: ssh.Expect{OutputContains: "load average", BannerContains: "SSH-2.0"},
		}, probe.OK, ssh.StageDone, []string{"SSH-2.0-", "ssh-ed25519 " + srv.Fingerprint, "logged in as backup", `"uptime" exited 0`}},
		{"encrypted key", ssh.Check{
			Connection: ssh.Connection{Address: srv.Addr, User: "backup", PrivateKey: keyPEM, Passphrase: "key passphrase"},
		}, probe.OK, ssh.StageDone, []string{"logged in as backup"}},
		{"no credentials stops after key exchange", ssh.Check{
			Connection: ssh.Connection{Address: srv.Addr, HostKey: srv.Fingerprint},
		}, probe.OK, ssh.StageDone, []string{"no credentials: login not tried", srv.Fingerprint}},
		{"changed host key", ssh.Check{
			Connection: ssh.Connection{Address: srv.Addr, User: "backup", Password: secret, HostKey: "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"},
		}, probe.Critical, ssh.StageKeyExchange, []string{"failed at key exchange: host key changed", "presented ssh-ed25519 " + srv.Fingerprint, "expected SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"}},
		{"wrong password", ssh.Check{
			Connection: ssh.Connection{Address: srv.Addr, User: "backup", Password: "not-" + secret},
		}, probe.Critical, ssh.StageAuth, []string{`failed at auth: user "backup" was refused (tried password)`}},
		{"unknown key", ssh.Check{
			Connection: ssh.Connection{Address: srv.Addr, User: "backup", PrivateKey: func() string { k, _ := testkit.NewSSHKeyPEM(t, ""); return k }()},
		}, probe.Critical, ssh.StageAuth, []string{"was refused (tried private key)"}},
		{"exit status", ssh.Check{
			Connection: ssh.Connection{Address: srv.Addr, User: "backup", Password: secret},
			Command:    "exit 3",
		}, probe.Critical, ssh.StageCommand, []string{`failed at command: "exit 3" exited 3, expected 0`, `output: "leaving with 3"`}},
		{"expected exit status", ssh.Check{
			Connection: ssh.Connection{Address: srv.Addr, User: "backup", Password: secret},
			Command:    "exit 2", Expect: ssh.Expect{ExitStatus: intp(2)},
		}, probe.OK, ssh.StageDone, []string{`"exit 2" exited 2`}},
		{"output mismatch", ssh.Check{
			Connection: ssh.Connection{Address: srv.Addr, User: "backup", Password: secret},
			Command:    "uptime", Expect: ssh.Expect{OutputRegex: `users?\b`},
		}, probe.Critical, ssh.StageCommand, []string{`output of "uptime" does not match /users?\b/`}},
		{"no common host key type", ssh.Check{
			Connection: ssh.Connection{Address: srv.Addr, HostKeyAlgorithms: []string{"rsa-sha2-256"}},
		}, probe.Critical, ssh.StageKeyExchange, []string{"failed at key exchange: no common algorithm for host key"}},
		{"banner mismatch", ssh.Check{
			Connection: ssh.Connection{Address: srv.Addr},
			Expect:     ssh.Expect{BannerContains: "OpenSSH"},
		}, probe.Critical, ssh.StageBanner, []string{`does not contain "OpenSSH"`}},
		{"megabytes of output", ssh.Check{
			Connection: ssh.Connection{Address: srv.Addr, User: "backup", Password: secret},
			Command:    "flood", Expect: ssh.Expect{OutputContains: "END"},
		}, probe.Critical, ssh.StageCommand, []string{`does not contain "END" (first 65536 bytes checked)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, newProber(t, &tt.c), 10*time.Second)
			expect(t, r, tt.status, tt.stage, tt.fragment...)
		})
	}
}

func TestFloodIsCountedNotKept(t *testing.T) {
	srv := testkit.NewSSHServer(t, "u", secret, nil)
	srv.Exec = echoExec
	r := run(t, newProber(t, &ssh.Check{Connection: ssh.Connection{Address: srv.Addr, User: "u", Password: secret}, Command: "flood"}), 30*time.Second)
	expect(t, r, probe.OK, ssh.StageDone)
	for _, m := range r.Metrics {
		if m.Name == "output_bytes" && m.Value < 4<<20 {
			t.Errorf("output_bytes %v, want all 4 MiB counted", m.Value)
		}
	}
}

func TestAgent(t *testing.T) {
	signer := testkit.NewSSHSigner(t)
	srv := testkit.NewSSHServer(t, "deploy", "", signer.PublicKey())
	keyring := agent.NewKeyring()
	// The keyring needs the raw key; a fresh one is added and the server
	// told about it instead.
	keyPEM, pub := testkit.NewSSHKeyPEM(t, "")
	raw, err := gossh.ParseRawPrivateKey([]byte(keyPEM))
	if err != nil {
		t.Fatal(err)
	}
	if err := keyring.Add(agent.AddedKey{PrivateKey: raw}); err != nil {
		t.Fatal(err)
	}
	srv2 := testkit.NewSSHServer(t, "deploy", "", pub)
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _ = agent.ServeAgent(keyring, c) }()
		}
	}()
	for _, tc := range []struct {
		addr   string
		status probe.Status
		stage  ssh.Stage
	}{{srv2.Addr, probe.OK, ssh.StageDone}, {srv.Addr, probe.Critical, ssh.StageAuth}} {
		p := newProber(t, &ssh.Check{Connection: ssh.Connection{Address: tc.addr, User: "deploy", Agent: true}})
		p.Dialer().SetAgentSocket(func() string { return sock })
		expect(t, run(t, p, 10*time.Second), tc.status, tc.stage)
	}

	p := newProber(t, &ssh.Check{Connection: ssh.Connection{Address: srv2.Addr, User: "deploy", Agent: true}})
	p.Dialer().SetAgentSocket(func() string { return "" })
	expect(t, run(t, p, 10*time.Second), probe.Critical, ssh.StageAuth, "SSH_AUTH_SOCK is not set")
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r := run(t, newProber(t, &ssh.Check{Connection: ssh.Connection{Address: addr}}), 10*time.Second)
	expect(t, r, probe.Critical, ssh.StageConnect, "ssh "+addr+": failed at tcp connect: connection refused")
}

// pipeProber returns a prober whose connections are in-memory pipes served
// by serve, so slow servers can be tested in a synctest bubble.
func pipeProber(t *testing.T, c ssh.Check, serve func(net.Conn)) (*ssh.Prober, *sync.WaitGroup) {
	t.Helper()
	if c.Address == "" {
		c.Address = "files.example.org:22"
	}
	p := newProber(t, &c)
	var wg sync.WaitGroup
	p.Dialer().SetDial(func(ctx context.Context, _ string) (net.Conn, error) {
		if serve == nil { // a firewall that drops packets
			<-ctx.Done()
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: ctx.Err()}
		}
		client, server := testkit.Pipe()
		wg.Go(func() {
			defer server.Close()
			serve(server)
		})
		return client, nil
	})
	return p, &wg
}

// hold keeps a connection open until the client closes it.
func hold(c net.Conn) { _, _ = io.Copy(io.Discard, c) }

func TestMisbehavingServers(t *testing.T) {
	login := ssh.Connection{User: "u", Password: secret}
	tests := []struct {
		name     string
		serve    func(net.Conn)
		status   probe.Status
		stage    ssh.Stage
		fragment []string
	}{
		{"dropped by a firewall", nil, probe.Critical, ssh.StageConnect,
			[]string{"failed at tcp connect: timed out after 10s (no answer: a firewall dropping SSH"}},
		{"silent after connect", hold, probe.Critical, ssh.StageBanner,
			[]string{"failed at banner: timed out after 10s waiting for the server's version line"}},
		{"closes at once", func(net.Conn) {}, probe.Critical, ssh.StageBanner,
			[]string{"failed at banner: the server closed the connection before its version line"}},
		{"hangs after the banner", func(c net.Conn) {
			_, _ = io.WriteString(c, "SSH-2.0-Stuck_1.0\r\n")
			hold(c) // reads, never answers
		}, probe.Critical, ssh.StageKeyExchange,
			[]string{"failed at key exchange: timed out after 10s"}},
		{"endless banner line", func(c net.Conn) {
			for {
				if _, err := c.Write([]byte(strings.Repeat("A", 4096))); err != nil {
					return
				}
			}
		}, probe.Critical, ssh.StageBanner, []string{"not an SSH server: line too long"}},
		{"an HTTP server", func(c net.Conn) {
			for range 100 {
				if _, err := io.WriteString(c, "HTTP/1.1 400 Bad Request\r\n"); err != nil {
					return
				}
			}
			hold(c)
		}, probe.Critical, ssh.StageBanner, []string{`not an SSH server: no version line: 32 lines without one, the first "HTTP/1.1 400 Bad Request"`}},
		{"SSH 1", func(c net.Conn) {
			_, _ = io.WriteString(c, "SSH-1.5-Ancient\r\n")
			hold(c)
		}, probe.Critical, ssh.StageBanner, []string{"server speaks SSH protocol 1.5"}},
		{"closes after the banner", func(c net.Conn) {
			_, _ = io.WriteString(c, "SSH-2.0-Flaky\r\n")
			buf := make([]byte, 64)
			_, _ = c.Read(buf)
		}, probe.Critical, ssh.StageKeyExchange, []string{"failed at key exchange:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p, wg := pipeProber(t, ssh.Check{Connection: login}, tt.serve)
				r := run(t, p, 10*time.Second)
				wg.Wait()
				expect(t, r, tt.status, tt.stage, tt.fragment...)
			})
		})
	}
}

// TestSlowCommands runs a real server over pipes, so the command that never
// ends takes no real time.
func TestSlowCommands(t *testing.T) {
	srv := testkit.NewSSHServer(t, "u", secret, nil)
	srv.Exec = echoExec
	synctest.Test(t, func(t *testing.T) {
		c := ssh.Check{Connection: ssh.Connection{User: "u", Password: secret, HostKey: srv.Fingerprint}, Command: "hang"}
		p, wg := pipeProber(t, c, srv.ServeConn)
		r := run(t, p, 10*time.Second)
		wg.Wait()
		expect(t, r, probe.Critical, ssh.StageCommand, `failed at command: "hang" timed out after 10s`)
	})
}

func TestBannerCheckedBeforeLogin(t *testing.T) {
	srv := testkit.NewSSHServer(t, "u", secret, nil)
	p := newProber(t, &ssh.Check{Connection: ssh.Connection{Address: srv.Addr, User: "u", Password: secret}, Expect: ssh.Expect{BannerContains: "OpenSSH"}})
	expect(t, run(t, p, 10*time.Second), probe.Critical, ssh.StageBanner, `failed at banner: "SSH-2.0-Go" does not contain "OpenSSH"`)
	if n := srv.Logins(); n != 0 {
		t.Errorf("%d logins; the banner check must come first", n)
	}
}
