package wire

import (
	"github.com/vmihailenco/msgpack/v5"
)

// Protocol is the protocol version announced in welcome.
const Protocol = 1

// Subprotocol is the WebSocket subprotocol the server answers with.
const Subprotocol = "tickwire.v1"

// BearerPrefix starts the subprotocol entry that carries a browser's access token.
const BearerPrefix = "bearer."

// Envelope is every frame on the wire. D stays raw until the type is known, so that it is
// decoded once, into the payload struct that type names.
type Envelope struct {
	T  string             `msgpack:"t"`
	ID uint64             `msgpack:"id,omitempty"`
	D  msgpack.RawMessage `msgpack:"d,omitempty"`
}

// Ping asks for a pong; C is the client's clock in ms, echoed back.
type Ping struct {
	C int64 `msgpack:"c"`
}

// Pong answers a ping with the client's and the server's clocks in ms.
type Pong struct {
	C int64 `msgpack:"c"`
	S int64 `msgpack:"s"`
}

// Create asks for a new lobby that the sender hosts and joins.
type Create struct {
	Name       string `msgpack:"name,omitempty"`
	Private    bool   `msgpack:"private,omitempty"`
	MaxPlayers int    `msgpack:"max_players,omitempty"`
	TickRate   int    `msgpack:"tick_rate,omitempty"`
	Game       string `msgpack:"game,omitempty"`
	// Options are the game's create options by name (its Definition.Options).
	Options map[string]any `msgpack:"options,omitempty"`
}

// Join asks to join a lobby by id, by join code, or by quick join; exactly one is set.
// Spectate joins without a seat: snapshots, no input. Game, with Quick only, names the game
// whose lobbies a quick join looks in (and whose lobby it opens); empty means the default game.
type Join struct {
	Lobby    string `msgpack:"lobby,omitempty"`
	Code     string `msgpack:"code,omitempty"`
	Quick    bool   `msgpack:"quick,omitempty"`
	Spectate bool   `msgpack:"spectate,omitempty"`
	Game     string `msgpack:"game,omitempty"`
}

// Input is the envelope's part of an input frame's payload: Seq increases per connection and
// comes back as a snapshot's ack once the input has been applied. The payload's other fields
// are the game's own (game.Game's Input reads them); the wire knows none of them.
type Input struct {
	Seq uint32 `msgpack:"seq"`
}

// Reauth carries a fresh access token for the open connection.
type Reauth struct {
	Token string `msgpack:"token"`
}

// Kick asks the host to remove a player from its lobby.
type Kick struct {
	Player uint32 `msgpack:"player"`
}

// Account names who a connection is.
type Account struct {
	ID       string `msgpack:"id"`
	Username string `msgpack:"username"`
}

// Welcome is the first frame on every connection.
type Welcome struct {
	Protocol   int     `msgpack:"protocol"`
	Account    Account `msgpack:"account"`
	Exp        int64   `msgpack:"exp"`
	ServerTime int64   `msgpack:"server_time"`
}

// PlayerInfo describes one seat in a lobby.
type PlayerInfo struct {
	ID        uint32 `msgpack:"id"`
	Name      string `msgpack:"name"`
	Host      bool   `msgpack:"host,omitempty"`
	Spectator bool   `msgpack:"spectator,omitempty"`
	Connected bool   `msgpack:"connected"`
}

// LobbyInfo describes a lobby to its members.
type LobbyInfo struct {
	ID         string       `msgpack:"id"`
	Name       string       `msgpack:"name"`
	Game       string       `msgpack:"game"`
	Code       string       `msgpack:"code,omitempty"`
	State      string       `msgpack:"state"`
	TickRate   int          `msgpack:"tick_rate"`
	MaxPlayers int          `msgpack:"max_players"`
	Players    []PlayerInfo `msgpack:"players"`
}

// Joined answers create and join.
type Joined struct {
	Lobby  LobbyInfo `msgpack:"lobby"`
	Player uint32    `msgpack:"player"`
}

// Left answers leave.
type Left struct {
	Lobby string `msgpack:"lobby"`
}

// Event tells members of something that happened in their lobby. Kind is one of the Event*
// constants; the other fields are set as the kind needs.
type Event struct {
	Kind string `msgpack:"kind"`
	// Lobby, Name and Data are a game event's (kind game): its lobby, its name and its
	// data, any msgpack value the game chose.
	Lobby  string             `msgpack:"lobby,omitempty"`
	Name   string             `msgpack:"name,omitempty"`
	Data   msgpack.RawMessage `msgpack:"data,omitempty"`
	Player *PlayerInfo        `msgpack:"player,omitempty"`
	State  string             `msgpack:"state,omitempty"`
	Reason string             `msgpack:"reason,omitempty"`
	Scores []Score            `msgpack:"scores,omitempty"`
	Extra  map[string]any     `msgpack:"extra,omitempty"`
}

// Score is one player's result in a round.
type Score struct {
	Player uint32 `msgpack:"player"`
	Name   string `msgpack:"name"`
	Score  int    `msgpack:"score"`
}

// ReauthRequired warns that the connection's token expires at Exp (unix seconds).
type ReauthRequired struct {
	Exp int64 `msgpack:"exp"`
}

// ReauthOK confirms a reauth; the connection now expires at Exp.
type ReauthOK struct {
	Exp int64 `msgpack:"exp"`
}

// NewPayload returns a pointer to a new payload struct for message type t, or nil for a type
// that carries no payload (leave, start, ok), for snapshot (whose fields are the game's), and
// for unknown types.
func NewPayload(t string) any {
	switch t {
	case TypePing:
		return new(Ping)
	case TypeCreate:
		return new(Create)
	case TypeJoin:
		return new(Join)
	case TypeInput:
		return new(Input)
	case TypeReauth:
		return new(Reauth)
	case TypeKick:
		return new(Kick)
	case TypePong:
		return new(Pong)
	case TypeWelcome:
		return new(Welcome)
	case TypeJoined:
		return new(Joined)
	case TypeLeft:
		return new(Left)
	case TypeEvent:
		return new(Event)
	case TypeReauthRequired:
		return new(ReauthRequired)
	case TypeReauthOK:
		return new(ReauthOK)
	case TypeError:
		return new(Error)
	}
	return nil
}
