package tlsx

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/config"
)

func TestCheckValidate(t *testing.T) {
	tests := []struct {
		name string
		got  []config.FieldError
		want []config.FieldError
	}{
		{"tls fine", (&Check{Address: "mail:25", StartTLS: "SMTP"}).Validate(nil), nil},
		{"tls starttls", (&Check{Address: "mail:21", StartTLS: "ftp"}).Validate(nil), []config.FieldError{{Field: "starttls", Message: `unknown starttls protocol "ftp", expected smtp, imap or pop3`}}},
		{"tls days", (&Check{Address: "mail:25", CertWarnDays: -2}).Validate(nil), []config.FieldError{{Field: "cert_warn_days", Message: "must not be negative"}}},
		{"tls client", (&Check{Address: "mail:25", Client: config.TLSClient{CertFile: "c.pem"}}).Validate(nil), []config.FieldError{{Field: "client.key_file", Message: "key_file is required with cert_file"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("Validate() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
