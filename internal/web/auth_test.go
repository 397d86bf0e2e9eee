package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

func TestSetupFlow(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := e.Client()

	for _, p := range []string{"/", "/monitors/web", "/notifications", "/login"} {
		if r := e.Get(c, p); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/setup" {
			t.Errorf("GET %s before setup: %d to %q, want 303 to /setup", p, r.Status, r.Header.Get("Location"))
		}
	}
	if r := e.Get(c, "/setup"); r.Status != 200 || !strings.Contains(r.Body, `name="password2"`) {
		t.Fatalf("GET /setup: %d", r.Status)
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
		r := e.PostForm(c, "/setup", b.form)
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, b.want) {
			t.Errorf("setup with %v: %d, want 400 saying %q", b.form, r.Status, b.want)
		}
	}
	if n, _ := e.Store.UserCount(context.Background()); n != 0 {
		t.Fatalf("a rejected setup created %d users", n)
	}

	c = e.Setup()
	if r := e.Get(c, "/"); r.Status != 200 || !strings.Contains(r.Body, "Website") {
		t.Fatalf("overview after setup: %d", r.Status)
	}
	u, err := e.Store.UserByName(context.Background(), "admin")
	if err != nil || u.Role != "admin" || !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=65536,t=1,p=2$") {
		t.Fatalf("stored admin = %+v, %v", u, err)
	}
	// Setup is gone for everyone once the admin exists.
	anon := e.Client()
	if r := e.Get(anon, "/setup"); r.Status != http.StatusNotFound {
		t.Errorf("GET /setup after setup: %d, want 404", r.Status)
	}
	r := e.PostForm(anon, "/setup", url.Values{"name": {"evil"}, "password": {"0123456789"}, "password2": {"0123456789"}})
	if r.Status != http.StatusNotFound {
		t.Errorf("POST /setup after setup: %d, want 404", r.Status)
	}
	if n, _ := e.Store.UserCount(context.Background()); n != 1 {
		t.Errorf("%d users after a second setup, want 1", n)
	}
	if r := e.Get(anon, "/"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Errorf("anonymous GET / after setup: %d to %q, want /login", r.Status, r.Header.Get("Location"))
	}
}

func TestLoginLogout(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	e.Setup()
	c := e.Client()

	r := e.Get(c, "/monitors/web")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login?next=%2Fmonitors%2Fweb" {
		t.Fatalf("anonymous monitor page: %d to %q", r.Status, r.Header.Get("Location"))
	}
	r = e.PostForm(c, "/login", url.Values{"name": {"admin"}, "password": {"wrong password"}, "next": {"/monitors/web"}})
	if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "Wrong name or password") {
		t.Fatalf("wrong password: %d", r.Status)
	}
	r = e.PostForm(c, "/login", url.Values{"name": {"nobody"}, "password": {"correct horse"}})
	if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "Wrong name or password") {
		t.Fatalf("unknown user: %d", r.Status)
	}
	r = e.PostForm(c, "/login", url.Values{"name": {"admin"}, "password": {"correct horse"}, "next": {"/monitors/web"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/monitors/web" {
		t.Fatalf("login: %d to %q", r.Status, r.Header.Get("Location"))
	}
	cookie := r.Header.Get("Set-Cookie")
	for _, want := range []string{web.SessionCookie + "=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %q", cookie, want)
		}
	}
	if r := e.Get(c, "/monitors/web"); r.Status != 200 {
		t.Fatalf("monitor page after login: %d", r.Status)
	}

	// The stored session is the hash of the cookie, never the token.
	tok := strings.TrimPrefix(strings.SplitN(cookie, ";", 2)[0], web.SessionCookie+"=")
	if _, err := e.Store.Session(context.Background(), web.HashSecret(tok)); err != nil {
		t.Fatalf("session not stored by hash: %v", err)
	}

	if r := e.PostForm(c, "/logout", nil); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Fatalf("logout: %d", r.Status)
	}
	if r := e.Get(c, "/"); r.Status != http.StatusSeeOther {
		t.Errorf("overview after logout: %d, want a redirect to /login", r.Status)
	}
	// The old cookie is dead even if a client keeps sending it.
	r = e.Do(e.Client(), "GET", "/", nil, map[string]string{"Cookie": web.SessionCookie + "=" + tok})
	if r.Status != http.StatusSeeOther {
		t.Errorf("old session cookie still works: %d", r.Status)
	}
}

func TestLoginRejectsOffsiteNext(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	e.Setup()
	for _, next := range []string{"https://evil.example/", "//evil.example/", "/\\evil.example"} {
		r := e.PostForm(e.Client(), "/login", url.Values{"name": {"admin"}, "password": {"correct horse"}, "next": {next}})
		if r.Header.Get("Location") != "/" {
			t.Errorf("next=%q redirected to %q, want /", next, r.Header.Get("Location"))
		}
	}
}

func TestSessionExpires(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, func(o *web.Options) { o.SessionTTL = time.Hour })
	c := e.Setup()
	if r := e.Get(c, "/"); r.Status != 200 {
		t.Fatalf("overview: %d", r.Status)
	}
	e.Clock.Add(time.Hour)
	if r := e.Get(c, "/"); r.Status != http.StatusSeeOther {
		t.Errorf("overview with an expired session: %d, want a redirect", r.Status)
	}
}

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	e.Setup()
	c := e.Client()
	for i := range web.LoginMaxFailures {
		r := e.PostForm(c, "/login", url.Values{"name": {"admin"}, "password": {"guess number " + string(rune('a'+i))}})
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, r.Status)
		}
	}
	r := e.PostForm(c, "/login", url.Values{"name": {"Admin"}, "password": {"correct horse"}})
	if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "Too many failed logins") {
		t.Fatalf("login after %d failures: %d, want 429", web.LoginMaxFailures, r.Status)
	}
	e.Clock.Add(web.LoginWindow)
	r = e.PostForm(c, "/login", url.Values{"name": {"admin"}, "password": {"correct horse"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("login after the window: %d, want 303", r.Status)
	}
}

func TestCrossOriginPostRejected(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := e.Setup()
	for _, hdr := range []map[string]string{
		{"Origin": "https://evil.example", "Content-Type": "application/x-www-form-urlencoded"},
		{"Sec-Fetch-Site": "cross-site", "Content-Type": "application/x-www-form-urlencoded"},
	} {
		r := e.Do(c, "POST", "/monitors/web/pause", nil, hdr)
		if r.Status != http.StatusForbidden {
			t.Errorf("cross-origin pause with %v: %d, want 403", hdr, r.Status)
		}
	}
	r := e.Do(c, "POST", "/api/v1/monitors/web/pause", nil, map[string]string{"Sec-Fetch-Site": "cross-site"})
	if r.Status != http.StatusForbidden || webtest.APIError(t, r).Code != "forbidden" {
		t.Errorf("cross-origin API pause: %d %s", r.Status, r.Body)
	}
	if got := e.RT.PausedStatus("web"); got != monitor.StatusUp {
		t.Fatalf("a cross-origin request paused the monitor: %s", got)
	}
	// The same request from the site's own page works.
	r = e.Do(c, "POST", "/monitors/web/pause", nil, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if r.Status != http.StatusSeeOther || e.RT.PausedStatus("web") != monitor.StatusPaused {
		t.Errorf("same-origin pause: %d, state %s", r.Status, e.RT.PausedStatus("web"))
	}
}

func TestTokensPage(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := e.Setup()
	r := e.PostForm(c, "/settings/tokens", url.Values{"name": {"deploy"}})
	if r.Status != 200 || !strings.Contains(r.Body, "not shown again") {
		t.Fatalf("create token: %d", r.Status)
	}
	i := strings.Index(r.Body, web.TokenPrefix)
	secret := r.Body[i : i+len(web.TokenPrefix)+43]
	if api := e.Do(e.Client(), "GET", "/api/v1/status", nil, webtest.Bearer(secret)); api.Status != 200 {
		t.Fatalf("token from the UI does not work: %d %s", api.Status, api.Body)
	}
	r = e.Get(c, "/settings/tokens")
	if strings.Contains(r.Body, secret) || !strings.Contains(r.Body, secret[:web.ShownPrefixLen]) {
		t.Fatalf("token list must show the prefix and never the secret")
	}
	if r := e.PostForm(c, "/settings/tokens", url.Values{"name": {"  "}}); r.Status != http.StatusBadRequest {
		t.Errorf("empty token name: %d, want 400", r.Status)
	}
	toks, err := e.Store.APITokens(context.Background(), 1)
	if err != nil || len(toks) != 1 {
		t.Fatalf("tokens = %v, %v", toks, err)
	}
	r = e.PostForm(c, "/settings/tokens/"+itoa(toks[0].ID)+"/revoke", nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.Status)
	}
	if api := e.Do(e.Client(), "GET", "/api/v1/status", nil, webtest.Bearer(secret)); api.Status != http.StatusUnauthorized {
		t.Errorf("revoked token still works: %d", api.Status)
	}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
