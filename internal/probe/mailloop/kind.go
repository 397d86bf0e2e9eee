package mailloop

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// Kind is the mailloop probe kind. Its probers keep the mails in flight in
// ledger; nil keeps them in memory, for one-off runs.
func Kind(ledger Ledger) probe.Kind {
	return probe.Kind{
		Name:  "mailloop",
		Class: func(*config.Monitor) probe.Class { return probe.ClassFunctional },
		Block: func() config.Block { return new(Check) },
		Build: func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(m.ID, blockOf(m), ledger)) },
		Host: func(m *config.Monitor) string {
			c := blockOf(m)
			switch {
			case c.SMTP != nil:
				return probe.HostOf(c.SMTP.Address)
			case c.IMAP != nil:
				return probe.HostOf(c.IMAP.Address)
			case c.POP3 != nil:
				return probe.HostOf(c.POP3.Address)
			}
			return m.ID
		},
		Target: func(m *config.Monitor) string { return target(blockOf(m)) },
	}
}

// target says where a mail loop sends and looks, never with credentials.
func target(c *Check) string {
	var out string
	if c.SMTP != nil && c.Mode != ReceiveMode {
		out = "smtp " + c.SMTP.Address
	}
	box := ""
	switch {
	case c.IMAP != nil:
		box = "imap " + c.IMAP.Address + " " + c.IMAP.Mailbox
	case c.POP3 != nil:
		box = "pop3 " + c.POP3.Address
	}
	if box != "" && c.Mode != Send {
		if out != "" {
			out += " → "
		}
		out += box
	}
	return out
}

// blockOf is the block of m, a monitor of this kind.
func blockOf(m *config.Monitor) *Check {
	c, _ := m.Block.(*Check)
	return c
}
