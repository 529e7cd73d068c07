package game

import (
	"testing"
	"time"
)

// TestFirstTickSharesPhases: lobbies created at any instant first tick within a period of
// their creation, on one of tickPhases phases, so lobbies of one rate wake the process together.
func TestFirstTickSharesPhases(t *testing.T) {
	period := 50 * time.Millisecond
	grid := period / tickPhases
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	phases := map[time.Duration]bool{}
	for i := range 1000 {
		now := base.Add(time.Duration(i) * 137 * time.Microsecond)
		first := firstTick(now, period)
		if wait := first.Sub(now); wait <= period-grid || wait > period {
			t.Fatalf("created at +%v, first tick %v later; want within (%v, %v]", now.Sub(base), wait, period-grid, period)
		}
		phases[time.Duration(first.UnixNano())%period] = true
	}
	if len(phases) != tickPhases {
		t.Fatalf("first ticks fell on %d phases, want %d", len(phases), tickPhases)
	}
	// A monotonic reading survives, so the schedule ignores wall-clock steps.
	now := time.Now()
	if first := firstTick(now, period); first.String() == first.Round(0).String() {
		t.Fatal("firstTick dropped the monotonic clock reading")
	}
	// Rates whose period does not split into phases tick a period on.
	if got := firstTick(base, 3); !got.Equal(base.Add(3)) {
		t.Fatalf("a 3 ns period: first tick %v", got.Sub(base))
	}
}
