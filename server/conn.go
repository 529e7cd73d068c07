package server

import (
	"context"
	"errors"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/auth"
	"github.com/tickwire/tickwire/game"
	"github.com/tickwire/tickwire/server/wire"
	"golang.org/x/time/rate"
)

// Close codes, from the contract.
const (
	CloseGoingAway    = wire.CloseGoingAway
	CloseUnsupported  = wire.CloseUnsupported
	CloseTooLarge     = wire.CloseTooLarge
	CloseTokenExpired = wire.CloseTokenExpired
	CloseRevoked      = wire.CloseRevoked
	ClosePolicy       = wire.ClosePolicy
)

// closeWait is how long a closing socket waits for the client's close frame.
const closeWait = 2 * time.Second

// slowSnapshots is how many snapshots in a row may be superseded while a write is stuck
// before the client counts as too slow and is closed 4008.
const slowSnapshots = 40

// requestTimeout bounds how long a lobby request from a socket may wait on its lobby.
const requestTimeout = 5 * time.Second

// conn is one player's socket. The reader goroutine (run) owns the lobby fields; mu guards the
// send side and the token's expiry, which lobbies, timers and revocations touch.
type conn struct {
	srv       *Server
	ws        *websocket.Conn
	addr      string
	accountID string
	username  string
	limiter   *rate.Limiter

	// Owned by the reader goroutine.
	lobby   *game.Lobby
	seat    game.PlayerID
	joinReq uint64

	mu         sync.Mutex
	sid        string
	exp, iat   time.Time
	queue      [][]byte
	snap       game.Snapshot
	hasSnap    bool
	superseded int
	writing    bool
	closing    bool
	warnTimer  *time.Timer
	expTimer   *time.Timer
	pingTimer  *time.Timer
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

// Snapshot implements game.Member: the newest snapshot replaces one not yet written.
func (c *conn) Snapshot(s game.Snapshot) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	if c.hasSnap {
		c.superseded++
		c.srv.metrics.snapshotsSkipped.Inc()
		if c.superseded >= slowSnapshots {
			c.mu.Unlock()
			go c.closeWith(ClosePolicy, "client too slow")
			return
		}
	}
	c.snap, c.hasSnap = s, true
	c.startWriter()
	c.mu.Unlock()
}

// Event implements game.Member.
func (c *conn) Event(e game.Event) {
	c.send(wire.TypeEvent, 0, eventFrame(e))
}

// Joined implements game.Member: the lobby calls it on its goroutine when it seats c, before
// any snapshot, so joined is always the first frame of a lobby.
func (c *conn) Joined(seat game.Seat, info game.Info) {
	c.send(wire.TypeJoined, c.joinReq, wire.Joined{Lobby: lobbyFrame(info), Player: uint32(seat.ID)})
}

// send queues a control frame. Control frames are never dropped: a client whose queue is
// full is too slow, and is closed 4008.
func (c *conn) send(t string, id uint64, payload any) {
	frame, err := wire.Encode(t, id, payload)
	if err != nil {
		c.srv.log.Error("encode frame", "type", t, "err", err)
		return
	}
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	if len(c.queue) >= c.srv.cfg.SendQueue {
		c.mu.Unlock()
		go c.closeWith(ClosePolicy, "client too slow")
		return
	}
	c.queue = append(c.queue, frame)
	c.startWriter()
	c.mu.Unlock()
}

func (c *conn) sendError(id uint64, err error) {
	code, msg := codeOf(err)
	if code == auth.CodeInternal {
		c.srv.log.Error("socket request failed", "account", c.accountID, "err", err)
	}
	c.send(wire.TypeError, id, wire.Error{Code: code, Message: msg})
}

// startWriter starts the writer goroutine unless it runs. Called with mu held. A writer runs
// only while there is something to send, so an idle socket holds no goroutine for writing.
func (c *conn) startWriter() {
	if !c.writing {
		c.writing = true
		go c.writeLoop()
	}
}

var snapBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func (c *conn) writeLoop() {
	for {
		c.mu.Lock()
		if c.closing {
			c.writing = false
			c.queue = nil
			c.mu.Unlock()
			return
		}
		var frame []byte
		var snap game.Snapshot
		isSnap := false
		switch {
		case len(c.queue) > 0:
			frame = c.queue[0]
			c.queue[0] = nil
			c.queue = c.queue[1:]
			if len(c.queue) == 0 {
				c.queue = nil
			}
		case c.hasSnap:
			snap, c.snap, c.hasSnap, isSnap = c.snap, game.Snapshot{}, false, true
			c.superseded = 0
		default:
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		var bp *[]byte
		if isSnap {
			bp = snapBufs.Get().(*[]byte)
			frame = wire.AppendSnapshot((*bp)[:0], snap.Tick, snap.Ack, snap.State, snap.Fields, nil, 0)
		}
		_ = c.ws.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteWait))
		err := c.ws.WriteMessage(websocket.BinaryMessage, frame)
		c.srv.metrics.framesOut.Inc()
		c.srv.metrics.bytesOut.Add(float64(len(frame)))
		if bp != nil {
			if cap(frame) <= 64<<10 {
				*bp = frame[:0]
				snapBufs.Put(bp)
			}
		}
		if err != nil {
			// A write that failed or timed out leaves the stream unusable: drop the connection.
			c.mu.Lock()
			c.closing, c.writing = true, false
			c.queue = nil
			c.mu.Unlock()
			c.ws.NetConn().Close()
			return
		}
	}
}

// closeWith starts the closing handshake: it sends a close frame with code and reason, then the
// reader discards what comes until the client's close frame or closeWait passes.
func (c *conn) closeWith(code int, reason string) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.closing = true
	c.stopTimers()
	_ = c.ws.SetReadDeadline(time.Now().Add(closeWait))
	c.mu.Unlock()
	c.srv.metrics.closes.WithLabelValues(strconv.Itoa(code), reason).Inc()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
}

func (c *conn) stopTimers() {
	for _, t := range []*time.Timer{c.warnTimer, c.expTimer, c.pingTimer} {
		if t != nil {
			t.Stop()
		}
	}
}

// touch extends the read deadline: the client is alive.
func (c *conn) touch() {
	c.mu.Lock()
	if !c.closing {
		_ = c.ws.SetReadDeadline(time.Now().Add(c.srv.cfg.PongWait))
	}
	c.mu.Unlock()
}

// run is the socket's reader, for its whole life.
func (c *conn) run() {
	defer c.cleanup()
	c.ws.SetReadLimit(int64(c.srv.cfg.MaxMessageBytes))
	c.ws.SetPongHandler(func(string) error { c.touch(); return nil })
	c.touch()
	c.mu.Lock()
	c.armExpiry()
	c.pingTimer = time.AfterFunc(c.srv.cfg.PongWait*9/10, c.ping)
	exp := c.exp
	c.mu.Unlock()
	c.send(wire.TypeWelcome, 0, wire.Welcome{
		Protocol: wire.Protocol, Account: wire.Account{ID: c.accountID, Username: c.username},
		Exp: exp.Unix(), ServerTime: time.Now().UnixMilli(),
	})
	limits := wire.Limits{}
	for {
		mt, r, err := c.ws.NextReader()
		if err != nil {
			c.readFailed(err)
			return
		}
		c.mu.Lock()
		closing := c.closing
		c.mu.Unlock()
		if closing {
			_, _ = io.Copy(io.Discard, r)
			continue
		}
		c.touch()
		if mt != websocket.BinaryMessage {
			_, _ = io.Copy(io.Discard, r)
			c.closeWith(CloseUnsupported, "binary frames only")
			continue
		}
		bp := snapBufs.Get().(*[]byte)
		buf, err := readAll((*bp)[:0], r)
		if err != nil {
			c.readFailed(err)
			return
		}
		c.srv.metrics.framesIn.Inc()
		c.srv.metrics.bytesIn.Add(float64(len(buf)))
		if !c.limiter.Allow() {
			c.closeWith(ClosePolicy, "message rate over the limit")
		} else if env, err := wire.Decode(buf, limits); err != nil {
			c.closeWith(ClosePolicy, "malformed frame")
		} else {
			c.handle(env)
		}
		if cap(buf) <= 64<<10 {
			*bp = buf[:0]
			snapBufs.Put(bp)
		}
	}
}

func readAll(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// readFailed handles the end of reading: a frame over the limit gets its 1009 (gorilla has
// already sent the close frame), anything else just ends the connection.
func (c *conn) readFailed(err error) {
	if errors.Is(err, websocket.ErrReadLimit) {
		c.mu.Lock()
		already := c.closing
		c.closing = true
		c.mu.Unlock()
		if !already {
			c.srv.metrics.closes.WithLabelValues(strconv.Itoa(CloseTooLarge), "frame too large").Inc()
			// Wait briefly for the client's close so it reads 1009 rather than a reset.
			_ = c.ws.SetReadDeadline(time.Now().Add(closeWait))
			for {
				if _, _, err := c.ws.NextReader(); err != nil {
					return
				}
			}
		}
	}
}

func (c *conn) cleanup() {
	c.mu.Lock()
	c.closing = true
	c.stopTimers()
	c.mu.Unlock()
	if c.lobby != nil {
		c.lobby.Disconnect(c)
		c.lobby = nil
	}
	c.ws.Close()
	c.srv.conns.remove(c)
}

func (c *conn) ping() {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.pingTimer.Reset(c.srv.cfg.PongWait * 9 / 10)
	c.mu.Unlock()
	_ = c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.srv.cfg.WriteWait))
}

// armExpiry (re)arms the reauth warning and the expiry close for c.exp. Called with mu held.
func (c *conn) armExpiry() {
	if c.warnTimer != nil {
		c.warnTimer.Stop()
	}
	if c.expTimer != nil {
		c.expTimer.Stop()
	}
	now := c.srv.now()
	lead := c.srv.cfg.ReauthLead
	if lead <= 0 {
		lead = min(60*time.Second, c.exp.Sub(c.iat)/4)
	}
	exp := c.exp
	c.warnTimer = time.AfterFunc(max(exp.Add(-lead).Sub(now), 0), func() {
		c.send(wire.TypeReauthRequired, 0, wire.ReauthRequired{Exp: exp.Unix()})
	})
	c.expTimer = time.AfterFunc(max(exp.Sub(now), 0), func() {
		c.closeWith(CloseTokenExpired, "token expired")
	})
}

func (c *conn) handle(env wire.Envelope) {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	var err error
	switch env.T {
	case wire.TypePing:
		var p wire.Ping
		if err = wire.DecodePayload(env.D, &p); err == nil {
			c.send(wire.TypePong, env.ID, wire.Pong{C: p.C, S: time.Now().UnixMilli()})
		}
	case wire.TypeInput:
		var in wire.Input
		if err = wire.DecodePayload(env.D, &in); err == nil {
			if c.lobby == nil {
				err = game.ErrNotInLobby
			} else if !c.lobby.Input(c.seat, c, game.Input{Seq: in.Seq, DX: in.DX, DY: in.DY, Buttons: in.Buttons}) {
				c.srv.metrics.dropped.Inc()
			}
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
		} else if err = c.lobby.Leave(ctx, c); err == nil || game.IsCode(err, game.CodeClosed) {
			// Left, or out already (kicked, replaced, closed): either way, out now.
			id := c.lobby.ID()
			c.lobby = nil
			err = nil
			c.send(wire.TypeLeft, env.ID, wire.Left{Lobby: id})
		}
	case wire.TypeStart:
		if !c.inLobby() {
			err = game.ErrNotInLobby
		} else if err = c.lobby.Start(ctx, c); err == nil {
			c.send(wire.TypeOK, env.ID, nil)
		}
	case wire.TypeKick:
		var req wire.Kick
		if err = wire.DecodePayload(env.D, &req); err == nil {
			if !c.inLobby() {
				err = game.ErrNotInLobby
			} else if err = c.lobby.Kick(ctx, c, game.PlayerID(req.Player)); err == nil {
				c.send(wire.TypeOK, env.ID, nil)
			}
		}
	case wire.TypeReauth:
		var req wire.Reauth
		if err = wire.DecodePayload(env.D, &req); err == nil {
			err = c.reauth(env.ID, req.Token)
		}
	default:
		err = &game.Error{Code: wire.CodeUnknownType, Message: "unknown message type " + strconv.Quote(truncate(env.T, 32))}
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = &game.Error{Code: wire.CodeInternal, Message: "the lobby did not answer in time"}
		}
		var ge *game.Error
		var ae *auth.Error
		if !errors.As(err, &ge) && !errors.As(err, &ae) {
			err = &game.Error{Code: wire.CodeInvalidRequest, Message: err.Error()}
		}
		c.sendError(env.ID, err)
	}
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

func (c *conn) create(ctx context.Context, id uint64, req wire.Create) error {
	if c.inLobby() {
		return &game.Error{Code: game.CodeAlreadyInLobby, Message: "leave your lobby first"}
	}
	c.joinReq = id
	l, seat, _, err := c.srv.lobbies.Create(ctx, game.CreateOptions{Name: req.Name, Game: req.Game, Private: req.Private,
		MaxPlayers: req.MaxPlayers, TickRate: req.TickRate, Owner: c.accountID}, c)
	if err != nil {
		return err
	}
	c.lobby, c.seat = l, seat.ID
	return nil
}

func (c *conn) join(ctx context.Context, id uint64, req wire.Join) error {
	if c.inLobby() {
		return &game.Error{Code: game.CodeAlreadyInLobby, Message: "leave your lobby first"}
	}
	ways := 0
	for _, set := range []bool{req.Lobby != "", req.Code != "", req.Quick} {
		if set {
			ways++
		}
	}
	if ways != 1 {
		return &game.Error{Code: wire.CodeInvalidRequest, Message: "join needs exactly one of lobby, code or quick"}
	}
	switch {
	case req.Lobby != "":
		l, err := c.srv.lobbies.Get(req.Lobby)
		if err != nil {
			return err
		}
		return c.enter(ctx, id, l, req.Spectate)
	case req.Code != "":
		l, err := c.srv.lobbies.ByCode(req.Code)
		if err != nil {
			return err
		}
		return c.enter(ctx, id, l, req.Spectate)
	}
	if req.Spectate {
		return &game.Error{Code: wire.CodeInvalidRequest, Message: "quick join seats a player; spectate a lobby by id or code"}
	}
	c.joinReq = id
	l, seat, _, err := c.srv.lobbies.QuickJoin(ctx, c)
	if err != nil {
		return err
	}
	c.lobby, c.seat = l, seat.ID
	return nil
}

func (c *conn) enter(ctx context.Context, id uint64, l *game.Lobby, spectate bool) error {
	c.joinReq = id
	seat, _, err := l.Join(ctx, c, spectate)
	if err != nil {
		return err
	}
	c.lobby, c.seat = l, seat.ID
	return nil
}

// reauth moves the connection's expiry to a new access token's, which must be valid, live,
// carry the play scope and name the same account.
func (c *conn) reauth(id uint64, raw string) error {
	claims, err := c.srv.auth.VerifyAccess(raw)
	if err == nil && claims.Subject != c.accountID {
		err = &auth.Error{Code: wire.CodeWrongAccount, Message: "the token is for another account"}
	}
	if err == nil && !claims.HasScope(auth.ScopePlay) {
		err = &auth.Error{Code: auth.CodeForbidden, Message: "this token lacks the play scope"}
	}
	if err != nil {
		c.srv.metrics.reauths.WithLabelValues("refused").Inc()
		return err
	}
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return nil
	}
	oldSID := c.sid
	c.sid, c.exp, c.iat = claims.SID, claims.ExpiresAt.Time, claims.IssuedAt.Time
	c.armExpiry()
	c.mu.Unlock()
	if oldSID != claims.SID {
		c.srv.conns.moveSession(c, oldSID, claims.SID)
	}
	c.srv.metrics.reauths.WithLabelValues("ok").Inc()
	c.send(wire.TypeReauthOK, id, wire.ReauthOK{Exp: claims.ExpiresAt.Unix()})
	return nil
}

// onSessionEnded closes the live sockets of an ended session, or of a banned account, 4003.
func (s *Server) onSessionEnded(e auth.Ended) {
	var conns []*conn
	if e.SessionID != "" {
		conns = s.conns.list(s.conns.bySession, e.SessionID)
	} else {
		conns = s.conns.list(s.conns.byAccount, e.AccountID)
	}
	for _, c := range conns {
		go c.closeWith(CloseRevoked, "session revoked: "+e.Reason)
	}
}
