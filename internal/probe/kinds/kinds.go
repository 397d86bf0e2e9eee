// Package kinds lists every probe kind. It is the one place that imports
// them all: adding a kind is a package under internal/probe and one line
// here.
package kinds

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/command"
	"github.com/tocsin/tocsin/internal/probe/disk"
	"github.com/tocsin/tocsin/internal/probe/dnsx"
	"github.com/tocsin/tocsin/internal/probe/files"
	"github.com/tocsin/tocsin/internal/probe/hostres"
	"github.com/tocsin/tocsin/internal/probe/httpx"
	"github.com/tocsin/tocsin/internal/probe/icmp"
	"github.com/tocsin/tocsin/internal/probe/imap"
	"github.com/tocsin/tocsin/internal/probe/integrity"
	"github.com/tocsin/tocsin/internal/probe/mailloop"
	"github.com/tocsin/tocsin/internal/probe/pop3"
	"github.com/tocsin/tocsin/internal/probe/process"
	"github.com/tocsin/tocsin/internal/probe/sftp"
	"github.com/tocsin/tocsin/internal/probe/smtp"
	"github.com/tocsin/tocsin/internal/probe/ssh"
	"github.com/tocsin/tocsin/internal/probe/systemd"
	"github.com/tocsin/tocsin/internal/probe/tcp"
	"github.com/tocsin/tocsin/internal/probe/tlsx"
)

// Deps is what the probers of some kinds share across monitors and reloads.
// The zero value gives every prober its own (for one-off runs).
type Deps struct {
	// Transports pools HTTP connections between monitors.
	Transports *httpx.Transports
	// Ledger keeps the mail loop's mails in flight.
	Ledger mailloop.Ledger
}

// All returns the table of every probe kind, in the order configuration
// messages name them. It is also the table of monitor types config.Load
// decodes the blocks with.
func All(d Deps) *probe.Kinds {
	return probe.NewKinds(
		httpx.Kind(d.Transports),
		tcp.Kind(),
		tlsx.Kind(),
		dnsx.Kind(),
		mailloop.Kind(d.Ledger),
		smtp.Kind(),
		imap.Kind(),
		pop3.Kind(),
		ssh.Kind(),
		sftp.Kind(),
		icmp.Kind(),
		command.Kind(),
		process.Kind(),
		systemd.Kind(),
		hostres.LoadKind(),
		hostres.MemoryKind(),
		hostres.SwapKind(),
		disk.Kind(),
		files.Kind(),
		integrity.Kind(),
	)
}

// Config returns the table of monitor types for config.Load and
// config.Parse when no probers are built from it (`tocsin validate`, the
// first load before the shared dependencies exist).
func Config() config.Kinds { return All(Deps{}) }
