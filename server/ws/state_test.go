package ws

import "testing"

// TestStateTransitions checks next against the table of state.go, every state with every event.
func TestStateTransitions(t *testing.T) {
	const (
		open, closing, finishing, closed = stateOpen, stateClosing, stateFinishing, stateClosed
	)
	type to struct {
		s    state
		owes bool
	}
	for _, c := range []struct {
		from state
		on   event
		want to
	}{
		{open, evClose, to{closing, true}},
		{open, evPeerClose, to{finishing, true}},
		{open, evViolation, to{finishing, true}},
		{open, evReadEnd, to{closed, false}},
		{open, evWriteFail, to{closed, false}},
		{open, evDrop, to{closed, false}},

		{closing, evClose, to{closing, false}},
		{closing, evPeerClose, to{finishing, false}},
		{closing, evViolation, to{finishing, false}},
		{closing, evReadEnd, to{closed, false}},
		{closing, evWriteFail, to{closed, false}},
		{closing, evDrop, to{closed, false}},

		{finishing, evClose, to{finishing, false}},
		{finishing, evPeerClose, to{finishing, false}},
		{finishing, evViolation, to{finishing, false}},
		{finishing, evReadEnd, to{finishing, false}},
		{finishing, evWriteFail, to{closed, false}},
		{finishing, evDrop, to{closed, false}},

		{closed, evClose, to{closed, false}},
		{closed, evPeerClose, to{closed, false}},
		{closed, evViolation, to{closed, false}},
		{closed, evReadEnd, to{closed, false}},
		{closed, evWriteFail, to{closed, false}},
		{closed, evDrop, to{closed, false}},
	} {
		t.Run(c.from.String()+" on "+c.on.String(), func(t *testing.T) {
			s, owes := c.from.next(c.on)
			if s != c.want.s || owes != c.want.owes {
				t.Fatalf("next = %s, owes a close frame %v; want %s, %v", s, owes, c.want.s, c.want.owes)
			}
		})
	}
}

// TestOnlyOpenLeavesOnce: every event takes a Conn out of open, none leads back to it, and
// only the move out of open makes a close frame owed, so that at most one is ever sent.
func TestOnlyOpenLeavesOnce(t *testing.T) {
	for s := stateOpen; s <= stateClosed; s++ {
		for e := evClose; e <= evDrop; e++ {
			n, owes := s.next(e)
			if n == stateOpen {
				t.Fatalf("%s on %s leads to open", s, e)
			}
			if owes && s != stateOpen {
				t.Fatalf("%s on %s owes a second close frame", s, e)
			}
		}
	}
}
