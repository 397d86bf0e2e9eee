package icmp

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
)

// Defaults of the icmp block.
const (
	DefaultCount          = 3
	DefaultPacketInterval = 200 * time.Millisecond
	DefaultWarnLoss       = 20.0
	DefaultCritLoss       = 60.0
)

// Check is the `icmp:` block: echo requests with loss and round-trip
// limits.
type Check struct {
	Host string `yaml:"host"`
	// Count of echo requests per run; default 3.
	Count int `yaml:"count"`
	// PacketInterval between requests; default 200ms.
	PacketInterval config.Duration `yaml:"packet_interval"`
	// WarnLoss / CritLoss are loss percentages at or above which the run is
	// WARNING / CRITICAL. Defaults 20 and 60.
	WarnLoss *float64 `yaml:"warn_loss"`
	CritLoss *float64 `yaml:"crit_loss"`
	// WarnRTT / CritRTT bound the average round trip; 0 is off.
	WarnRTT config.Duration `yaml:"warn_rtt"`
	CritRTT config.Duration `yaml:"crit_rtt"`
	// Privileged is "auto" (default: unprivileged ICMP when the kernel
	// allows it, else raw sockets), "true" (raw only) or "false"
	// (unprivileged only).
	Privileged string `yaml:"privileged"`
}

var privilegedValues = []string{"", "auto", "true", "false"}

// Defaults fills in what the icmp block leaves out.
func (c *Check) Defaults(_ *config.Monitor, written func(key string) bool) {
	if c.Count == 0 && !written("icmp.count") {
		c.Count = DefaultCount
	}
	if c.PacketInterval == 0 && !written("icmp.packet_interval") {
		c.PacketInterval = config.Duration(DefaultPacketInterval)
	}
	if c.WarnLoss == nil {
		v := DefaultWarnLoss
		if c.CritLoss != nil {
			v = min(v, *c.CritLoss)
		}
		c.WarnLoss = &v
	}
	if c.CritLoss == nil {
		v := max(DefaultCritLoss, *c.WarnLoss)
		c.CritLoss = &v
	}
	if c.Privileged == "" {
		c.Privileged = "auto"
	}
}

// Validate reports problems in the icmp block and, with the monitor, that
// its echo requests do not fit in the monitor's timeout.
func (c *Check) Validate(m *config.Monitor) []config.FieldError {
	var errs []config.FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, config.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case c.Host == "":
		add("host", "host is required (a name or an IP address)")
	case strings.ContainsAny(c.Host, " /:") && net.ParseIP(c.Host) == nil:
		add("host", "%q is not a host name or IP address (no port: ICMP has none)", c.Host)
	}
	if c.Count < 1 || c.Count > 100 {
		add("count", "count %d is out of range 1-100", c.Count)
	}
	if c.PacketInterval <= 0 {
		add("packet_interval", "must be longer than zero, not %s", c.PacketInterval)
	}
	loss := func(field string, v *float64) {
		if v != nil && (*v < 0 || *v > 100) {
			add(field, "%g is not a percentage from 0 to 100", *v)
		}
	}
	loss("warn_loss", c.WarnLoss)
	loss("crit_loss", c.CritLoss)
	if c.WarnLoss != nil && c.CritLoss != nil && *c.WarnLoss > *c.CritLoss {
		add("warn_loss", "warn_loss %g%% is above crit_loss %g%%", *c.WarnLoss, *c.CritLoss)
	}
	if c.WarnRTT < 0 {
		add("warn_rtt", "must not be negative")
	}
	if c.CritRTT < 0 {
		add("crit_rtt", "must not be negative")
	}
	if c.WarnRTT > 0 && c.CritRTT > 0 && c.WarnRTT > c.CritRTT {
		add("warn_rtt", "warn_rtt %s is above crit_rtt %s", c.WarnRTT, c.CritRTT)
	}
	if !slices.Contains(privilegedValues, c.Privileged) {
		add("privileged", "unknown value %q (use auto, true or false)", c.Privileged)
	}
	if m == nil {
		return errs
	}
	if span := time.Duration(c.Count) * c.PacketInterval.D(); c.Count > 0 && c.PacketInterval > 0 && m.Timeout > 0 && span >= m.Timeout.D() {
		add("count", "%d echo requests %s apart take %s, which does not fit in the monitor's timeout %s", c.Count, c.PacketInterval, span, m.Timeout)
	}
	return errs
}

var _ config.Block = (*Check)(nil)
