package game

import "slices"

func (l *Lobby) join(m Member, spectate bool) (Seat, Info, error) {
	now := l.clock.Now()
	for _, s := range l.seats {
		if s.AccountID != m.AccountID() {
			continue
		}
		// The same account again: a reconnect takes its seat back, and a second connection
		// replaces the first.
		old := s.member
		l.inboxMu.Lock()
		s.member = m
		s.Connected = true
		l.inboxMu.Unlock()
		m.Joined(*s.public(), l.info())
		if old != nil && old != m {
			old.Event(Event{Kind: EventKicked, Lobby: l.id, Reason: "replaced by a newer connection"})
		}
		l.broadcastExcept(m, Event{Kind: EventPlayerReconnected, Lobby: l.id, Player: s.public()})
		l.publish()
		return *s.public(), l.info(), nil
	}
	if !spectate && l.players() >= l.maxPlayers {
		return Seat{}, Info{}, ErrLobbyFull
	}
	l.nextID++
	s := &seat{Seat: Seat{ID: l.nextID, AccountID: m.AccountID(), Name: m.Name(), Spectator: spectate, Connected: true}, member: m}
	if !spectate {
		p := Player{ID: s.ID, AccountID: s.AccountID, Name: s.Name}
		if err := l.game.Accept(p); err != nil {
			l.nextID--
			return Seat{}, Info{}, &Error{CodeRefused, err.Error()}
		}
		l.game.Join(p)
	}
	if l.host() == nil && !spectate {
		s.Host = true
	}
	l.inboxMu.Lock()
	l.seats = append(l.seats, s)
	l.inboxMu.Unlock()
	l.emptySince = now
	m.Joined(*s.public(), l.info())
	l.broadcastExcept(m, Event{Kind: EventPlayerJoined, Lobby: l.id, Player: s.public()})
	l.publish()
	return *s.public(), l.info(), nil
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
	l.inboxMu.Lock()
	s.member = nil
	s.Connected = false
	s.leftAt = l.clock.Now()
	l.inboxMu.Unlock()
	if s.Spectator {
		l.removeSeat(s, "disconnected")
		return
	}
	l.broadcast(Event{Kind: EventPlayerDisconnected, Lobby: l.id, Player: s.public()})
	l.publish()
}

func (l *Lobby) removeSeat(s *seat, reason string) {
	l.inboxMu.Lock()
	l.seats = slices.DeleteFunc(l.seats, func(x *seat) bool { return x == s })
	s.member = nil
	l.inboxMu.Unlock()
	if !s.Spectator {
		l.game.Leave(s.ID)
	}
	if s.Host {
		s.Host = false
		for _, o := range l.seats {
			if !o.Spectator && o.member != nil {
				o.Host = true
				break
			}
		}
	}
	l.broadcast(Event{Kind: EventPlayerLeft, Lobby: l.id, Player: s.public(), Reason: reason})
	l.publish()
}

func (l *Lobby) start(m Member) error {
	s := l.seatFor(m)
	if s == nil || !s.Host {
		return ErrNotHost
	}
	if l.state == StateRunning {
		return &Error{CodeInvalidRequest, "a round is already running"}
	}
	l.startRound(l.clock.Now())
	return nil
}

func (l *Lobby) kick(m Member, id PlayerID) error {
	s := l.seatFor(m)
	if s == nil || !s.Host {
		return ErrNotHost
	}
	for _, o := range l.seats {
		if o.ID == id && o != s {
			if o.member != nil {
				o.member.Event(Event{Kind: EventKicked, Lobby: l.id, Reason: "kicked by the host"})
			}
			l.removeSeat(o, "kicked")
			return nil
		}
	}
	return &Error{CodeNotFound, "no such player"}
}

func (l *Lobby) broadcastExcept(m Member, e Event) {
	for _, s := range l.seats {
		if s.member != nil && s.member != m {
			s.member.Event(e)
		}
	}
}
