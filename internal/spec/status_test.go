package spec

import (
	"strings"
	"testing"
)

func TestParseStatusSet(t *testing.T) {
	tests := []struct {
		spec    string
		in, out []int
		text    string
		err     string
	}{
		{spec: "200", in: []int{200}, out: []int{201, 199}, text: "200"},
		{spec: "200-299", in: []int{200, 250, 299}, out: []int{300, 199}, text: "200-299"},
		{spec: "2xx", in: []int{200, 299}, out: []int{300}, text: "200-299"},
		{spec: "200, 204,301-302", in: []int{200, 204, 301, 302}, out: []int{201, 303}, text: "200 or 204 or 301-302"},
		{spec: " 404 ", in: []int{404}, out: []int{200}, text: "404"},
		{spec: "", err: "empty status code"},
		{spec: "abc", err: `invalid status code "abc"`},
		{spec: "99", err: `invalid status code "99"`},
		{spec: "600", err: "invalid status code 600"},
		{spec: "299-200", err: "299 is greater than 200"},
		{spec: "6xx", err: "invalid status class"},
		{spec: "200,", err: "empty status code in list"},
		{spec: "+200", err: "invalid status code"},
		{spec: "200-", err: "invalid status code"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := ParseStatusSet(tt.spec)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseStatusSet(%q) error = %v, want containing %q", tt.spec, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseStatusSet(%q): %v", tt.spec, err)
			}
			for _, c := range tt.in {
				if !s.Contains(c) {
					t.Errorf("%q does not contain %d", tt.spec, c)
				}
			}
			for _, c := range tt.out {
				if s.Contains(c) {
					t.Errorf("%q contains %d", tt.spec, c)
				}
			}
			if got := s.String(); got != tt.text {
				t.Errorf("String() = %q, want %q", got, tt.text)
			}
		})
	}
}

func TestParseStatusSetsDefault(t *testing.T) {
	s, err := ParseStatusSets(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Contains(200) || !s.Contains(399) || s.Contains(400) || s.Contains(199) {
		t.Errorf("default set %s, want 200-399", s)
	}
	s, err = ParseStatusSets([]string{"200", "404"})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Contains(404) || s.Contains(302) {
		t.Errorf("set %s", s)
	}
	if _, err := ParseStatusSets([]string{"200", "x"}); err == nil {
		t.Error("bad entry accepted")
	}
}
