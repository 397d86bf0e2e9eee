package httpx

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

	"github.com/tocsin/tocsin/internal/config"
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

func TestCheckValidate(t *testing.T) {
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
		c    Check
		want []config.FieldError
	}{
		{"fine", Check{URL: "https://example.org/health", Method: "POST", Headers: map[string]string{"X-A": "1"},
			TLS:    config.TLSClient{CAFile: certFile, CertFile: certFile, KeyFile: keyFile},
			Expect: Expect{Status: []string{"200-299", "304"}, BodyRegex: "ok|up", JSON: []JSONExpect{{Path: "$.a[0]", Equals: &eq}}, CertMinDays: 7, CertWarnDays: 21}}, nil},
		{"no url", Check{}, []config.FieldError{{Field: "url", Message: "url is required"}}},
		{"no scheme", Check{URL: "example.org/health"}, []config.FieldError{{Field: "url", Message: `URL "example.org/health" has no scheme, expected http:// or https://`}}},
		{"ftp", Check{URL: "ftp://example.org"}, []config.FieldError{{Field: "url", Message: `URL scheme "ftp" is not supported, expected http or https`}}},
		{"no host", Check{URL: "http:///x"}, []config.FieldError{{Field: "url", Message: `URL "http:///x" has no host`}}},
		{"bad port", Check{URL: "http://x:99999/"}, []config.FieldError{{Field: "url", Message: `URL "http://x:99999/" has an invalid port "99999"`}}},
		{"unparsable", Check{URL: "http://x/%zz"}, []config.FieldError{{Field: "url", Message: `invalid URL: invalid URL escape "%zz"`}}},
		{"bad method", Check{URL: "http://x", Method: "get"}, []config.FieldError{{Field: "method", Message: `unsupported method "get", expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS (upper case)`}}},
		{"bad header", Check{URL: "http://x", Headers: map[string]string{"Bad Name": "v", "X-Ok": "a\nb"}}, []config.FieldError{
			{Field: "headers.Bad Name", Message: `invalid header name "Bad Name"`},
			{Field: "headers.X-Ok", Message: "header value must not contain line breaks or NUL"},
		}},
		{"bad status", Check{URL: "http://x", Expect: Expect{Status: []string{"200", "2000"}}}, []config.FieldError{{Field: "expect.status[1]", Message: `invalid status code "2000", expected a number from 100 to 599`}}},
		{"bad regex", Check{URL: "http://x", Expect: Expect{BodyRegex: "a("}}, []config.FieldError{{Field: "expect.body_regex", Message: "invalid regular expression: error parsing regexp: missing closing ): `a(`"}}},
		{"bad json", Check{URL: "http://x", Expect: Expect{JSON: []JSONExpect{{Path: "status"}, {}, {Path: "$.a", Equals: &eq, Exists: &f}}}}, []config.FieldError{
			{Field: "expect.json[0].path", Message: `invalid JSON path: JSON path "status" must start with $`},
			{Field: "expect.json[1].path", Message: "path is required"},
			{Field: "expect.json[2]", Message: "equals and exists: false contradict each other"},
		}},
		{"bad expected header", Check{URL: "http://x", Expect: Expect{Headers: map[string]string{"a:b": ""}}}, []config.FieldError{{Field: "expect.headers.a:b", Message: `invalid header name "a:b"`}}},
		{"negative time", Check{URL: "http://x", Expect: Expect{MaxResponseTime: -1}}, []config.FieldError{{Field: "expect.max_response_time", Message: "must not be negative"}}},
		{"cert days", Check{URL: "http://x", Expect: Expect{CertMinDays: 10, CertWarnDays: 5}}, []config.FieldError{{Field: "expect.cert_warn_days", Message: "cert_warn_days (5) must not be less than cert_min_days (10)"}}},
		{"negative days", Check{URL: "http://x", Expect: Expect{CertMinDays: -1}}, []config.FieldError{{Field: "expect.cert_min_days", Message: "must not be negative"}}},
		{"missing ca", Check{URL: "http://x", TLS: config.TLSClient{CAFile: missing}}, []config.FieldError{{Field: "tls.ca_file", Message: "cannot read CA file: open " + missing + ": no such file or directory"}}},
		{"ca not pem", Check{URL: "http://x", TLS: config.TLSClient{CAFile: notPEM}}, []config.FieldError{{Field: "tls.ca_file", Message: "CA file " + notPEM + " holds no PEM certificates"}}},
		{"cert without key", Check{URL: "http://x", TLS: config.TLSClient{CertFile: certFile}}, []config.FieldError{{Field: "tls.key_file", Message: "key_file is required with cert_file"}}},
		{"key without cert", Check{URL: "http://x", TLS: config.TLSClient{KeyFile: keyFile}}, []config.FieldError{{Field: "tls.cert_file", Message: "cert_file is required with key_file"}}},
		{"bad server name", Check{URL: "http://x", TLS: config.TLSClient{ServerName: "a b"}}, []config.FieldError{{Field: "tls.server_name", Message: `"a b" is not a valid host name`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.c.Validate(nil)); diff != "" {
				t.Errorf("Validate() mismatch (-want +got):\n%s", diff)
			}
		})
	}

	errs := (&Check{URL: "http://x", TLS: config.TLSClient{CertFile: certFile, KeyFile: notPEM}}).Validate(nil)
	if len(errs) != 1 || errs[0].Field != "tls.cert_file" || !strings.Contains(errs[0].Message, "cannot load client certificate") {
		t.Errorf("bad key pair: %+v", errs)
	}
}
