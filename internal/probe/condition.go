package probe

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tocsin/tocsin/internal/spec"
	"github.com/tocsin/tocsin/internal/text"
)

// JSONCondition is one expectation on a value in a JSON body.
type JSONCondition struct {
	Path string
	// Equals, when set, is compared with the value's text form (spec.JSONText).
	Equals *string
	// Exists, when set to false, requires the path to be absent. When nil
	// or true the path must be present.
	Exists *bool
}

type compiledJSON struct {
	path   spec.JSONPath
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
		p, err := spec.CompileJSONPath(c.Path)
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
	doc, err := spec.DecodeJSON(body)
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
			if got := spec.JSONText(v); got != *c.equals {
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
