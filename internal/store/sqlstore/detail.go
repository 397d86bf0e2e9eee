package sqlstore

import (
	"encoding/binary"
	"errors"
	"math"
	"time"

	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/safetext"
)

// A result's optional parts (timings, certificate expiry, metrics) are
// stored together in one compact BLOB, results.detail, because separate
// columns cost a header byte each and plain numbers as text cost more than
// varints. The layout is:
//
//	flags byte: 1 DNS, 2 connect, 4 TLS, 8 first byte, 16 cert expiry, 32 metrics,
//	  64 location
//	a signed varint per present timing, in microseconds
//	cert expiry: signed varint, seconds after the result's start second
//	metrics: uvarint count, then per metric the uvarint kind key and the value
//	  as a signed varint: 2v for integers below 2^52; 4u+3 for a value that
//	  is exactly u millionths (times and durations in seconds, rounded to
//	  the microsecond like every stored duration); else 1 followed by the 8
//	  little-endian bytes of the float64
//	location: uvarint length, then the name; absent for a result the
//	  server took itself (Location ""), which so costs nothing more
const (
	hasDNS = 1 << iota
	hasConnect
	hasTLS
	hasFirstByte
	hasCert
	hasMetrics
	hasLocation
)

// maxLocation bounds a stored location name; names are ids (63 bytes).
const maxLocation = 255

// encodeDetail returns the detail BLOB of r, or nil when it has none.
// metricKeys maps metricSpec to kind keys.
func encodeDetail(r probe.Result, metricKeys map[string]int64) any {
	var flags byte
	b := make([]byte, 1, 32)
	for i, d := range []time.Duration{r.Timing.DNS, r.Timing.Connect, r.Timing.TLS, r.Timing.FirstByte} {
		if d != 0 {
			flags |= 1 << i
			b = binary.AppendVarint(b, d.Microseconds())
		}
	}
	if !r.CertExpiry.IsZero() {
		flags |= hasCert
		b = binary.AppendVarint(b, r.CertExpiry.Unix()-r.Time.Unix())
	}
	if len(r.Metrics) > 0 {
		flags |= hasMetrics
		b = binary.AppendUvarint(b, uint64(len(r.Metrics)))
		for _, m := range r.Metrics {
			b = binary.AppendUvarint(b, uint64(metricKeys[metricSpec(m)]))
			v := m.Value
			if v == math.Trunc(v) && math.Abs(v) < 1<<52 && !(v == 0 && math.Signbit(v)) {
				b = binary.AppendVarint(b, int64(v)*2)
			} else if u, ok := millionths(v); ok {
				b = binary.AppendVarint(b, 4*u+3)
			} else {
				b = binary.AppendVarint(b, 1)
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
			}
		}
	}
	if loc := r.Location; loc != "" {
		// Valid UTF-8 without NUL, cut on a character boundary, like every
		// other text the store keeps.
		loc, _ = safetext.Cut(loc, maxLocation)
		flags |= hasLocation
		b = binary.AppendUvarint(b, uint64(len(loc)))
		b = append(b, loc...)
	}
	if flags == 0 {
		return nil
	}
	b[0] = flags
	return b
}

// millionths returns u when v is exactly u/1e6, so it is stored as a small
// varint instead of eight bytes.
func millionths(v float64) (int64, bool) {
	u := math.Round(v * 1e6)
	if v == 0 || math.IsNaN(u) || math.Abs(u) >= 1<<50 { // -0 keeps its sign as a float
		return 0, false
	}
	n := int64(u)
	return n, float64(n)/1e6 == v
}

var errDetail = errors.New("stored result detail is malformed")

// detail is a decoded detail BLOB; metric values come with kind keys the
// caller resolves.
type detail struct {
	timing   probe.Timing
	cert     time.Time
	location string
	kinds    []int64
	values   []float64
}

// decodeDetail parses what encodeDetail wrote for a result starting at t.
func decodeDetail(b []byte, t time.Time) (detail, error) {
	var d detail
	if len(b) == 0 {
		return d, nil
	}
	flags, b := b[0], b[1:]
	varint := func() (int64, error) {
		v, n := binary.Varint(b)
		if n <= 0 {
			return 0, errDetail
		}
		b = b[n:]
		return v, nil
	}
	timings := []*time.Duration{&d.timing.DNS, &d.timing.Connect, &d.timing.TLS, &d.timing.FirstByte}
	for i, p := range timings {
		if flags&(1<<i) != 0 {
			v, err := varint()
			if err != nil {
				return d, err
			}
			*p = time.Duration(v) * time.Microsecond
		}
	}
	if flags&hasCert != 0 {
		v, err := varint()
		if err != nil {
			return d, err
		}
		d.cert = time.Unix(t.Unix()+v, 0).UTC()
	}
	if flags&hasMetrics != 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)) {
			return d, errDetail
		}
		b = b[k:]
		for range n {
			kind, k := binary.Uvarint(b)
			if k <= 0 {
				return d, errDetail
			}
			b = b[k:]
			v, err := varint()
			if err != nil {
				return d, err
			}
			var val float64
			switch {
			case v&1 == 0:
				val = float64(v / 2)
			case v == 1:
				if len(b) < 8 {
					return d, errDetail
				}
				val = math.Float64frombits(binary.LittleEndian.Uint64(b))
				b = b[8:]
			case v&3 == 3:
				val = float64((v-3)/4) / 1e6
			default:
				return d, errDetail
			}
			d.kinds = append(d.kinds, int64(kind))
			d.values = append(d.values, val)
		}
	}
	if flags&hasLocation != 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > maxLocation || n > uint64(len(b)-k) {
			return d, errDetail
		}
		d.location = string(b[k : k+int(n)])
		b = b[k+int(n):]
	}
	if len(b) != 0 {
		return d, errDetail
	}
	return d, nil
}
