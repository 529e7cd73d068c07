package game

import "time"

// Clock is the engine's source of time. Lobbies read Now for their schedule and wait on
// After, so tests drive them tick by tick with a fake clock and no sleeps.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real, monotonic clock.
type SystemClock struct{}

// Now returns time.Now, which carries a monotonic reading.
func (SystemClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
