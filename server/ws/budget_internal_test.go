package ws

import (
	"testing"
	"time"
)

func TestFrameBudget(t *testing.T) {
	var b frameBudget
	now := time.Now()
	for i := range 10 {
		if !b.allow(now, 100, 10) {
			t.Fatalf("frame %d of a burst of 10 refused", i+1)
		}
	}
	if b.allow(now, 100, 10) {
		t.Fatal("the 11th frame of a burst of 10 passed")
	}
	// 100 per second refills one token in 10 ms, and never more than the burst.
	if !b.allow(now.Add(10*time.Millisecond), 100, 10) || b.allow(now.Add(10*time.Millisecond), 100, 10) {
		t.Fatal("10 ms did not refill exactly one token")
	}
	later := now.Add(time.Hour)
	n := 0
	for b.allow(later, 100, 10) {
		n++
	}
	if n != 10 {
		t.Fatalf("after an hour %d frames passed, want the burst of 10", n)
	}
	// A steady 100 per second passes forever.
	for i := range 1000 {
		if !b.allow(later.Add(time.Duration(i+1)*10*time.Millisecond), 100, 10) {
			t.Fatalf("steady frame %d refused", i)
		}
	}
}
