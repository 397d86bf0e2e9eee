package mailloop

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/internal/mailtest"
	"github.com/tocsin/tocsin/internal/probe/internal/mailx"
	"github.com/tocsin/tocsin/internal/testkit"
)

// loopConfig is a round trip through the test servers on the pipe network.
func loopConfig() *Check {
	return &Check{
		Mode: RoundTrip,
		From: "tocsin@test", To: "probe@test",
		SMTP:         &SMTP{Address: "smtp:25", TLS: mailx.TLSNone},
		IMAP:         &IMAP{Address: "imap:143", TLS: mailx.TLSNone, Username: "probe", Password: "secret", Mailbox: "INBOX", JunkFolders: []string{"Junk", "Spam"}},
		MaxDelivery:  config.Duration(10 * time.Minute),
		CleanupAfter: config.Duration(24 * time.Hour),
		// One look per run keeps the fake clock where the tests put it;
		// TestRunWaitsForItsMail covers the polling.
		Wait: config.Duration(time.Second),
	}
}

func newLoop(t *testing.T, n *testkit.PipeNet, c *Check, l Ledger) *Prober {
	t.Helper()
	p, err := New("loop", c, l)
	if err != nil {
		t.Fatal(err)
	}
	p.dial = n.Dial
	return p
}

// run probes once under a 30s timeout, as a monitor's run would.
func run(p *Prober) probe.Result {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return p.Probe(ctx)
}

func metric(r probe.Result, name string) float64 {
	for _, m := range r.Metrics {
		if m.Name == name {
			return m.Value
		}
	}
	return -1
}

func TestRoundTripDeletesOnlyItsOwnMail(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := testkit.NewPipeNet()
		ms := testkit.StartMail(t, testkit.MailOptions{Net: n, Folders: []string{"Junk"}})
		// Mail the probe must leave alone: a person's, another monitor's
		// whose id ends like ours, and a forged tag of ours without a token.
		for _, h := range []string{"Subject: hello\r\n", "X-Tocsin-Probe: myloop 946684800-0123456789abcdef\r\n", "X-Tocsin-Probe: loop not-a-token\r\n"} {
			if err := ms.Deliver("INBOX", []byte(h+"From: a@test\r\n\r\nbody\r\n"), time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		p := newLoop(t, n, loopConfig(), nil)
		r := run(p)
		mailtest.Want(t, r, probe.OK, "mail sent 00:00:00 via smtp:25 arrived in INBOX after 0s")
		if metric(r, "sent") != 1 || metric(r, "received") != 1 || metric(r, "pending") != 0 || metric(r, "lost") != 0 {
			t.Errorf("metrics %+v", r.Metrics)
		}
		if got := ms.Count(t, "INBOX"); got != 3 {
			t.Errorf("INBOX holds %d messages after the run, want the 3 that are not this monitor's", got)
		}
	})
}

func TestDelayedDeliveryAcrossRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := testkit.NewPipeNet()
		ms := testkit.StartMail(t, testkit.MailOptions{Net: n})
		ms.SetDelay(90 * time.Second)
		c := loopConfig()
		c.LatencyWarning = config.Duration(time.Minute)
		p := newLoop(t, n, c, nil)
		r := run(p)
		mailtest.Want(t, r, probe.OK, "not in INBOX yet after 0s (pending; max_delivery 10m0s)")
		if metric(r, "pending") != 1 {
			t.Errorf("pending = %v, want 1", metric(r, "pending"))
		}
		time.Sleep(2 * time.Minute)
		ms.SetDelay(0)
		r = run(p)
		// The newest mail (sent now, delivered at once) speaks for the
		// delivery; the delayed one is counted as received too.
		mailtest.Want(t, r, probe.OK, "mail sent 00:02:00 via smtp:25 arrived in INBOX after 0s")
		if metric(r, "received") != 2 || metric(r, "pending") != 0 {
			t.Errorf("metrics %+v", r.Metrics)
		}
		hist, _ := p.ledger.MailProbes(context.Background(), "loop", time.Time{})
		if len(hist) != 2 || hist[0].State != StateReceived || hist[0].Latency() != 90*time.Second {
			t.Fatalf("bookkeeping %+v, want the first mail received after 90s (its Received: header)", hist)
		}
	})
}

func TestRunWaitsForItsMail(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := testkit.NewPipeNet()
		ms := testkit.StartMail(t, testkit.MailOptions{Net: n})
		ms.SetDelay(9 * time.Second)
		c := loopConfig()
		c.Wait = 0 // until shortly before the 30s timeout
		mailtest.Want(t, run(newLoop(t, n, c, nil)), probe.OK, "mail sent 00:00:00 via smtp:25 arrived in INBOX after 9s")
		ms.SetDelay(time.Minute)
		start := time.Now()
		mailtest.Want(t, run(newLoop(t, n, c, nil)), probe.OK, "not in INBOX yet")
		if d := time.Since(start); d >= 30*time.Second {
			t.Errorf("the run took %s, longer than its timeout", d)
		}
	})
}

// With max_delivery shorter than the timeout, a run ends at max_delivery
// and reports the mail lost then, instead of looking on until shortly
// before the timeout (a run with max_delivery 15s under the default 1m
// timeout lasted 56s).
func TestRunEndsAtMaxDelivery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := testkit.NewPipeNet()
		ms := testkit.StartMail(t, testkit.MailOptions{Net: n})
		c := loopConfig()
		c.Wait = 0
		c.MaxDelivery = config.Duration(15 * time.Second)
		p := newLoop(t, n, c, nil)
		probeOnce := func() (probe.Result, time.Duration) {
			ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
			defer cancel()
			start := time.Now()
			r := p.Probe(ctx)
			return r, time.Since(start)
		}

		ms.SetLose(true)
		r, took := probeOnce()
		mailtest.Want(t, r, probe.Critical, "mail sent 00:00:00 via smtp:25 not found in INBOX after 15s (max_delivery 15s)")
		if metric(r, "lost") != 1 || metric(r, "pending") != 0 {
			t.Errorf("metrics %+v, want the mail lost, none pending", r.Metrics)
		}
		if took != 15*time.Second || r.Duration != took {
			t.Errorf("the run took %s (result says %s), want it to end at max_delivery, 15s", took, r.Duration)
		}

		// A mail that arrives before the deadline ends the run then.
		ms.SetLose(false)
		ms.SetDelay(11 * time.Second)
		r, took = probeOnce()
		mailtest.Want(t, r, probe.OK, "arrived in INBOX after 11s")
		if took > 15*time.Second {
			t.Errorf("the run took %s, longer than max_delivery", took)
		}
	})
}

func TestLatencyThresholds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := testkit.NewPipeNet()
		ms := testkit.StartMail(t, testkit.MailOptions{Net: n})
		c := loopConfig()
		c.LatencyWarning = config.Duration(5 * time.Second)
		c.LatencyCritical = config.Duration(15 * time.Second)
		c.Wait = 0
		p := newLoop(t, n, c, nil)
		ms.SetDelay(8 * time.Second)
		mailtest.Want(t, run(p), probe.Warning, "arrived in INBOX after 8s, warning above 5s")
		ms.SetDelay(20 * time.Second)
		mailtest.Want(t, run(p), probe.Critical, "arrived in INBOX after 20s, critical above 15s")
	})
}

func TestLostMail(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := testkit.NewPipeNet()
		ms := testkit.StartMail(t, testkit.MailOptions{Net: n})
		ms.SetLose(true)
		p := newLoop(t, n, loopConfig(), nil)
		mailtest.Want(t, run(p), probe.OK, "pending")
		time.Sleep(5 * time.Minute)
		mailtest.Want(t, run(p), probe.OK, "mail sent 00:00:00 via smtp:25 not in INBOX yet after 5m")
		time.Sleep(5 * time.Minute)
		r := run(p)
		mailtest.Want(t, r, probe.Critical, "mail sent 00:00:00 via smtp:25 not found in INBOX after 10m (max_delivery 10m0s)")
		if metric(r, "lost") != 1 {
			t.Errorf("lost = %v, want 1", metric(r, "lost"))
		}
		time.Sleep(5 * time.Minute)
		mailtest.Want(t, run(p), probe.Critical, "mail sent 00:05:00 via smtp:25 not found in INBOX after 10m (max_delivery 10m0s); 1 earlier probe mail also lost since 00:00")
		time.Sleep(5 * time.Minute)
		mailtest.Want(t, run(p), probe.Critical, "; 2 earlier probe mails also lost since 00:00")

		// Mail flows again: the next run is OK and the streak ends...
		ms.SetLose(false)
		time.Sleep(time.Minute)
		r = run(p)
		mailtest.Want(t, r, probe.OK, "mail sent 00:21:00 via smtp:25 arrived in INBOX after 0s")
		if metric(r, "lost") != 0 || metric(r, "pending") != 2 {
			t.Errorf("metrics %+v, want no lost streak and the 00:15 and 00:20 mails pending", r.Metrics)
		}
		// ...but the mail sent at 00:15, before the repair, is still lost.
		time.Sleep(5 * time.Minute)
		mailtest.Want(t, run(p), probe.Critical, "mail sent 00:15:00 via smtp:25 not found in INBOX after 11m (max_delivery 10m0s)")
	})
}

func TestJunkFolderIsAWarning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := testkit.NewPipeNet()
		ms := testkit.StartMail(t, testkit.MailOptions{Net: n, Folders: []string{"Junk"}})
		ms.SetFolder("Junk")
		p := newLoop(t, n, loopConfig(), nil)
		mailtest.Want(t, run(p), probe.Warning, "landed in the junk folder Junk after 0s")
		if got := ms.Count(t, "Junk"); got != 0 {
			t.Errorf("Junk holds %d messages, want the probe mail deleted", got)
		}
	})
}

func TestRestartKeepsPendingMail(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := testkit.NewPipeNet()
		ms := testkit.StartMail(t, testkit.MailOptions{Net: n})
		ledger := &MemoryLedger{}
		ms.SetDelay(3 * time.Minute)
		mailtest.Want(t, run(newLoop(t, n, loopConfig(), ledger)), probe.OK, "pending")
		// The process restarts: a new prober on the same bookkeeping.
		time.Sleep(4 * time.Minute)
		ms.SetLose(true)
		r := run(newLoop(t, n, loopConfig(), ledger))
		mailtest.Want(t, r, probe.OK, "mail sent 00:00:00 via smtp:25 arrived in INBOX after 3m0s; the mail sent 00:04:00 is still pending")
	})
}

func TestCleanupCutOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := testkit.NewPipeNet()
		ms := testkit.StartMail(t, testkit.MailOptions{Net: n})
		old := newToken(time.Now().Add(-48 * time.Hour))
		recent := newToken(time.Now().Add(-time.Hour))
		for _, tok := range []string{old, recent} {
			if err := ms.Deliver("INBOX", []byte("X-Tocsin-Probe: loop "+tok+"\r\nSubject: x\r\n\r\nx\r\n"), time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		mailtest.Want(t, run(newLoop(t, n, loopConfig(), nil)), probe.OK, "arrived")
		// The day-old unknown probe mail goes; the hour-old one may be a
		// one-off check's and stays.
		if got := ms.Count(t, "INBOX"); got != 1 {
			t.Fatalf("INBOX holds %d messages, want 1", got)
		}
	})
}

func TestPOP3RoundTrip(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := testkit.NewPipeNet()
		ms := testkit.StartMail(t, testkit.MailOptions{Net: n})
		ms.Drop.Add([]byte("Subject: keep me\r\n\r\nx\r\n"))
		c := loopConfig()
		c.IMAP = nil
		c.POP3 = &POP3{Address: "pop3:110", TLS: mailx.TLSNone, Username: "probe", Password: "secret"}
		c.Wait = 0
		ms.SetDelay(5 * time.Second)
		r := run(newLoop(t, n, c, nil))
		mailtest.Want(t, r, probe.OK, "arrived in INBOX after 5s")
		if got := ms.Drop.Len(); got != 1 {
			t.Errorf("maildrop holds %d messages, want only the foreign one", got)
		}
	})
}

func TestFailuresSayWhereAndHideSecrets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := testkit.NewPipeNet()
		testkit.StartMail(t, testkit.MailOptions{Net: n, Password: "hunter2-very-secret", Username: "probe"})
		c := loopConfig()
		c.IMAP.Password = "wrong-password-value"
		c.SMTP.Username, c.SMTP.Password = "probe", "wrong-password-value"
		r := run(newLoop(t, n, c, nil))
		mailtest.Want(t, r, probe.Critical, "sending the probe mail via smtp:25 failed: AUTH: 535 5.7.8 authentication failed")
		c.SMTP.Username, c.SMTP.Password = "", ""
		r = run(newLoop(t, n, c, nil))
		mailtest.Want(t, r, probe.Critical, "but looking for it in imap imap:143 failed: login:")
		if strings.Contains(r.Reason, "wrong-password-value") || strings.Contains(r.Reason, "hunter2") {
			t.Fatalf("reason leaks a password: %q", r.Reason)
		}
		c.SMTP.Address = "nowhere:25"
		r = run(newLoop(t, n, c, nil))
		mailtest.Want(t, r, probe.Critical, "sending the probe mail via nowhere:25 failed: connect: connection refused")
	})
}

func TestSendOnlyAndReceiveOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := testkit.NewPipeNet()
		ms := testkit.StartMail(t, testkit.MailOptions{Net: n})
		c := loopConfig()
		c.Mode, c.IMAP = Send, nil
		mailtest.Want(t, run(newLoop(t, n, c, nil)), probe.OK, "mail sent 00:00:00 via smtp:25 to probe@test")
		if ms.Accepted() != 1 {
			t.Fatalf("accepted %d mails, want 1", ms.Accepted())
		}

		rc := loopConfig()
		rc.Mode, rc.SMTP, rc.From, rc.To = ReceiveMode, nil, "", ""
		rc.Receive = &Receive{FromRegex: `backup@`, SubjectRegex: `^Backup (OK|done)`, Window: config.Duration(time.Hour)}
		p := newLoop(t, n, rc, nil)
		mailtest.Want(t, run(p), probe.Critical, "no message from /backup@/ with subject /^Backup (OK|done)/ arrived in INBOX since 23:00 (window 1h0m0s)")
		if err := ms.Deliver("INBOX", []byte("From: backup@host.test\r\nSubject: Backup OK\r\n\r\nx\r\n"), time.Now()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Minute)
		mailtest.Want(t, run(p), probe.OK, `1 message from /backup@/ with subject /^Backup (OK|done)/ in INBOX within 1h0m0s; newest arrived 00:00:00 (10m ago): "Backup OK"`)
		time.Sleep(2 * time.Hour)
		mailtest.Want(t, run(p), probe.Critical, "the newest one arrived 2000-01-01 00:00")
	})
}

func TestHostileMailbox(t *testing.T) {
	for name, script := range map[string]func(c net.Conn, r *bufio.Reader){
		"hangs after greeting": func(c net.Conn, r *bufio.Reader) {
			mailtest.Say(c, "* OK ready")
			mailtest.Hang(r)
		},
		"endless data": func(c net.Conn, r *bufio.Reader) { mailtest.Endless(c, "* OK ") },
		"closes early": func(c net.Conn, r *bufio.Reader) {},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := testkit.NewPipeNet()
				testkit.StartMail(t, testkit.MailOptions{Net: n})
				mailtest.Hostile(t, n, "evil:143", script)
				c := loopConfig()
				c.IMAP.Address = "evil:143"
				start := time.Now()
				r := run(newLoop(t, n, c, nil))
				mailtest.Want(t, r, probe.Critical, "mail sent 00:00:00 via smtp:25, but looking for it in imap evil:143 failed: ")
				if time.Since(start) > 30*time.Second {
					t.Errorf("the run took %s, past its timeout", time.Since(start))
				}
			})
		})
	}
}

func TestThousandsOfMessages(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := testkit.NewPipeNet()
		ms := testkit.StartMail(t, testkit.MailOptions{Net: n})
		for i := range 3000 {
			h := fmt.Sprintf("Subject: newsletter %d\r\n", i)
			if i%5 == 0 {
				h = fmt.Sprintf("X-Tocsin-Probe: other %s\r\n", newToken(time.Now()))
			}
			if err := ms.Deliver("INBOX", []byte(h+"\r\nx\r\n"), time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		mailtest.Want(t, run(newLoop(t, n, loopConfig(), nil)), probe.OK, "arrived in INBOX after 0s")
		if got := ms.Count(t, "INBOX"); got != 3000 {
			t.Fatalf("INBOX holds %d messages, want the 3000 that are not this monitor's", got)
		}
	})
}

func TestReceiveOnlyDeletesWhatItMatched(t *testing.T) {
	for _, box := range []string{"imap", "pop3"} {
		t.Run(box, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := testkit.NewPipeNet()
				ms := testkit.StartMail(t, testkit.MailOptions{Net: n})
				for _, m := range []string{"From: backup@host.test\r\nSubject: Backup OK\r\n", "From: alice@test\r\nSubject: Backup OK?\r\n"} {
					if err := ms.Deliver("INBOX", []byte(m+"\r\nx\r\n"), time.Now().Add(-time.Minute)); err != nil {
						t.Fatal(err)
					}
				}
				c := loopConfig()
				c.Mode, c.SMTP, c.From, c.To = ReceiveMode, nil, "", ""
				if box == "pop3" {
					c.IMAP = nil
					c.POP3 = &POP3{Address: "pop3:110", TLS: mailx.TLSNone, Username: "probe", Password: "secret"}
				}
				c.Receive = &Receive{FromRegex: `^backup@`, Window: config.Duration(time.Hour), Delete: true}
				mailtest.Want(t, run(newLoop(t, n, c, nil)), probe.OK, `1 message from /^backup@/ in INBOX within 1h0m0s; newest arrived 23:59:00 (1m ago): "Backup OK"`)
				got := ms.Drop.Len()
				if box == "imap" {
					got = ms.Count(t, "INBOX")
				}
				if got != 1 {
					t.Errorf("%s holds %d messages, want only alice's", box, got)
				}
			})
		})
	}
}

// TestWithoutUIDPlus: a server without UID EXPUNGE keeps the probe mails
// flagged \Deleted (a plain EXPUNGE would remove other flagged messages
// too), and later runs go on as before.
func TestWithoutUIDPlus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := testkit.NewPipeNet()
		ms := testkit.StartMail(t, testkit.MailOptions{Net: n, NoUIDPlus: true})
		if err := ms.Deliver("INBOX", []byte("Subject: someone's\r\n\r\nx\r\n"), time.Now()); err != nil {
			t.Fatal(err)
		}
		p := newLoop(t, n, loopConfig(), nil)
		mailtest.Want(t, run(p), probe.OK, "arrived in INBOX")
		if msgs, del := ms.Flagged(t, "INBOX"); msgs != 2 || del != 1 {
			t.Fatalf("INBOX holds %d messages, %d flagged deleted; want 2 and 1", msgs, del)
		}
		time.Sleep(time.Minute)
		r := run(p)
		mailtest.Want(t, r, probe.OK, "mail sent 00:01:00 via smtp:25 arrived in INBOX")
		if metric(r, "received") != 1 {
			t.Errorf("received = %v, want only the new mail", metric(r, "received"))
		}
	})
}

// TestMailboxOutageThenSlowDelivery: while the mailbox cannot be read the
// mail in flight is lost; a mail that took longer than max_delivery is
// critical even when it turns up.
func TestMailboxOutageThenSlowDelivery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := testkit.NewPipeNet()
		ms := testkit.StartMail(t, testkit.MailOptions{Net: n})
		c := loopConfig()
		c.MaxDelivery = config.Duration(5 * time.Minute)
		p := newLoop(t, n, c, nil)
		ms.SetDelay(7 * time.Minute)
		mailtest.Want(t, run(p), probe.OK, "pending")
		time.Sleep(6 * time.Minute)
		ms.SetDelay(0)
		// The first mail is due at 00:07 but was given up on at 00:05.
		mailtest.Want(t, run(p), probe.Critical, "mail sent 00:00:00 via smtp:25 not found in INBOX after 6m (max_delivery 5m0s)")
		time.Sleep(2 * time.Minute)
		r := run(p)
		mailtest.Want(t, r, probe.OK, "mail sent 00:08:00 via smtp:25 arrived in INBOX after 0s")
		if metric(r, "received") != 2 {
			t.Errorf("received = %v, want the late mail and the new one", metric(r, "received"))
		}

		// A mailbox that was unreachable while a slow mail came in.
		ms.SetDelay(6 * time.Minute)
		bad := loopConfig()
		bad.MaxDelivery = c.MaxDelivery
		bad.IMAP.Address = "down:143"
		ledger := &MemoryLedger{}
		mailtest.Want(t, run(newLoop(t, n, bad, ledger)), probe.Critical, "but looking for it in imap down:143 failed: connect: connection refused")
		time.Sleep(4 * time.Minute)
		ms.SetLose(true)
		good := newLoop(t, n, c, ledger)
		time.Sleep(3 * time.Minute)
		mailtest.Want(t, run(good), probe.Critical, "arrived in INBOX after 6m0s, longer than max_delivery 5m0s")
	})
}
