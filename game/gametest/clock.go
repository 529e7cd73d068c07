package gametest

import (
	"slices"
	"sync"
	"time"

	"github.com/tickwire/tickwire/game"
)

// Clock is a game.Clock whose time moves only when Advance or Pass is called.
//
// Its timers hand a fire over without a buffer, and Advance returns only once every timer it
// fired has been re-armed or stopped by its owner and no armed timer is due. A lobby re-arms
// its timer at its next tick's time once it has run the tick (or ticks) it woke for, so after
// clock.Advance(period) that tick has happened: its inputs are applied and its snapshots
// delivered. That holds wherever the lobby's goroutine was when the clock moved, even if it was
// re-arming its timer at the old next tick's time, now passed: such a timer is due, and Advance
// fires it again, as a real timer armed in the past fires at once. Fakes from clock libraries
// fire into a buffered channel and return at once, which leaves a test guessing when the tick
// ran; that hand-off is why this one is written here.
type Clock struct {
	mu     sync.Mutex
	cond   sync.Cond // broadcast when a timer is re-armed or stopped
	now    time.Time
	timers []*timer // armed timers
	fires  int      // fires received by timers' owners
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

// NewTimerAt returns a timer that fires once the clock has reached at: in the Advance that
// reaches it, or in the next Advance if at has already passed.
func (c *Clock) NewTimerAt(at time.Time) game.Timer {
	t := &timer{c: c, ch: make(chan time.Time), cancel: make(chan struct{})}
	t.ResetAt(at)
	return t
}

// Advance moves the clock forward by d and fires, in deadline order, every timer due by then;
// each fire waits until the timer's owner receives it, or re-arms or stops the timer instead.
// Advance then waits until each fired timer has been re-armed or stopped, and fires again any
// re-armed at a time already passed, until no armed timer is due. A timer fires once per
// Advance however far d reaches past its deadline, as a real timer fires once however late its
// owner is, as long as its owner re-arms it past the new time: Advance(10*period) is a loop
// stalled for ten periods, which catches up on its own and then waits for the next tick.
//
// Advance waits for the owners of the timers it fires, so an owner must not call it: it would
// wait for itself. An owner moves the clock with Pass.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	var buf [8]fired
	for {
		// Due timers are taken in the same critical section as the move of the clock (or the
		// last re-arm), so none is missed: an owner that sees the new time either finds its
		// timer firing or re-arms it due.
		due := c.takeDue(buf[:0])
		if len(due) == 0 {
			return
		}
		now := c.now
		c.mu.Unlock()
		for _, f := range due {
			c.handOver(f.t, now)
		}
		c.mu.Lock()
		for _, f := range due {
			for f.t.gen == f.gen {
				c.cond.Wait()
			}
		}
	}
}

// Fires returns how many fires the owners of the clock's timers have received: for a lobby,
// how many times its loop woke for its timer.
func (c *Clock) Fires() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fires
}

// Pass moves the clock forward by d without firing a timer and without waiting: time that
// passes while the calling goroutine works, such as a game step that costs time. It is how a
// timer's owner moves the clock. Timers that fall due fire when the Advance in progress (the
// one waiting for the owner, if any) next looks for due timers, or else in the next Advance.
func (c *Clock) Pass(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// takeDue unlists the armed timers due by now, marks them firing and appends them to due in
// deadline order. Called with c.mu held.
func (c *Clock) takeDue(due []fired) []fired {
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			due = append(due, fired{t, t.gen})
		}
	}
	slices.SortStableFunc(due, func(a, b fired) int { return a.t.at.Compare(b.t.at) })
	for _, f := range due {
		f.t.firing = true
		f.t.unlist()
	}
	return due
}

// handOver sends t's fire to its owner, unless the owner re-arms or stops t first.
func (c *Clock) handOver(t *timer, now time.Time) {
	c.mu.Lock()
	ch, cancel, firing := t.ch, t.cancel, t.firing
	c.mu.Unlock()
	if !firing {
		return // re-armed or stopped meanwhile
	}
	received := false
	select {
	case ch <- now:
		received = true
	case <-cancel:
	}
	c.mu.Lock()
	if received {
		c.fires++
	}
	if t.cancel == cancel {
		t.firing = false
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
	gen    uint64 // counts ResetAts and Stops
}

func (t *timer) C() <-chan time.Time {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	return t.ch
}

func (t *timer) ResetAt(at time.Time) {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	t.callOff()
	t.at = at
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
