//go:build unix

package app

import (
	"log/slog"
	"math"
	"syscall"
)

// raiseFileLimit raises the soft limit on open files to the hard limit
// and returns the limit now in force (0 when it cannot be read). Go does
// the same when a program starts; doing it here as well keeps it true
// whatever started the process, and the figures end up in the log.
func raiseFileLimit(log *slog.Logger) int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Warn("reading the open file limit", "err", err)
		return 0
	}
	soft := lim.Cur
	if lim.Cur < lim.Max {
		raised := lim
		raised.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err != nil {
			log.Warn("raising the open file limit", "soft", lim.Cur, "hard", lim.Max, "err", err)
		} else {
			lim = raised
		}
	}
	log.Info("open file limit", "was", soft, "now", lim.Cur, "hard", lim.Max)
	return int(min(lim.Cur, math.MaxInt32))
}
