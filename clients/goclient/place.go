package goclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tickwire/tickwire/server/wire"
)

// Placement: after a reconnect, a Conn made by Connect puts itself back where it was. It asks
// for its lobby by id, which within the seat's grace gives back its seat, and follows moved
// once, as every join does. When the lobby is gone (not_found) or its node does not take the
// socket, a connection that had quick-joined quick-joins again, for the same game, and lands
// wherever the cluster places it; one that had joined by id or code, or created the lobby,
// learns that the lobby is gone (ErrLobbyGone) once a node says so, and waits with backoff
// while the lobby's node is merely out of reach. Placement gives up after ReconnectFor.

// placeWait bounds one join while placing.
const placeWait = 20 * time.Second

// startPlacing puts the connection back in its lobby on a goroutine of its own, unless it was
// in none or a placement is under way (that one carries on over the new socket).
func (c *Conn) startPlacing() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lobby == "" || c.placing || c.closing {
		return
	}
	c.placing = true
	lobby, how := c.lobby, c.how
	if c.howLobby != lobby {
		how = wire.Join{Lobby: lobby} // the lobby came by a join Join did not make
	}
	c.wg.Add(1)
	go c.place(lobby, how)
}

func (c *Conn) place(lobby string, how wire.Join) {
	defer c.wg.Done()
	defer func() {
		c.mu.Lock()
		c.placing = false
		c.mu.Unlock()
	}()
	start := time.Now()
	delay := c.opts.MinBackoff
	req := wire.Join{Lobby: lobby, Spectate: how.Spectate}
	for {
		ctx, cancel := context.WithTimeout(c.ctx, placeWait)
		_, err := c.join(ctx, req)
		cancel()
		if c.ctx.Err() != nil {
			return
		}
		switch {
		case err == nil && req.Quick:
			c.status(Status{Kind: StatusPlaced})
			return
		case err == nil:
			c.status(Status{Kind: StatusRejoined})
			return
		case errors.Is(err, ErrAlreadyInLobby):
			return // the caller joined a lobby meanwhile
		case req.Quick && !placeRetryable(err) && !gone(err) && !errors.Is(err, ErrLobbyFull):
			c.placeFailed(lobby, err)
			return
		case req.Quick:
			// Raced with a lobby filling or closing, or sent to a node out of reach: ask again.
		case how.Quick && (gone(err) || lobbyOutOfReach(err) || !placeRetryable(err)):
			req = wire.Join{Quick: true, Game: how.Game} // at once: the old seat is lost
			continue
		case gone(err):
			c.placeFailed(lobby, fmt.Errorf("%w: %s: %w", ErrLobbyGone, lobby, err))
			return
		case !placeRetryable(err):
			c.placeFailed(lobby, err)
			return
		}
		wait := jitter(delay)
		var se *ServerError
		if errors.As(err, &se) && se.RetryAfter > wait {
			wait = se.RetryAfter
		}
		if c.opts.ReconnectFor > 0 && time.Since(start)+wait > c.opts.ReconnectFor {
			c.placeFailed(lobby, fmt.Errorf("tickwire: gave up placing the connection: %w", err))
			return
		}
		if !sleep(c.ctx, wait) {
			return
		}
		delay = min(delay*2, c.opts.MaxBackoff)
	}
}

// placeFailed reports that the connection is in no lobby, if it is still in none but lobby.
func (c *Conn) placeFailed(lobby string, err error) {
	c.mu.Lock()
	if c.lobby == lobby {
		c.lobby, c.player = "", 0
	}
	c.mu.Unlock()
	c.status(Status{Kind: StatusRejoinFailed, Err: err})
}

// gone reports a join answered that its lobby does not exist, or no longer.
func gone(err error) bool {
	var se *ServerError
	return errors.As(err, &se) && (se.Code == wire.CodeNotFound || se.Code == wire.CodeLobbyClosed)
}

// lobbyOutOfReach reports a moved answer whose node did not take the socket.
func lobbyOutOfReach(err error) bool {
	var me *moveError
	return errors.As(err, &me)
}

// placeRetryable reports a failed join that may succeed if asked again shortly: a lost socket,
// a node out of reach, a busy server.
func placeRetryable(err error) bool {
	if errors.Is(err, ErrConnectionLost) || errors.Is(err, context.DeadlineExceeded) || lobbyOutOfReach(err) {
		return true
	}
	var se *ServerError
	if errors.As(err, &se) {
		switch se.Code {
		case wire.CodeRateLimited, wire.CodeInternal, wire.CodeUnavailable, wire.CodeNotReady, wire.CodeShuttingDown:
			return true
		}
	}
	return false
}
