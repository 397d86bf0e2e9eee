package process

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/prometheus/procfs"
)

// tcpListen is the state of a listening socket in /proc/net/tcp{,6}.
const tcpListen = 0x0A

// Listening says whether something on this host listens on TCP port,
// from the socket tables under root (/proc/net/tcp and tcp6). When neither
// table can be read (no /proc, another OS) it dials 127.0.0.1:port and
// [::1]:port instead. how names the way it found out, for the reason.
func Listening(ctx context.Context, root string, port int) (ok bool, how string) {
	if fs, err := procfs.NewFS(root); err == nil {
		read := false
		for _, table := range []func() (procfs.NetTCP, error){fs.NetTCP, fs.NetTCP6} {
			lines, err := table()
			if err != nil {
				continue
			}
			read = true
			for _, l := range lines {
				if l.St == tcpListen && l.LocalPort == uint64(port) {
					return true, "listening"
				}
			}
		}
		if read {
			return false, "checked " + root + "/net/tcp and tcp6"
		}
	}
	var d net.Dialer
	for _, host := range []string{"127.0.0.1", "::1"} {
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		c, err := d.DialContext(dctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		cancel()
		if err == nil {
			_ = c.Close()
			return true, "answering on " + host
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			break
		}
	}
	return false, "no answer on 127.0.0.1 or ::1"
}

// PortReason says what Listening found, in a person's words: "" when the
// port listens.
func PortReason(ctx context.Context, root string, port int) string {
	if ok, how := Listening(ctx, root, port); !ok {
		return fmt.Sprintf("nothing listens on TCP port %d (%s)", port, how)
	}
	return ""
}
