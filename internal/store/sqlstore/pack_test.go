package sqlstore

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// packSample returns n results of one slice as a monitor produces them:
// times at a steady interval with jitter, random durations, runs of
// statuses, a few reasons and details.
func packSample(rng *rand.Rand, sl int64, n int) []resultRec {
	rs := make([]resultRec, 0, n)
	t := sl*resultSliceMS + rng.Int64N(1000)
	for i := range n {
		r := resultRec{key: 7, t: t, dur: rng.Int64N(80_000) - 100, status: int64(i / 5 % 4)}
		if r.status >= 1 {
			r.reason = []string{"", "timeout", "503 Service Unavailable", strings.Repeat("\u202e", 300)}[rng.IntN(4)]
		}
		if rng.IntN(3) > 0 {
			r.detail = []byte{8, byte(rng.IntN(127)), byte(i)}
		}
		rs = append(rs, r)
		t += 1 + rng.Int64N(resultSliceMS/int64(n)) // strictly increasing, inside the slice
	}
	return rs
}

func TestPackRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 3, 10, 60, 600, 5000} {
		sl := int64(2_840_000 + n)
		rs := packSample(rng, sl, n)
		data := encodePack(sl, rs)
		got, err := decodePack(7, sl, data, true)
		if err != nil {
			t.Fatalf("n=%d: decodePack: %v", n, err)
		}
		if diff := cmp.Diff(rs, got, cmp.AllowUnexported(resultRec{})); diff != "" {
			t.Fatalf("n=%d: round trip (-want +got):\n%s", n, diff)
		}
		short, err := decodePack(7, sl, data, false)
		if err != nil || len(short) != n || short[n-1].t != rs[n-1].t || short[n-1].dur != rs[n-1].dur || short[n-1].status != rs[n-1].status || short[0].reason != "" {
			t.Fatalf("n=%d: decodePack without reasons and details = %d results, %v", n, len(short), err)
		}
	}
	// Times before 1970 and a slice's first millisecond.
	for _, sl := range []int64{0, -1, 5} {
		rs := []resultRec{{key: 7, t: sl * resultSliceMS}, {key: 7, t: sl*resultSliceMS + 1, status: 2, reason: "x"}}
		got, err := decodePack(7, sl, encodePack(sl, rs), true)
		if err != nil || !cmp.Equal(rs, got, cmp.AllowUnexported(resultRec{})) {
			t.Errorf("slice %d: got %+v, %v; want %+v", sl, got, err, rs)
		}
	}
}

// TestPackSize: results at a steady interval cost a few bytes each, most
// of it the duration.
func TestPackSize(t *testing.T) {
	rs := make([]resultRec, 10)
	for i := range rs {
		rs[i] = resultRec{t: 60_000*int64(i) + int64(i%3), dur: 15_000 + int64(i)*4_321}
	}
	if n := len(encodePack(0, rs)); n > 5*len(rs) {
		t.Errorf("10 results without detail take %d bytes", n)
	}
}

func TestPackMalformed(t *testing.T) {
	rs := packSample(rand.New(rand.NewPCG(5, 6)), 9, 40)
	data := encodePack(9, rs)
	for i := range data {
		if _, err := decodePack(7, 9, data[:i], true); err == nil {
			t.Errorf("a pack cut at %d of %d bytes decoded", i, len(data))
		}
	}
	if _, err := decodePack(7, 9, append(bytes.Clone(data), 0), true); err == nil {
		t.Error("a pack with a byte too many decoded")
	}
	if _, err := decodePack(7, 9, append([]byte{packVersion + 1}, data[1:]...), true); err == nil {
		t.Error("a pack of an unknown version decoded")
	}
}

func FuzzDecodePack(f *testing.F) {
	f.Add(encodePack(3, packSample(rand.New(rand.NewPCG(1, 1)), 3, 20)))
	f.Add([]byte{packVersion, 1, 0, 0, 0, 1, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := decodePack(1, 3, data, true)
		if err != nil {
			return
		}
		// What decodes encodes back to the same results.
		again, err := decodePack(1, 3, encodePack(3, rs), true)
		if err != nil || len(again) != len(rs) {
			t.Fatalf("re-encoded pack: %d results, %v; want %d", len(again), err, len(rs))
		}
	})
}
