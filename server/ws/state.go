package ws

// state is where a Conn is in its life, seen from the closing handshake (RFC 6455 §7). It
// changes only under Conn.mu, through next; the reader and Closing read it without the lock.
//
//	state      what it means
//	open       frames flow both ways
//	closing    this side closed: its close frame goes out after the frame being written, and
//	           the reader discards what comes until the peer's close frame, or until closeWait
//	           passes
//	finishing  reading is over: the peer closed (it gets its own code back), broke the
//	           protocol (it gets the code for that), or answered our close frame; the writer
//	           sends the close frame owed, if any, and the connection is dropped, within
//	           closeWait however stuck the writer is
//	closed     the connection is dropped, or broke: nothing more is read or written
//
// The events, and what each does in each state (a dash: nothing, the state stays; n/a: it
// cannot happen there, as the reader has stopped):
//
//	event                           open                       closing             finishing  closed
//	Close (this side)               closing, close frame owed  -                   -          -
//	the peer's close frame          finishing, its code owed   finishing           n/a        n/a
//	a frame that breaks RFC 6455    finishing, its code owed   finishing           n/a        n/a
//	reading ends (EOF, error, the   closed, no close frame     closed              n/a        n/a
//	read deadline)
//	a write fails or times out      closed                     closed              closed     -
//	the reader's cleanup drops it   closed                     closed              closed     -
//
// In open, data frames reach the handler and Send and SendLatest write; in every other state
// data frames are discarded and Send and SendLatest drop what they are given. Close reports true
// only for the call that took the Conn out of open.
type state uint32

const (
	stateOpen state = iota
	stateClosing
	stateFinishing
	stateClosed
)

var stateNames = [...]string{"open", "closing", "finishing", "closed"}

func (s state) String() string { return stateNames[s] }

// event is what moves a Conn from one state to the next.
type event uint8

const (
	evClose     event = iota // this side closes: Close, or a limit the peer passed
	evPeerClose              // the peer's close frame
	evViolation              // a frame that breaks RFC 6455
	evReadEnd                // reading ended without a close frame: EOF, an error, the deadline
	evWriteFail              // a write failed or timed out: the stream is unusable
	evDrop                   // cleanup drops the connection
)

var eventNames = [...]string{"close", "peer close", "violation", "read end", "write fail", "drop"}

func (e event) String() string { return eventNames[e] }

// next is the state that e leads to from s, and whether the move makes a close frame owed: this
// side's, or the answer to the peer's.
func (s state) next(e event) (state, bool) {
	switch e {
	case evClose:
		if s == stateOpen {
			return stateClosing, true
		}
	case evPeerClose, evViolation:
		switch s {
		case stateOpen:
			return stateFinishing, true
		case stateClosing:
			return stateFinishing, false
		}
	case evReadEnd:
		if s == stateOpen || s == stateClosing {
			return stateClosed, false
		}
	case evWriteFail, evDrop:
		return stateClosed, false
	}
	return s, false
}
