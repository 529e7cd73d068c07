package gametest_test

import (
	"testing"
	"time"

	"github.com/tickwire/tickwire/game/gametest"
)

func TestAdvanceWaitsForTheOwnerToRearm(t *testing.T) {
	c := gametest.NewClock()
	tm := c.NewTimer(time.Second)
	fired := make(chan time.Time)
	proceed := make(chan struct{})
	go func() {
		fired <- <-tm.C()
		<-proceed // the owner's work
		tm.Reset(time.Second)
	}()
	c.Advance(999 * time.Millisecond)
	select {
	case <-fired:
		t.Fatal("fired early")
	default:
	}
	done := make(chan struct{})
	go func() { c.Advance(time.Millisecond); close(done) }()
	if at := <-fired; !at.Equal(gametest.Epoch.Add(time.Second)) {
		t.Errorf("fired at %v", at)
	}
	select {
	case <-done:
		t.Fatal("Advance returned before the owner re-armed")
	default:
	}
	close(proceed)
	<-done
	if got := c.Now(); !got.Equal(gametest.Epoch.Add(time.Second)) {
		t.Errorf("now = %v", got)
	}
}

func TestAFireInFlightIsCalledOffByReset(t *testing.T) {
	c := gametest.NewClock()
	a := c.NewTimer(time.Second)
	b := c.NewTimer(time.Second + time.Nanosecond) // fired after a; nobody receives it
	done := make(chan struct{})
	go func() { c.Advance(2 * time.Second); close(done) }()
	<-a.C() // Advance has taken both timers to fire; b's fire waits for a receiver
	b.Reset(time.Hour)
	a.Stop()
	<-done
	select {
	case <-b.C():
		t.Fatal("a stale fire arrived after Reset")
	default:
	}
	b.Stop()
	c.Advance(3 * time.Hour) // a stopped timer does not fire, and Advance does not wait for it
}
