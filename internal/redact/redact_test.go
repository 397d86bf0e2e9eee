package redact

import (
	"net/url"
	"strings"
	"testing"
)

func TestTarget(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"https://example.org/health", "https://example.org/health"},
		{"db.example.org:5432", "db.example.org:5432"},
		{"backup@sftp.example.org:22 /data", "backup@sftp.example.org:22 /data"},
		{"https://user:pw@example.org/", "https://user:xxxxx@example.org/"},
		{"https://token@example.org/", "https://xxxxx@example.org/"},
		{"https://sk_live_1:@api.example.org/", "https://xxxxx@api.example.org/"},
		{"https://u:p%40ss%2Fw@example.org/", "https://u:xxxxx@example.org/"},
		{"https://u:p@ss@example.org/", "https://u:xxxxx@example.org/"},
		{"https://x/?token=abc&page=2", "https://x/?token=xxxxx&page=2"},
		{"https://x/?API_KEY=abc&ApiKey=d&api-key=e&key=f", "https://x/?API_KEY=xxxxx&ApiKey=xxxxx&api-key=xxxxx&key=xxxxx"},
		{"https://x/?access_token=a&password=b&passwd=c&secret=d&sig=e&signature=f", "https://x/?access_token=xxxxx&password=xxxxx&passwd=xxxxx&secret=xxxxx&sig=xxxxx&signature=xxxxx"},
		{"https://x/?X-Amz-Signature=a&X-Amz-Credential=b&client_secret=c", "https://x/?X-Amz-Signature=xxxxx&X-Amz-Credential=xxxxx&client_secret=xxxxx"},
		{"https://x/?to%6Ben=abc", "https://x/?to%6Ben=xxxxx"}, // an escaped name
		{"https://x/?token=", "https://x/?token="},
		{"https://x/?q=token%3Dabc", "https://x/?q=token%3Dabc"}, // a value, not a name
		{"https://x/cb#access_token=abc&state=1", "https://x/cb#access_token=xxxxx&state=1"},
		{"POST https://u:pw@x/?token=t", "POST https://u:xxxxx@x/?token=xxxxx"},
		{`Get "https://u:pw@x:1/?token=t": dial tcp 127.0.0.1:1: connect: connection refused`,
			`Get "https://u:xxxxx@x:1/?token=xxxxx": dial tcp 127.0.0.1:1: connect: connection refused`},
		{"GET https://x/?token=t: refused", "GET https://x/?token=xxxxx: refused"},
		{"postgres://app:hunter2@db/tocsin?sslmode=disable&password=x", "postgres://app:xxxxx@db/tocsin?sslmode=disable&password=xxxxx"},
		{"host=db user=app password=hunter2 dbname=x", "host=db user=app password=xxxxx dbname=x"},
		{"host=db password='two words' x=1", "host=db password=xxxxx x=1"},
		{"smtp app:hunter2@mail.example.org:587", "smtp app:xxxxx@mail.example.org:587"},
		{"RCPT TO:<probe@example.org> refused", "RCPT TO:<probe@example.org> refused"},
		{"https://[::1]:8443/?token=a", "https://[::1]:8443/?token=xxxxx"},
		{"https://u:pw@host:bad port/", "https://u:xxxxx@host:bad port/"}, // unparsable: still hidden
		{"https://u:pw@\xff/?token=\x00", "https://u:xxxxx@\xff/?token=xxxxx"},
	}
	for _, tc := range tests {
		if got := Target(tc.in); got != tc.want {
			t.Errorf("Target(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestURL(t *testing.T) {
	u, _ := url.Parse("https://user:pw@example.org:8443/p?token=abc#x")
	if got, want := URL(u), "https://user:xxxxx@example.org:8443/p?token=xxxxx#x"; got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
	if u.User.String() != "user:pw" || u.RawQuery != "token=abc" {
		t.Errorf("URL changed its argument: %v", u)
	}
	if URL(nil) != "" {
		t.Error("URL(nil) is not empty")
	}
}

func TestHeader(t *testing.T) {
	tests := []struct{ name, value, want string }{
		{"Authorization", "Bearer abc.def", "Bearer xxxxx"},
		{"authorization", "Basic dXNlcjpwdw==", "Basic xxxxx"},
		{"Authorization", "abc", "xxxxx"},
		{"Proxy-Authorization", "Basic x", "Basic xxxxx"},
		{"Cookie", "session=abc; theme=dark", "xxxxx"},
		{"X-Api-Key", "abc", "xxxxx"},
		{"X-Auth-Token", "abc", "xxxxx"},
		{"Ocp-Apim-Subscription-Key", "abc", "xxxxx"},
		{"X-Client-Secret", "a b", "xxxxx"},
		{"Accept", "application/json", "application/json"},
		{"X-Request-Id", "42", "42"},
		{"Authorization", "", ""},
	}
	for _, tc := range tests {
		if got := Header(tc.name, tc.value); got != tc.want {
			t.Errorf("Header(%q, %q) = %q, want %q", tc.name, tc.value, got, tc.want)
		}
	}
}

// FuzzTarget: Target never panics, and a secret placed as a URL's password,
// as a secret query parameter or as a secret key=value field never comes
// out, whatever surrounds it. A secret counts as shown when it appears
// more often than in the output for the same input with a placeholder in
// its place (the rest of the input may hold the same characters).
func FuzzTarget(f *testing.F) {
	f.Add("GET ", "user", "hunter2-secret", "example.org", "a=1", " refused")
	f.Add("", "u", "p@ss/w:rd#?", "[::1]:80", "", "")
	f.Add("Get \"", "", "s3cr3t-value", "x", "token=1", "\": EOF")
	f.Fuzz(func(t *testing.T, prefix, user, secret, host, query, suffix string) {
		_ = Target(prefix + secret + suffix) // never panics
		if len(secret) < 6 {
			return
		}
		inputs := func(secret string) []string {
			u := &url.URL{Scheme: "https", User: url.UserPassword(user, secret), Host: "example.org", Path: "/p",
				RawQuery: query + "&token=" + url.QueryEscape(secret)}
			if host != "" && !strings.ContainsAny(host, "/?#@") {
				u.Host = host
			}
			return []string{
				prefix + u.String() + suffix,
				prefix + "postgres://" + url.UserPassword(user, secret).String() + "@db/x" + suffix,
				prefix + " password=" + url.QueryEscape(secret) + " " + suffix,
			}
		}
		with, without := inputs(secret), inputs("placeholder")
		for i, in := range with {
			out, base := Target(in), Target(without[i])
			for _, form := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret)} {
				if strings.Count(out, form) > strings.Count(base, form) {
					t.Fatalf("Target(%q) = %q: the secret %q is shown", in, out, form)
				}
			}
		}
	})
}
