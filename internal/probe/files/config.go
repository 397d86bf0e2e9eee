package files

import (
	"fmt"
	"path/filepath"

	"github.com/tocsin/tocsin/internal/config"
)

// Check is the `files:` block: the files of a folder or a glob on the host
// that runs the check, their ages, count and total size.
type Check struct {
	// Path is a folder (its files, not those of its subfolders) or a glob
	// such as /var/log/txn/*.log. It must be absolute: it is read on the
	// host that runs the check, which may be an agent's.
	Path string `yaml:"path"`
	// OldestMaxAge: a file older than this is CRITICAL, files that should
	// have been shipped or cleaned away and were not. 0 is off.
	OldestMaxAge config.Duration `yaml:"oldest_max_age"`
	// NewestMaxAge: when even the newest file is older than this (or there
	// is none), nothing new is being written: CRITICAL. 0 is off.
	NewestMaxAge config.Duration `yaml:"newest_max_age"`
	// MinCount / MaxCount bound the number of files; 0 is off.
	MinCount int `yaml:"min_count"`
	MaxCount int `yaml:"max_count"`
	// MaxBytes bounds their total size in bytes; 0 is off.
	MaxBytes int64 `yaml:"max_bytes"`
}

// Defaults fills in what the files block leaves out: nothing, every key's
// zero value is its default (off).
func (c *Check) Defaults(*config.Monitor, func(string) bool) {}

// Validate reports problems in the files block. The path need not exist
// when the file is loaded: an agent's host reads it.
func (c *Check) Validate(*config.Monitor) []config.FieldError {
	var errs []config.FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, config.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case c.Path == "":
		add("path", "path is required (a folder or a glob such as /var/log/txn/*.log)")
	case !filepath.IsAbs(c.Path):
		add("path", "%q is not an absolute path: it is read on the host that runs the check", c.Path)
	default:
		if _, err := filepath.Match(c.Path, ""); err != nil {
			add("path", "%q is not a valid glob: %v", c.Path, err)
		}
	}
	for _, d := range []struct {
		field string
		v     config.Duration
	}{{"oldest_max_age", c.OldestMaxAge}, {"newest_max_age", c.NewestMaxAge}} {
		if d.v < 0 {
			add(d.field, "must not be negative, not %s", d.v)
		}
	}
	if c.MinCount < 0 {
		add("min_count", "must not be negative, not %d", c.MinCount)
	}
	if c.MaxCount < 0 {
		add("max_count", "must not be negative, not %d", c.MaxCount)
	}
	if c.MaxCount > 0 && c.MinCount > c.MaxCount {
		add("min_count", "min_count %d is above max_count %d", c.MinCount, c.MaxCount)
	}
	if c.MaxBytes < 0 {
		add("max_bytes", "must not be negative, not %d", c.MaxBytes)
	}
	if c.Path != "" && c.OldestMaxAge == 0 && c.NewestMaxAge == 0 && c.MinCount == 0 && c.MaxCount == 0 && c.MaxBytes == 0 {
		add("", "set at least one of oldest_max_age, newest_max_age, min_count, max_count and max_bytes: with none the check can never fail")
	}
	return errs
}

var _ config.Block = (*Check)(nil)
