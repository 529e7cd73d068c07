package server

import (
	"context"
	"slices"
	"sync"

	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/server/wire"
)

// connSet indexes the open sockets by session, account and client address, for kicks and for
// the per-account and per-address limits. An account or session holds few sockets (the
// per-account limit), so each index maps to a short slice rather than to a set: a slice of one
// costs a socket a few bytes where a map costs a hundred and more.
//
// Lock order: connSet.mu before conn.mu.
type connSet struct {
	mu        sync.Mutex
	all       map[*conn]struct{}
	bySession map[string][]*conn
	byAccount map[string][]*conn
	byAddr    map[string]int
	closed    bool          // closeAll was called: no more admissions
	drained   chan struct{} // closed when all is empty after closeAll
}

func newConnSet() *connSet {
	return &connSet{all: map[*conn]struct{}{}, bySession: map[string][]*conn{},
		byAccount: map[string][]*conn{}, byAddr: map[string]int{}}
}

// admit reserves a place for a connection of c's account from c's address, or names the limit
// it passes ("server", "account", "address"), or "shutting_down".
func (cs *connSet) admit(c *conn, cfg *Config) string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	switch {
	case cs.closed:
		return "shutting_down"
	case len(cs.all) >= cfg.MaxConns:
		return "server"
	case len(cs.byAccount[c.accountID]) >= cfg.MaxConnsPerAcct:
		return "account"
	case cs.byAddr[c.addr] >= cfg.MaxConnsPerAddr:
		return "address"
	}
	cs.all[c] = struct{}{}
	cs.bySession[c.sid] = append(cs.bySession[c.sid], c) // c is not shared yet: no c.mu needed
	cs.byAccount[c.accountID] = append(cs.byAccount[c.accountID], c)
	cs.byAddr[c.addr]++
	return ""
}

func del(m map[string][]*conn, k string, c *conn) {
	s := slices.DeleteFunc(m[k], func(x *conn) bool { return x == c })
	if len(s) == 0 {
		delete(m, k)
	} else {
		m[k] = s
	}
}

// moveSession re-files c under session sid, after a reauth with a token of another session.
func (cs *connSet) moveSession(c *conn, sid string) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c.mu.Lock()
	old := c.sid
	c.sid = sid
	c.mu.Unlock()
	if _, ok := cs.all[c]; !ok || old == sid {
		return
	}
	del(cs.bySession, old, c)
	cs.bySession[sid] = append(cs.bySession[sid], c)
}

func (cs *connSet) remove(c *conn) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if _, ok := cs.all[c]; !ok {
		return
	}
	delete(cs.all, c)
	del(cs.bySession, c.sessionID(), c)
	del(cs.byAccount, c.accountID, c)
	if cs.byAddr[c.addr]--; cs.byAddr[c.addr] <= 0 {
		delete(cs.byAddr, c.addr)
	}
	if len(cs.all) == 0 && cs.drained != nil {
		close(cs.drained)
		cs.drained = nil
	}
}

// list returns the sockets filed under k in m (bySession or byAccount).
func (cs *connSet) list(m map[string][]*conn, k string) []*conn {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return slices.Clone(m[k])
}

func (cs *connSet) count() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.all)
}

// closeAll refuses further admissions and starts a closing handshake on every socket. It does
// not wait; wait does.
func (cs *connSet) closeAll(code int, reason string) {
	cs.mu.Lock()
	cs.closed = true
	conns := make([]*conn, 0, len(cs.all))
	for c := range cs.all {
		conns = append(conns, c)
	}
	if len(cs.all) > 0 {
		cs.drained = make(chan struct{})
	}
	cs.mu.Unlock()
	for _, c := range conns {
		c.closeWith(code, reason)
	}
}

// wait returns when every socket has gone or ctx ends.
func (cs *connSet) wait(ctx context.Context) {
	cs.mu.Lock()
	ch := cs.drained
	cs.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case <-ch:
	case <-ctx.Done():
	}
}

// onSessionEnded closes the live sockets of an ended session, or of a banned account, 4003,
// and in a cluster tells every other node to close theirs. auth calls it after the end is
// committed; it does not block.
func (s *Server) onSessionEnded(e auth.Ended) {
	s.closeEnded(e)
	s.publishEnded(e)
}

// closeEnded closes this node's live sockets of an ended session, or of a banned account,
// 4003.
func (s *Server) closeEnded(e auth.Ended) {
	var conns []*conn
	if e.SessionID != "" {
		conns = s.conns.list(s.conns.bySession, e.SessionID)
	} else {
		conns = s.conns.list(s.conns.byAccount, e.AccountID)
	}
	for _, c := range conns {
		if c.t.Close(wire.CloseRevoked, "session revoked: "+e.Reason) {
			s.metrics.kicks.WithLabelValues(e.Reason).Inc()
		}
	}
}
