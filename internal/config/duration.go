package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ParseDuration parses a duration such as "30s", "1m30s", "1h", "2d" or
// "1d12h". It accepts every unit time.ParseDuration does plus "d" for days of
// 24 hours. A bare "0" is zero; any other number needs a unit.
func ParseDuration(s string) (time.Duration, error) {
	orig := s
	if s == "" {
		return 0, errors.New("empty duration")
	}
	if s == "0" {
		return 0, nil
	}
	neg := false
	switch s[0] {
	case '-':
		neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	if s == "" {
		return 0, fmt.Errorf("invalid duration %q", orig)
	}
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		num := s[:i]
		if num == "" || num == "." {
			return 0, fmt.Errorf("invalid duration %q", orig)
		}
		s = s[i:]
		j := 0
		for j < len(s) && !(s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
			j++
		}
		unit := s[:j]
		s = s[j:]
		if unit == "" {
			return 0, fmt.Errorf("duration %q needs a unit", orig)
		}
		var part time.Duration
		if unit == "d" {
			days, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("invalid duration %q", orig)
			}
			h := days * 24 * float64(time.Hour)
			if h > math.MaxInt64 {
				return 0, fmt.Errorf("duration %q is too long", orig)
			}
			part = time.Duration(h)
		} else {
			d, err := time.ParseDuration(num + unit)
			if err != nil {
				if strings.Contains(err.Error(), "overflow") {
					return 0, fmt.Errorf("duration %q is too long", orig)
				}
				return 0, fmt.Errorf("invalid duration %q", orig)
			}
			part = d
		}
		if total > math.MaxInt64-part {
			return 0, fmt.Errorf("duration %q is too long", orig)
		}
		total += part
	}
	if neg {
		total = -total
	}
	return total, nil
}

// UnmarshalYAML reads a duration written as text ("30s", "2d"). Problems
// are reported as yaml.TypeError so that decoding goes on and every bad
// value in the file is reported at once.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return positioned(n, "expected a duration such as 30s, 5m, 1h30m or 2d, found "+describeNode(n))
	}
	if strings.Contains(n.Value, "${") {
		return positioned(n, "${...} is expanded only in text values, not in durations")
	}
	v, err := ParseDuration(strings.TrimSpace(n.Value))
	if err != nil {
		return positioned(n, err.Error()+"; write a number with a unit, such as 30s, 5m, 1h30m or 2d")
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes d in the form UnmarshalYAML reads.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalText writes d as text ("1m30s"), which keeps JSON output readable.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads d from text in the form ParseDuration accepts.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// positioned builds the error a custom unmarshaler returns: a TypeError,
// which yaml.v3 collects instead of stopping, with a line and column prefix
// that the loader turns back into a position.
func positioned(n *yaml.Node, msg string) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: column %d: %s", n.Line, n.Column, msg)}}
}
