//go:build !unix

package app

import "log/slog"

// raiseFileLimit reports an unknown limit where there is no RLIMIT_NOFILE;
// the connection cap is then server.max_connections or its default.
func raiseFileLimit(*slog.Logger) int { return 0 }
