package benchkit

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Metrics is a scraped Prometheus text exposition: each series, labels
// included as written, to its value.
type Metrics map[string]float64

// Sum adds up every series of a metric, whatever its labels.
func (m Metrics) Sum(name string) float64 { return m.SumWhere(name, "") }

// SumWhere adds up the series of a metric whose labels contain label
// (`status="OK"`).
func (m Metrics) SumWhere(name, label string) float64 {
	var s float64
	for k, v := range m {
		if (k == name || strings.HasPrefix(k, name+"{")) && strings.Contains(k, label) {
			s += v
		}
	}
	return s
}

// QuantileDelta estimates a quantile of a histogram's observations between
// two scrapes, as the upper bound of the bucket it falls in: "n/a" when the
// histogram is missing, "+Inf" past the last bucket.
func QuantileDelta(m0, m1 Metrics, name string, q float64) string {
	type bucket struct {
		le    float64
		count float64
	}
	var bs []bucket
	for k, v := range m1 {
		rest, ok := strings.CutPrefix(k, name+"_bucket{")
		if !ok {
			continue
		}
		i := strings.Index(rest, `le="`)
		if i < 0 {
			continue
		}
		leText := rest[i+4:]
		leText = leText[:strings.IndexByte(leText, '"')]
		le := math.Inf(1)
		if leText != "+Inf" {
			le, _ = strconv.ParseFloat(leText, 64)
		}
		bs = append(bs, bucket{le, v - m0[k]})
	}
	if len(bs) == 0 {
		return "n/a"
	}
	slices.SortFunc(bs, func(a, b bucket) int {
		if a.le < b.le {
			return -1
		}
		if a.le > b.le {
			return 1
		}
		return 0
	})
	total := bs[len(bs)-1].count
	for _, b := range bs {
		if b.count >= q*total {
			if math.IsInf(b.le, 1) {
				return "+Inf"
			}
			return (time.Duration(b.le * float64(time.Second))).String()
		}
	}
	return "n/a"
}

// Median returns the middle of v (the mean of the two middle values when
// there is an even number), leaving v as it is; zero for none.
func Median[T ~int64 | ~float64](v []T) T {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}
