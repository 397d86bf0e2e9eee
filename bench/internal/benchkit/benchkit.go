// Package benchkit holds what the benchmark commands under bench/ share:
// reading a server process's CPU time and memory from /proc, a free port,
// a local HTTP target and a scrape of its /metrics page.
package benchkit

import (
	"bufio"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// CPUSeconds reads the user+system CPU time of a process from /proc; 0
// when it cannot.
func CPUSeconds(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(fields) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(fields[11], 64)
	st, _ := strconv.ParseFloat(fields[12], 64)
	return (ut + st) / 100 // USER_HZ
}

// ProcStatus reads a size field of /proc/PID/status ("VmRSS", "VmHWM") in
// bytes; 0 when it cannot.
func ProcStatus(pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// OpenFiles counts a process's open file descriptors.
func OpenFiles(pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0
	}
	return len(ents)
}

// FreePort returns a TCP port of 127.0.0.1 that was free a moment ago; it
// ends the program when there is none.
func FreePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Serve serves h on a free port of 127.0.0.1 for the rest of the program
// and returns its base URL; it ends the program when there is no port.
func Serve(h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go http.Serve(ln, h)
	return "http://" + ln.Addr().String()
}

// Scrape reads a Prometheus text page: each series, labels included as
// written, to its value.
func Scrape(url string) (Metrics, error) {
	c := &http.Client{Timeout: 2 * time.Minute}
	res, err := c.Get(url)
	if err != nil {
		return Metrics{}, err
	}
	defer res.Body.Close()
	out := Metrics{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out, sc.Err()
}

// LoadAverage is the machine's one-minute load average, which says how
// much the wall times were shared with other work.
func LoadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(data))[0]
}

// WaitHealthy waits until base/healthz answers 200; it ends the program
// when that takes longer than limit.
func WaitHealthy(base string, limit time.Duration) {
	start := time.Now()
	for {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Since(start) > limit {
			log.Fatalf("%s did not start within %s", base, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// MiB converts bytes to mebibytes.
func MiB(n int64) float64 { return float64(n) / (1 << 20) }
