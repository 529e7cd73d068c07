package game

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

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

// TestMessagesKeepTheirBytesAcrossATick: messages held in their arrival and longer ones held
// in the seat's buffer come out in order and whole, also when a latecomer stays behind.
func TestMessagesKeepTheirBytesAcrossATick(t *testing.T) {
	s := &seat{limit: 8, bytes: 1 << 10}
	m := &testMember{}
	s.member, s.ref = m, s
	l := &Lobby{seats: []*seat{s}}
	short, long := []byte("short message"), bytes.Repeat([]byte("L"), inlineMsg+9)
	for i, msg := range [][]byte{short, long, short, long} {
		if !l.Input(&s.Seat, m, Input{Seq: uint32(i + 1), Msg: msg}) {
			t.Fatalf("input %d refused", i+1)
		}
		if i == 1 {
			// The third and fourth inputs come in after the tick's cut.
			got := l.takeInputs()
			if len(got) != 2 || !bytes.Equal(l.inbuf[got[0].off:got[0].off+got[0].n], short) || !bytes.Equal(l.inbuf[got[1].off:got[1].off+got[1].n], long) {
				t.Fatalf("took %+v from %q", got, l.inbuf)
			}
		}
	}
	if s.held != len(short)+len(long) || len(s.buf) != len(long) {
		t.Fatalf("held %d bytes, %d in the buffer", s.held, len(s.buf))
	}
	got := l.takeInputs()
	if len(got) != 2 || got[0].seq != 3 || !bytes.Equal(l.inbuf[got[0].off:got[0].off+got[0].n], short) || !bytes.Equal(l.inbuf[got[1].off:got[1].off+got[1].n], long) {
		t.Fatalf("the next tick took %+v from %q", got, l.inbuf)
	}
	if s.held != 0 || len(s.buf) != 0 {
		t.Fatalf("%d bytes still held", s.held)
	}
}

// testMember is a Member that takes everything and keeps nothing.
type testMember struct{}

func (*testMember) AccountID() string { return "t" }
func (*testMember) Name() string      { return "t" }
func (*testMember) Joined(Seat, Info) {}
func (*testMember) Snapshot(Snapshot) {}
func (*testMember) Event(Event)       {}

// TestInputsAreSortedByTicket: a tick's batch comes out in ticket order, short or long,
// whatever order the seats gave it in.
func TestInputsAreSortedByTicket(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 8, 16, 17, 64} {
		batch := make([]queuedInput, n)
		for i, p := range rng.Perm(n) {
			batch[i] = queuedInput{ticket: uint64(p), seq: uint32(p)}
		}
		sortByTicket(batch)
		for i, q := range batch {
			if q.ticket != uint64(i) || q.seq != uint32(i) {
				t.Fatalf("n=%d: at %d ticket %d seq %d", n, i, q.ticket, q.seq)
			}
		}
	}
}
