package web

import (
	"strings"
	"testing"
	"time"
)

func TestHashPassword(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=1,p=2$") || strings.Count(h, "$") != 5 {
		t.Fatalf("hash %q is not a PHC argon2id string", h)
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if ok, err := checkPassword(h, "correct horse battery"); !ok || err != nil {
		t.Errorf("right password: %v, %v", ok, err)
	}
	if ok, err := checkPassword(h, "correct horse batterz"); ok || err != nil {
		t.Errorf("wrong password: %v, %v", ok, err)
	}
	for _, bad := range []string{
		"", "plain", "$2y$10$abcdefghijklmnopqrstuv", "$argon2id$v=18$m=65536,t=1,p=2$c2FsdA$aGFzaA",
		"$argon2id$v=19$m=99999999,t=1,p=2$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=65536,t=1,p=2$!!$aGFzaGhhc2hoYXNoaGFzaA",
	} {
		if ok, err := checkPassword(bad, "x"); ok || err == nil {
			t.Errorf("checkPassword(%q) = %v, %v; want an error", bad, ok, err)
		}
	}
	if _, err := HashPassword(strings.Repeat("x", maxPasswordLength+1)); err == nil {
		t.Error("an over-long password was hashed")
	}
}

func TestLoginLimiter(t *testing.T) {
	t.Parallel()
	clock := &testClock{t: time.Unix(0, 0)}
	l := newLoginLimiter(clock.Now, 3, time.Minute, 4)
	k := limiterKey("10.0.0.1", "Admin")
	for range 3 {
		if ok, _ := l.Allow(k); !ok {
			t.Fatal("refused before the limit")
		}
		l.Fail(k)
	}
	if ok, wait := l.Allow(limiterKey("10.0.0.1", "admin")); ok || wait != time.Minute {
		t.Fatalf("allowed after 3 failures (names differ only in case): wait %v", wait)
	}
	if ok, _ := l.Allow(limiterKey("10.0.0.2", "admin")); !ok {
		t.Error("another address is throttled too")
	}
	clock.Add(time.Minute)
	if ok, _ := l.Allow(k); !ok {
		t.Error("still refused after the window")
	}
	// The table never grows past its cap.
	for i := range 20 {
		clock.Add(time.Second)
		l.Fail(limiterKey("10.0.1."+string(rune('a'+i)), "x"))
	}
	if n := len(l.keys); n > 4 {
		t.Errorf("limiter holds %d keys, cap 4", n)
	}
	l.Fail(k)
	l.Succeed(k)
	if _, ok := l.keys[k]; ok {
		t.Error("success did not forget failures")
	}
}

func TestLocalPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"": "/", "/": "/", "/monitors/x?before=3": "/monitors/x?before=3",
		"https://evil.example/": "/", "//evil.example": "/", "/\\evil.example": "/", "javascript:alert(1)": "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}
