package sqlstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// On PostgreSQL the results of a closed ten-minute slice are packed into
// one row of result_packs per monitor and slice (migration 00023,
// compact.go): a row costs PostgreSQL 28 bytes of header and line pointer
// whatever it holds, which is more than a result without detail needs. The
// pack's data column holds the slice's results column by column, so that
// what is alike from one result to the next costs next to nothing:
//
//	version byte (packVersion)
//	uvarint count n (at least 1)
//	times: signed varint of the first time after the slice's start, in
//	  milliseconds; then per further result the signed varint of how much
//	  the gap to the previous result differs from the gap before it (0 for
//	  a monitor checked at a steady interval; the first gap is taken
//	  whole)
//	durations: a signed varint per result, in microseconds
//	status: runs of (uvarint status, uvarint length) covering n results
//	reasons: uvarint count r of distinct reasons, then each as uvarint
//	  length and bytes; when r > 0, runs of (uvarint index, uvarint length)
//	  covering n results, index 0 for no reason and i for the i-th
//	details: a byte 0 when no result has detail; else 1, then per result
//	  the uvarint length of its detail (detail.go) and its bytes, 0 for
//	  none
//
// Reading stops after the part it needs: rollups, uptime and latency read
// times, durations and status only.
const packVersion = 1

// packSlice bounds a slice to what result_packs.slice (integer) holds, so
// an open end of a range (a page from the newest) can be a parameter.
func packSlice(sl int64) int64 { return max(math.MinInt32, min(sl, math.MaxInt32)) }

// resultRec is a stored result: a row of results, or one unpacked.
type resultRec struct {
	key, t, status, dur int64
	reason              string
	detail              []byte
}

var errPack = errors.New("stored result pack is malformed")

// encodePack returns the data of a pack of rs, which are sorted by time.
func encodePack(sl int64, rs []resultRec) []byte {
	b := make([]byte, 0, 16+8*len(rs))
	b = append(b, packVersion)
	b = binary.AppendUvarint(b, uint64(len(rs)))
	var prev, gap int64
	for i, r := range rs {
		if i == 0 {
			b = binary.AppendVarint(b, r.t-sl*resultSliceMS)
		} else {
			g := r.t - prev
			b = binary.AppendVarint(b, g-gap)
			gap = g
		}
		prev = r.t
	}
	for _, r := range rs {
		b = binary.AppendVarint(b, r.dur)
	}
	b = appendRuns(b, rs, func(r resultRec) uint64 { return uint64(r.status) })
	index := map[string]uint64{}
	var reasons []string
	for _, r := range rs {
		if _, ok := index[r.reason]; r.reason != "" && !ok {
			reasons = append(reasons, r.reason)
			index[r.reason] = uint64(len(reasons))
		}
	}
	b = binary.AppendUvarint(b, uint64(len(reasons)))
	for _, s := range reasons {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	if len(reasons) > 0 {
		b = appendRuns(b, rs, func(r resultRec) uint64 { return index[r.reason] })
	}
	if !slices.ContainsFunc(rs, func(r resultRec) bool { return len(r.detail) > 0 }) {
		return append(b, 0)
	}
	b = append(b, 1)
	for _, r := range rs {
		b = binary.AppendUvarint(b, uint64(len(r.detail)))
		b = append(b, r.detail...)
	}
	return b
}

// appendRuns appends the runs of equal values of rs.
func appendRuns(b []byte, rs []resultRec, value func(resultRec) uint64) []byte {
	for i := 0; i < len(rs); {
		v := value(rs[i])
		j := i + 1
		for j < len(rs) && value(rs[j]) == v {
			j++
		}
		b = binary.AppendUvarint(b, v)
		b = binary.AppendUvarint(b, uint64(j-i))
		i = j
	}
	return b
}

// packReader decodes pack data.
type packReader struct {
	b   []byte
	err error
}

func (p *packReader) uvarint() uint64 {
	if p.err != nil {
		return 0
	}
	v, n := binary.Uvarint(p.b)
	if n <= 0 {
		p.err = errPack
		return 0
	}
	p.b = p.b[n:]
	return v
}

func (p *packReader) varint() int64 {
	if p.err != nil {
		return 0
	}
	v, n := binary.Varint(p.b)
	if n <= 0 {
		p.err = errPack
		return 0
	}
	p.b = p.b[n:]
	return v
}

func (p *packReader) bytes() []byte {
	n := p.uvarint()
	if p.err != nil {
		return nil
	}
	if n > uint64(len(p.b)) {
		p.err = errPack
		return nil
	}
	v := p.b[:n:n]
	p.b = p.b[n:]
	return v
}

// runs fills set(i, value) for n results from runs of equal values.
func (p *packReader) runs(n int, set func(i int, v uint64)) {
	for i := 0; i < n && p.err == nil; {
		v, l := p.uvarint(), p.uvarint()
		if p.err == nil && (l == 0 || l > uint64(n-i)) {
			p.err = errPack
		}
		for range int(min(l, uint64(n-i))) {
			set(i, v)
			i++
		}
	}
}

// decodePack returns the results of monitor key in a pack of slice sl,
// oldest first: times, durations and status only unless full, when
// reasons and details come too. The details alias data.
func decodePack(key, sl int64, data []byte, full bool) ([]resultRec, error) {
	if len(data) == 0 || data[0] != packVersion {
		return nil, fmt.Errorf("%w: unknown version", errPack)
	}
	p := &packReader{b: data[1:]}
	n := p.uvarint()
	// Every result takes at least a byte of time and of duration.
	if p.err != nil || n == 0 || n > uint64(len(p.b)) {
		return nil, errPack
	}
	rs := make([]resultRec, n)
	var gap int64
	for i := range rs {
		rs[i].key = key
		if i == 0 {
			rs[i].t = sl*resultSliceMS + p.varint()
		} else {
			gap += p.varint()
			rs[i].t = rs[i-1].t + gap
		}
	}
	for i := range rs {
		rs[i].dur = p.varint()
	}
	p.runs(len(rs), func(i int, v uint64) { rs[i].status = int64(v) })
	if !full || p.err != nil {
		return rs, p.err
	}
	nr := p.uvarint()
	if p.err != nil || nr > uint64(len(p.b)) {
		return nil, errPack
	}
	reasons := make([]string, nr)
	for i := range reasons {
		reasons[i] = string(p.bytes())
	}
	if len(reasons) > 0 {
		p.runs(len(rs), func(i int, v uint64) {
			if v > uint64(len(reasons)) {
				p.err = errPack
				return
			}
			if v > 0 {
				rs[i].reason = reasons[v-1]
			}
		})
	}
	switch p.uvarint() {
	case 0:
	case 1:
		for i := range rs {
			if d := p.bytes(); len(d) > 0 {
				rs[i].detail = d
			}
		}
	default:
		p.err = errPack
	}
	if p.err == nil && len(p.b) != 0 {
		p.err = errPack
	}
	if p.err != nil {
		return nil, p.err
	}
	return rs, nil
}

// failedOf is 1 for a failed status, as failedExpr counts it, else 0.
func failedOf(status int64) int64 {
	if status >= 2 {
		return 1
	}
	return 0
}

// packFailed counts the failed results of rs.
func packFailed(rs []resultRec) int64 {
	var n int64
	for _, r := range rs {
		n += failedOf(r.status)
	}
	return n
}
