package server

import (
	"context"
	"sync"
)

// connSet indexes the open sockets by session, account and client address, for kicks and for
// the per-account and per-address limits.
type connSet struct {
	mu        sync.Mutex
	all       map[*conn]struct{}
	bySession map[string]map[*conn]struct{}
	byAccount map[string]map[*conn]struct{}
	byAddr    map[string]int
	drained   chan struct{} // closed when all is empty after closeAll
}

func newConnSet() *connSet {
	return &connSet{all: map[*conn]struct{}{}, bySession: map[string]map[*conn]struct{}{},
		byAccount: map[string]map[*conn]struct{}{}, byAddr: map[string]int{}}
}

// admit reserves a place for a connection of account from addr, or names the limit it passes.
func (cs *connSet) admit(c *conn, cfg *Config) string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	switch {
	case len(cs.all) >= cfg.MaxConns:
		return "server"
	case len(cs.byAccount[c.accountID]) >= cfg.MaxConnsPerAcct:
		return "account"
	case cs.byAddr[c.addr] >= cfg.MaxConnsPerAddr:
		return "address"
	}
	cs.all[c] = struct{}{}
	add(cs.bySession, c.sessionID(), c)
	add(cs.byAccount, c.accountID, c)
	cs.byAddr[c.addr]++
	return ""
}

func add(m map[string]map[*conn]struct{}, k string, c *conn) {
	s := m[k]
	if s == nil {
		s = map[*conn]struct{}{}
		m[k] = s
	}
	s[c] = struct{}{}
}

func del(m map[string]map[*conn]struct{}, k string, c *conn) {
	if s := m[k]; s != nil {
		delete(s, c)
		if len(s) == 0 {
			delete(m, k)
		}
	}
}

// moveSession re-files c under a new session id after a reauth from another session.
func (cs *connSet) moveSession(c *conn, from, to string) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if _, ok := cs.all[c]; !ok {
		return
	}
	del(cs.bySession, from, c)
	add(cs.bySession, to, c)
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

func (cs *connSet) list(m map[string]map[*conn]struct{}, k string) []*conn {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	out := make([]*conn, 0, len(m[k]))
	for c := range m[k] {
		out = append(out, c)
	}
	return out
}

func (cs *connSet) count() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.all)
}

// closeAll starts a closing handshake on every socket.
func (cs *connSet) closeAll(code int, reason string) {
	cs.mu.Lock()
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
