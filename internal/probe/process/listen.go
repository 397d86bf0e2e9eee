package process

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// tcpListen is the state of a listening socket in /proc/net/tcp{,6}.
const tcpListen = "0A"

// maxSocketLine bounds one line of a socket table; the kernel's are about
// 150 bytes.
const maxSocketLine = 4 << 10

// Listening says whether something on this host listens on TCP port,
// from the socket tables under root (/proc/net/tcp and tcp6, of the
// network namespace this process runs in). When neither table can be
// read (no /proc, another OS) it connects to 127.0.0.1:port and
// [::1]:port instead. how says how it found out, for the reason.
func Listening(ctx context.Context, root string, port int) (ok bool, how string) {
	read := false
	for _, table := range []string{"tcp", "tcp6"} {
		found, err := listensIn(filepath.Join(root, "net", table), port)
		if err != nil {
			continue
		}
		if found {
			return true, "listening"
		}
		read = true
	}
	if read {
		return false, "checked " + root + "/net/tcp and tcp6"
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

// listensIn reads one socket table, such as /proc/net/tcp, for a socket
// listening on port. Its lines are "sl local_address rem_address st ...",
// the local address as HEXIP:HEXPORT.
func listensIn(file string, port int) (bool, error) {
	f, err := os.Open(file)
	if err != nil {
		return false, err
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 512), maxSocketLine)
	want := fmt.Sprintf(":%04X", port)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || fields[3] != tcpListen {
			continue
		}
		if strings.HasSuffix(fields[1], want) {
			return true, nil
		}
	}
	return false, sc.Err()
}

// PortReason says what Listening found, in a person's words: "" when the
// port listens.
func PortReason(ctx context.Context, root string, port int) string {
	if ok, how := Listening(ctx, root, port); !ok {
		return fmt.Sprintf("nothing listens on TCP port %d (%s)", port, how)
	}
	return ""
}
