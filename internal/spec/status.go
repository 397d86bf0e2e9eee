package spec

import (
	"fmt"
	"strconv"
	"strings"
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
