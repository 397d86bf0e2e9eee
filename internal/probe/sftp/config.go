package sftp

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/tocsin/tocsin/internal/config"
	sshprobe "github.com/tocsin/tocsin/internal/probe/ssh"
)

// Check is the `sftp:` block: files on an SFTP server must exist, be
// fresh and be of a plausible size.
type Check struct {
	sshprobe.Connection `yaml:",inline"`
	// Path is a file, a directory (its entries are checked) or a glob
	// whose pattern is in the last element ("/exports/*.xml").
	Path string `yaml:"path"`
	// MaxAge: the newest matching file older than this is CRITICAL;
	// WarnAge is a WARNING. 0 is off.
	MaxAge  config.Duration `yaml:"max_age"`
	WarnAge config.Duration `yaml:"warn_age"`
	// MinCount matching files are required (default 1); MaxCount, when
	// set, is the most allowed.
	MinCount int `yaml:"min_count"`
	MaxCount int `yaml:"max_count"`
	// MinSize / MaxSize bound the newest file's size in bytes; 0 is off.
	MinSize int64 `yaml:"min_size"`
	MaxSize int64 `yaml:"max_size"`
	// ContentContains / ContentRegex must be found in the first 64 KiB of
	// the newest file.
	ContentContains string `yaml:"content_contains"`
	ContentRegex    string `yaml:"content_regex"`
}

// Validate reports problems in the sftp block.
func (c *Check) Validate(*config.Monitor) []config.FieldError {
	errs := c.Connection.Validate()
	add := func(field, format string, args ...any) {
		errs = append(errs, config.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if !c.HasCredentials() {
		add("", "sftp needs a login: set user and password, private_key(_file) or agent")
	}
	switch {
	case c.Path == "":
		add("path", "path is required (a file, a directory or a glob such as /exports/*.xml)")
	default:
		dir, pattern := path.Split(c.Path)
		if hasGlobMeta(dir) {
			add("path", "only the last element of %q may be a pattern; the folder must be written out", c.Path)
		} else if _, err := path.Match(pattern, ""); err != nil {
			add("path", "invalid pattern %q: %v", pattern, err)
		}
	}
	if c.MaxAge < 0 {
		add("max_age", "must not be negative")
	}
	if c.WarnAge < 0 {
		add("warn_age", "must not be negative")
	}
	if c.MaxAge > 0 && c.WarnAge > 0 && c.WarnAge > c.MaxAge {
		add("warn_age", "warn_age %s is longer than max_age %s; a warning must come first", c.WarnAge, c.MaxAge)
	}
	if c.MinCount < 0 {
		add("min_count", "must not be negative")
	}
	if c.MaxCount < 0 {
		add("max_count", "must not be negative")
	}
	if c.MaxCount > 0 && c.MaxCount < c.MinCount {
		add("max_count", "max_count %d is less than min_count %d", c.MaxCount, c.MinCount)
	}
	if c.MinSize < 0 {
		add("min_size", "must not be negative")
	}
	if c.MaxSize < 0 {
		add("max_size", "must not be negative")
	}
	if c.MaxSize > 0 && c.MaxSize < c.MinSize {
		add("max_size", "max_size %d is less than min_size %d", c.MaxSize, c.MinSize)
	}
	if len(c.ContentContains) > config.MaxExpectBytes {
		add("content_contains", "longer than %d bytes", config.MaxExpectBytes)
	}
	if c.ContentRegex != "" {
		if _, err := regexp.Compile(c.ContentRegex); err != nil {
			add("content_regex", "invalid regular expression: %v", err)
		}
	}
	return errs
}

// hasGlobMeta reports whether s holds a path.Match pattern character.
func hasGlobMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

// Defaults fills in what the sftp block leaves out.
func (c *Check) Defaults(_ *config.Monitor, written func(string) bool) {
	if c.MinCount == 0 && !written("sftp.min_count") {
		c.MinCount = 1
	}
}

var _ config.FileBlock = (*Check)(nil)
