package server_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// trend is how a series of samples taken over a soak moved, after its warm-up.
type trend struct {
	first, middle, last float64 // a statistic of each third of the samples
	slopePerHour        float64 // least-squares slope, in units per hour
}

// growth judges whether samples (one every interval seconds) keep growing. The first warmup
// fraction is dropped (pools and caches filling up), the rest is cut in thirds and each third
// summarised by stat: the median for goroutines, the minimum for the heap, whose floor after
// each collection is what leaks raise. It keeps growing when the thirds rise strictly and the
// last is above the first by more than rel (a fraction of the first) plus abs.
func growth(samples []float64, interval, warmup, rel, abs float64, stat func([]float64) float64) (trend, bool) {
	s := samples[int(float64(len(samples))*warmup):]
	if len(s) < 6 {
		return trend{}, false
	}
	n := len(s) / 3
	tr := trend{first: stat(s[:n]), middle: stat(s[n : 2*n]), last: stat(s[len(s)-n:])}
	var sx, sy, sxx, sxy float64
	for i, y := range s {
		x := float64(i) * interval / 3600
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	k := float64(len(s))
	if d := k*sxx - sx*sx; d != 0 {
		tr.slopePerHour = (k*sxy - sx*sy) / d
	}
	grows := tr.first < tr.middle && tr.middle < tr.last && tr.last-tr.first > rel*tr.first+abs
	return tr, grows
}

func median(s []float64) float64 {
	c := slices.Clone(s)
	slices.Sort(c)
	return c[len(c)/2]
}

func minimum(s []float64) float64 { return slices.Min(s) }

func (tr trend) String() string {
	return fmt.Sprintf("thirds %.1f / %.1f / %.1f, slope %.1f per hour", tr.first, tr.middle, tr.last, tr.slopePerHour)
}

// TestGrowthDetector checks the soak's judgement on series of known shape.
func TestGrowthDetector(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 120 // ten minutes at one sample per 5 s
	series := func(f func(i int) float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	noise := func(a float64) float64 { return (rng.Float64() - 0.5) * 2 * a }
	const mib = 1 << 20
	cases := []struct {
		name   string
		s      []float64
		heap   bool
		growth bool
	}{
		{"flat goroutines with noise", series(func(int) float64 { return 200 + noise(15) }), false, false},
		{"goroutines that leak one per sample", series(func(i int) float64 { return 200 + float64(i) + noise(5) }), false, true},
		{"a warm-up step, then flat", series(func(i int) float64 { return 150 + 50*math.Min(float64(i), 20)/20 + noise(3) }), false, false},
		{"a GC sawtooth heap", series(func(i int) float64 { return 20*mib + float64(i%7)*2*mib + noise(mib/2) }), true, false},
		{"a sawtooth on a rising floor", series(func(i int) float64 { return 20*mib + float64(i)*mib/4 + float64(i%7)*2*mib }), true, true},
		{"a heap that grows a little and settles", series(func(i int) float64 { return 20*mib + math.Min(float64(i), 50)*mib/50 + float64(i%5)*mib }), true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var tr trend
			var grows bool
			if tc.heap {
				tr, grows = growth(tc.s, 5, 0.2, 0.25, 4*mib, minimum)
			} else {
				tr, grows = growth(tc.s, 5, 0.2, 0.05, 10, median)
			}
			if grows != tc.growth {
				t.Fatalf("judged growing=%v, want %v (%s)", grows, tc.growth, tr)
			}
		})
	}
}
