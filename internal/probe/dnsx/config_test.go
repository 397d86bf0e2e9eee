package dnsx

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/config"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		got  []config.FieldError
		want []config.FieldError
	}{
		{"dns fine", (&Check{Name: "example.org", Type: "mx", Server: "1.1.1.1", Protocol: "TCP", Rcode: "nxdomain", Expect: []string{"mail.example.org"}}).Validate(nil), nil},
		{"dns servers", (&Check{Name: "example.org", Server: "[2001:db8::1]:53"}).Validate(nil), nil},
		{"dns bare ipv6 server", (&Check{Name: "example.org", Server: "2001:db8::1"}).Validate(nil), nil},
		{"dns ptr address", (&Check{Name: "10.0.0.1", Type: "PTR"}).Validate(nil), nil},
		{"dns empty", (&Check{}).Validate(nil), []config.FieldError{{Field: "name", Message: "name is required"}}},
		{"dns bad", (&Check{Name: "a..b", Type: "AXFRX", Server: "dns:99999", Protocol: "doh", Rcode: "OOPS", Expect: []string{" "}}).Validate(nil), []config.FieldError{
			{Field: "name", Message: `"a..b" is not a valid domain name`},
			{Field: "type", Message: `unknown record type "AXFRX"`},
			{Field: "server", Message: `address "dns:99999" has an invalid port "99999"`},
			{Field: "protocol", Message: `unknown protocol "doh", expected udp, tcp or tcp-tls`},
			{Field: "rcode", Message: `unknown rcode "OOPS", expected e.g. NOERROR, NXDOMAIN, SERVFAIL, REFUSED`},
			{Field: "expect[0]", Message: "expected value is empty"},
		}},
		{"dns bad server", (&Check{Name: "x.org", Server: "a:b:c"}).Validate(nil), []config.FieldError{{Field: "server", Message: `server "a:b:c" must be host or host:port`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("Validate() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
