package heartbeat

import (
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/errs"
)

func TestParsePath(t *testing.T) {
	const u = "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"
	tests := []struct {
		path string
		want Ping
		bad  bool
	}{
		{path: u, want: Ping{UUID: u, Kind: KindSuccess}},
		{path: strings.ToUpper(u), want: Ping{UUID: u, Kind: KindSuccess}},
		{path: u + "/", want: Ping{UUID: u, Kind: KindSuccess}},
		{path: u + "/start", want: Ping{UUID: u, Kind: KindStart}},
		{path: u + "/fail", want: Ping{UUID: u, Kind: KindFail}},
		{path: u + "/log", want: Ping{UUID: u, Kind: KindLog}},
		{path: u + "/0", want: Ping{UUID: u, Kind: KindExit, ExitStatus: 0}},
		{path: u + "/255", want: Ping{UUID: u, Kind: KindExit, ExitStatus: 255}},
		{path: "key-0123/nightly-export", want: Ping{PingKey: "key-0123", Slug: "nightly-export", Kind: KindSuccess}},
		{path: "key-0123/nightly_export/fail", want: Ping{PingKey: "key-0123", Slug: "nightly_export", Kind: KindFail}},
		{path: "key-0123/db/7", want: Ping{PingKey: "key-0123", Slug: "db", Kind: KindExit, ExitStatus: 7}},
		{path: u + "/256", bad: true},
		{path: u + "/-1", bad: true},
		{path: u + "/+1", bad: true},
		{path: u + "/0001", bad: true},
		{path: u + "/1e2", bad: true},
		{path: u + "/stop", bad: true},
		{path: u + "/fail/extra", bad: true},
		{path: "5bf66975d4c74bf5bcc8b8d8a82ea278", bad: true},
		{path: "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea27z", bad: true},
		{path: "", bad: true},
		{path: "/", bad: true},
		{path: "key/Nightly", bad: true},
		{path: "key/-x", bad: true},
		{path: "key//fail", bad: true},
		{path: "k%y/slug", bad: true},
		{path: "key/slug/start/x", bad: true},
		{path: strings.Repeat("a", 600), bad: true},
	}
	for _, tc := range tests {
		got, err := ParsePath(tc.path)
		if tc.bad {
			if errs.Code(err) != errs.EINVALID {
				t.Errorf("ParsePath(%q) = %+v, %v; want EINVALID", tc.path, got, err)
			}
			continue
		}
		if err != nil || got.UUID != tc.want.UUID || got.PingKey != tc.want.PingKey || got.Slug != tc.want.Slug || got.Kind != tc.want.Kind || got.ExitStatus != tc.want.ExitStatus {
			t.Errorf("ParsePath(%q) = %+v, %v; want %+v", tc.path, got, err, tc.want)
		}
	}
}

// FuzzParsePath: any path gives a ping or EINVALID, never a panic, and
// a parsed ping is one Receive accepts the shape of.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278", "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278/fail", "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278/42", "key/slug/start", "key/slug/999", "//", "a/b/c/d", "\x00/\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		p, err := ParsePath(path)
		if err != nil {
			if errs.Code(err) != errs.EINVALID {
				t.Fatalf("ParsePath(%q): error %v is not EINVALID", path, err)
			}
			return
		}
		if (p.UUID == "") == (p.Slug == "") {
			t.Fatalf("ParsePath(%q) = %+v: exactly one of uuid and slug must be set", path, p)
		}
		if p.Kind == KindExit && (p.ExitStatus < 0 || p.ExitStatus > 255) {
			t.Fatalf("ParsePath(%q): exit status %d", path, p.ExitStatus)
		}
		if p.UUID != "" && !isUUID(p.UUID) {
			t.Fatalf("ParsePath(%q): uuid %q", path, p.UUID)
		}
	})
}
