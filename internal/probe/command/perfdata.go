package command

import (
	"math"
	"strconv"
	"strings"

	"github.com/tocsin/tocsin/internal/probe"
)

// Limits on what perfdata may produce, so a plugin cannot flood the store
// with metric kinds.
const (
	MaxMetrics     = 32
	maxLabel       = 64
	maxThreshold   = 32
	maxSummaryLine = 512
)

// Output is a plugin's output split as the Nagios plugin API describes:
// the first line's text is the summary, the rest before a '|' is long
// text, and everything after the first '|' on the first line and after the
// first '|' in the long text is performance data.
type Output struct {
	Summary  string
	LongText string
	Metrics  []probe.Metric
	// Skipped counts perfdata items that could not be parsed or went over
	// MaxMetrics.
	Skipped int
}

// ParseOutput splits plugin output and parses its performance data.
func ParseOutput(out string) Output {
	out = strings.ReplaceAll(out, "\r\n", "\n")
	first, rest, _ := strings.Cut(out, "\n")
	var o Output
	summary, perf, _ := strings.Cut(first, "|")
	o.Summary = strings.TrimSpace(summary)
	if len(o.Summary) > maxSummaryLine {
		o.Summary = probe.Clip(o.Summary, maxSummaryLine)
	}
	long, morePerf, found := strings.Cut(rest, "|")
	o.LongText = strings.TrimSpace(long)
	if found {
		perf += " " + morePerf
	}
	o.Metrics, o.Skipped = ParsePerfdata(perf)
	return o
}

// ParsePerfdata parses space-separated `label=value[UOM];warn;crit;min;max`
// items. Labels may be quoted with single quotes (” is a quote inside);
// line breaks count as spaces. Items that do not parse are counted, not
// fatal: one bad item must not hide the rest.
func ParsePerfdata(s string) (metrics []probe.Metric, skipped int) {
	for i := 0; i < len(s); {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		label, next, ok := readLabel(s, i)
		if !ok {
			skipped++
			i = skipItem(s, next)
			continue
		}
		end := skipItem(s, next)
		m, ok := parseValue(label, s[next:end])
		i = end
		if !ok {
			skipped++
			continue
		}
		if len(metrics) >= MaxMetrics {
			skipped++
			continue
		}
		metrics = append(metrics, m)
	}
	return metrics, skipped
}

// readLabel reads a label and its '=' starting at i; next is the index
// after '=' (or where the item broke off).
func readLabel(s string, i int) (label string, next int, ok bool) {
	if s[i] == '\'' {
		var b strings.Builder
		j := i + 1
		for j < len(s) {
			if s[j] == '\'' {
				if j+1 < len(s) && s[j+1] == '\'' {
					b.WriteByte('\'')
					j += 2
					continue
				}
				break
			}
			b.WriteByte(s[j])
			j++
		}
		if j >= len(s) || j+1 >= len(s) || s[j+1] != '=' {
			return "", min(j+1, len(s)), false
		}
		label = b.String()
		next = j + 2
	} else {
		j := i
		for j < len(s) && s[j] != '=' && !isSpace(s[j]) {
			j++
		}
		if j >= len(s) || s[j] != '=' {
			return "", j, false
		}
		label = s[i:j]
		next = j + 1
	}
	label = strings.TrimSpace(label)
	if label == "" || len(label) > maxLabel {
		return "", next, false
	}
	return label, next, true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skipItem returns the index of the space that ends the item at i.
func skipItem(s string, i int) int {
	for i < len(s) && !isSpace(s[i]) {
		i++
	}
	return i
}

// parseValue parses `value[UOM];warn;crit;min;max`.
func parseValue(label, item string) (probe.Metric, bool) {
	fields := strings.Split(item, ";")
	if len(fields) > 5 {
		return probe.Metric{}, false
	}
	v := fields[0]
	n := 0
	for n < len(v) && (v[n] >= '0' && v[n] <= '9' || v[n] == '.' || v[n] == '-' || v[n] == '+' || v[n] == 'e' || v[n] == 'E') {
		n++
	}
	// "1e" followed by a unit is ambiguous; the number ends where it parses.
	for n > 0 {
		if _, err := strconv.ParseFloat(v[:n], 64); err == nil {
			break
		}
		n--
	}
	if n == 0 {
		return probe.Metric{}, false
	}
	val, _ := strconv.ParseFloat(v[:n], 64)
	if math.IsNaN(val) || math.IsInf(val, 0) {
		return probe.Metric{}, false
	}
	unit := v[n:]
	if !validUnit(unit) {
		return probe.Metric{}, false
	}
	m := probe.Metric{Name: label, Value: val, Unit: unit}
	for i, dst := range []*string{&m.Warn, &m.Crit, &m.Min, &m.Max} {
		if i+1 >= len(fields) {
			break
		}
		f := fields[i+1]
		if len(f) > maxThreshold || !validRange(f) {
			return probe.Metric{}, false
		}
		*dst = f
	}
	return m, true
}

// validUnit accepts the units of the plugin API (s, ms, us, %, B, KB, MB,
// GB, TB, c) and other short letters plugins use in practice.
func validUnit(u string) bool {
	if len(u) > 8 {
		return false
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '%' || c == '/') {
			return false
		}
	}
	return true
}

// validRange accepts a threshold range: digits, '.', '-', '+', ':', '~',
// '@' and exponents, or empty.
func validRange(r string) bool {
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !(c >= '0' && c <= '9' || strings.IndexByte(".-+:~@eE", c) >= 0) {
			return false
		}
	}
	return true
}
