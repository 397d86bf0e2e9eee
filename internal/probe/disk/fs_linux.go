//go:build linux

package disk

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// mountsFile lists the mounts seen from this process's namespace.
const mountsFile = "/proc/self/mounts"

// HostFS reads this host's filesystems.
type HostFS struct{}

// Mounts lists the real filesystems of /proc/self/mounts.
func (HostFS) Mounts() ([]string, error) {
	f, err := os.Open(mountsFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseMounts(f)
}

// Statfs reads the usage of the filesystem holding path.
func (HostFS) Statfs(path string) (Usage, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return Usage{}, fmt.Errorf("statfs %s: %w", path, err)
	}
	bs := uint64(st.Frsize)
	if bs == 0 {
		bs = uint64(st.Bsize)
	}
	return Usage{
		Total: st.Blocks * bs, Free: st.Bfree * bs, Avail: st.Bavail * bs,
		Inodes: st.Files, InodesFree: st.Ffree,
	}, nil
}

var _ FS = HostFS{}
