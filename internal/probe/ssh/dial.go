// Package ssh is the SSH probe: connect, read the banner, check the host
// key, log in and optionally run a command. Every failure names the stage it
// happened in (tcp connect, banner, key exchange, auth, command), which is
// what tells a firewall that drops or rejects SSH from a broken login. The
// Dialer is shared with the sftp probe.
package ssh

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"syscall"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/tlsx"
)

// Stage is how far a connection got. Its number is exported as the
// "stage" metric: on failure the stage that failed, StageDone on success.
type Stage int

// Stages of an SSH probe, in order.
const (
	StageConnect     Stage = iota // TCP connect
	StageBanner                   // the server's version line
	StageKeyExchange              // algorithms, key exchange, host key
	StageAuth                     // login
	StageCommand                  // the command, or the SFTP checks
	StageDone                     // everything passed
)

var stageNames = [...]string{"tcp connect", "banner", "key exchange", "auth", "command", "done"}

// String names the stage as reasons do.
func (s Stage) String() string {
	if s < 0 || int(s) >= len(stageNames) {
		return "unknown stage"
	}
	return stageNames[s]
}

// Metric is the "stage" metric for s.
func (s Stage) Metric() probe.Metric {
	return probe.Metric{Name: "stage", Value: float64(s), Min: "0", Max: fmt.Sprint(int(StageDone))}
}

// StageError is a failure at one stage.
type StageError struct {
	Stage  Stage
	Status probe.Status
	Reason string // what went wrong, in a person's words; never a secret
	Timing probe.Timing
}

// Error returns "failed at STAGE: REASON".
func (e *StageError) Error() string { return "failed at " + e.Stage.String() + ": " + e.Reason }

// Limits on what the server sends before its version line. RFC 4253 caps a
// line at 255 bytes; servers may send other lines first, but a real one
// sends few.
const (
	maxBannerLine  = 255
	maxBannerLines = 32
)

// Dialer opens logged-in SSH connections for one monitor. It is built once
// per configuration and used by every run.
type Dialer struct {
	address  string
	user     string
	password string
	signer   gossh.Signer // from private_key, nil without one
	agent    bool
	hostKey  string
	algos    []string
	banner   string // text the version line must contain

	// dial opens the TCP connection; tests replace it.
	dial func(ctx context.Context, address string, tr *probe.Trace) (net.Conn, error)
	// agentSocket returns the ssh-agent socket path ($SSH_AUTH_SOCK).
	agentSocket func() string
	now         func() time.Time
}

// NewDialer provisions a Dialer, parsing the private key once.
func NewDialer(c *Connection) (*Dialer, error) {
	d := &Dialer{
		address: Address(c.Address), user: c.User, password: c.Password,
		agent: c.Agent, hostKey: c.HostKey, algos: c.HostKeyAlgorithms,
		dial: probe.Dial, agentSocket: func() string { return os.Getenv("SSH_AUTH_SOCK") }, now: time.Now,
	}
	if len(d.algos) == 0 {
		d.algos = DefaultHostKeyAlgorithms
	}
	if c.PrivateKey != "" {
		s, err := ParsePrivateKey(c.PrivateKey, c.Passphrase)
		if err != nil {
			return nil, err
		}
		d.signer = s
	}
	return d, nil
}

// ExpectBanner makes Connect fail at the banner stage, before any login,
// when the server's version line does not contain s.
func (d *Dialer) ExpectBanner(s string) { d.banner = s }

// Address is host:port of the server.
func (d *Dialer) Address() string { return d.address }

// User is the login name.
func (d *Dialer) User() string { return d.user }

// SetDial replaces how the TCP connection is opened, for tests that need
// in-memory connections.
func (d *Dialer) SetDial(dial func(ctx context.Context, address string) (net.Conn, error)) {
	d.dial = func(ctx context.Context, address string, _ *probe.Trace) (net.Conn, error) { return dial(ctx, address) }
}

// SetAgentSocket replaces where the ssh-agent socket is found.
func (d *Dialer) SetAgentSocket(f func() string) { d.agentSocket = f }

// Conn is an SSH connection that got through key exchange, logged in when
// credentials were given.
type Conn struct {
	Client      *gossh.Client // nil when no credentials were given
	Banner      string        // the server's version line
	HostKeyType string        // "ssh-ed25519"
	Fingerprint string        // "SHA256:…"
	Timing      probe.Timing
	raw         net.Conn
	stop        func() bool
	agentConn   net.Conn
}

// Close ends the connection.
func (c *Conn) Close() error {
	c.stop()
	if c.agentConn != nil {
		_ = c.agentConn.Close()
	}
	if c.Client != nil {
		return c.Client.Close()
	}
	return c.raw.Close()
}

// HasCredentials reports whether the dialer will try to log in.
func (d *Dialer) HasCredentials() bool { return d.password != "" || d.signer != nil || d.agent }

// Connect dials, reads the banner, runs the key exchange and logs in, all
// bounded by ctx. On failure it returns a *StageError.
func (d *Dialer) Connect(ctx context.Context) (*Conn, error) {
	tr := probe.NewTrace()
	start := d.now()
	elapsed := func() string { return probe.FormatDuration(d.now().Sub(start)) }
	raw, err := d.dial(ctx, d.address, tr)
	if err != nil {
		return nil, &StageError{Stage: StageConnect, Status: probe.FailureStatus(err), Reason: connectReason(err, elapsed()), Timing: tr.Timing()}
	}
	c := &Conn{raw: raw, stop: tlsx.BindDeadline(ctx, raw)}
	fail := func(stage Stage, err error, reason string) (*Conn, error) {
		c.Timing = tr.Timing()
		_ = c.Close()
		return nil, &StageError{Stage: stage, Status: probe.FailureStatus(err), Reason: reason, Timing: c.Timing}
	}

	tr.WaitStart()
	br := bufio.NewReaderSize(raw, 4096)
	banner, err := readBanner(br)
	if err != nil {
		return fail(StageBanner, ctxErr(ctx, err), bannerReason(ctxErr(ctx, err), elapsed()))
	}
	tr.FirstByte()
	c.Banner = banner
	if proto := protocolVersion(banner); proto != "2.0" && proto != "1.99" {
		return fail(StageBanner, nil, fmt.Sprintf("server speaks SSH protocol %s (%q), expected 2.0", proto, probe.Clip(banner, 80)))
	}
	if d.banner != "" && !strings.Contains(banner, d.banner) {
		return fail(StageBanner, nil, fmt.Sprintf("%q does not contain %q", probe.Clip(banner, 80), d.banner))
	}

	var mismatch string
	keyChecked := false
	conf := &gossh.ClientConfig{
		User:              d.user,
		HostKeyAlgorithms: d.algos,
		HostKeyCallback: func(_ string, _ net.Addr, key gossh.PublicKey) error {
			c.HostKeyType, c.Fingerprint = key.Type(), gossh.FingerprintSHA256(key)
			if d.hostKey != "" && strings.TrimSuffix(c.Fingerprint, "=") != strings.TrimSuffix(d.hostKey, "=") {
				mismatch = fmt.Sprintf("host key changed: the server presented %s %s, expected %s (if the change is intended, update host_key)", c.HostKeyType, c.Fingerprint, d.hostKey)
				return errHostKey
			}
			keyChecked = true
			return nil
		},
	}
	var tried []string
	if d.signer != nil {
		conf.Auth = append(conf.Auth, gossh.PublicKeys(d.signer))
		tried = append(tried, "private key")
	}
	if d.agent {
		if sock := d.agentSocket(); sock != "" {
			var dialer net.Dialer
			if ac, err := dialer.DialContext(ctx, "unix", sock); err == nil {
				c.agentConn = ac
				conf.Auth = append(conf.Auth, gossh.PublicKeysCallback(agent.NewClient(ac).Signers))
				tried = append(tried, "agent")
			} else {
				return fail(StageAuth, err, "cannot reach the ssh-agent at $SSH_AUTH_SOCK: "+probe.ErrorReason(err))
			}
		} else if d.signer == nil && d.password == "" {
			return fail(StageAuth, nil, "agent: true but SSH_AUTH_SOCK is not set in Tocsin's environment")
		}
	}
	if d.password != "" {
		pw := d.password
		conf.Auth = append(conf.Auth, gossh.Password(pw), gossh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
			answers := make([]string, len(questions))
			for i := range answers {
				answers[i] = pw
			}
			return answers, nil
		}))
		tried = append(tried, "password")
	}

	in := &replayConn{Conn: raw, r: io.MultiReader(strings.NewReader(banner+"\r\n"), br)}
	sc, chans, reqs, err := gossh.NewClientConn(in, d.address, conf)
	c.Timing = tr.Timing()
	if err != nil {
		err = ctxErr(ctx, err)
		switch {
		case mismatch != "":
			return fail(StageKeyExchange, nil, mismatch)
		case !keyChecked && probe.IsTimeout(err):
			return fail(StageKeyExchange, err, "timed out after "+elapsed()+" (the server stopped answering during the key exchange)")
		case !keyChecked:
			return fail(StageKeyExchange, err, sshReason(err))
		case !d.HasCredentials() && isAuthRefusal(err):
			// Key exchange worked; a reachability check stops here.
			return c, nil
		case isAuthRefusal(err):
			return fail(StageAuth, nil, fmt.Sprintf("user %q was refused (tried %s)", d.user, strings.Join(tried, ", ")))
		default:
			return fail(StageAuth, err, sshReason(err)+" after "+elapsed())
		}
	}
	if !d.HasCredentials() {
		// The server let "none" in; there is nothing more to do.
		_ = sc.Close()
		return c, nil
	}
	c.Client = gossh.NewClient(sc, chans, reqs)
	return c, nil
}

var errHostKey = errors.New("host key mismatch")

// replayConn hands the SSH library the version line already read, then the
// rest of the stream.
type replayConn struct {
	net.Conn
	r io.Reader
}

func (c *replayConn) Read(p []byte) (int, error) { return c.r.Read(p) }

var errNoVersion = errors.New("no version line")

// readBanner reads lines until the "SSH-" version line, within the limits.
func readBanner(br *bufio.Reader) (string, error) {
	var first string
	for range maxBannerLines {
		line, err := readLine(br)
		if err != nil {
			if errors.Is(err, io.EOF) && first != "" {
				return "", fmt.Errorf("%w: closed after %q", io.EOF, probe.Clip(first, 60))
			}
			return "", err
		}
		if strings.HasPrefix(line, "SSH-") {
			return line, nil
		}
		if first == "" {
			first = line
		}
	}
	return "", fmt.Errorf("%w: %d lines without one, the first %q", errNoVersion, maxBannerLines, probe.Clip(first, 60))
}

var errLongLine = errors.New("line too long")

func readLine(br *bufio.Reader) (string, error) {
	var b []byte
	for {
		c, err := br.ReadByte()
		if err != nil {
			return "", err
		}
		if c == '\n' {
			return strings.TrimSuffix(string(b), "\r"), nil
		}
		if len(b) >= maxBannerLine {
			return "", fmt.Errorf("%w: %q…", errLongLine, probe.Clip(string(b), 40))
		}
		b = append(b, c)
	}
}

// protocolVersion returns the protocol of "SSH-2.0-OpenSSH_9.6 comment".
func protocolVersion(banner string) string {
	rest := strings.TrimPrefix(banner, "SSH-")
	proto, _, _ := strings.Cut(rest, "-")
	return proto
}

// ctxErr marks err as the timeout (or cancellation) when ctx ended, as the
// SSH library does not always keep the cause.
func ctxErr(ctx context.Context, err error) error {
	if !probe.Expired(ctx) {
		return err
	}
	ce := ctx.Err()
	if ce == nil {
		ce = context.DeadlineExceeded
	}
	if errors.Is(err, ce) {
		return err
	}
	return fmt.Errorf("%w (%v)", ce, err)
}

func connectReason(err error, elapsed string) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case probe.IsTimeout(err):
		return "timed out after " + elapsed + " (no answer: a firewall dropping SSH, or the host is down)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (nothing listens on the port, or a firewall rejects it)"
	}
	return probe.ErrorReason(err)
}

func bannerReason(err error, elapsed string) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case probe.IsTimeout(err):
		return "timed out after " + elapsed + " waiting for the server's version line (connected, but the server says nothing)"
	case errors.Is(err, errLongLine):
		return "not an SSH server: " + err.Error()
	case errors.Is(err, errNoVersion):
		return "not an SSH server: " + err.Error()
	case errors.Is(err, io.EOF):
		msg := "the server closed the connection before its version line"
		if s := err.Error(); s != io.EOF.Error() {
			msg += " (" + strings.TrimPrefix(s, io.EOF.Error()+": ") + ")"
		}
		return msg + " (a server refusing this address, or too many connections)"
	}
	return probe.ErrorReason(err)
}

var reAuthMethods = regexp.MustCompile(`unable to authenticate, attempted methods \[[^]]*\], no supported methods remain`)

func isAuthRefusal(err error) bool { return reAuthMethods.MatchString(err.Error()) }

// sshReason shortens an error of the SSH library.
func sshReason(err error) string {
	if probe.IsTimeout(err) || errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	if errors.Is(err, context.Canceled) {
		return "cancelled"
	}
	if errors.Is(err, io.EOF) {
		return "the server closed the connection"
	}
	s := err.Error()
	s = strings.TrimPrefix(s, "ssh: handshake failed: ")
	s = strings.TrimPrefix(s, "ssh: ")
	return probe.Clip(s, 200)
}
