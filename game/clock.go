package game

import "time"

// Clock is the engine's source of time. A lobby reads Now for its schedule and waits on one
// reusable Timer, so a loop allocates nothing per tick and tests drive it tick by tick with a
// clock they step by hand (game/gametest), without sleeping.
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that fires once after d.
	NewTimer(d time.Duration) Timer
}

// Timer is a reusable one-shot timer.
type Timer interface {
	// C returns the channel the timer fires on. It may change on Reset or Stop, so callers
	// read it afresh before each wait.
	C() <-chan time.Time
	// Reset arms the timer to fire once after d; a fire not yet received is discarded.
	Reset(d time.Duration)
	// Stop disarms the timer; a fire not yet received is discarded.
	Stop()
}

// SystemClock is the real, monotonic clock.
type SystemClock struct{}

// Now returns time.Now, which carries a monotonic reading.
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer returns a time.Timer. Since Go 1.23 its Reset and Stop discard a stale fire, which
// is the Timer contract.
func (SystemClock) NewTimer(d time.Duration) Timer { return systemTimer{time.NewTimer(d)} }

type systemTimer struct{ t *time.Timer }

func (s systemTimer) C() <-chan time.Time   { return s.t.C }
func (s systemTimer) Reset(d time.Duration) { s.t.Reset(d) }
func (s systemTimer) Stop()                 { s.t.Stop() }
