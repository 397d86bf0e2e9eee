package replica

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/store"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// leases builds n leases from a compact description: owners[i] holds
// bucket i until t0+until[i] (owner "" is free).
func leases(owners string, until time.Duration) []store.BucketLease {
	out := make([]store.BucketLease, len(owners))
	for i, c := range owners {
		out[i] = store.BucketLease{Bucket: i}
		if c != '.' {
			out[i].Owner, out[i].Until = string(c), t0.Add(until)
		}
	}
	return out
}

func TestTarget(t *testing.T) {
	for _, c := range []struct {
		self string
		live []string
		n    int
		want int
	}{
		{"a", []string{"a"}, 1024, 1024},
		{"a", []string{"a", "b"}, 1024, 512},
		{"b", []string{"b", "a", "b"}, 1024, 512},
		{"a", []string{"c", "b", "a"}, 1024, 342},
		{"b", []string{"c", "b", "a"}, 1024, 341},
		{"c", []string{"c", "b", "a"}, 1024, 341},
		{"x", []string{"a", "b"}, 1024, 0},
		{"a", []string{"a", "b", "c", "d", "e"}, 3, 1},
		{"e", []string{"a", "b", "c", "d", "e"}, 3, 0},
	} {
		if got := Target(c.self, c.live, c.n); got != c.want {
			t.Errorf("Target(%q, %v, %d) = %d, want %d", c.self, c.live, c.n, got, c.want)
		}
	}
	// The shares always add up to the buckets.
	for k := 1; k <= 7; k++ {
		var live []string
		for i := range k {
			live = append(live, fmt.Sprintf("r%d", i))
		}
		sum := 0
		for _, id := range live {
			sum += Target(id, live, DefaultBuckets)
		}
		if sum != DefaultBuckets {
			t.Errorf("%d replicas: shares add up to %d", k, sum)
		}
	}
}

func TestRebalance(t *testing.T) {
	// BucketOf("a", 8) and BucketOf("b", 8) are where each starts looking.
	sa, sb := BucketOf("a", 8), BucketOf("b", 8)
	rot := func(start int, bs ...int) []int {
		out := slices.Clone(bs)
		slices.SortFunc(out, func(x, y int) int { return (x-start+8)%8 - (y-start+8)%8 })
		return out
	}
	for _, c := range []struct {
		name   string
		self   string
		live   []string
		leases []store.BucketLease
		now    time.Time
		take   []int
		rel    []int
	}{
		{name: "alone on free buckets takes them all", self: "a", live: []string{"a"},
			leases: leases("........", 0), now: t0, take: rot(sa, 0, 1, 2, 3, 4, 5, 6, 7)},
		{name: "alone, live list without self", self: "a", live: nil,
			leases: leases("........", 0), now: t0, take: rot(sa, 0, 1, 2, 3, 4, 5, 6, 7)},
		{name: "at its share does nothing", self: "a", live: []string{"a", "b"},
			leases: leases("aaaabbbb", time.Minute), now: t0},
		{name: "a second replica joins: the first gives up half", self: "a", live: []string{"a", "b"},
			leases: leases("aaaaaaaa", time.Minute), now: t0, rel: rot(sa, 0, 1, 2, 3, 4, 5, 6, 7)[4:]},
		{name: "the newcomer takes only free buckets, not live leases", self: "b", live: []string{"a", "b"},
			leases: leases("aaaaaa..", time.Minute), now: t0, take: rot(sb, 6, 7)},
		{name: "a dead replica's buckets wait for its leases to end", self: "a", live: []string{"a"},
			leases: leases("aaaabbbb", time.Minute), now: t0.Add(30 * time.Second)},
		{name: "then they are taken", self: "a", live: []string{"a"},
			leases: leases("aaaabbbb", time.Minute), now: t0.Add(time.Minute), take: rot(sa, 4, 5, 6, 7)},
		{name: "expired buckets up to the share only", self: "a", live: []string{"a", "c"},
			leases: leases("aaabbbbc", time.Minute), now: t0.Add(2 * time.Minute), take: rot(sa, 3, 4, 5, 6, 7)[:1]},
		{name: "own expired leases count as held", self: "a", live: []string{"a", "b"},
			leases: leases("aaaabbbb", -time.Minute), now: t0},
		{name: "three replicas: the third's share comes from free buckets", self: "c", live: []string{"a", "b", "c"},
			leases: leases("aaa..bbb", time.Minute), now: t0, take: rot(BucketOf("c", 8), 3, 4)},
		{name: "self counts as live when the registry read missed it", self: "z", live: []string{"a", "b"},
			leases: leases("zzzzzzzz", time.Minute), now: t0, rel: rot(BucketOf("z", 8), 0, 1, 2, 3, 4, 5, 6, 7)[2:]},
		{name: "no leases, no plan", self: "a", live: []string{"a"}, leases: nil, now: t0},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := Rebalance(c.self, c.live, c.leases, c.now)
			if !slices.Equal(p.Take, c.take) || !slices.Equal(p.Release, c.rel) {
				t.Fatalf("Rebalance = take %v release %v, want take %v release %v", p.Take, p.Release, c.take, c.rel)
			}
		})
	}
}

// TestRebalanceConverges plays rounds of several replicas on 1024 buckets
// until nothing moves, and checks the shares are even and that each join
// and leave moved only what had to move.
func TestRebalanceConverges(t *testing.T) {
	const n = DefaultBuckets
	ls := make([]store.BucketLease, n)
	for i := range ls {
		ls[i].Bucket = i
	}
	now := t0
	play := func(live []string) (moved int) {
		for round := 0; round < 10; round++ {
			changed := false
			for _, id := range live {
				p := Rebalance(id, live, ls, now)
				for _, b := range p.Release {
					ls[b].Owner, ls[b].Until = "", now
					changed = true
				}
				for _, b := range p.Take {
					ls[b].Owner, ls[b].Until = id, now.Add(time.Minute)
					changed, moved = true, moved+1
				}
			}
			now = now.Add(5 * time.Second)
			if !changed {
				return moved
			}
		}
		t.Fatalf("replicas %v still move buckets after 10 rounds", live)
		return 0
	}
	count := func() map[string]int {
		out := map[string]int{}
		for _, l := range ls {
			out[l.Owner]++
		}
		return out
	}
	if moved := play([]string{"a"}); moved != n {
		t.Fatalf("alone: %d taken, want %d", moved, n)
	}
	if moved := play([]string{"a", "b"}); moved != 512 {
		t.Fatalf("b joins: %d moved, want 512", moved)
	}
	if moved := play([]string{"a", "b", "c"}); moved != 341 {
		t.Fatalf("c joins: %d moved, want 341 (c's share only)", moved)
	}
	if got := count(); got["a"] != 342 || got["b"] != 341 || got["c"] != 341 {
		t.Fatalf("shares of three: %v", got)
	}
	// b dies: its leases end a minute later; only its buckets move.
	for i := range ls {
		if ls[i].Owner == "b" {
			ls[i].Until = now
		}
	}
	now = now.Add(time.Second)
	if moved := play([]string{"a", "c"}); moved != 341 {
		t.Fatalf("b leaves: %d moved, want 341 (b's share only)", moved)
	}
	if got := count(); got["a"] != 512 || got["c"] != 512 {
		t.Fatalf("shares of two after b left: %v", got)
	}
}

// TestBucketOfIsFNV1a: the buckets are those of hash/fnv's 32-bit FNV-1a,
// which decided them in every earlier version: replicas of two versions
// agree on who runs what.
func TestBucketOfIsFNV1a(t *testing.T) {
	ids := []string{"", "a", "m000000", "api-check", "héllo wörld", strings.Repeat("x", 300)}
	for i := range 1000 {
		ids = append(ids, fmt.Sprintf("m%06d", i))
	}
	for _, id := range ids {
		h := fnv.New32a()
		h.Write([]byte(id))
		for _, n := range []int{1, 8, DefaultBuckets} {
			if got, want := BucketOf(id, n), int(h.Sum32()%uint32(n)); got != want {
				t.Fatalf("BucketOf(%q, %d) = %d, want %d", id, n, got, want)
			}
		}
	}
}
