package importer

import (
	"fmt"
	"testing"
)

// BenchmarkWrite renders fragments of 1,000 and 10,000 http monitors:
// go test -run X -bench Write ./internal/importer
func BenchmarkWrite(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		f := &Fragment{Source: "bench"}
		for i := range n {
			f.Monitors = append(f.Monitors, Monitor{ID: fmt.Sprintf("m%d", i), Type: "http", Interval: Duration(30e9), Tags: []string{"env=prod"},
				Comment: fmt.Sprintf("source monitor %d", i),
				Block:   &HTTPBlock{URL: fmt.Sprintf("https://m%d.example.com/", i), Expect: &HTTPExpect{Status: []string{"200-299"}, BodyContains: "ok"}}})
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Write(f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
