package mute

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/cron"
)

// Matcher operators, as in Alertmanager: equal, not equal, matches the
// regular expression, does not match it. Regular expressions are anchored
// at both ends.
const (
	OpEqual    = "="
	OpNotEqual = "!="
	OpRegex    = "=~"
	OpNotRegex = "!~"
)

// MatcherNames are the labels a silence may match on.
var MatcherNames = []string{"monitor", "service", "tag", "host", "component"}

// maxRegex bounds a matcher's regular expression.
const maxRegex = 1024

// Matcher is one condition of a silence: Name Op Value, such as
// service=web or tag=~db-.*.
type Matcher struct {
	Name  string `json:"name"`
	Op    string `json:"op"`
	Value string `json:"value"`
	re    *regexp.Regexp
}

// NewMatcher checks and compiles a matcher.
func NewMatcher(name, op, value string) (Matcher, error) {
	if !slices.Contains(MatcherNames, name) {
		return Matcher{}, fmt.Errorf("unknown matcher name %q (use %s)", name, strings.Join(MatcherNames, ", "))
	}
	m := Matcher{Name: name, Op: op, Value: value}
	switch op {
	case OpEqual, OpNotEqual:
	case OpRegex, OpNotRegex:
		if len(value) > maxRegex {
			return Matcher{}, fmt.Errorf("matcher %s%s…: the regular expression is longer than %d characters", name, op, maxRegex)
		}
		re, err := regexp.Compile("^(?:" + value + ")$")
		if err != nil {
			return Matcher{}, fmt.Errorf("matcher %s%s%s: invalid regular expression: %v", name, op, value, err)
		}
		m.re = re
	default:
		return Matcher{}, fmt.Errorf("unknown operator %q in matcher of %s (use =, !=, =~ or !~)", op, name)
	}
	return m, nil
}

// ParseMatcher reads "name=value", "name!=value", "name=~regex" or
// "name!~regex".
func ParseMatcher(s string) (Matcher, error) {
	i := strings.IndexAny(s, "=!")
	if i <= 0 {
		return Matcher{}, fmt.Errorf("invalid matcher %q: write name=value, name!=value, name=~regex or name!~regex, such as service=web", s)
	}
	name, rest := strings.TrimSpace(s[:i]), s[i:]
	for _, op := range []string{OpNotRegex, OpRegex, OpNotEqual, OpEqual} {
		if strings.HasPrefix(rest, op) {
			return NewMatcher(name, op, strings.TrimSpace(rest[len(op):]))
		}
	}
	return Matcher{}, fmt.Errorf("invalid matcher %q: write name=value, name!=value, name=~regex or name!~regex, such as service=web", s)
}

// String writes the matcher as ParseMatcher reads it.
func (m Matcher) String() string { return m.Name + m.Op + m.Value }

// values returns the target's values of the matcher's name.
func (m Matcher) values(t Target) []string {
	switch m.Name {
	case "monitor":
		return []string{t.Monitor}
	case "service":
		return []string{t.Service}
	case "tag":
		return t.Tags
	case "host":
		return t.Hosts
	case "component":
		return t.Components
	}
	return nil
}

// Matches reports whether the target satisfies the matcher. A name with
// several values (tags, hosts, components) satisfies = and =~ when one
// value does, and != and !~ when none does.
func (m Matcher) Matches(t Target) bool {
	vs := m.values(t)
	if len(vs) == 0 {
		// A monitor with no tag, host or component has the empty value.
		vs = []string{""}
	}
	hit := false
	for _, v := range vs {
		if m.match(v) {
			hit = true
			break
		}
	}
	if m.Op == OpNotEqual || m.Op == OpNotRegex {
		return !hit
	}
	return hit
}

func (m Matcher) match(v string) bool {
	switch m.Op {
	case OpEqual, OpNotEqual:
		return v == m.Value
	default:
		if m.re == nil {
			// A matcher built without NewMatcher matches nothing
			// rather than everything.
			return false
		}
		return m.re.MatchString(v)
	}
}

// Silence mutes every monitor its matchers all match from StartsAt to
// EndsAt.
type Silence struct {
	ID        string
	Matchers  []Matcher
	Reason    string
	CreatedBy string
	StartsAt  time.Time
	EndsAt    time.Time
	// ExpiredBy is who ended it early; empty otherwise.
	ExpiredBy string
}

// ActiveAt reports whether the silence is in force at t.
func (s Silence) ActiveAt(t time.Time) bool {
	return !t.Before(s.StartsAt) && t.Before(s.EndsAt)
}

// Matches reports whether every matcher matches the target. A silence
// without matchers matches nothing.
func (s Silence) Matches(t Target) bool {
	if len(s.Matchers) == 0 {
		return false
	}
	for _, m := range s.Matchers {
		if !m.Matches(t) {
			return false
		}
	}
	return true
}

// Describe writes the matchers: "service=web, tag=~db-.*".
func (s Silence) Describe() string {
	parts := make([]string, len(s.Matchers))
	for i, m := range s.Matchers {
		parts[i] = m.String()
	}
	return strings.Join(parts, ", ")
}

// Limits of a silence.
const (
	// MaxSilence is the longest a silence may last: a silence forgotten
	// for a year hides a real outage.
	MaxSilence = 90 * 24 * time.Hour
	// MaxMatchers bounds the matchers of one silence.
	MaxMatchers = 32
	// MaxReason bounds a reason's length in bytes.
	MaxReason = 1000
)

// CheckSilence checks a silence before it is stored: matchers, reason,
// an end after its start and after now, at most MaxSilence long.
func CheckSilence(s Silence, now time.Time) error {
	if len(s.Matchers) == 0 {
		return fmt.Errorf("a silence needs at least one matcher, such as service=web")
	}
	if len(s.Matchers) > MaxMatchers {
		return fmt.Errorf("a silence has at most %d matchers", MaxMatchers)
	}
	for _, m := range s.Matchers {
		if _, err := NewMatcher(m.Name, m.Op, m.Value); err != nil {
			return err
		}
	}
	if err := CheckReason(s.Reason); err != nil {
		return err
	}
	if s.EndsAt.IsZero() {
		return fmt.Errorf("a silence needs an end (ends_at or a duration): silences never last forever")
	}
	if !s.EndsAt.After(s.StartsAt) {
		return fmt.Errorf("the end %s is not after the start %s", s.EndsAt.UTC().Format(time.RFC3339), s.StartsAt.UTC().Format(time.RFC3339))
	}
	if !s.EndsAt.After(now) {
		return fmt.Errorf("the end %s is already past", s.EndsAt.UTC().Format(time.RFC3339))
	}
	if s.EndsAt.Sub(s.StartsAt) > MaxSilence {
		return fmt.Errorf("a silence lasts at most %d days; this one lasts %s", int(MaxSilence.Hours()/24), s.EndsAt.Sub(s.StartsAt).Round(time.Minute))
	}
	return nil
}

// CheckReason checks a reason: required, at most MaxReason bytes.
func CheckReason(r string) error {
	if strings.TrimSpace(r) == "" {
		return fmt.Errorf("a reason is required: say why, so others know whether it still holds")
	}
	if len(r) > MaxReason {
		return fmt.Errorf("the reason is longer than %d characters", MaxReason)
	}
	return nil
}

// CheckWindow checks a window created at run time: something matched, a
// reason, and either an end after its start and after now (one-off), or a
// valid cron expression, a duration above zero and a timezone, with an end
// of the recurrence (if any) after its start and after now, and at least
// one opening still to come (recurring).
func CheckWindow(w Window, now time.Time) error {
	m := w.Match
	if len(m.Services)+len(m.Monitors)+len(m.Hosts)+len(m.Components)+len(m.Tags) == 0 {
		return fmt.Errorf("a maintenance window must name at least one service, monitor, host, component or tag")
	}
	if err := CheckReason(w.Reason); err != nil {
		return err
	}
	if w.Recurring() {
		return checkRecurring(w, now)
	}
	if w.Start.IsZero() || w.End.IsZero() {
		return fmt.Errorf("a maintenance window needs a start and an end")
	}
	if !w.End.After(w.Start) {
		return fmt.Errorf("the end %s is not after the start %s", w.End.UTC().Format(time.RFC3339), w.Start.UTC().Format(time.RFC3339))
	}
	if !w.End.After(now) {
		return fmt.Errorf("the end %s is already past", w.End.UTC().Format(time.RFC3339))
	}
	return nil
}

func checkRecurring(w Window, now time.Time) error {
	if w.Duration <= 0 {
		return fmt.Errorf("a recurring window needs a duration above zero: how long each opening lasts, such as 2h")
	}
	ref := now
	if w.Start.After(ref) {
		ref = w.Start
	}
	if err := cron.Check(w.Cron, w.loc(), ref); err != nil {
		return err
	}
	if !w.End.IsZero() {
		if !w.Start.IsZero() && !w.End.After(w.Start) {
			return fmt.Errorf("the end %s is not after the start %s", w.End.UTC().Format(time.RFC3339), w.Start.UTC().Format(time.RFC3339))
		}
		if !w.End.After(now) {
			return fmt.Errorf("the end %s is already past", w.End.UTC().Format(time.RFC3339))
		}
	}
	if _, _, ok := w.ActiveAt(now); ok {
		return nil
	}
	if _, _, ok := w.Next(now); !ok {
		return fmt.Errorf("the cron expression %q never opens the window before its end %s", w.Cron, w.End.UTC().Format(time.RFC3339))
	}
	return nil
}
