// Package probe defines what every check produces, the Result, and the Prober
// interface that each probe kind (one subpackage per kind) implements. A probe
// knows nothing of monitors, alerts or notifications: it looks at a target
// once and says what it saw.
package probe

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Status is the outcome of one probe run. The values are the Nagios plugin
// exit codes, so `tocsin check` can exit with int(status).
type Status int

// Probe outcomes.
const (
	OK       Status = 0
	Warning  Status = 1
	Critical Status = 2
	Unknown  Status = 3
)

// String returns the Nagios name of the status.
func (s Status) String() string {
	switch s {
	case OK:
		return "OK"
	case Warning:
		return "WARNING"
	case Critical:
		return "CRITICAL"
	default:
		return "UNKNOWN"
	}
}

// ParseStatus is the inverse of Status.String; unknown text is Unknown.
func ParseStatus(s string) Status {
	switch s {
	case "OK":
		return OK
	case "WARNING":
		return Warning
	case "CRITICAL":
		return Critical
	default:
		return Unknown
	}
}

// Timing breaks the duration of a network probe into phases. A phase that
// did not happen (no DNS lookup for an IP literal, no TLS for plain TCP) is 0.
type Timing struct {
	DNS       time.Duration `json:"dns_ns"`
	Connect   time.Duration `json:"connect_ns"`
	TLS       time.Duration `json:"tls_ns"`
	FirstByte time.Duration `json:"first_byte_ns"`
}

// Metric is one measured value, in the shape of Nagios performance data
// (`label=value[UOM];warn;crit;min;max`). Empty thresholds are "".
type Metric struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit,omitempty"`
	Warn  string  `json:"warn,omitempty"`
	Crit  string  `json:"crit,omitempty"`
	Min   string  `json:"min,omitempty"`
	Max   string  `json:"max,omitempty"`
}

// Text shows the metric's value with its unit: "12.5%", "108000 s".
func (m Metric) Text() string {
	v := strconv.FormatFloat(m.Value, 'g', 6, 64)
	if m.Unit == "" {
		return v
	}
	if strings.HasPrefix(m.Unit, "%") {
		return v + m.Unit
	}
	return v + " " + m.Unit
}

// Result is what one run of one probe saw. Every signal in Tocsin — a local
// probe, a remote agent's probe, a missed heartbeat — becomes a Result.
type Result struct {
	MonitorID string        `json:"monitor_id"`
	Time      time.Time     `json:"time"`        // when the probe started, UTC
	Duration  time.Duration `json:"duration_ns"` // wall time of the whole probe
	Status    Status        `json:"status"`
	// Reason says in a person's words what was seen: on failure, what failed
	// and what was expected (`GET https://x/: 503, expected 200`); on
	// success a short summary (`200 OK in 38ms`).
	Reason string `json:"reason"`
	Timing Timing `json:"timing"`
	// CertExpiry is the NotAfter of the leaf certificate when the probe
	// spoke TLS; zero otherwise.
	CertExpiry time.Time `json:"cert_expiry,omitzero"`
	// Metrics are extra measured values (status code, response size, perfdata).
	Metrics []Metric `json:"metrics,omitempty"`
	// Location is where the probe ran: "" or the server's location
	// (server.location, default "local") for the server itself, else the location of the agent that ran it.
	Location string `json:"location,omitempty"`
	// Facts are values the probe observed that are judged against a
	// baseline recorded on the server (a file's content hash, owner and
	// mode), by a stage after the probe: the probe itself knows no
	// baseline.
	Facts []Fact `json:"facts,omitempty"`
}

// Fact is what one run observed of one subject (a file): name → value.
type Fact struct {
	Subject string            `json:"subject"`
	Values  map[string]string `json:"values"`
}

// Failed reports whether the result counts against the monitor: anything
// but OK and Warning.
func (r Result) Failed() bool { return r.Status != OK && r.Status != Warning }

// Prober runs one kind of check against one target. Probe must honour ctx
// (its deadline is the monitor's timeout), bound what it reads from the
// target, never panic, and always return a Result: errors become a Critical
// or Unknown result with a reason. MonitorID and Time are filled in by the
// caller when the prober leaves them empty.
type Prober interface {
	Probe(ctx context.Context) Result
}

// ProberFunc adapts a function to the Prober interface.
type ProberFunc func(ctx context.Context) Result

// Probe calls f(ctx).
func (f ProberFunc) Probe(ctx context.Context) Result { return f(ctx) }

var _ Prober = ProberFunc(nil)
