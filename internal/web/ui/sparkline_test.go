package ui

import (
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/store"
)

func TestSummarize(t *testing.T) {
	pts := []store.LatencyPoint{
		{Total: 0},
		{Avg: 30 * time.Millisecond, Total: 60, Failed: 2},
		{Total: 0},
		{Avg: 12 * time.Millisecond, Total: 60},
		{Total: 0},
	}
	got := summarize(pts)
	want := chartSummary{Results: 120, Failed: 2, Peak: 30 * time.Millisecond, Latest: 12 * time.Millisecond}
	if got != want {
		t.Errorf("summarize = %+v, want %+v", got, want)
	}
	if got := summarize(nil); got != (chartSummary{}) {
		t.Errorf("summarize(nil) = %+v, want zero", got)
	}
}
