package web_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// provider is an OpenID Connect provider in the test's process: it serves
// discovery, its keys, and a token endpoint that checks the PKCE verifier
// and answers with an ID token the test shapes.
type provider struct {
	t     *testing.T
	srv   *httptest.Server
	key   *rsa.PrivateKey
	other *rsa.PrivateKey // signs tokens the provider's keys do not verify

	mu    sync.Mutex
	codes map[string]authRequest
	// idToken makes the claims of the next ID token from the request's
	// nonce, and picks the key that signs it.
	idToken func(nonce string) (map[string]any, *rsa.PrivateKey)
}

type authRequest struct{ nonce, challenge string }

func newProvider(t *testing.T) *provider {
	p := &provider{t: t, codes: map[string]authRequest{}}
	var err error
	if p.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if p.other, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/authorize", "token_endpoint": p.srv.URL + "/token",
			"jwks_uri": p.srv.URL + "/jwks", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		id, secret, _ := r.BasicAuth()
		if r.PostForm.Get("client_id") != "" {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		p.mu.Lock()
		ar, ok := p.codes[r.PostForm.Get("code")]
		delete(p.codes, r.PostForm.Get("code"))
		p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		switch {
		case id != "tocsin" || secret != "s3cret":
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		case !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != ar.challenge:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		claims, key := p.idToken(ar.nonce)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 60, "id_token": p.sign(claims, key)})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *provider) sign(claims map[string]any, key *rsa.PrivateKey) string {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		p.t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	jws, err := s.Sign(b)
	if err != nil {
		p.t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		p.t.Fatal(err)
	}
	return out
}

// authorize plays the provider's sign-in page: it takes the request
// Tocsin sent the browser to and returns the code it answers with.
func (p *provider) authorize(t *testing.T, location string) (code, state string) {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil || !strings.HasPrefix(location, p.srv.URL+"/authorize?") {
		t.Fatalf("not sent to the provider: %q", location)
	}
	q := u.Query()
	if q.Get("client_id") != "tocsin" || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" || !strings.Contains(q.Get("scope"), "openid") ||
		q.Get("redirect_uri") != "https://tocsin.example/login/oidc/callback" {
		t.Fatalf("the authorization request lacks something: %v", q)
	}
	code = rand.Text()
	p.mu.Lock()
	p.codes[code] = authRequest{nonce: q.Get("nonce"), challenge: q.Get("code_challenge")}
	p.mu.Unlock()
	return code, q.Get("state")
}

// Signing in with OIDC: the account is made at the first sign-in with the
// role its groups map to, and the role follows the groups at each sign-in.
// Tokens with a wrong audience, issuer, expiry, signature or nonce, and a
// callback whose state is not the browser's, are refused.
func TestOIDCSignIn(t *testing.T) {
	t.Parallel()
	p := newProvider(t)
	e := webtest.New(t, func(o *web.Options) {
		o.OIDC = &web.OIDC{Issuer: p.srv.URL, ClientID: "tocsin", ClientSecret: "s3cret", RedirectURL: "https://tocsin.example/login/oidc/callback",
			Scopes: []string{"openid", "profile"}, GroupsClaim: "groups",
			RoleMap: map[string]store.Role{"sre": store.RoleAdmin, "oncall": store.RoleResponder}}
	})
	e.Setup()
	now := e.Clock.Now()
	good := func(groups ...any) func(string) (map[string]any, *rsa.PrivateKey) {
		return func(nonce string) (map[string]any, *rsa.PrivateKey) {
			return map[string]any{"iss": p.srv.URL, "sub": "u-42", "aud": "tocsin", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(),
				"nonce": nonce, "preferred_username": "olga", "groups": groups}, p.key
		}
	}
	// signIn runs the whole flow in a browser of its own; it returns the
	// browser and the callback's answer.
	signIn := func(mangle func(code, state string) (string, string)) (*http.Client, webtest.Response) {
		t.Helper()
		c := e.Client()
		r := e.Get(c, "/login/oidc?next=/incidents")
		if r.Status != http.StatusFound {
			t.Fatalf("GET /login/oidc: %d %s", r.Status, r.Body)
		}
		code, state := p.authorize(t, r.Header.Get("Location"))
		if mangle != nil {
			code, state = mangle(code, state)
		}
		return c, e.Get(c, "/login/oidc/callback?"+url.Values{"code": {code}, "state": {state}}.Encode())
	}

	// The login page offers it.
	if r := e.Get(e.Client(), "/login"); !strings.Contains(r.Body, `href="/login/oidc`) {
		t.Errorf("the login page has no OIDC button: %.500s", r.Body)
	}

	// A person in oncall and in a group not mapped is a responder.
	p.idToken = good("oncall", "staff")
	c, r := signIn(nil)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/incidents" {
		t.Fatalf("sign-in: %d %s %.300s", r.Status, r.Header.Get("Location"), r.Body)
	}
	u, err := e.Store.UserByOIDCSubject(context.Background(), p.srv.URL+" u-42")
	if err != nil || u.Name != "olga" || u.Role != store.RoleResponder {
		t.Fatalf("the account: %+v, %v", u, err)
	}
	if r := e.Get(c, "/incidents"); r.Status != http.StatusOK {
		t.Errorf("signed in, /incidents: %d", r.Status)
	}
	if r := e.Get(c, "/audit"); r.Status != http.StatusForbidden {
		t.Errorf("a responder reads the audit log: %d", r.Status)
	}
	// Signing in again in sre makes the same account an admin.
	p.idToken = good("sre", "oncall")
	c, r = signIn(nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("second sign-in: %d %.300s", r.Status, r.Body)
	}
	if u2, err := e.Store.UserByOIDCSubject(context.Background(), p.srv.URL+" u-42"); err != nil || u2.ID != u.ID || u2.Role != store.RoleAdmin {
		t.Errorf("after the second sign-in: %+v, %v", u2, err)
	}
	if r := e.Get(c, "/audit"); r.Status != http.StatusOK {
		t.Errorf("an admin reads the audit log: %d", r.Status)
	}
	// No mapped group and no default role: refused, and no account made.
	p.idToken = func(nonce string) (map[string]any, *rsa.PrivateKey) {
		c, k := good("staff")(nonce)
		c["sub"] = "u-7"
		return c, k
	}
	if _, r := signIn(nil); r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "no role") {
		t.Errorf("no mapped group: %d %.300s", r.Status, r.Body)
	}
	if _, err := e.Store.UserByOIDCSubject(context.Background(), p.srv.URL+" u-7"); err == nil {
		t.Error("an account was made for a person with no role")
	}

	// Refused tokens.
	with := func(k string, v any) func(string) (map[string]any, *rsa.PrivateKey) {
		return func(nonce string) (map[string]any, *rsa.PrivateKey) {
			c, key := good("sre")(nonce)
			c[k] = v
			return c, key
		}
	}
	for _, tc := range []struct {
		name    string
		idToken func(string) (map[string]any, *rsa.PrivateKey)
		mangle  func(code, state string) (string, string)
		want    string
	}{
		{"wrong audience", with("aud", "someone-else"), nil, "audience"},
		{"wrong issuer", with("iss", "https://evil.example"), nil, "different provider"},
		{"expired", with("exp", now.Add(-time.Minute).Unix()), nil, "expired"},
		{"wrong nonce", with("nonce", "not-this-one"), nil, "nonce"},
		{"bad signature", func(nonce string) (map[string]any, *rsa.PrivateKey) {
			c, _ := good("sre")(nonce)
			return c, p.other
		}, nil, "signature"},
		{"state mismatch", good("sre"), func(code, _ string) (string, string) { return code, "forged" }, "state"},
	} {
		p.idToken = tc.idToken
		c, r := signIn(tc.mangle)
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, tc.want) {
			t.Errorf("%s: %d, want 401 naming %q: %s", tc.name, r.Status, tc.want, r.Body[strings.Index(r.Body, "<main"):])
		}
		if r := e.Get(c, "/incidents"); r.Status != http.StatusSeeOther {
			t.Errorf("%s: a session was started: GET /incidents %d", tc.name, r.Status)
		}
	}
}
