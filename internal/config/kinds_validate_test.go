package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// pemFiles writes a self-signed certificate and its key and returns the paths.
func pemFiles(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "t"}, NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestHTTPCheckValidate(t *testing.T) {
	certFile, keyFile := pemFiles(t)
	missing := filepath.Join(t.TempDir(), "nope.pem")
	notPEM := filepath.Join(t.TempDir(), "junk.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := false
	eq := "ok"
	tests := []struct {
		name string
		c    HTTPCheck
		want []FieldError
	}{
		{"fine", HTTPCheck{URL: "https://example.org/health", Method: "POST", Headers: map[string]string{"X-A": "1"},
			TLS:    TLSClient{CAFile: certFile, CertFile: certFile, KeyFile: keyFile},
			Expect: HTTPExpect{Status: []string{"200-299", "304"}, BodyRegex: "ok|up", JSON: []JSONExpect{{Path: "$.a[0]", Equals: &eq}}, CertMinDays: 7, CertWarnDays: 21}}, nil},
		{"no url", HTTPCheck{}, []FieldError{{"url", "url is required"}}},
		{"no scheme", HTTPCheck{URL: "example.org/health"}, []FieldError{{"url", `URL "example.org/health" has no scheme, expected http:// or https://`}}},
		{"ftp", HTTPCheck{URL: "ftp://example.org"}, []FieldError{{"url", `URL scheme "ftp" is not supported, expected http or https`}}},
		{"no host", HTTPCheck{URL: "http:///x"}, []FieldError{{"url", `URL "http:///x" has no host`}}},
		{"bad port", HTTPCheck{URL: "http://x:99999/"}, []FieldError{{"url", `URL "http://x:99999/" has an invalid port "99999"`}}},
		{"unparsable", HTTPCheck{URL: "http://x/%zz"}, []FieldError{{"url", `invalid URL: invalid URL escape "%zz"`}}},
		{"bad method", HTTPCheck{URL: "http://x", Method: "get"}, []FieldError{{"method", `unsupported method "get", expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS (upper case)`}}},
		{"bad header", HTTPCheck{URL: "http://x", Headers: map[string]string{"Bad Name": "v", "X-Ok": "a\nb"}}, []FieldError{
			{"headers.Bad Name", `invalid header name "Bad Name"`},
			{"headers.X-Ok", "header value must not contain line breaks or NUL"},
		}},
		{"bad status", HTTPCheck{URL: "http://x", Expect: HTTPExpect{Status: []string{"200", "2000"}}}, []FieldError{{"expect.status[1]", `invalid status code "2000", expected a number from 100 to 599`}}},
		{"bad regex", HTTPCheck{URL: "http://x", Expect: HTTPExpect{BodyRegex: "a("}}, []FieldError{{"expect.body_regex", "invalid regular expression: error parsing regexp: missing closing ): `a(`"}}},
		{"bad json", HTTPCheck{URL: "http://x", Expect: HTTPExpect{JSON: []JSONExpect{{Path: "status"}, {}, {Path: "$.a", Equals: &eq, Exists: &f}}}}, []FieldError{
			{"expect.json[0].path", `invalid JSON path: JSON path "status" must start with $`},
			{"expect.json[1].path", "path is required"},
			{"expect.json[2]", "equals and exists: false contradict each other"},
		}},
		{"bad expected header", HTTPCheck{URL: "http://x", Expect: HTTPExpect{Headers: map[string]string{"a:b": ""}}}, []FieldError{{"expect.headers.a:b", `invalid header name "a:b"`}}},
		{"negative time", HTTPCheck{URL: "http://x", Expect: HTTPExpect{MaxResponseTime: -1}}, []FieldError{{"expect.max_response_time", "must not be negative"}}},
		{"cert days", HTTPCheck{URL: "http://x", Expect: HTTPExpect{CertMinDays: 10, CertWarnDays: 5}}, []FieldError{{"expect.cert_warn_days", "cert_warn_days (5) must not be less than cert_min_days (10)"}}},
		{"negative days", HTTPCheck{URL: "http://x", Expect: HTTPExpect{CertMinDays: -1}}, []FieldError{{"expect.cert_min_days", "must not be negative"}}},
		{"missing ca", HTTPCheck{URL: "http://x", TLS: TLSClient{CAFile: missing}}, []FieldError{{"tls.ca_file", "cannot read CA file: open " + missing + ": no such file or directory"}}},
		{"ca not pem", HTTPCheck{URL: "http://x", TLS: TLSClient{CAFile: notPEM}}, []FieldError{{"tls.ca_file", "CA file " + notPEM + " holds no PEM certificates"}}},
		{"cert without key", HTTPCheck{URL: "http://x", TLS: TLSClient{CertFile: certFile}}, []FieldError{{"tls.key_file", "key_file is required with cert_file"}}},
		{"key without cert", HTTPCheck{URL: "http://x", TLS: TLSClient{KeyFile: keyFile}}, []FieldError{{"tls.cert_file", "cert_file is required with key_file"}}},
		{"bad server name", HTTPCheck{URL: "http://x", TLS: TLSClient{ServerName: "a b"}}, []FieldError{{"tls.server_name", `"a b" is not a valid host name`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.c.Validate()); diff != "" {
				t.Errorf("Validate() mismatch (-want +got):\n%s", diff)
			}
		})
	}

	errs := (&HTTPCheck{URL: "http://x", TLS: TLSClient{CertFile: certFile, KeyFile: notPEM}}).Validate()
	if len(errs) != 1 || errs[0].Field != "tls.cert_file" || !strings.Contains(errs[0].Message, "cannot load client certificate") {
		t.Errorf("bad key pair: %+v", errs)
	}
}

func TestTLSValidate(t *testing.T) {
	tests := []struct {
		name string
		got  []FieldError
		want []FieldError
	}{
		{"tls fine", (&TLSCheck{Address: "mail:25", StartTLS: "SMTP"}).Validate(), nil},
		{"tls starttls", (&TLSCheck{Address: "mail:21", StartTLS: "ftp"}).Validate(), []FieldError{{"starttls", `unknown starttls protocol "ftp", expected smtp, imap or pop3`}}},
		{"tls days", (&TLSCheck{Address: "mail:25", CertWarnDays: -2}).Validate(), []FieldError{{"cert_warn_days", "must not be negative"}}},
		{"tls client", (&TLSCheck{Address: "mail:25", Client: TLSClient{CertFile: "c.pem"}}).Validate(), []FieldError{{"client.key_file", "key_file is required with cert_file"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("Validate() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJoinFieldErrors(t *testing.T) {
	if JoinFieldErrors("http", nil) != nil {
		t.Error("no problems should be no error")
	}
	err := JoinFieldErrors("http", []FieldError{{"url", "url is required"}, {"", "block problem"}})
	if want := "http check: url: url is required; block problem"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}
