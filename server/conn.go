package server

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/wire"
	"github.com/tickwire/tickwire/server/ws"
)

// requestTimeout bounds how long a lobby request from a socket may wait on its lobby.
const requestTimeout = 5 * time.Second

// transport is what a session needs of its socket: ws.Conn, the WebSocket connection after the
// handshake. The session hands it frames and close codes; it tells the session of messages,
// alarms and the end through ws.Handler, which conn implements.
type transport interface {
	// Send queues a frame, its payload behind ws.HeaderRoom bytes; a full queue closes 4008.
	Send(b []byte)
	// SendLatest sends a snapshot's frame, in a buffer from ws.Buffer, written at once when
	// nothing waits, and replaced by a newer one when the client cannot keep up.
	SendLatest(bp *[]byte)
	// Close starts the closing handshake, and reports whether this call started it.
	Close(code int, reason string) bool
	// Closing reports whether the socket has begun to close.
	Closing() bool
	// SetAlarm asks for the session's Alarm at a time: the token's warning or expiry.
	SetAlarm(at time.Time)
}

var (
	_ transport       = (*ws.Conn)(nil)
	_ ws.Handler      = (*conn)(nil)
	_ ws.QuickHandler = (*conn)(nil)
)

// conn is one player's session on its socket: the token's expiry and reauth, request dispatch
// and lobby membership. The transport's reader goroutine calls Message and Closed, and owns the
// lobby fields; mu guards the session id and the token's expiry, which reauth, the alarm and
// revocations touch. Lock order: connSet.mu, then conn.mu, then the transport's.
type conn struct {
	srv       *Server
	t         transport
	addr      string
	accountID string
	username  string

	// Owned by the reader goroutine.
	lobby   *game.Lobby
	seat    game.Seat
	joinReq uint64
	host    bool // the token grants scope host: create, start and kick

	mu     sync.Mutex
	sid    string
	exp    time.Time // the token's expiry: the socket closes 4001 then
	warnAt time.Time // when reauth_required is due; zero once sent
}

func (c *conn) sessionID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sid
}

// AccountID implements game.Member.
func (c *conn) AccountID() string { return c.accountID }

// Name implements game.Member.
func (c *conn) Name() string { return c.username }

// ClientAddr is the socket's client address (an IPv4 address or an IPv6 /64), so that a kick
// bars the address and lobbies count per address (game.Addressed).
func (c *conn) ClientAddr() string { return clientKey(c.addr) }

// Joined implements game.Member: the lobby calls it on its goroutine when it seats c, before
// any snapshot, so joined is always the first frame of a lobby.
func (c *conn) Joined(seat game.Seat, info game.Info) {
	c.send(wire.TypeJoined, c.joinReq, wire.Joined{Lobby: lobbyFrame(info), Player: uint32(seat.ID)})
}

// handle acts on one decoded frame; the reader goroutine calls it.
func (c *conn) handle(env wire.Envelope) {
	if env.T == wire.TypeInput {
		// An input in a form DecodeInputFrame leaves to the general decoders.
		seq, err := wire.InputSeq(env.D) // env.D came from wire.Decode
		if err == nil && !c.input(game.Input{ID: env.ID, Seq: seq, Msg: env.D}) {
			err = game.ErrNotInLobby
		}
		if err != nil {
			c.replyError(env.ID, err)
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	var err error
	switch env.T {
	case wire.TypePing:
		var p wire.Ping
		if err = wire.DecodePayload(env.D, &p); err == nil {
			c.send(wire.TypePong, env.ID, wire.Pong{C: p.C, S: time.Now().UnixMilli()})
		}
	case wire.TypeCreate:
		var req wire.Create
		if err = wire.DecodePayload(env.D, &req); err == nil {
			err = c.create(ctx, env.ID, req)
		}
	case wire.TypeJoin:
		var req wire.Join
		if err = wire.DecodePayload(env.D, &req); err == nil {
			err = c.join(ctx, env.ID, req)
		}
	case wire.TypeLeave:
		if c.lobby == nil {
			err = game.ErrNotInLobby
		} else if err = c.lobby.Leave(ctx, c); err == nil || wire.IsCode(err, wire.CodeLobbyClosed) {
			// Left, or out already (kicked, replaced, closed): either way, out now.
			id := c.lobby.ID()
			c.lobby = nil
			err = nil
			c.send(wire.TypeLeft, env.ID, wire.Left{Lobby: id})
		}
	case wire.TypeStart:
		if err = c.needHost("start rounds"); err == nil {
			err = c.start(ctx, env.ID)
		}
	case wire.TypeKick:
		var req wire.Kick
		if err = wire.DecodePayload(env.D, &req); err == nil {
			if err = c.needHost("kick players"); err == nil {
				err = c.kick(ctx, env.ID, req)
			}
		}
	case wire.TypeReauth:
		var req wire.Reauth
		if err = wire.DecodePayload(env.D, &req); err == nil {
			err = c.reauth(env.ID, req.Token)
		}
	default:
		err = &wire.Error{Code: wire.CodeUnknownType, Message: "unknown message type " + strconv.Quote(truncate(env.T, 32))}
	}
	if err != nil {
		c.replyError(env.ID, err)
	}
}

// input hands one input to the lobby, and reports false when c is in no lobby. A full seat
// queue drops it (counted): the client sends a newer one next tick.
func (c *conn) input(in game.Input) bool {
	if c.lobby == nil {
		return false
	}
	if !c.lobby.Input(&c.seat, c, in) {
		c.srv.metrics.dropped.Inc()
	}
	return true
}

// InputError implements game.InputErrors: the game refused input id; the lobby calls it on its
// goroutine, as it calls Event.
func (c *conn) InputError(id uint64, err error) { c.replyError(id, err) }

// replyError answers request id with an error frame (errorFrame, in errors.go, says which).
func (c *conn) replyError(id uint64, err error) {
	c.send(wire.TypeError, id, errorFrame(c.srv.log, c.accountID, err))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// inLobby reports whether c still holds a seat in the lobby it joined; it forgets a lobby that
// it was kicked from, replaced in by a newer connection of its account, or that has closed.
func (c *conn) inLobby() bool {
	if c.lobby != nil && !c.lobby.Holds(c) {
		c.lobby = nil
	}
	return c.lobby != nil
}

func (c *conn) start(ctx context.Context, id uint64) error {
	if !c.inLobby() {
		return game.ErrNotInLobby
	}
	if err := c.lobby.Start(ctx, c); err != nil {
		return err
	}
	c.send(wire.TypeOK, id, nil)
	return nil
}

func (c *conn) kick(ctx context.Context, id uint64, req wire.Kick) error {
	if !c.inLobby() {
		return game.ErrNotInLobby
	}
	if err := c.lobby.Kick(ctx, c, game.PlayerID(req.Player)); err != nil {
		return err
	}
	c.send(wire.TypeOK, id, nil)
	return nil
}

// needHost refuses what only a token with scope host may do.
func (c *conn) needHost(what string) error {
	if c.host {
		return nil
	}
	return &wire.Error{Code: wire.CodeForbidden, Message: "this token lacks the host scope, which it takes to " + what}
}

// rateLimited is the answer to a request over one of the socket's budgets; the socket stays
// open and the request may be sent again after wait.
func rateLimited(msg string, wait time.Duration) error {
	return &wire.Error{Code: wire.CodeRateLimited, Message: msg, RetryAfter: wire.RetrySeconds(wait)}
}

func (c *conn) create(ctx context.Context, id uint64, req wire.Create) error {
	if err := c.needHost("create lobbies"); err != nil {
		return err
	}
	if c.inLobby() {
		return &wire.Error{Code: wire.CodeAlreadyInLobby, Message: "leave your lobby first"}
	}
	// Charged before the lobby is made, so that creates arriving together from one address
	// cannot all pass on its last token; given back when no lobby came of it.
	addr := addrEntry(clientKey(c.addr))
	if wait := c.srv.lobbyAddr.take(time.Now(), addr); wait > 0 {
		return rateLimited("too many lobbies created from your address; try again later", wait)
	}
	c.joinReq = id
	l, seat, _, err := c.srv.lobbies.Create(ctx, game.CreateOptions{Name: req.Name, Game: req.Game, Private: req.Private,
		MaxPlayers: req.MaxPlayers, TickRate: req.TickRate, Owner: c.accountID, OwnerAddr: clientKey(c.addr),
		Options: req.Options}, c)
	if err != nil {
		c.srv.lobbyAddr.give(time.Now(), addr)
		return err
	}
	c.lobby, c.seat = l, seat
	return nil
}

func (c *conn) join(ctx context.Context, id uint64, req wire.Join) error {
	if c.inLobby() {
		return &wire.Error{Code: wire.CodeAlreadyInLobby, Message: "leave your lobby first"}
	}
	ways := 0
	for _, set := range []bool{req.Lobby != "", req.Code != "", req.Quick} {
		if set {
			ways++
		}
	}
	if ways != 1 {
		return &wire.Error{Code: wire.CodeInvalidRequest, Message: "join needs exactly one of lobby, code or quick"}
	}
	if req.Game != "" && !req.Quick {
		return &wire.Error{Code: wire.CodeInvalidRequest, Message: "game goes with quick only: a lobby joined by id or code plays its own game"}
	}
	switch {
	case req.Lobby != "":
		l, err := c.srv.lobbies.Get(req.Lobby)
		if err != nil {
			if rl, ok := c.srv.lobbyElsewhere(ctx, req.Lobby, ""); ok {
				return c.srv.moved(rl, req)
			}
			return err
		}
		return c.enter(id, l, func() (game.Seat, game.Info, error) { return l.JoinByID(ctx, c, req.Spectate) })
	case req.Code != "":
		l, err := c.byCode(ctx, req)
		if err != nil {
			return err
		}
		return c.enter(id, l, func() (game.Seat, game.Info, error) { return l.Join(ctx, c, req.Spectate) })
	}
	if req.Spectate {
		return &wire.Error{Code: wire.CodeInvalidRequest, Message: "quick join seats a player; spectate a lobby by id or code"}
	}
	if rl, ok := c.srv.quickElsewhere(ctx, c.accountID, req.Game); ok {
		return c.srv.moved(rl, req)
	}
	c.joinReq = id
	l, seat, _, err := c.srv.lobbies.QuickJoinGame(ctx, c, req.Game)
	if err != nil {
		return err
	}
	c.lobby, c.seat = l, seat
	return nil
}

// byCode finds the lobby with a join code. Every lookup is charged to the account's and the
// address's budgets of wrong codes before it is made, both or neither, and a right code gets
// its charge back: a guesser is cut off at the budget however many sockets or accounts it
// spreads the guesses over, and once cut off learns nothing, not even from a right guess.
func (c *conn) byCode(ctx context.Context, req wire.Join) (*game.Lobby, error) {
	code := req.Code
	keys := [2]string{userEntry(c.accountID), addrEntry(clientKey(c.addr))}
	if wait := c.srv.codeFails.take(time.Now(), keys[:]...); wait > 0 {
		return nil, rateLimited("too many wrong join codes; try again later", wait)
	}
	l, err := c.srv.lobbies.ByCode(code)
	if err != nil {
		// A right code of a lobby on another node is as right as one here.
		if rl, ok := c.srv.lobbyElsewhere(ctx, "", code); ok {
			err = c.srv.moved(rl, req)
		} else {
			return nil, err
		}
	}
	c.srv.codeFails.give(time.Now(), keys[:]...)
	return l, err
}

func (c *conn) enter(id uint64, l *game.Lobby, join func() (game.Seat, game.Info, error)) error {
	c.joinReq = id
	seat, _, err := join()
	if err != nil {
		return err
	}
	c.lobby, c.seat = l, seat
	return nil
}
