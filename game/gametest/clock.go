package gametest

import (
	"slices"
	"sync"
	"time"

	"github.com/tickwire/tickwire/game"
)

// Clock is a game.Clock whose time moves only when Advance is called.
//
// Its timers hand a fire over without a buffer, and Advance returns only once every timer it
// fired has been re-armed or stopped by its owner. A lobby re-arms its timer when it has run
// the tick (or ticks) it woke for, so after clock.Advance(period) that tick has happened: its
// inputs are applied and its snapshots delivered. Fakes from clock libraries fire into a
// buffered channel and return at once, which leaves a test guessing when the tick ran; that
// hand-off is why this one is written here.
type Clock struct {
	mu     sync.Mutex
	cond   sync.Cond // broadcast when a timer is re-armed or stopped
	now    time.Time
	timers []*timer // armed timers
}

var _ game.Clock = (*Clock)(nil)

// Epoch is where every Clock starts, so that tests see the same times on every run.
var Epoch = time.Date(2030, time.January, 1, 0, 0, 0, 0, time.UTC)

// NewClock returns a clock at Epoch.
func NewClock() *Clock {
	c := &Clock{now: Epoch}
	c.cond.L = &c.mu
	return c
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a timer that fires once the clock has been advanced by d.
func (c *Clock) NewTimer(d time.Duration) game.Timer {
	t := &timer{c: c, ch: make(chan time.Time), cancel: make(chan struct{})}
	t.Reset(d)
	return t
}

// Advance moves the clock forward by d and fires, in deadline order, every timer due by then;
// each fire waits until the timer's owner receives it. It then waits until each fired timer
// has been re-armed or stopped. A timer fires once per Advance however far d reaches past its
// deadline, as a real timer fires once however late its owner is: Advance(10*period) is a loop
// stalled for ten periods.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	var buf [8]fired
	due := buf[:0]
	for _, t := range c.timers {
		if !t.at.After(now) {
			due = append(due, fired{t, t.gen})
		}
	}
	slices.SortFunc(due, func(a, b fired) int { return a.t.at.Compare(b.t.at) })
	for _, f := range due {
		f.t.firing = true
		f.t.unlist()
	}
	c.mu.Unlock()

	for _, f := range due {
		c.mu.Lock()
		ch, cancel, firing := f.t.ch, f.t.cancel, f.t.firing
		c.mu.Unlock()
		if !firing {
			continue // re-armed or stopped meanwhile
		}
		select {
		case ch <- now:
		case <-cancel:
		}
		c.mu.Lock()
		if f.t.cancel == cancel {
			f.t.firing = false
		}
		c.mu.Unlock()
	}

	c.mu.Lock()
	for _, f := range due {
		for f.t.gen == f.gen {
			c.cond.Wait()
		}
	}
	c.mu.Unlock()
}

type fired struct {
	t   *timer
	gen uint64
}

// timer is a Clock's timer. Its fields are guarded by the clock's mutex.
type timer struct {
	c      *Clock
	ch     chan time.Time
	cancel chan struct{} // closed to call off a fire in flight
	at     time.Time
	listed bool   // in c.timers: armed
	firing bool   // Advance is handing a fire over
	gen    uint64 // counts Resets and Stops
}

func (t *timer) C() <-chan time.Time {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	return t.ch
}

func (t *timer) Reset(d time.Duration) {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	t.callOff()
	t.at = c.now.Add(d)
	if !t.listed {
		t.listed = true
		c.timers = append(c.timers, t)
	}
	t.gen++
	c.cond.Broadcast()
}

func (t *timer) Stop() {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	t.callOff()
	t.unlist()
	t.gen++
	c.cond.Broadcast()
}

// callOff makes sure a fire still in flight is never received: the owner is re-arming or
// stopping the timer, and a real timer drops a stale fire then too. The channels are replaced,
// so the owner's next wait is on a channel that only a new fire reaches.
func (t *timer) callOff() {
	if !t.firing {
		return
	}
	close(t.cancel)
	t.cancel = make(chan struct{})
	t.ch = make(chan time.Time)
	t.firing = false
}

func (t *timer) unlist() {
	if !t.listed {
		return
	}
	t.listed = false
	c := t.c
	if i := slices.Index(c.timers, t); i >= 0 {
		c.timers = slices.Delete(c.timers, i, i+1)
	}
}
