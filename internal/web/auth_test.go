package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
)

func TestSetupFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.client()

	for _, p := range []string{"/", "/monitors/web", "/notifications", "/login"} {
		if r := e.get(c, p); r.status != http.StatusSeeOther || r.header.Get("Location") != "/setup" {
			t.Errorf("GET %s before setup: %d to %q, want 303 to /setup", p, r.status, r.header.Get("Location"))
		}
	}
	if r := e.get(c, "/setup"); r.status != 200 || !strings.Contains(r.body, `name="password2"`) {
		t.Fatalf("GET /setup: %d", r.status)
	}
	bad := []struct {
		form url.Values
		want string
	}{
		{url.Values{"name": {""}, "password": {"0123456789"}, "password2": {"0123456789"}}, "Choose a name"},
		{url.Values{"name": {"admin"}, "password": {"short"}, "password2": {"short"}}, "at least 10 characters"},
		{url.Values{"name": {"admin"}, "password": {"0123456789"}, "password2": {"0123456780"}}, "The two passwords differ"},
	}
	for _, b := range bad {
		r := e.postForm(c, "/setup", b.form)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, b.want) {
			t.Errorf("setup with %v: %d, want 400 saying %q", b.form, r.status, b.want)
		}
	}
	if n, _ := e.store.UserCount(context.Background()); n != 0 {
		t.Fatalf("a rejected setup created %d users", n)
	}

	c = e.setup()
	if r := e.get(c, "/"); r.status != 200 || !strings.Contains(r.body, "Website") {
		t.Fatalf("overview after setup: %d", r.status)
	}
	u, err := e.store.UserByName(context.Background(), "admin")
	if err != nil || !u.Admin || !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=65536,t=1,p=2$") {
		t.Fatalf("stored admin = %+v, %v", u, err)
	}
	// Setup is gone for everyone once the admin exists.
	anon := e.client()
	if r := e.get(anon, "/setup"); r.status != http.StatusNotFound {
		t.Errorf("GET /setup after setup: %d, want 404", r.status)
	}
	r := e.postForm(anon, "/setup", url.Values{"name": {"evil"}, "password": {"0123456789"}, "password2": {"0123456789"}})
	if r.status != http.StatusNotFound {
		t.Errorf("POST /setup after setup: %d, want 404", r.status)
	}
	if n, _ := e.store.UserCount(context.Background()); n != 1 {
		t.Errorf("%d users after a second setup, want 1", n)
	}
	if r := e.get(anon, "/"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/login" {
		t.Errorf("anonymous GET / after setup: %d to %q, want /login", r.status, r.header.Get("Location"))
	}
}

func TestLoginLogout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.setup()
	c := e.client()

	r := e.get(c, "/monitors/web")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login?next=%2Fmonitors%2Fweb" {
		t.Fatalf("anonymous monitor page: %d to %q", r.status, r.header.Get("Location"))
	}
	r = e.postForm(c, "/login", url.Values{"name": {"admin"}, "password": {"wrong password"}, "next": {"/monitors/web"}})
	if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "Wrong name or password") {
		t.Fatalf("wrong password: %d", r.status)
	}
	r = e.postForm(c, "/login", url.Values{"name": {"nobody"}, "password": {"correct horse"}})
	if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "Wrong name or password") {
		t.Fatalf("unknown user: %d", r.status)
	}
	r = e.postForm(c, "/login", url.Values{"name": {"admin"}, "password": {"correct horse"}, "next": {"/monitors/web"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/monitors/web" {
		t.Fatalf("login: %d to %q", r.status, r.header.Get("Location"))
	}
	cookie := r.header.Get("Set-Cookie")
	for _, want := range []string{sessionCookie + "=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %q", cookie, want)
		}
	}
	if r := e.get(c, "/monitors/web"); r.status != 200 {
		t.Fatalf("monitor page after login: %d", r.status)
	}

	// The stored session is the hash of the cookie, never the token.
	tok := strings.TrimPrefix(strings.SplitN(cookie, ";", 2)[0], sessionCookie+"=")
	if _, err := e.store.Session(context.Background(), hashSecret(tok)); err != nil {
		t.Fatalf("session not stored by hash: %v", err)
	}

	if r := e.postForm(c, "/logout", nil); r.status != http.StatusSeeOther || r.header.Get("Location") != "/login" {
		t.Fatalf("logout: %d", r.status)
	}
	if r := e.get(c, "/"); r.status != http.StatusSeeOther {
		t.Errorf("overview after logout: %d, want a redirect to /login", r.status)
	}
	// The old cookie is dead even if a client keeps sending it.
	r = e.do(e.client(), "GET", "/", nil, map[string]string{"Cookie": sessionCookie + "=" + tok})
	if r.status != http.StatusSeeOther {
		t.Errorf("old session cookie still works: %d", r.status)
	}
}

func TestLoginRejectsOffsiteNext(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.setup()
	for _, next := range []string{"https://evil.example/", "//evil.example/", "/\\evil.example"} {
		r := e.postForm(e.client(), "/login", url.Values{"name": {"admin"}, "password": {"correct horse"}, "next": {next}})
		if r.header.Get("Location") != "/" {
			t.Errorf("next=%q redirected to %q, want /", next, r.header.Get("Location"))
		}
	}
}

func TestSessionExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *Options) { o.SessionTTL = time.Hour })
	c := e.setup()
	if r := e.get(c, "/"); r.status != 200 {
		t.Fatalf("overview: %d", r.status)
	}
	e.clock.Add(time.Hour)
	if r := e.get(c, "/"); r.status != http.StatusSeeOther {
		t.Errorf("overview with an expired session: %d, want a redirect", r.status)
	}
}

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.setup()
	c := e.client()
	for i := range loginMaxFailures {
		r := e.postForm(c, "/login", url.Values{"name": {"admin"}, "password": {"guess number " + string(rune('a'+i))}})
		if r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, r.status)
		}
	}
	r := e.postForm(c, "/login", url.Values{"name": {"Admin"}, "password": {"correct horse"}})
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "Too many failed logins") {
		t.Fatalf("login after %d failures: %d, want 429", loginMaxFailures, r.status)
	}
	e.clock.Add(loginWindow)
	r = e.postForm(c, "/login", url.Values{"name": {"admin"}, "password": {"correct horse"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("login after the window: %d, want 303", r.status)
	}
}

func TestCrossOriginPostRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.setup()
	for _, hdr := range []map[string]string{
		{"Origin": "https://evil.example", "Content-Type": "application/x-www-form-urlencoded"},
		{"Sec-Fetch-Site": "cross-site", "Content-Type": "application/x-www-form-urlencoded"},
	} {
		r := e.do(c, "POST", "/monitors/web/pause", nil, hdr)
		if r.status != http.StatusForbidden {
			t.Errorf("cross-origin pause with %v: %d, want 403", hdr, r.status)
		}
	}
	r := e.do(c, "POST", "/api/v1/monitors/web/pause", nil, map[string]string{"Sec-Fetch-Site": "cross-site"})
	if r.status != http.StatusForbidden || apiError(t, r).Code != "forbidden" {
		t.Errorf("cross-origin API pause: %d %s", r.status, r.body)
	}
	if got := e.rt.pausedStatus("web"); got != monitor.StatusUp {
		t.Fatalf("a cross-origin request paused the monitor: %s", got)
	}
	// The same request from the site's own page works.
	r = e.do(c, "POST", "/monitors/web/pause", nil, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if r.status != http.StatusSeeOther || e.rt.pausedStatus("web") != monitor.StatusPaused {
		t.Errorf("same-origin pause: %d, state %s", r.status, e.rt.pausedStatus("web"))
	}
}

func TestTokensPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.setup()
	r := e.postForm(c, "/settings/tokens", url.Values{"name": {"deploy"}})
	if r.status != 200 || !strings.Contains(r.body, "not shown again") {
		t.Fatalf("create token: %d", r.status)
	}
	i := strings.Index(r.body, tokenPrefix)
	secret := r.body[i : i+len(tokenPrefix)+43]
	if api := e.do(e.client(), "GET", "/api/v1/status", nil, bearer(secret)); api.status != 200 {
		t.Fatalf("token from the UI does not work: %d %s", api.status, api.body)
	}
	r = e.get(c, "/settings/tokens")
	if strings.Contains(r.body, secret) || !strings.Contains(r.body, secret[:shownPrefixLen]) {
		t.Fatalf("token list must show the prefix and never the secret")
	}
	if r := e.postForm(c, "/settings/tokens", url.Values{"name": {"  "}}); r.status != http.StatusBadRequest {
		t.Errorf("empty token name: %d, want 400", r.status)
	}
	toks, err := e.store.APITokens(context.Background(), 1)
	if err != nil || len(toks) != 1 {
		t.Fatalf("tokens = %v, %v", toks, err)
	}
	r = e.postForm(c, "/settings/tokens/"+itoa(toks[0].ID)+"/revoke", nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.status)
	}
	if api := e.do(e.client(), "GET", "/api/v1/status", nil, bearer(secret)); api.status != http.StatusUnauthorized {
		t.Errorf("revoked token still works: %d", api.status)
	}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
