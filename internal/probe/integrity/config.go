package integrity

import (
	"fmt"
	"path/filepath"

	"github.com/tocsin/tocsin/internal/config"
)

// Check is the `integrity:` block: one file (path) or several (paths) on
// the host that runs the check.
type Check struct {
	// Path is one file to watch; absolute, it is read on the host that
	// runs the check, which may be an agent's.
	Path string `yaml:"path"`
	// Paths are several files to watch, as Path.
	Paths []string `yaml:"paths"`
}

// Files lists the files the block watches, Path first.
func (c *Check) Files() []string {
	if c.Path == "" {
		return c.Paths
	}
	return append([]string{c.Path}, c.Paths...)
}

// Defaults fills in what the block leaves out: nothing.
func (c *Check) Defaults(*config.Monitor, func(string) bool) {}

// Validate reports problems in the integrity block.
func (c *Check) Validate(*config.Monitor) []config.FieldError {
	var errs []config.FieldError
	if c.Path == "" && len(c.Paths) == 0 {
		return []config.FieldError{{Field: "path", Message: "path or paths is required: the file whose content, owner and mode to watch"}}
	}
	seen := map[string]bool{}
	check := func(field, p string) {
		switch {
		case p == "":
			errs = append(errs, config.FieldError{Field: field, Message: "is empty"})
		case !filepath.IsAbs(p):
			errs = append(errs, config.FieldError{Field: field, Message: fmt.Sprintf("%q is not an absolute path: it is read on the host that runs the check", p)})
		case seen[filepath.Clean(p)]:
			errs = append(errs, config.FieldError{Field: field, Message: fmt.Sprintf("%q is listed twice", p)})
		}
		seen[filepath.Clean(p)] = true
	}
	if c.Path != "" {
		check("path", c.Path)
	}
	for i, p := range c.Paths {
		check(fmt.Sprintf("paths[%d]", i), p)
	}
	return errs
}

var _ config.Block = (*Check)(nil)
