package main

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// paceSlot is the resolution of the bots' clocks: each bot's inputs fall in one slot of this
// length within the tick period, chosen at random, so that inputs reach the server spread
// over the tick as a crowd of browsers' would, and the pacer wakes once a slot, not once an
// input.
const paceSlot = time.Millisecond

// pacer sends every bot's inputs on the bots' own clocks (--inputs clock), from one goroutine.
type pacer struct {
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// startPacer starts the pacer for the bots that are connected, at the lobbies' tick rate.
func (r *run) startPacer(ctx context.Context) *pacer {
	rate := r.tickRate.Load()
	if rate <= 0 {
		rate = 20
	}
	period := time.Second / time.Duration(rate)
	slots := max(1, int(period/paceSlot))
	bySlot := make([][]*bot, slots)
	rng := rand.New(rand.NewPCG(r.seed, 1))
	for _, b := range r.bots {
		if b.conn != nil {
			s := rng.IntN(slots)
			bySlot[s] = append(bySlot[s], b)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &pacer{cancel: cancel}
	p.done.Go(func() {
		slot := period / time.Duration(slots)
		t := time.NewTicker(slot)
		defer t.Stop()
		start, next := time.Now(), 0
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			// Every slot due by now, the ones a late wake-up skipped included.
			for due := int(time.Since(start) / slot); next <= due; next++ {
				for _, b := range bySlot[next%slots] {
					b.tick()
				}
			}
		}
	})
	return p
}

// stop ends the pacer and waits for it.
func (p *pacer) stop() {
	if p != nil {
		p.cancel()
		p.done.Wait()
	}
}
