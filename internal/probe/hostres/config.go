package hostres

import (
	"fmt"
	"math"
	"slices"

	"github.com/tocsin/tocsin/internal/config"
)

// The load averages the kernel keeps, by the name `load.average` takes.
const (
	Average1m  = "1m"
	Average5m  = "5m"
	Average15m = "15m"
)

// Default thresholds. A run queue twice as long as there are CPUs means
// work waits; four times means it waits long enough for users to notice.
// Memory is taken as used when it is not available to new programs
// (MemAvailable), so a full page cache does not count.
const (
	DefaultLoadWarnPerCPU = 2
	DefaultLoadCritPerCPU = 4
	DefaultMemoryWarn     = 90
	DefaultMemoryCrit     = 95
	DefaultSwapWarn       = 50
	DefaultSwapCrit       = 80
)

// Load is the `load:` block: the load average against thresholds, per CPU
// unless PerCPU is false.
type Load struct {
	// Warn and Crit are the load at or above which the check warns or
	// fails: per CPU by default.
	Warn float64 `yaml:"warn"`
	Crit float64 `yaml:"crit"`
	// PerCPU divides the load average by the number of CPUs online;
	// default true.
	PerCPU *bool `yaml:"per_cpu"`
	// Average is the load average compared: 1m, 5m (the default) or 15m.
	Average string `yaml:"average"`
}

// perCPU reports whether the thresholds are per CPU.
func (c *Load) perCPU() bool { return c.PerCPU == nil || *c.PerCPU }

// Defaults fills in the average and, per CPU, the thresholds.
func (c *Load) Defaults(_ *config.Monitor, written func(string) bool) {
	if c.Average == "" && !written("load.average") {
		c.Average = Average5m
	}
	if !c.perCPU() {
		return
	}
	if c.Warn == 0 && !written("load.warn") {
		c.Warn = DefaultLoadWarnPerCPU
	}
	if c.Crit == 0 && !written("load.crit") {
		c.Crit = DefaultLoadCritPerCPU
	}
}

// Validate reports problems in the load block.
func (c *Load) Validate(*config.Monitor) []config.FieldError {
	var errs []config.FieldError
	if !slices.Contains([]string{Average1m, Average5m, Average15m, ""}, c.Average) {
		errs = append(errs, config.FieldError{Field: "average", Message: fmt.Sprintf("average %q must be 1m, 5m or 15m", c.Average)})
	}
	if !c.perCPU() && (c.Warn == 0 || c.Crit == 0) {
		errs = append(errs, config.FieldError{Message: "with per_cpu: false, set warn and crit for the whole host (for example warn: 16, crit: 32 on 8 CPUs)"})
		return errs
	}
	return append(errs, thresholdProblems(c.Warn, c.Crit, 0)...)
}

// Memory is the `memory:` block: the share of MemTotal not available to
// new programs (MemAvailable), in percent.
type Memory struct {
	Warn float64 `yaml:"warn"` // % used at or above which the check warns
	Crit float64 `yaml:"crit"` // % used at or above which it fails
}

// Swap is the `swap:` block: the share of swap in use, in percent.
type Swap struct {
	Warn float64 `yaml:"warn"` // % used at or above which the check warns
	Crit float64 `yaml:"crit"` // % used at or above which it fails
}

// Defaults fills in the memory thresholds.
func (c *Memory) Defaults(_ *config.Monitor, written func(string) bool) {
	percentDefaults(&c.Warn, &c.Crit, written, "memory", DefaultMemoryWarn, DefaultMemoryCrit)
}

// Validate reports problems in the memory block.
func (c *Memory) Validate(*config.Monitor) []config.FieldError {
	return thresholdProblems(c.Warn, c.Crit, 100)
}

// Defaults fills in the swap thresholds.
func (c *Swap) Defaults(_ *config.Monitor, written func(string) bool) {
	percentDefaults(&c.Warn, &c.Crit, written, "swap", DefaultSwapWarn, DefaultSwapCrit)
}

// Validate reports problems in the swap block.
func (c *Swap) Validate(*config.Monitor) []config.FieldError {
	return thresholdProblems(c.Warn, c.Crit, 100)
}

// percentDefaults sets the thresholds of block key the file leaves out.
func percentDefaults(warn, crit *float64, written func(string) bool, key string, defWarn, defCrit float64) {
	if *warn == 0 && !written(key+".warn") {
		*warn = defWarn
	}
	if *crit == 0 && !written(key+".crit") {
		*crit = defCrit
	}
}

// thresholdProblems checks that 0 < warn ≤ crit (≤ most when most > 0).
func thresholdProblems(warn, crit, most float64) []config.FieldError {
	var errs []config.FieldError
	for _, t := range []struct {
		field string
		v     float64
	}{{"warn", warn}, {"crit", crit}} {
		switch {
		case math.IsNaN(t.v) || math.IsInf(t.v, 0):
			errs = append(errs, config.FieldError{Field: t.field, Message: fmt.Sprintf("%s must be a finite number, found %g", t.field, t.v)})
		case t.v <= 0:
			errs = append(errs, config.FieldError{Field: t.field, Message: fmt.Sprintf("%s must be more than 0, found %g", t.field, t.v)})
		case most > 0 && t.v > most:
			errs = append(errs, config.FieldError{Field: t.field, Message: fmt.Sprintf("%s is a percentage, at most %g, found %g", t.field, most, t.v)})
		}
	}
	if len(errs) == 0 && warn > crit {
		errs = append(errs, config.FieldError{Field: "warn", Message: fmt.Sprintf("warn (%g) must not be above crit (%g)", warn, crit)})
	}
	return errs
}

var (
	_ config.Block = (*Load)(nil)
	_ config.Block = (*Memory)(nil)
	_ config.Block = (*Swap)(nil)
)
