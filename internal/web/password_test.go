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
	now := time.Unix(0, 0)
	l := newLoginLimiter(func() time.Time { return now }, time.Minute, 4)
	budget := func(ip, name string) []loginBudget {
		return []loginBudget{{limiterKey(ip, name), 3}, {"n\x00" + nameKey(name), 5}}
	}
	for range 3 {
		if _, ok, _ := l.Reserve(budget("10.0.0.1", "Admin")...); !ok {
			t.Fatal("refused before the limit")
		}
	}
	if _, ok, wait := l.Reserve(budget("10.0.0.1", "admin")...); ok || wait != time.Minute {
		t.Fatalf("allowed after 3 failures (names differ only in case): wait %v", wait)
	}
	res, ok, _ := l.Reserve(budget("10.0.0.2", "admin")...)
	if !ok {
		t.Error("another address is throttled too")
	}
	l.Release(res)
	if _, ok, _ := l.Reserve(budget("10.0.0.3", "admin")...); !ok {
		t.Error("a released attempt still counts against the name")
	}
	l.Reserve(budget("10.0.0.4", "admin")...)
	if _, ok, _ := l.Reserve(budget("10.0.0.5", "admin")...); ok {
		t.Error("the name's budget of 5 is not kept")
	}
	now = now.Add(time.Minute)
	res, ok, _ = l.Reserve(budget("10.0.0.1", "admin")...)
	if !ok {
		t.Error("still refused after the window")
	}
	l.Succeed(res)
	if _, ok := l.keys[limiterKey("10.0.0.1", "admin")]; ok {
		t.Error("success did not forget failures")
	}
	if _, ok := l.keys["n\x00admin"]; ok {
		t.Error("success did not give its attempt back to the name")
	}
	// The table never grows past its cap, and a key that refuses attempts
	// outlives a flood of new keys.
	for range 3 {
		l.Reserve(budget("10.0.0.9", "root")...)
	}
	for i := range 20 {
		now = now.Add(time.Second)
		l.Reserve(loginBudget{limiterKey("10.0.1."+string(rune('a'+i)), "x"), 3})
	}
	if n := len(l.keys); n > 4 {
		t.Errorf("limiter holds %d keys, cap 4", n)
	}
	if _, ok, _ := l.Reserve(budget("10.0.0.9", "root")...); ok {
		t.Error("a flood of new keys pushed out a blocking one")
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
