package game

import (
	"fmt"
	"slices"

	"github.com/tickwire/tickwire/server/wire"
)

// join seats m, or gives m back the seat its account holds. Runs on the loop goroutine.
func (l *Lobby) join(m Member, spectate bool) (Seat, Info, error) {
	now := l.clock.Now()
	if s := l.seatOfAccount(m.AccountID()); s != nil {
		// The same account again: a reconnect takes its seat back (in the seat's role,
		// whatever it asked), and a second connection replaces the first. Input sequence
		// numbers are per connection, so the ack starts over.
		old := s.member
		if old == nil && l.conns != nil && !s.Spectator {
			l.conns.Reconnected(s.ID)
		}
		l.setMember(s, m)
		s.Connected = true
		s.ack = 0
		if a := clientAddr(m); a != "" {
			s.addr = a
		}
		l.emptySince = now
		// The summary others read is published before the member hears it joined, so a
		// lobby list fetched after joined always counts it.
		l.publish()
		info := l.info()
		m.Joined(s.Seat, info)
		if old != nil && old != m {
			old.Event(Event{Kind: wire.EventKicked, Lobby: l.id, Reason: "replaced by a newer connection"})
		}
		l.broadcastExcept(m, Event{Kind: wire.EventPlayerReconnected, Lobby: l.id, Player: s.public()})
		return s.Seat, info, nil
	}
	if l.awaitFirst != "" {
		if m.AccountID() != l.awaitFirst {
			return Seat{}, Info{}, ErrNotFound // the lobby is not open to others yet
		}
		l.awaitFirst = ""
		spectate = false
	}
	if slices.Contains(l.kicked, m.AccountID()) {
		return Seat{}, Info{}, ErrKicked
	}
	if a := clientAddr(m); a != "" && m.AccountID() != l.owner && slices.Contains(l.kickedAddr, a) {
		return Seat{}, Info{}, ErrKicked // a new account from the kicked player's address
	}
	if spectate && l.spectators() >= l.limits.MaxSpectators {
		return Seat{}, Info{}, ErrNoSpectators
	}
	if !spectate && l.players() >= l.maxPlayers {
		return Seat{}, Info{}, ErrLobbyFull
	}
	s := &seat{Seat: Seat{ID: l.nextID + 1, AccountID: m.AccountID(), Name: m.Name(), Spectator: spectate, Connected: true},
		member: m, limit: l.limits.InputQueue, bytes: l.limits.InputBytes, addr: clientAddr(m)}
	s.ref = s
	if err := l.game.Join(s.player()); err != nil {
		return Seat{}, Info{}, refusal(err, wire.CodeRefused)
	}
	if !spectate {
		// Quick-join lobbies run themselves and have no host; in any other, the first player
		// (its creator) is host, and the host's place passes on when it leaves.
		s.Host = !l.quick && l.host() == nil
	}
	l.nextID = s.ID
	l.seatsMu.Lock()
	l.seats = append(l.seats, s)
	l.seatsMu.Unlock()
	l.connect()
	l.emptySince = now
	l.listed.Store(true)
	l.publish()
	info := l.info()
	m.Joined(s.Seat, info)
	l.broadcastExcept(m, Event{Kind: wire.EventPlayerJoined, Lobby: l.id, Player: s.public()})
	return s.Seat, info, nil
}

// player is the seat as its game sees it.
func (s *seat) player() Player {
	return Player{ID: s.ID, AccountID: s.AccountID, Name: s.Name, Spectator: s.Spectator}
}

func (s *seat) public() *Seat {
	c := s.Seat
	return &c
}

func (l *Lobby) host() *seat {
	for _, s := range l.seats {
		if s.Host {
			return s
		}
	}
	return nil
}

func (l *Lobby) seatFor(m Member) *seat {
	for _, s := range l.seats {
		if s.member == m {
			return s
		}
	}
	return nil
}

func (l *Lobby) seatOfAccount(account string) *seat {
	for _, s := range l.seats {
		if s.AccountID == account {
			return s
		}
	}
	return nil
}

// reasonLeft is the player_left reason of a seat given up on purpose, the one Game.Leave hears
// as consented.
const reasonLeft = "left"

func (l *Lobby) leave(m Member, reason string) {
	if s := l.seatFor(m); s != nil {
		l.removeSeat(s, reason)
	}
}

func (l *Lobby) disconnect(m Member) {
	s := l.seatFor(m)
	if s == nil {
		return
	}
	if s.Spectator {
		l.removeSeat(s, "disconnected")
		return
	}
	l.setMember(s, nil)
	s.Connected = false
	s.leftAt = l.clock.Now()
	if l.conns != nil {
		l.conns.Disconnected(s.ID)
	}
	l.broadcast(Event{Kind: wire.EventPlayerDisconnected, Lobby: l.id, Player: s.public()})
	l.publish()
}

// removeSeat gives up s for good and tells the others why.
func (l *Lobby) removeSeat(s *seat, reason string) {
	l.seatsMu.Lock()
	if i := slices.Index(l.seats, s); i >= 0 {
		l.seats = slices.Delete(l.seats, i, i+1)
	}
	l.seatsMu.Unlock()
	l.setMember(s, nil)
	s.Connected = false
	l.game.Leave(s.ID, reason == reasonLeft)
	l.broadcast(Event{Kind: wire.EventPlayerLeft, Lobby: l.id, Player: s.public(), Reason: reason})
	if s.Host {
		// The host's place passes to the longest-seated connected player.
		s.Host = false
		for _, o := range l.seats {
			if !o.Spectator && o.member != nil {
				o.Host = true
				l.broadcast(Event{Kind: wire.EventHostChanged, Lobby: l.id, Player: o.public()})
				break
			}
		}
	}
	l.publish()
}

func (l *Lobby) start(m Member) error {
	s := l.seatFor(m)
	if s == nil || !s.Host {
		return ErrNotHost
	}
	if l.rounds == nil {
		return &wire.Error{Code: wire.CodeInvalidRequest, Message: "this game does not play in rounds"}
	}
	if l.state == StateRunning {
		return &wire.Error{Code: wire.CodeInvalidRequest, Message: "a round is already running"}
	}
	if n := l.players(); n < l.minPlayers {
		return &wire.Error{Code: wire.CodeInvalidRequest, Message: fmt.Sprintf("a round needs %d players; %d are seated", l.minPlayers, n)}
	}
	l.startRound(l.clock.Now())
	return nil
}

func (l *Lobby) kick(m Member, id PlayerID) error {
	s := l.seatFor(m)
	if s == nil || !s.Host {
		return ErrNotHost
	}
	if s.ID == id {
		return &wire.Error{Code: wire.CodeInvalidRequest, Message: "the host cannot kick itself; leave instead"}
	}
	i := slices.IndexFunc(l.seats, func(o *seat) bool { return o.ID == id })
	if i < 0 {
		return &wire.Error{Code: wire.CodeNotFound, Message: "no such player in this lobby"}
	}
	o := l.seats[i]
	if len(l.kicked) == maxKicked {
		l.kicked = slices.Delete(l.kicked, 0, 1)
	}
	l.kicked = append(l.kicked, o.AccountID)
	if a := o.addr; a != "" && !slices.Contains(l.kickedAddr, a) {
		if len(l.kickedAddr) == maxKicked {
			l.kickedAddr = slices.Delete(l.kickedAddr, 0, 1)
		}
		l.kickedAddr = append(l.kickedAddr, a)
	}
	if o.member != nil {
		o.member.Event(Event{Kind: wire.EventKicked, Lobby: l.id, Reason: "kicked by the host"})
	}
	l.removeSeat(o, "kicked")
	return nil
}
