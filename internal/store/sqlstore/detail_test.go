package sqlstore

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tocsin/tocsin/internal/probe"
)

func TestDetailRoundTrip(t *testing.T) {
	at := time.Date(2024, 5, 1, 12, 0, 0, 500_000_000, time.UTC)
	values := []float64{0, math.Copysign(0, -1), 1, -1, 200, 1 << 51, 1 << 53, -(1 << 60), 0.5, -2.25, 1e300, math.Inf(1), math.Inf(-1), math.NaN(), math.SmallestNonzeroFloat64,
		0.000812, -0.5e-6, 123.456789, (38 * time.Millisecond).Seconds(), (812345 * time.Nanosecond).Round(time.Microsecond).Seconds(), 1.0 / 3}
	var ms []probe.Metric
	keys := map[string]int64{}
	for i, v := range values {
		m := probe.Metric{Name: string(rune('a' + i)), Value: v}
		ms = append(ms, m)
		keys[metricSpec(m)] = int64(i * 1000)
	}
	r := probe.Result{Time: at,
		Timing:     probe.Timing{DNS: time.Microsecond, TLS: -3 * time.Millisecond, FirstByte: time.Hour},
		CertExpiry: at.Add(-48 * time.Hour).Truncate(time.Second), Metrics: ms, Location: "external-eu"}
	b, ok := encodeDetail(r, keys).([]byte)
	if !ok {
		t.Fatalf("encodeDetail returned no bytes")
	}
	d, err := decodeDetail(b, at)
	if err != nil {
		t.Fatalf("decodeDetail: %v", err)
	}
	if d.location != r.Location {
		t.Errorf("location = %q, want %q", d.location, r.Location)
	}
	// A location alone costs its name and two bytes.
	if b, _ := encodeDetail(probe.Result{Time: at, Location: "campus"}, nil).([]byte); len(b) != 2+len("campus") {
		t.Errorf("location campus takes %d bytes: % x", len(b), b)
	}
	// A hostile location is stored valid: no NUL, no broken character,
	// cut on a character boundary.
	hostile := "\x00bad\xff" + strings.Repeat("é", maxLocation)
	hb, _ := encodeDetail(probe.Result{Time: at, Location: hostile}, nil).([]byte)
	hd, err := decodeDetail(hb, at)
	if err != nil {
		t.Fatalf("decodeDetail of a hostile location: %v", err)
	}
	if !utf8.ValidString(hd.location) || strings.ContainsRune(hd.location, 0) || len(hd.location) > maxLocation || !strings.HasPrefix(hd.location, "bad") {
		t.Errorf("hostile location stored as %q", hd.location)
	}
	if d.timing != r.Timing || !d.cert.Equal(r.CertExpiry) {
		t.Errorf("timing, cert = %+v, %v; want %+v, %v", d.timing, d.cert, r.Timing, r.CertExpiry)
	}
	for i, v := range values {
		got := d.values[i]
		if d.kinds[i] != int64(i*1000) || math.Float64bits(got) != math.Float64bits(v) && !(math.IsNaN(v) && math.IsNaN(got)) {
			t.Errorf("metric %d = kind %d value %v, want kind %d value %v", i, d.kinds[i], got, i*1000, v)
		}
	}
	// Times in seconds, rounded to the microsecond, take a few bytes.
	small, _ := encodeDetail(probe.Result{Time: at, Metrics: []probe.Metric{{Name: "time", Value: 0.038123}}}, map[string]int64{}).([]byte)
	if len(small) > 7 {
		t.Errorf("a 38.123 ms time metric takes %d bytes: % x", len(small), small)
	}
	// A value tag no encoder writes (odd, neither 1 nor 4u+3) is malformed.
	bad := binary.AppendVarint([]byte{hasMetrics, 1, 0}, 5)
	if _, err := decodeDetail(bad, at); err == nil {
		t.Error("decodeDetail accepted value tag 5")
	}
	if encodeDetail(probe.Result{Time: at}, nil) != nil {
		t.Error("a result without detail encodes to bytes, want NULL")
	}
	for n := range b {
		if _, err := decodeDetail(b[:n], at); err == nil && n > 0 {
			t.Errorf("decodeDetail accepted a detail cut to %d of %d bytes", n, len(b))
		}
	}
}
