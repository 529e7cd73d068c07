// Package goclient is the Go SDK for Tickwire: the HTTP API (sign-up, login, guests, token
// refresh, logout) and a socket connection that joins lobbies, sends inputs and receives
// snapshots and events.
//
// # Connections
//
// Client.Connect opens a Conn that looks after itself, so that a bot can play for hours
// unattended: when the server sends reauth_required it refreshes the token pair over HTTP and
// re-authenticates in band, without dropping a frame; when the server goes away (close 1001) or
// the connection breaks, it reconnects with exponential backoff and jitter and rejoins the lobby
// it was in, which within the server's grace period gives back its seat. Options.OnStatus hears
// of each. Dial opens a single socket that does none of that.
//
// # Clusters
//
// In a cluster a join of a lobby on another node answers moved, and Join follows it once: the
// connection moves to that node and reconnects there from then on. When that node stops
// answering (Options.FallbackAfter dials in a row refused, unanswered or answered 5xx, as after its
// death),
// the connection goes back to the node it was first given (StatusFellBack) and is placed
// again: it asks for its lobby by id, following moved once as every join does. If the lobby is
// gone, or its node is out of reach, a connection that had quick-joined quick-joins again for
// the same game and lands wherever the cluster places it (StatusPlaced); one that had joined by
// id or code, or created the lobby, is told once a node says the lobby does not exist:
// StatusRejoinFailed with an Err that matches ErrLobbyGone, and the connection, still up, is in
// no lobby. Reconnecting and placing wait with backoff and jitter and give up after
// Options.ReconnectFor.
//
// A connection ends for good when Close is called, when reconnecting fails for
// Options.ReconnectFor, or when the server closes it for a reason no retry cures. Err then says
// why; test it with errors.Is against ErrRevoked (4003: logout, ban, refresh reuse), ErrPolicy
// (4008), ErrExpired (4001) or ErrGoingAway (1001), or take the *CloseError; a Conn made by
// Connect outlives 1001 and 4001 by refreshing its token if need be and reconnecting. Requests
// that the server refuses return a *ServerError that errors.Is matches against ErrNotFound,
// ErrLobbyFull and the other values of its kind.
//
// # Snapshots
//
// Snapshots arrive on the Snapshots channel, validated, with tick and ack read and the game's
// state in its wire form, or, when Options.OnSnapshot is set, on the connection's reader
// goroutine (RawSnapshot), where the rest stays unread unless asked for, so that a bot pays
// nothing per frame that it does not use. The package knows no game: each game's own client
// package decodes its state and encodes its inputs (clients/goclient/arena for the arena),
// and SendInput sends what it encoded, without allocating.
//
// # Concurrency
//
// Every Conn method is safe for concurrent use. Each Conn runs one goroutine that reads its
// socket for its whole life, and one more, briefly, while it refreshes a token; Close returns
// once they have stopped. Options callbacks run on those goroutines, one at a time, and must
// not block or wait for a reply. Client is safe for concurrent use.
//
// The package imports nothing of Tickwire's but server/wire, so a bot built on it depends on
// the protocol alone.
package goclient
