package disk

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// Usage is what statfs says of one filesystem, in bytes and inodes.
type Usage struct {
	Total uint64 // size of the filesystem
	Free  uint64 // free, including the blocks reserved for root
	Avail uint64 // free for ordinary users
	// Inodes and InodesFree are zero on filesystems without a fixed
	// inode table (btrfs, vfat): their inodes are not checked.
	Inodes     uint64
	InodesFree uint64
}

// Used is the space in use.
func (u Usage) Used() uint64 {
	if u.Free > u.Total {
		return 0
	}
	return u.Total - u.Free
}

// Capacity is what ordinary users can fill: used plus available, as df
// counts it, so that the blocks reserved for root do not count as room.
func (u Usage) Capacity() uint64 { return u.Used() + u.Avail }

// UsedPercent is the share of Capacity in use, as df shows it.
func (u Usage) UsedPercent() float64 {
	if u.Capacity() == 0 {
		return 0
	}
	return 100 * float64(u.Used()) / float64(u.Capacity())
}

// InodesUsedPercent is the share of inodes in use, 0 when the filesystem
// has no inode table.
func (u Usage) InodesUsedPercent() float64 {
	if u.Inodes == 0 || u.InodesFree > u.Inodes {
		return 0
	}
	return 100 * float64(u.Inodes-u.InodesFree) / float64(u.Inodes)
}

// FS reads filesystems: the real host's (HostFS) or, in tests, a made-up
// one.
type FS interface {
	// Mounts lists the mount points of real filesystems.
	Mounts() ([]string, error)
	// Statfs reads the usage of the filesystem holding path.
	Statfs(path string) (Usage, error)
}

// pseudoFS are filesystem types that hold no data of their own, or are
// always full by design (squashfs of snaps, iso9660): never checked unless
// named in mounts.
var pseudoFS = map[string]bool{
	"autofs": true, "binfmt_misc": true, "bpf": true, "cgroup": true, "cgroup2": true,
	"configfs": true, "debugfs": true, "devpts": true, "devtmpfs": true, "efivarfs": true,
	"fusectl": true, "fuse.gvfsd-fuse": true, "fuse.portal": true, "fuse.snapfuse": true,
	"hugetlbfs": true, "iso9660": true, "mqueue": true, "nsfs": true, "overlay.lower": true,
	"proc": true, "pstore": true, "ramfs": true, "rpc_pipefs": true, "securityfs": true,
	"selinuxfs": true, "squashfs": true, "sysfs": true, "tmpfs": true, "tracefs": true,
	"nfsd": true, "rootfs": true,
}

// parseMounts reads a mounts table (/proc/self/mounts) and returns the
// mount points of real filesystems, each once, in order. A block device
// mounted again (a bind mount, a container's /etc/hosts) is the same
// filesystem with the same use: only its first mount point is kept.
func parseMounts(r io.Reader) ([]string, error) {
	var out []string
	seen, devices := map[string]bool{}, map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || pseudoFS[f[2]] {
			continue
		}
		if dev := f[0]; strings.HasPrefix(dev, "/dev/") {
			if devices[dev] {
				continue
			}
			devices[dev] = true
		}
		dir := unescapeMount(f[1])
		if !seen[dir] {
			seen[dir] = true
			out = append(out, dir)
		}
	}
	return out, sc.Err()
}

// unescapeMount undoes the octal escapes of the mounts table ("\040" for
// a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
