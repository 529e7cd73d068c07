package cluster

import (
	"slices"
	"testing"
	"time"
)

func TestDurationsCountInCumulativeBuckets(t *testing.T) {
	var h durations
	for _, d := range []time.Duration{-time.Second, 0, time.Millisecond, time.Millisecond + 1, 30 * time.Millisecond, time.Second, time.Minute} {
		h.observe(d)
	}
	got := h.read()
	// At most 1 ms: the clock apart (counted 0), 0 and 1 ms; at most 2.5 ms: one more; 30 ms
	// falls under 50 ms; a second under 1 s; a minute past every bound.
	want := []uint64{3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6}
	if !slices.Equal(got.Counts, want) {
		t.Fatalf("cumulative counts %v, want %v", got.Counts, want)
	}
	if got.Count != 7 {
		t.Fatalf("count %d, want 7", got.Count)
	}
	if wantSum := 2*time.Millisecond + 1 + 30*time.Millisecond + time.Second + time.Minute; got.Sum != wantSum {
		t.Fatalf("sum %v, want %v", got.Sum, wantSum)
	}
	if len(got.Bounds) != len(got.Counts) {
		t.Fatalf("%d bounds for %d counts", len(got.Bounds), len(got.Counts))
	}
}
