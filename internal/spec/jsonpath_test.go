package spec

import (
	"strings"
	"testing"
)

func TestCompileJSONPath(t *testing.T) {
	doc, err := DecodeJSON([]byte(`{"a":{"b":[10,{"c":"deep"}]},"x.y":1,"q\"k":2,"":3}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want string // JSONText of the value; "" means not found
		err  string
	}{
		{path: "$", want: `{"":3,"a":{"b":[10,{"c":"deep"}]},"q\"k":2,"x.y":1}`},
		{path: "$.a.b[0]", want: "10"},
		{path: "$.a.b[1].c", want: "deep"},
		{path: `$["a"]['b'][-2]`, want: "10"},
		{path: `$["x.y"]`, want: "1"},
		{path: `$["q\"k"]`, want: "2"},
		{path: `$[""]`, want: "3"},
		{path: "$.a.b[2]"},
		{path: "$.a.b[-3]"},
		{path: "$.missing.deeper"},
		{path: "$.a.b.c"},
		{path: "a.b", err: "must start with $"},
		{path: "", err: "must start with $"},
		{path: "$.", err: "empty member name"},
		{path: "$..a", err: "empty member name"},
		{path: "$.a[", err: "unclosed ["},
		{path: "$.a[1", err: "unclosed ["},
		{path: "$.a[x]", err: "is not an integer"},
		{path: "$.a[*]", err: "wildcards are not supported"},
		{path: "$.*", err: "wildcards are not supported"},
		{path: `$["a]`, err: "unterminated quoted name"},
		{path: `$["a"`, err: "expected ]"},
		{path: `$["a\`, err: "dangling backslash"},
		{path: "$a", err: "unexpected"},
		{path: "$" + strings.Repeat(".a", 600), err: "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := CompileJSONPath(tt.path)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("CompileJSONPath(%q) error = %v, want containing %q", tt.path, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("CompileJSONPath(%q): %v", tt.path, err)
			}
			if p.String() != tt.path {
				t.Errorf("String() = %q", p.String())
			}
			v, ok := p.Lookup(doc)
			if tt.want == "" {
				if ok {
					t.Errorf("Lookup found %v, want nothing", v)
				}
				return
			}
			if !ok || JSONText(v) != tt.want {
				t.Errorf("Lookup = %q (found %v), want %q", JSONText(v), ok, tt.want)
			}
		})
	}
}

func FuzzJSONPath(f *testing.F) {
	for _, s := range []string{"$", "$.a", "$.a[0]", `$["k y"]`, `$['a\'b']`, "$.a[-1].b", "$[", `$["`, "$.a[99999999999999999999]"} {
		f.Add(s, `{"a":[{"b":1}],"k y":true}`)
	}
	f.Fuzz(func(t *testing.T, path, body string) {
		p, err := CompileJSONPath(path)
		if err != nil {
			return
		}
		if p.String() != path {
			t.Fatalf("String() = %q, want %q", p.String(), path)
		}
		doc, err := DecodeJSON([]byte(body))
		if err != nil {
			return
		}
		if v, ok := p.Lookup(doc); ok {
			_ = JSONText(v)
		}
	})
}

func FuzzStatusSet(f *testing.F) {
	for _, s := range []string{"200", "200-299", "2xx", "200,204", "", "-", "599-100", "1xx,5XX", "0200"} {
		f.Add(s, 200)
	}
	f.Fuzz(func(t *testing.T, spec string, code int) {
		s, err := ParseStatusSet(spec)
		if err != nil {
			return
		}
		// A parsed set only holds valid codes, and its text parses back to
		// the same set.
		if s.Contains(code) && (code < 100 || code > 599) {
			t.Fatalf("%q contains %d", spec, code)
		}
		again, err := ParseStatusSet(strings.ReplaceAll(s.String(), " or ", ","))
		if err != nil {
			t.Fatalf("String() %q does not parse: %v", s.String(), err)
		}
		if again.Contains(code) != s.Contains(code) {
			t.Fatalf("round trip of %q changed membership of %d", spec, code)
		}
	})
}
