// Package hostcheck holds the words the host check kinds (disk, files)
// share: durations and sizes the way a person reads them in a reason.
package hostcheck

import (
	"math"
	"strconv"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/tocsin/tocsin/internal/probe"
)

// Age shows d to the minute, without zero parts: "3h12m", "26h", "45m";
// under a minute to the second ("40s"). Negative durations (a clock
// ahead) show as "0s".
func Age(d time.Duration) string {
	if d < time.Minute {
		return strconv.Itoa(int(max(d, 0).Round(time.Second)/time.Second)) + "s"
	}
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case h == 0:
		return strconv.Itoa(m) + "m"
	case m == 0:
		return strconv.Itoa(h) + "h"
	}
	return strconv.Itoa(h) + "h" + strconv.Itoa(m) + "m"
}

// Bytes shows n in binary units: "812 B", "3.1 GiB".
func Bytes(n uint64) string { return humanize.IBytes(n) }

// Rate shows a growth in bytes per second as a signed rate per hour:
// "+1.2 GiB/h", "-300 MiB/h".
func Rate(perSecond float64) string {
	perHour := perSecond * 3600
	sign := "+"
	if perHour < 0 {
		sign = "-"
	}
	return sign + Bytes(uint64(min(math.Abs(perHour), math.MaxUint64/2))) + "/h"
}

// Percent shows a percentage to one decimal, without a trailing zero:
// "96%", "95.4%".
func Percent(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) + "%"
}

// Metric shows a host check's metric in these words by its unit: bytes as
// sizes, seconds as ages, bytes per hour as a rate. ok is false for other
// units, which show as they are.
func Metric(m probe.Metric) (text string, ok bool) {
	switch m.Unit {
	case "B":
		return Bytes(uint64(max(m.Value, 0))), true
	case "B/h":
		return Rate(m.Value / 3600), true
	case "s":
		return Age(time.Duration(m.Value * float64(time.Second))), true
	}
	return "", false
}
