package main

import (
	"sync/atomic"
	"time"
)

// histogram counts durations in 0.1 ms buckets up to 5 s, the last bucket taking the rest. It is
// shared by every bot and updated with atomics: the bots' goroutines share one CPU, so the
// counters do not bounce between caches, and nothing allocates per sample.
type histogram struct {
	buckets [50000]atomic.Uint32
	count   atomic.Uint64
	max     atomic.Int64
}

const bucketWidth = 100 * time.Microsecond

func (h *histogram) add(d time.Duration) {
	i := int(d / bucketWidth)
	i = max(0, min(i, len(h.buckets)-1))
	h.buckets[i].Add(1)
	h.count.Add(1)
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// quantile returns the upper edge of the bucket that holds quantile q (0 to 1).
func (h *histogram) quantile(q float64) time.Duration {
	n := h.count.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(q*float64(n-1)) + 1
	var seen uint64
	for i := range h.buckets {
		seen += uint64(h.buckets[i].Load())
		if seen >= rank {
			return time.Duration(i+1) * bucketWidth
		}
	}
	return time.Duration(len(h.buckets)) * bucketWidth
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// counters are the run's totals, updated by the bots' goroutines.
type counters struct {
	reauths     atomic.Int64
	disconnects atomic.Int64 // sockets lost, and connections ended, before the run's end
	errors      atomic.Int64 // failed setup steps, failed reauths and rejoins, refused inputs
	reconnects  atomic.Int64
	matches     atomic.Int64 // rounds that ended with scores, counted by each lobby's host
}

func (h *histogram) maxDur() time.Duration { return time.Duration(h.max.Load()) }
