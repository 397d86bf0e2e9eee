package systemd

import (
	"fmt"
	"strings"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe/process"
)

// Check is the `systemd:` block: a systemd unit is active, with an
// optional TCP port listening on the host.
type Check struct {
	// Unit is the unit's name, such as postfix.service; a name without a
	// type is a service.
	Unit string `yaml:"unit"`
	// Port, when set, must be a TCP port something on the host listens on.
	Port int `yaml:"port"`
}

// Defaults fills in nothing: a unit without a type is left for systemctl,
// which takes it as a service.
func (c *Check) Defaults(*config.Monitor, func(string) bool) {}

// Validate reports problems in the systemd block.
func (c *Check) Validate(*config.Monitor) []config.FieldError {
	var errs []config.FieldError
	switch {
	case c.Unit == "":
		errs = append(errs, config.FieldError{Field: "unit", Message: "unit is required (such as postfix.service)"})
	case strings.HasPrefix(c.Unit, "-") || strings.ContainsAny(c.Unit, " \t\r\n/") || len(c.Unit) > 255:
		errs = append(errs, config.FieldError{Field: "unit", Message: fmt.Sprintf("%q is not a unit name (such as postfix.service or getty@tty1.service)", c.Unit)})
	}
	return append(errs, process.PortProblems(c.Port)...)
}

var _ config.Block = (*Check)(nil)
