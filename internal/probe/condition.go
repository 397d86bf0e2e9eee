package probe

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tocsin/tocsin/internal/text"
)

// StatusSet is a set of accepted HTTP status codes, built from single codes
// ("200"), ranges ("200-299") and classes ("2xx").
type StatusSet struct {
	ranges []statusRange
}

type statusRange struct{ lo, hi int }

// DefaultStatusSet is what an HTTP check accepts when it lists no codes:
// 200-399.
func DefaultStatusSet() StatusSet {
	return StatusSet{ranges: []statusRange{{200, 399}}}
}

// ParseStatusSet parses one status entry, which may itself be a
// comma-separated list: "200", "200-299", "2xx", "200,204,301-302".
func ParseStatusSet(spec string) (StatusSet, error) {
	var s StatusSet
	if strings.TrimSpace(spec) == "" {
		return s, fmt.Errorf("empty status code")
	}
	for part := range strings.SplitSeq(spec, ",") {
		r, err := parseStatusRange(strings.TrimSpace(part))
		if err != nil {
			return StatusSet{}, err
		}
		s.ranges = append(s.ranges, r)
	}
	return s, nil
}

// ParseStatusSets parses a list of entries (as in `expect.status`) into one
// set. An empty list gives DefaultStatusSet.
func ParseStatusSets(specs []string) (StatusSet, error) {
	if len(specs) == 0 {
		return DefaultStatusSet(), nil
	}
	var s StatusSet
	for _, spec := range specs {
		one, err := ParseStatusSet(spec)
		if err != nil {
			return StatusSet{}, err
		}
		s.ranges = append(s.ranges, one.ranges...)
	}
	return s, nil
}

func parseStatusRange(p string) (statusRange, error) {
	if p == "" {
		return statusRange{}, fmt.Errorf("empty status code in list")
	}
	if len(p) == 3 && (p[1:] == "xx" || p[1:] == "XX") {
		d := int(p[0] - '0')
		if d < 1 || d > 5 {
			return statusRange{}, fmt.Errorf("invalid status class %q, expected 1xx to 5xx", p)
		}
		return statusRange{d * 100, d*100 + 99}, nil
	}
	lo, hi, isRange := strings.Cut(p, "-")
	a, err := parseCode(strings.TrimSpace(lo))
	if err != nil {
		return statusRange{}, err
	}
	if !isRange {
		return statusRange{a, a}, nil
	}
	b, err := parseCode(strings.TrimSpace(hi))
	if err != nil {
		return statusRange{}, err
	}
	if b < a {
		return statusRange{}, fmt.Errorf("invalid status range %q: %d is greater than %d", p, a, b)
	}
	return statusRange{a, b}, nil
}

func parseCode(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || len(s) != 3 {
		return 0, fmt.Errorf("invalid status code %q, expected a number from 100 to 599", s)
	}
	if n < 100 || n > 599 {
		return 0, fmt.Errorf("invalid status code %d, expected a number from 100 to 599", n)
	}
	return n, nil
}

// Contains reports whether code is in the set.
func (s StatusSet) Contains(code int) bool {
	for _, r := range s.ranges {
		if code >= r.lo && code <= r.hi {
			return true
		}
	}
	return false
}

// String writes the set for reasons: "200", "200-299", "200 or 204".
func (s StatusSet) String() string {
	parts := make([]string, 0, len(s.ranges))
	for _, r := range s.ranges {
		if r.lo == r.hi {
			parts = append(parts, strconv.Itoa(r.lo))
		} else {
			parts = append(parts, strconv.Itoa(r.lo)+"-"+strconv.Itoa(r.hi))
		}
	}
	return strings.Join(parts, " or ")
}

// JSONCondition is one expectation on a value in a JSON body.
type JSONCondition struct {
	Path string
	// Equals, when set, is compared with the value's text form (JSONText).
	Equals *string
	// Exists, when set to false, requires the path to be absent. When nil
	// or true the path must be present.
	Exists *bool
}

type compiledJSON struct {
	path   JSONPath
	equals *string
	absent bool
}

// BodyCheck holds compiled expectations on a response body. The zero value
// (or nil) accepts every body.
type BodyCheck struct {
	contains string
	re       *regexp.Regexp
	json     []compiledJSON
}

// CompileBodyCheck compiles the body expectations once, so that evaluating
// them on every run does no parsing.
func CompileBodyCheck(contains, regex string, conds []JSONCondition) (*BodyCheck, error) {
	b := &BodyCheck{contains: contains}
	if regex != "" {
		re, err := regexp.Compile(regex)
		if err != nil {
			return nil, fmt.Errorf("invalid regular expression: %w", err)
		}
		b.re = re
	}
	for i, c := range conds {
		p, err := CompileJSONPath(c.Path)
		if err != nil {
			return nil, err
		}
		absent := c.Exists != nil && !*c.Exists
		if absent && c.Equals != nil {
			return nil, fmt.Errorf("JSON expectation %d (%s): equals and exists: false contradict each other", i+1, c.Path)
		}
		b.json = append(b.json, compiledJSON{path: p, equals: c.Equals, absent: absent})
	}
	return b, nil
}

// NeedsBody reports whether Evaluate looks at the body at all, so a prober
// can skip keeping it when nothing is checked.
func (b *BodyCheck) NeedsBody() bool {
	return b != nil && (b.contains != "" || b.re != nil || len(b.json) > 0)
}

// Evaluate checks body against the expectations. It returns "" when all
// hold, otherwise the reason for the first one that does not. truncated
// says that body is only the first part of a longer response.
func (b *BodyCheck) Evaluate(body []byte, truncated bool) string {
	if !b.NeedsBody() {
		return ""
	}
	// Paths and patterns come from the config and may hold any character;
	// a reason stays on one line.
	return Clip(b.evaluate(body, truncated), 400)
}

func (b *BodyCheck) evaluate(body []byte, truncated bool) string {
	cut := ""
	if truncated {
		cut = fmt.Sprintf(" (first %d bytes read)", len(body))
	}
	if b.contains != "" && !strings.Contains(string(body), b.contains) {
		return fmt.Sprintf("body does not contain %q%s", b.contains, cut)
	}
	if b.re != nil && !b.re.Match(body) {
		return fmt.Sprintf("body does not match /%s/%s", b.re.String(), cut)
	}
	if len(b.json) == 0 {
		return ""
	}
	doc, err := DecodeJSON(body)
	if err != nil {
		return fmt.Sprintf("body is not valid JSON%s: %s", cut, Clip(err.Error(), 120))
	}
	for _, c := range b.json {
		v, ok := c.path.Lookup(doc)
		switch {
		case c.absent && ok:
			return fmt.Sprintf("%s is present, expected it to be absent", c.path)
		case c.absent:
			continue
		case !ok:
			return fmt.Sprintf("%s not found in the body", c.path)
		case c.equals != nil:
			if got := JSONText(v); got != *c.equals {
				return fmt.Sprintf("%s is %q, expected %q", c.path, Clip(got, 120), *c.equals)
			}
		}
	}
	return ""
}

// CertDays is the number of whole days from now until notAfter; negative
// once the certificate has expired.
func CertDays(notAfter, now time.Time) int {
	d := notAfter.Sub(now)
	days := int(d / (24 * time.Hour))
	if d < 0 && d%(24*time.Hour) != 0 {
		days-- // floor, so an hour past expiry is already -1
	}
	return days
}

// CheckCertExpiry grades a certificate's remaining lifetime: Critical when
// it has expired or fewer than minDays remain, Warning when fewer than
// warnDays remain, OK otherwise (a limit of 0 is off). The reason reads
// "certificate expires in 3 days (2026-11-25), minimum 7".
func CheckCertExpiry(notAfter, now time.Time, minDays, warnDays int) (Status, string) {
	days := CertDays(notAfter, now)
	date := notAfter.UTC().Format(time.DateOnly)
	if !now.Before(notAfter) {
		ago := int(now.Sub(notAfter) / (24 * time.Hour))
		if ago == 0 {
			return Critical, fmt.Sprintf("certificate expired today (%s)", date)
		}
		return Critical, fmt.Sprintf("certificate expired %s ago (%s)", text.Plural(ago, "day"), date)
	}
	desc := fmt.Sprintf("certificate expires in %s (%s)", text.Plural(days, "day"), date)
	switch {
	case minDays > 0 && days < minDays:
		return Critical, fmt.Sprintf("%s, minimum %d", desc, minDays)
	case warnDays > 0 && days < warnDays:
		return Warning, fmt.Sprintf("%s, warning below %d", desc, warnDays)
	}
	return OK, desc
}

// FormatDuration rounds d for reasons: "38ms", "1.2s", "850µs".
func FormatDuration(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(time.Microsecond).String()
	}
}

// Clip shortens s to at most n bytes (on a rune boundary), adding "…" when
// cut, and replaces control characters so a reason stays on one line.
func Clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	cut := false
	if len(s) > n {
		i := max(n, 0)
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = s[:i]
		cut = true
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if cut {
		s += "…"
	}
	return s
}
