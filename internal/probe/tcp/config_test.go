package tcp

import (
	"strings"
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
		{"tcp fine", (&Check{Address: "db:5432", TLS: true, TLSConfig: config.TLSClient{InsecureSkipVerify: true}}).Validate(nil), nil},
		{"tcp ipv6", (&Check{Address: "[::1]:22"}).Validate(nil), nil},
		{"tcp no port", (&Check{Address: "db"}).Validate(nil), []config.FieldError{{Field: "address", Message: `address "db" must be host:port (IPv6 in brackets: [::1]:443)`}}},
		{"tcp empty", (&Check{}).Validate(nil), []config.FieldError{{Field: "address", Message: "address is required (host:port)"}}},
		{"tcp port zero", (&Check{Address: "db:0"}).Validate(nil), []config.FieldError{{Field: "address", Message: `address "db:0" has an invalid port "0"`}}},
		{"tcp no host", (&Check{Address: ":22"}).Validate(nil), []config.FieldError{{Field: "address", Message: `address ":22" has no host`}}},
		{"tcp tls_config unused", (&Check{Address: "db:1", TLSConfig: config.TLSClient{ServerName: "db"}}).Validate(nil), []config.FieldError{{Field: "tls_config", Message: "tls_config has no effect unless tls is true"}}},
		{"tcp long expect", (&Check{Address: "db:1", Expect: strings.Repeat("x", 5000)}).Validate(nil), []config.FieldError{{Field: "expect", Message: "longer than 4096 bytes"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("Validate() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
