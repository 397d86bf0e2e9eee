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
		Build: func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(m.ID, m.MailLoop, ledger)) },
		Host: func(m *config.Monitor) string {
			c := m.MailLoop
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
		Target: func(m *config.Monitor) string { return target(m.MailLoop) },
	}
}

// target says where a mail loop sends and looks, never with credentials.
func target(c *config.MailLoopCheck) string {
	var out string
	if c.SMTP != nil && c.Mode != config.MailLoopReceiveMode {
		out = "smtp " + c.SMTP.Address
	}
	box := ""
	switch {
	case c.IMAP != nil:
		box = "imap " + c.IMAP.Address + " " + c.IMAP.Mailbox
	case c.POP3 != nil:
		box = "pop3 " + c.POP3.Address
	}
	if box != "" && c.Mode != config.MailLoopSend {
		if out != "" {
			out += " → "
		}
		out += box
	}
	return out
}
