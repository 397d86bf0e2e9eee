package process

import (
	"fmt"

	"github.com/tocsin/tocsin/internal/config"
)

// Check is the `process:` block: a process by name or pid file runs, with
// an optional TCP port listening on the host.
type Check struct {
	// Name matches a process's short name (/proc/PID/comm), its program
	// (the first word of its command line) or the program's file name. A
	// name with slashes matches a program path that ends with its last
	// part and holds the others as folders in order: postfix/master
	// matches /usr/lib/postfix/sbin/master.
	Name string `yaml:"name"`
	// PidFile names the process that must run; with Name, it must also be
	// a process of that name.
	PidFile string `yaml:"pid_file"`
	// MinCount and MaxCount bound the number of processes named Name;
	// MinCount defaults to 1, MaxCount 0 is no limit.
	MinCount int `yaml:"min_count"`
	MaxCount int `yaml:"max_count"`
	// Port, when set, must be a TCP port something on the host listens on.
	Port int `yaml:"port"`
}

// Defaults fills in min_count.
func (c *Check) Defaults(_ *config.Monitor, written func(string) bool) {
	if c.Name != "" && c.MinCount == 0 && !written("process.min_count") {
		c.MinCount = 1
	}
}

// Files anchors the pid file at the configuration file's folder.
func (c *Check) Files(f *config.Files) {
	if c.PidFile != "" {
		c.PidFile = f.Path(c.PidFile)
	}
}

// Validate reports problems in the process block.
func (c *Check) Validate(*config.Monitor) []config.FieldError {
	var errs []config.FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, config.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if c.Name == "" && c.PidFile == "" {
		add("", "set name (such as postfix/master), pid_file (such as /run/sshd.pid), or both")
	}
	if c.Name == "" && (c.MinCount != 0 || c.MaxCount != 0) {
		field := "min_count"
		if c.MinCount == 0 {
			field = "max_count"
		}
		add(field, "min_count and max_count count the processes of a name; set name")
	}
	if c.MinCount < 0 {
		add("min_count", "min_count must be 0 or more, found %d", c.MinCount)
	}
	if c.MaxCount < 0 {
		add("max_count", "max_count must be 0 (no limit) or more, found %d", c.MaxCount)
	}
	if c.MaxCount > 0 && c.MaxCount < c.MinCount {
		add("max_count", "max_count (%d) must not be below min_count (%d)", c.MaxCount, c.MinCount)
	}
	errs = append(errs, PortProblems(c.Port)...)
	return errs
}

// PortProblems checks an optional listening port of a host check.
func PortProblems(port int) []config.FieldError {
	if port < 0 || port > 65535 {
		return []config.FieldError{{Field: "port", Message: fmt.Sprintf("port must be a TCP port from 1 to 65535, found %d", port)}}
	}
	return nil
}

var _ config.FileBlock = (*Check)(nil)
