package mailping

import (
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/heartbeat"
)

func TestParseRecipient(t *testing.T) {
	for _, tc := range []struct {
		addr, domain string
		want         Recipient
		ok           bool
	}{
		{hbUUID + "@" + domain, domain, Recipient{UUID: hbUUID}, true},
		{strings.ToUpper(hbUUID) + "@Ping.Example.Com", domain, Recipient{UUID: hbUUID}, true},
		{"Nightly_Export+AbC-_9@" + domain, domain, Recipient{Slug: "nightly_export", PingKey: "AbC-_9"}, true},
		{hbUUID + "@[127.0.0.1]", "127.0.0.1", Recipient{UUID: hbUUID}, true},
		{hbUUID + "@[IPv6:::1]", "::1", Recipient{UUID: hbUUID}, true},
		{hbUUID + "@[127.0.0.2]", "127.0.0.1", Recipient{}, false},
		{hbUUID + "@evil.com", domain, Recipient{}, false},
		{hbUUID + "@" + domain + ".evil.com", domain, Recipient{}, false},
		{hbUUID, domain, Recipient{}, false},
		{"@" + domain, domain, Recipient{}, false},
		{"+key@" + domain, domain, Recipient{}, false},
		{"slug+@" + domain, domain, Recipient{}, false},
		{"slug+a+b@" + domain, domain, Recipient{}, false},
		{`"` + hbUUID + `"@` + domain, domain, Recipient{}, false},
		{"x@y@" + domain, domain, Recipient{}, false},
		{strings.Repeat("a", 60) + "+" + strings.Repeat("b", 10) + "@" + domain, domain, Recipient{}, false},
	} {
		got, err := ParseRecipient(tc.addr, tc.domain)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseRecipient(%q, %q) = %+v, %v; want %+v (ok %v)", tc.addr, tc.domain, got, err, tc.want, tc.ok)
		}
		if err != nil && errs.Code(err) != errs.EINVALID {
			t.Errorf("ParseRecipient(%q): error code %q, want EINVALID", tc.addr, errs.Code(err))
		}
	}
}

// FuzzParseRecipient: any input gets an answer, never a panic; what is
// accepted is a well-formed heartbeat name that parses back to itself.
func FuzzParseRecipient(f *testing.F) {
	for _, s := range []string{hbUUID + "@" + domain, "slug+key@" + domain, "a@b@c", "", "@", "+@", hbUUID + "@[127.0.0.1]", "\x00@\xff"} {
		f.Add(s, domain)
	}
	f.Add(hbUUID+"@[::1]", "::1")
	f.Fuzz(func(t *testing.T, addr, dom string) {
		r, err := ParseRecipient(addr, dom)
		if err != nil {
			if errs.Code(err) != errs.EINVALID {
				t.Fatalf("error code %q: %v", errs.Code(err), err)
			}
			return
		}
		if (r.UUID == "") == (r.Slug == "") || (r.Slug == "") != (r.PingKey == "") {
			t.Fatalf("%q gave %+v: want a UUID or a slug with a ping key", addr, r)
		}
		if !reUUID.MatchString(r.UUID) && r.UUID != "" || r.Slug != "" && (!reSlug.MatchString(r.Slug) || !reKey.MatchString(r.PingKey)) {
			t.Fatalf("%q gave a malformed %+v", addr, r)
		}
		again, err := ParseRecipient(r.String()+"@"+dom, dom)
		if err != nil || again != r {
			t.Fatalf("%q gave %+v, which reads back as %+v, %v", addr, r, again, err)
		}
	})
}

// FuzzClassify reads arbitrary messages: never a panic, and a failure
// keyword in the subject always makes a failure.
func FuzzClassify(f *testing.F) {
	f.Add([]byte("Subject: ok\r\n\r\nbody"), "backup")
	f.Add([]byte("Subject: =?utf-8?b?w6k=?=\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\nContent-Type: text/plain; charset=koi8-r\r\nContent-Transfer-Encoding: base64\r\n\r\n8tXT08vJyg==\r\n--z--\r\n"), "x")
	f.Add([]byte("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n"), "a")
	f.Add([]byte("not a mail at all"), "fail")
	f.Fuzz(func(t *testing.T, raw []byte, word string) {
		subject, text := readMessage(raw)
		kw := Keywords{Success: []string{"ok"}, Failure: []string{"zzfailzz"}}
		kind := kw.Classify(subject, text)
		switch kind {
		case heartbeat.KindSuccess, heartbeat.KindFail, heartbeat.KindLog:
		default:
			t.Fatalf("kind %q from keywords without start", kind)
		}
		if k := kw.Classify("x zzFAILzz "+subject, text); k != heartbeat.KindFail {
			t.Fatalf("a failure keyword in the subject gave %q", k)
		}
		if k := (Keywords{}).Classify(subject, text); k != heartbeat.KindSuccess {
			t.Fatalf("no keywords gave %q", k)
		}
		if w := strings.TrimSpace(word); w != "" {
			if k := (Keywords{Start: []string{word}}).Classify("["+w+"]", ""); k != heartbeat.KindStart {
				t.Fatalf("start keyword %q in the subject gave %q", word, k)
			}
		}
	})
}
