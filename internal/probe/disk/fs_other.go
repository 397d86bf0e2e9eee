//go:build !linux

package disk

import (
	"errors"
	"fmt"
	"runtime"
)

// HostFS reads this host's filesystems: on Linux only.
type HostFS struct{}

func (HostFS) unsupported() error {
	return fmt.Errorf("disk checks run on Linux hosts only, and this one runs %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

// Mounts fails: the mounts table is read from /proc.
func (h HostFS) Mounts() ([]string, error) { return nil, h.unsupported() }

// Statfs fails: usage is read with Linux's statfs.
func (h HostFS) Statfs(string) (Usage, error) { return Usage{}, h.unsupported() }

var _ FS = HostFS{}
