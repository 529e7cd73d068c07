package server

import (
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/wire"
)

// The engine's types, as the wire shows them.

func playerFrame(s game.Seat) wire.PlayerInfo {
	return wire.PlayerInfo{ID: uint32(s.ID), Name: s.Name, Host: s.Host, Spectator: s.Spectator, Connected: s.Connected}
}

func lobbyFrame(i game.Info) wire.LobbyInfo {
	players := make([]wire.PlayerInfo, len(i.Seats))
	for k, s := range i.Seats {
		players[k] = playerFrame(s)
	}
	return wire.LobbyInfo{ID: i.ID, Name: i.Name, Game: i.Game, Code: i.Code, State: string(i.State),
		TickRate: i.TickRate, MaxPlayers: i.MaxPlayers, Players: players}
}

func eventFrame(e game.Event) wire.Event {
	out := wire.Event{Kind: e.Kind, State: string(e.State), Reason: e.Reason}
	if e.Kind == wire.EventGame {
		out.Lobby, out.Name, out.Data = e.Lobby, e.Name, e.Data
	}
	if e.Player != nil {
		p := playerFrame(*e.Player)
		out.Player = &p
	}
	for _, s := range e.Scores {
		out.Scores = append(out.Scores, wire.Score{Player: uint32(s.Player), Name: s.Name, Score: s.Score})
	}
	return out
}
