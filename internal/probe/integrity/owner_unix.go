//go:build unix

package integrity

import (
	"io/fs"
	"os/user"
	"strconv"
	"syscall"
)

// ownerOf is "user:group" of a file, by name where the host knows the
// ids, else by number.
func ownerOf(fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	uid, gid := strconv.FormatUint(uint64(st.Uid), 10), strconv.FormatUint(uint64(st.Gid), 10)
	if u, err := user.LookupId(uid); err == nil {
		uid = u.Username
	}
	if g, err := user.LookupGroupId(gid); err == nil {
		gid = g.Name
	}
	return uid + ":" + gid
}
