package game

import "testing"

// TestATickTakesOnlyInputsTicketedBeforeIt: an input that arrives while a tick goes from seat to
// seat waits for the next tick, so that no input is applied before one that arrived earlier.
func TestATickTakesOnlyInputsTicketedBeforeIt(t *testing.T) {
	a, b := &seat{limit: 8}, &seat{limit: 8}
	a.ID, b.ID = 1, 2
	l := &Lobby{seats: []*seat{a, b}}
	cut := arrivals.Load()
	// a's queue was taken just before its input came; b's got one before the tick and one after.
	a.inbox = []arrival{{ticket: cut + 2, seq: 7}}
	b.inbox = []arrival{{ticket: cut, seq: 1}, {ticket: cut + 1, seq: 2}}
	got := l.takeInputs()
	if len(got) != 1 || got[0].seat != b || got[0].seq != 1 {
		t.Fatalf("took %+v, want only b's input 1", got)
	}
	if len(a.inbox) != 1 || a.inbox[0].seq != 7 || len(b.inbox) != 1 || b.inbox[0].seq != 2 {
		t.Fatalf("left a %+v, b %+v; want a's 7 and b's 2 for the next tick", a.inbox, b.inbox)
	}
	arrivals.Add(2) // as if those two inputs had taken their tickets
	got = l.takeInputs()
	if len(got) != 2 || got[0].seq != 2 || got[1].seq != 7 {
		t.Fatalf("the next tick took %+v, want b's 2 then a's 7", got)
	}
}
