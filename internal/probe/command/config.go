package command

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/tocsin/tocsin/internal/config"
)

// Check is the `command:` block: a Nagios plugin run locally. It is only
// ever read from the configuration file.
type Check struct {
	// Path of the executable: absolute, relative to the config file's
	// folder, or a bare name looked up in PATH.
	Path string   `yaml:"path"`
	Args []string `yaml:"args"`
	// Env is added to the plugin's environment, which otherwise holds only
	// PATH, HOME, LANG and TZ of the server (all of it with InheritEnv).
	Env        map[string]string `yaml:"env"`
	InheritEnv bool              `yaml:"inherit_env"`
	// Dir is the working directory; default the config file's folder.
	Dir string `yaml:"dir"`
}

// Defaults fills in what the command block leaves out: the working
// folder is set with the paths (Files).
func (c *Check) Defaults(*config.Monitor, func(string) bool) {}

// Files anchors the program and the working folder at the configuration
// file's folder; a bare program name is left for PATH.
func (c *Check) Files(f *config.Files) {
	if strings.ContainsRune(c.Path, '/') {
		c.Path = f.Path(c.Path)
	}
	if c.Dir == "" {
		c.Dir = f.Dir()
	} else {
		c.Dir = f.Path(c.Dir)
	}
}

// Validate reports problems in the command block. The executable must be
// there and executable when the configuration is loaded.
func (c *Check) Validate(*config.Monitor) []config.FieldError {
	var errs []config.FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, config.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if c.Path == "" {
		add("path", "path is required (the plugin to run, such as /usr/lib/nagios/plugins/check_disk)")
	} else if msg := executableProblem(c.Path); msg != "" {
		add("path", "%s", msg)
	}
	for name := range c.Env {
		if !config.ValidEnvName(name) {
			add("env."+name, "invalid environment variable name %q", name)
		}
	}
	if c.Dir != "" {
		if fi, err := os.Stat(c.Dir); err != nil || !fi.IsDir() {
			add("dir", "%s is not a folder", c.Dir)
		}
	}
	return errs
}

// executableProblem says why p cannot be run, "" when it can.
func executableProblem(p string) string {
	if !strings.ContainsRune(p, filepath.Separator) && !strings.ContainsRune(p, '/') {
		if _, err := exec.LookPath(p); err != nil {
			return fmt.Sprintf("%q is not found in PATH", p)
		}
		return ""
	}
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		return fmt.Sprintf("cannot run %s: %v", p, pathErrCause(err))
	case fi.IsDir():
		return fmt.Sprintf("%s is a folder, not a program", p)
	case fi.Mode().Perm()&0o111 == 0:
		return fmt.Sprintf("%s is not executable (chmod +x)", p)
	}
	return ""
}

func pathErrCause(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

var _ config.FileBlock = (*Check)(nil)
