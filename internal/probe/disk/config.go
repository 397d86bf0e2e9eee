package disk

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/tocsin/tocsin/internal/config"
)

// Defaults of the disk block. A filesystem at 85% still has room for a
// person to act during working hours; at 95% most filesystems slow down
// and a burst of writes fills the rest within minutes.
const (
	DefaultWarnUsed           = 85.0
	DefaultCritUsed           = 95.0
	DefaultForecastWindow     = time.Hour
	DefaultForecastFullWithin = 6 * time.Hour
)

// minSamplesPerWindow is how many runs the forecast window must hold at
// the monitor's interval: a line through fewer points says more about the
// noise than the trend.
const minSamplesPerWindow = MinForecastSamples

// Check is the `disk:` block: used space and inodes of some filesystems,
// with thresholds, and a forecast of when they fill.
type Check struct {
	// Mounts are paths on the filesystems to check, usually mount points;
	// default every real filesystem of the host (pseudo filesystems such as
	// proc, tmpfs and squashfs skipped).
	Mounts []string `yaml:"mounts"`
	// WarnUsed / CritUsed are the percentages of used space at or above
	// which a filesystem is WARNING / CRITICAL. Defaults 85 and 95.
	WarnUsed *float64 `yaml:"warn_used"`
	CritUsed *float64 `yaml:"crit_used"`
	// InodesWarnUsed / InodesCritUsed are the same for inodes; default
	// the space thresholds.
	InodesWarnUsed *float64 `yaml:"inodes_warn_used"`
	InodesCritUsed *float64 `yaml:"inodes_crit_used"`
	// Forecast, when set, makes a filesystem CRITICAL when it will be full
	// within FullWithin at the rate of the last Window.
	Forecast *Forecast `yaml:"forecast"`
}

// Forecast is the `disk.forecast:` block.
type Forecast struct {
	// Window is how far back the used space is looked at; default 1h.
	Window config.Duration `yaml:"window"`
	// FullWithin is the time to full under which the check is critical;
	// default 6h.
	FullWithin config.Duration `yaml:"full_within"`
}

// Defaults fills in what the disk block leaves out.
func (c *Check) Defaults(_ *config.Monitor, written func(key string) bool) {
	c.WarnUsed, c.CritUsed = thresholds(c.WarnUsed, c.CritUsed, DefaultWarnUsed, DefaultCritUsed)
	c.InodesWarnUsed, c.InodesCritUsed = thresholds(c.InodesWarnUsed, c.InodesCritUsed, *c.WarnUsed, *c.CritUsed)
	if f := c.Forecast; f != nil {
		if f.Window == 0 && !written("disk.forecast.window") {
			f.Window = config.Duration(DefaultForecastWindow)
		}
		if f.FullWithin == 0 && !written("disk.forecast.full_within") {
			f.FullWithin = config.Duration(DefaultForecastFullWithin)
		}
	}
}

// thresholds fills in a warning and critical pair: a missing one takes its
// default, kept on the right side of the other.
func thresholds(warn, crit *float64, defWarn, defCrit float64) (*float64, *float64) {
	if warn == nil {
		v := defWarn
		if crit != nil {
			v = min(v, *crit)
		}
		warn = &v
	}
	if crit == nil {
		v := max(defCrit, *warn)
		crit = &v
	}
	return warn, crit
}

// Validate reports problems in the disk block. The mounts need not exist
// when the file is loaded: an agent's host reads them.
func (c *Check) Validate(m *config.Monitor) []config.FieldError {
	var errs []config.FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, config.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	seen := map[string]bool{}
	for i, p := range c.Mounts {
		field := fmt.Sprintf("mounts[%d]", i)
		switch {
		case p == "" || !filepath.IsAbs(p):
			add(field, "%q is not an absolute path (a mount point such as / or /var)", p)
		case seen[filepath.Clean(p)]:
			add(field, "%s is listed twice", p)
		}
		seen[filepath.Clean(p)] = true
	}
	percent := func(field string, v *float64) {
		if v != nil && (*v <= 0 || *v > 100) {
			add(field, "%g is not a percentage above 0 and at most 100", *v)
		}
	}
	pair := func(warnField, critField string, warn, crit *float64) {
		percent(warnField, warn)
		percent(critField, crit)
		if warn != nil && crit != nil && *warn > *crit {
			add(warnField, "%s %g%% is above %s %g%%", warnField, *warn, critField, *crit)
		}
	}
	pair("warn_used", "crit_used", c.WarnUsed, c.CritUsed)
	pair("inodes_warn_used", "inodes_crit_used", c.InodesWarnUsed, c.InodesCritUsed)
	if f := c.Forecast; f != nil {
		if f.Window <= 0 {
			add("forecast.window", "must be longer than zero, not %s", f.Window)
		}
		if f.FullWithin <= 0 {
			add("forecast.full_within", "must be longer than zero, not %s", f.FullWithin)
		}
		if m != nil && f.Window > 0 && m.Interval > 0 && f.Window.D() < minSamplesPerWindow*m.Interval.D() {
			add("forecast.window", "window %s holds fewer than %d runs at the monitor's interval %s: make it at least %s",
				f.Window, minSamplesPerWindow, m.Interval, minSamplesPerWindow*m.Interval.D())
		}
	}
	return errs
}

var _ config.Block = (*Check)(nil)
