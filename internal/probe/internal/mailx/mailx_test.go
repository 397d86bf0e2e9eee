package mailx

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestConnClampsDeadlines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		defer b.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c := Bind(ctx, a, 1<<20)
		defer c.Close()
		// A library asking for five minutes gets the run's five seconds.
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Minute))
		start := time.Now()
		_, err := c.Read(make([]byte, 1))
		if !errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) != 5*time.Second {
			t.Fatalf("read ended after %s with %v, want the run's deadline", time.Since(start), err)
		}
		// Clearing the deadline does not lift the run's.
		if err := c.SetDeadline(time.Time{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read after clearing the deadline: %v", err)
		}
	})
}

func TestConnCancelUnblocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		defer b.Close()
		ctx, cancel := context.WithCancel(context.Background())
		c := Bind(ctx, a, 1<<20)
		defer c.Close()
		go func() {
			time.Sleep(time.Second)
			cancel()
		}()
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatal("read went on after the run was cancelled")
		}
		_ = c.SetDeadline(time.Now().Add(time.Hour))
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatal("a new deadline revived a cancelled run")
		}
	})
}

func TestConnBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		defer b.Close()
		go func() { _, _ = b.Write([]byte(strings.Repeat("x", 100))) }()
		c := Bind(context.Background(), a, 10)
		defer c.Close()
		got, err := io.ReadAll(c)
		if len(got) != 10 || !errors.Is(err, ErrBudget) || !c.Exhausted() {
			t.Fatalf("read %d bytes, %v; want 10 and ErrBudget", len(got), err)
		}
		if !errors.Is(explain(c, errors.New("imapclient: in response: EOF")), ErrBudget) {
			t.Error("explain does not name the budget")
		}
	})
}

func TestRedactor(t *testing.T) {
	r := NewRedactor("probe", "hunter22")
	in := "AUTH PLAIN AHByb2JlAGh1bnRlcjIy failed; server said hunter22"
	if got := r.Clean(in); strings.Contains(got, "hunter22") || strings.Contains(got, "AHByb2JlAGh1bnRlcjIy") {
		t.Errorf("Clean(%q) = %q", in, got)
	}
	if got := NewRedactor("u", "abc").Clean("abc"); got != "abc" {
		t.Errorf("a 3-character password garbles text: %q", got)
	}
	if NewRedactor("u", "") != nil {
		t.Error("an empty password makes a redactor")
	}
}

func TestTranscript(t *testing.T) {
	var ts transcript
	_, _ = ts.Write([]byte("220-mx.test ESMTP\r\n220 ready\r\nEHLO x\r\n250-mx.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 STARTTLS\r\n"))
	banner, exts := ts.parse()
	if banner != "mx.test ESMTP ready" || strings.Join(exts, ",") != "PIPELINING,SIZE 1000,STARTTLS" {
		t.Errorf("banner %q, extensions %q", banner, exts)
	}
	ts.pause(true)
	_, _ = ts.Write([]byte("AUTH PLAIN c2VjcmV0\r\n"))
	ts.pause(false)
	if ts.sent("AUTH") {
		t.Error("the transcript kept a line written while paused")
	}
}

func TestCodeMatches(t *testing.T) {
	for _, tt := range []struct {
		code  int
		specs []string
		want  bool
	}{
		{250, nil, true}, {251, nil, true}, {252, nil, false},
		{550, []string{"550-554"}, true}, {250, []string{"550-554"}, false}, {421, []string{"250", "421"}, true},
	} {
		if got := CodeMatches(tt.code, tt.specs, "250-251"); got != tt.want {
			t.Errorf("CodeMatches(%d, %v) = %v", tt.code, tt.specs, got)
		}
	}
}
