package game

import "time"

// Clock is the engine's source of time. A lobby reads Now for its schedule and waits on one
// reusable Timer, so a loop allocates nothing per tick and tests drive it tick by tick with a
// clock they step by hand (game/gametest), without sleeping.
//
// Timers are armed at an instant, not after a duration: a lobby's schedule is a series of
// instants, and a duration worked out from an earlier Now is stale by however far the clock
// moved before the timer was armed. On the real clock that is the few nanoseconds between the
// two calls; on a stepped clock it can be a whole step, which would put the tick a step late.
type Clock interface {
	Now() time.Time
	// NewTimerAt returns a timer that fires once at the time at, at once if at has passed.
	NewTimerAt(at time.Time) Timer
}

// Timer is a reusable one-shot timer.
type Timer interface {
	// C returns the channel the timer fires on. It may change on ResetAt or Stop, so callers
	// read it afresh before each wait.
	C() <-chan time.Time
	// ResetAt arms the timer to fire once at the time at, at once if at has passed; a fire not
	// yet received is discarded.
	ResetAt(at time.Time)
	// Stop disarms the timer; a fire not yet received is discarded.
	Stop()
}

// SystemClock is the real, monotonic clock.
type SystemClock struct{}

// Now returns time.Now, which carries a monotonic reading.
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimerAt returns a time.Timer. Since Go 1.23 its Reset and Stop discard a stale fire, which
// is the Timer contract. An at taken from Now (plus a duration) keeps its monotonic reading, so
// time.Until measures on the monotonic clock.
func (SystemClock) NewTimerAt(at time.Time) Timer { return systemTimer{time.NewTimer(time.Until(at))} }

type systemTimer struct{ t *time.Timer }

func (s systemTimer) C() <-chan time.Time  { return s.t.C }
func (s systemTimer) ResetAt(at time.Time) { s.t.Reset(time.Until(at)) }
func (s systemTimer) Stop()                { s.t.Stop() }
