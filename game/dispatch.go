package game

import (
	"slices"

	"github.com/vmihailenco/msgpack/v5"
)

// dispatcher is a lobby's Dispatcher, handed to its game in Config.Out.
type dispatcher struct{ l *Lobby }

var _ Dispatcher = dispatcher{}

// encode encodes a game event's data once for every member it goes to. A value the msgpack
// library cannot encode is the game's bug: it is logged and the event goes without data.
func (d dispatcher) encode(name string, data any) []byte {
	if data == nil {
		return nil
	}
	b, err := msgpack.Marshal(data)
	if err != nil {
		d.l.log.Error("game event data", "lobby", d.l.id, "game", d.l.gameName, "event", name, "err", err)
		return nil
	}
	return b
}

// Send implements Dispatcher.
func (d dispatcher) Send(to []PlayerID, name string, data any) {
	e := Event{Kind: eventGame, Lobby: d.l.id, Name: name, Data: d.encode(name, data)}
	for _, s := range d.l.seats {
		if s.member != nil && slices.Contains(to, s.ID) {
			s.member.Event(e)
		}
	}
}

// Broadcast implements Dispatcher.
func (d dispatcher) Broadcast(name string, data any) {
	d.l.broadcast(Event{Kind: eventGame, Lobby: d.l.id, Name: name, Data: d.encode(name, data)})
}

// Finish implements Dispatcher: a Rounds game's running round ends with these scores; any
// other game's match is told and recorded, and the lobby plays on.
func (d dispatcher) Finish(scores []Score) {
	l := d.l
	now := l.clock.Now()
	if l.rounds != nil && l.state == StateRunning {
		l.setState(StateFinished, now)
	}
	l.finish(scores, now)
	l.roundStart = now
}
