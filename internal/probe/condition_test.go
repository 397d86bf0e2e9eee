package probe

import (
	"strings"
	"testing"
	"time"
)

func strp(s string) *string { return &s }
func boolp(b bool) *bool    { return &b }

func TestBodyCheck(t *testing.T) {
	body := []byte(`{"status":"ok","n":3,"f":1.50,"items":[{"name":"a"},{"name":"b"}],"key with space":true,"nil":null,"obj":{"x":1}}`)
	tests := []struct {
		name      string
		contains  string
		regex     string
		json      []JSONCondition
		body      []byte
		truncated bool
		want      string
	}{
		{name: "nothing checked", body: body, want: ""},
		{name: "contains ok", contains: `"ok"`, body: body},
		{name: "contains missing", contains: "degraded", body: body, want: `body does not contain "degraded"`},
		{name: "contains truncated", contains: "zz", body: []byte("abc"), truncated: true, want: `body does not contain "zz" (first 3 bytes read)`},
		{name: "regex ok", regex: `"n":\d+`, body: body},
		{name: "regex miss", regex: `^up$`, body: body, want: "body does not match /^up$/"},
		{name: "json equals", json: []JSONCondition{{Path: "$.status", Equals: strp("ok")}}, body: body},
		{name: "json number as written", json: []JSONCondition{{Path: "$.f", Equals: strp("1.50")}}, body: body},
		{name: "json index", json: []JSONCondition{{Path: "$.items[1].name", Equals: strp("b")}}, body: body},
		{name: "json negative index", json: []JSONCondition{{Path: "$.items[-1].name", Equals: strp("b")}}, body: body},
		{name: "json quoted key", json: []JSONCondition{{Path: `$["key with space"]`, Equals: strp("true")}}, body: body},
		{name: "json null", json: []JSONCondition{{Path: "$.nil", Equals: strp("null")}}, body: body},
		{name: "json object text", json: []JSONCondition{{Path: "$.obj", Equals: strp(`{"x":1}`)}}, body: body},
		{name: "json exists", json: []JSONCondition{{Path: "$.n"}}, body: body},
		{name: "json wrong", json: []JSONCondition{{Path: "$.status", Equals: strp("up")}}, body: body, want: `$.status is "ok", expected "up"`},
		{name: "json missing", json: []JSONCondition{{Path: "$.nope"}}, body: body, want: "$.nope not found in the body"},
		{name: "json absent ok", json: []JSONCondition{{Path: "$.error", Exists: boolp(false)}}, body: body},
		{name: "json absent fails", json: []JSONCondition{{Path: "$.status", Exists: boolp(false)}}, body: body, want: "$.status is present, expected it to be absent"},
		{name: "json index out of range", json: []JSONCondition{{Path: "$.items[5]"}}, body: body, want: "$.items[5] not found"},
		{name: "json index into object", json: []JSONCondition{{Path: "$.obj[0]"}}, body: body, want: "not found"},
		{name: "not json", json: []JSONCondition{{Path: "$.a"}}, body: []byte("<html>"), want: "body is not valid JSON"},
		{name: "trailing data", json: []JSONCondition{{Path: "$.a"}}, body: []byte(`{"a":1} {}`), want: "body is not valid JSON"},
		{name: "all must hold", contains: "ok", regex: "items", json: []JSONCondition{{Path: "$.n", Equals: strp("4")}}, body: body, want: `$.n is "3", expected "4"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := CompileBodyCheck(tt.contains, tt.regex, tt.json)
			if err != nil {
				t.Fatal(err)
			}
			got := b.Evaluate(tt.body, tt.truncated)
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("Evaluate = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCompileBodyCheckErrors(t *testing.T) {
	if _, err := CompileBodyCheck("", "(", nil); err == nil || !strings.Contains(err.Error(), "invalid regular expression") {
		t.Errorf("bad regex: %v", err)
	}
	if _, err := CompileBodyCheck("", "", []JSONCondition{{Path: "status"}}); err == nil {
		t.Error("bad path accepted")
	}
	if _, err := CompileBodyCheck("", "", []JSONCondition{{Path: "$.a", Equals: strp("x"), Exists: boolp(false)}}); err == nil {
		t.Error("contradiction accepted")
	}
	var nilCheck *BodyCheck
	if nilCheck.NeedsBody() || nilCheck.Evaluate([]byte("x"), false) != "" {
		t.Error("nil check should accept everything")
	}
}

func TestCheckCertExpiry(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		name       string
		notAfter   time.Time
		min, warn  int
		wantStatus Status
		want       string
	}{
		{"plenty", now.Add(83*day + time.Hour), 7, 21, OK, "certificate expires in 83 days (2027-02-13)"},
		{"critical", now.Add(3*day + time.Hour), 7, 21, Critical, "certificate expires in 3 days (2026-11-25), minimum 7"},
		{"warning", now.Add(15 * day), 7, 21, Warning, "certificate expires in 15 days (2026-12-07), warning below 21"},
		{"one day", now.Add(day + time.Minute), 0, 0, OK, "certificate expires in 1 day (2026-11-23)"},
		{"expired", now.Add(-2*day - time.Hour), 7, 21, Critical, "certificate expired 2 days ago (2026-11-20)"},
		{"expired an hour ago", now.Add(-time.Hour), 0, 0, Critical, "certificate expired today (2026-11-22)"},
		{"limits off", now.Add(2 * day), 0, 0, OK, "certificate expires in 2 days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, reason := CheckCertExpiry(tt.notAfter, now, tt.min, tt.warn)
			if st != tt.wantStatus || !strings.HasPrefix(reason, tt.want) {
				t.Errorf("got %v %q, want %v %q", st, reason, tt.wantStatus, tt.want)
			}
		})
	}
}

func TestClip(t *testing.T) {
	if got := Clip("héllo\nworld", 3); got != "hé…" {
		t.Errorf("Clip = %q", got)
	}
	if got := Clip("a\nb", 10); got != "a b" {
		t.Errorf("Clip = %q", got)
	}
	if got := Clip("\xff\xfeabc", 100); !strings.HasSuffix(got, "abc") {
		t.Errorf("Clip = %q", got)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		38*time.Millisecond + 400*time.Microsecond: "38ms",
		1234 * time.Millisecond:                    "1.2s",
		12345 * time.Millisecond:                   "12s",
		850 * time.Microsecond:                     "850µs",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func FuzzEvaluate(f *testing.F) {
	f.Add([]byte(`{"status":"ok","items":[1,2]}`), "ok", `"status"`, "$.items[1]", "2")
	f.Add([]byte("<html>down</html>"), "up", "^<", "$.a", "x")
	f.Add([]byte{0xff, 0x00, '{'}, "", "", "$", "")
	f.Fuzz(func(t *testing.T, body []byte, contains, regex, path, equals string) {
		b, err := CompileBodyCheck(contains, regex, []JSONCondition{{Path: path, Equals: &equals}})
		if err != nil {
			return
		}
		r1 := b.Evaluate(body, false)
		if r2 := b.Evaluate(body, false); r1 != r2 {
			t.Fatalf("Evaluate is not deterministic: %q then %q", r1, r2)
		}
		if strings.ContainsAny(r1, "\n\r") {
			t.Fatalf("reason spans lines: %q", r1)
		}
	})
}
