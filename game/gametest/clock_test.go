package gametest_test

import (
	"testing"
	"time"

	"github.com/tickwire/tickwire/game/gametest"
)

func TestAdvanceWaitsForTheOwnerToRearm(t *testing.T) {
	c := gametest.NewClock()
	tm := c.NewTimerAt(gametest.Epoch.Add(time.Second))
	fired := make(chan time.Time)
	proceed := make(chan struct{})
	go func() {
		fired <- <-tm.C()
		<-proceed // the owner's work
		tm.ResetAt(gametest.Epoch.Add(2 * time.Second))
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

func TestAFireInFlightIsCalledOffByResetAt(t *testing.T) {
	c := gametest.NewClock()
	a := c.NewTimerAt(gametest.Epoch.Add(time.Second))
	b := c.NewTimerAt(gametest.Epoch.Add(time.Second + time.Nanosecond)) // fired after a; nobody receives it
	done := make(chan struct{})
	go func() { c.Advance(2 * time.Second); close(done) }()
	<-a.C() // Advance has taken both timers to fire; b's fire waits for a receiver
	b.ResetAt(gametest.Epoch.Add(time.Hour))
	a.Stop()
	<-done
	select {
	case <-b.C():
		t.Fatal("a stale fire arrived after ResetAt")
	default:
	}
	b.Stop()
	c.Advance(3 * time.Hour) // a stopped timer does not fire, and Advance does not wait for it
}

func TestATimerReArmedInThePastFiresAgainInTheSameAdvance(t *testing.T) {
	// An owner that read Now just before the clock moved re-arms its timer at a time the
	// clock has passed; Advance must not return on that re-arm, since nothing ran.
	c := gametest.NewClock()
	deadline := gametest.Epoch.Add(time.Second)
	tm := c.NewTimerAt(deadline)
	done := make(chan struct{})
	go func() { c.Advance(time.Second); close(done) }()
	<-tm.C()
	tm.ResetAt(deadline) // as if the fire had been missed
	<-tm.C()             // Advance fires it again
	select {
	case <-done:
		t.Fatal("Advance returned with a timer due")
	default:
	}
	tm.ResetAt(deadline.Add(time.Second))
	<-done
}

func TestAFireInFlightReArmedInThePastIsStillDelivered(t *testing.T) {
	c := gametest.NewClock()
	a := c.NewTimerAt(gametest.Epoch.Add(time.Second))
	b := c.NewTimerAt(gametest.Epoch.Add(time.Second + time.Nanosecond))
	done := make(chan struct{})
	go func() { c.Advance(2 * time.Second); close(done) }()
	<-a.C()                                    // b's fire is in flight, waiting for a receiver
	b.ResetAt(gametest.Epoch.Add(time.Second)) // calls it off, and b is due again
	a.Stop()
	if at := <-b.C(); !at.Equal(gametest.Epoch.Add(2 * time.Second)) {
		t.Errorf("b fired at %v", at)
	}
	b.Stop()
	<-done
}

func TestATimerMadeInThePastFiresOnTheNextAdvance(t *testing.T) {
	c := gametest.NewClock()
	c.Advance(time.Second)
	tm := c.NewTimerAt(gametest.Epoch) // a lobby made just before the clock moved
	done := make(chan struct{})
	go func() { c.Advance(0); close(done) }()
	<-tm.C()
	tm.Stop()
	<-done
}

func TestPassMovesTimeWithoutFiringAndAnAdvanceInProgressCatchesUp(t *testing.T) {
	c := gametest.NewClock()
	a := c.NewTimerAt(gametest.Epoch.Add(time.Second))
	b := c.NewTimerAt(gametest.Epoch.Add(3 * time.Second))
	c.Pass(5 * time.Second) // fires nothing, waits for nothing
	if got := c.Now(); !got.Equal(gametest.Epoch.Add(5 * time.Second)) {
		t.Fatalf("now = %v", got)
	}
	select {
	case <-a.C():
		t.Fatal("Pass fired a timer")
	default:
	}
	a.ResetAt(gametest.Epoch.Add(6 * time.Second))
	b.ResetAt(gametest.Epoch.Add(7 * time.Second))

	// a's owner works for two seconds on its fire: b falls due meanwhile, and the Advance
	// that woke a fires b too before it returns.
	done := make(chan struct{})
	go func() { c.Advance(time.Second); close(done) }()
	<-a.C()
	c.Pass(2 * time.Second)
	a.ResetAt(gametest.Epoch.Add(9 * time.Second))
	if at := <-b.C(); !at.Equal(gametest.Epoch.Add(8 * time.Second)) {
		t.Errorf("b fired at %v", at)
	}
	b.Stop()
	<-done
}
