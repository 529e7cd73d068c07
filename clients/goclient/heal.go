package goclient

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tickwire/tickwire/server/wire"
)

// The self-healing half of a Conn made by Connect: token refresh, in-band reauth, reconnect
// and rejoin.

// refreshAhead is how long before its expiry an access token is refreshed before a redial.
const refreshAhead = 10 * time.Second

func (c *Conn) setTokens(t Tokens) {
	c.mu.Lock()
	c.tokens = t
	c.tokenGen++
	c.accessExp = time.Now().Add(time.Duration(t.ExpiresIn) * time.Second)
	c.mu.Unlock()
}

// Tokens returns the connection's current token pair; after a refresh the old pair is spent.
func (c *Conn) Tokens() Tokens {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tokens
}

func (c *Conn) currentToken() (access string, gen int, exp time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tokens.AccessToken, c.tokenGen, c.accessExp
}

// refresh trades the refresh token for a new pair, unless another refresh already replaced
// generation gen. Refreshes run one at a time: a refresh token presented twice ends the whole
// session.
func (c *Conn) refresh(ctx context.Context, gen int) (Tokens, error) {
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	c.mu.Lock()
	t, cur := c.tokens, c.tokenGen
	c.mu.Unlock()
	if cur != gen {
		return t, nil
	}
	t, err := c.api.Refresh(ctx, t.RefreshToken)
	if err != nil {
		return Tokens{}, fmt.Errorf("tickwire: refresh: %w", err)
	}
	c.setTokens(t)
	if c.opts.OnTokens != nil {
		c.opts.OnTokens(t)
	}
	return t, nil
}

// terminal reports an error that no retry can cure: the server refuses the session.
func terminal(err error) bool {
	if errors.Is(err, ErrRevoked) || errors.Is(err, ErrClosed) {
		return true
	}
	var ae *APIError
	return errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500 &&
		ae.Status != http.StatusTooManyRequests && ae.Status != http.StatusRequestTimeout &&
		ae.Code != wire.CodeTokenExpired
}

// jitter returns a wait in [d/2, d): spread so that many clients dropped at once (a server
// restart) do not come back at once.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

// sleep waits d or until ctx ends, and reports whether the wait was whole.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// reconnect dials until a socket is up, the Conn is closed, or ReconnectFor passes. It returns
// the socket, how many attempts it took, and whether the socket is one that a join moving the
// connection handed over meanwhile (that join then sends its own request on it). After
// Options.FallbackAfter failed dials in a row to a node that a join moved the connection to
// (refused, unanswered, or answered 5xx, as a node cut off from its cluster answers), it dials
// the node the connection was first given instead.
func (c *Conn) reconnect(cause error) (ws *websocket.Conn, attempt int, handedOff bool, err error) {
	start := time.Now()
	delay := c.opts.MinBackoff
	last := cause
	failed := 0 // dials in a row that no node answered
	for attempt = 1; ; attempt++ {
		wait := jitter(delay)
		if c.opts.ReconnectFor > 0 && time.Since(start)+wait > c.opts.ReconnectFor {
			return nil, attempt, false, fmt.Errorf("tickwire: gave up reconnecting after %d attempts: %w", attempt-1, last)
		}
		if !sleep(c.ctx, wait) {
			return nil, attempt, false, ErrClosed
		}
		delay = min(delay*2, c.opts.MaxBackoff)
		select {
		case ws := <-c.handoff:
			return ws, attempt, true, nil
		default:
		}
		ws, err := c.redial()
		if err == nil {
			return ws, attempt, false, nil
		}
		if c.ctx.Err() != nil {
			return nil, attempt, false, ErrClosed
		}
		if terminal(err) {
			return nil, attempt, false, err
		}
		last = err
		var ae *APIError
		if errors.As(err, &ae) && ae.RetryAfter > 0 {
			delay = max(delay, ae.RetryAfter)
		}
		if errors.As(err, &ae) && ae.Status < 500 {
			failed = 0 // the node answered, and will serve: it asked for patience
			continue
		}
		if failed++; failed >= c.opts.FallbackAfter && c.fallBack() {
			failed, delay = 0, c.opts.MinBackoff
			c.status(Status{Kind: StatusFellBack, Err: err})
		}
	}
}

// fallBack points the connection back at the node it was first given, and reports whether it
// was pointed elsewhere.
func (c *Conn) fallBack() bool {
	c.urlMu.Lock()
	defer c.urlMu.Unlock()
	if c.url == c.origin {
		return false
	}
	c.url = c.origin
	return true
}

// redial opens a socket with a live access token, refreshing first when the token is about to
// expire or the server says it has.
func (c *Conn) redial() (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(c.ctx, 20*time.Second)
	defer cancel()
	tok, gen, exp := c.currentToken()
	if time.Until(exp) < refreshAhead {
		if _, err := c.refresh(ctx, gen); err != nil {
			return nil, err
		}
		tok, gen, _ = c.currentToken()
	}
	ws, _, err := c.dial(ctx, tok)
	if errors.Is(err, ErrExpired) {
		t, rerr := c.refresh(ctx, gen)
		if rerr != nil {
			return nil, rerr
		}
		ws, _, err = c.dial(ctx, t.AccessToken)
	}
	return ws, err
}

// requestAsync sends a request whose answer fn handles on the reader goroutine. A lost socket
// forgets fn.
func (c *Conn) requestAsync(t string, payload any, fn func(wire.Envelope)) error {
	id := c.nextID.Add(1)
	b, err := wire.Encode(t, id, payload)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.pending[id] = &call{fn: fn}
	c.mu.Unlock()
	if err := c.writeFrame(b); err != nil {
		c.forget(id)
		return err
	}
	return nil
}

// startReauth answers reauth_required for a token expiring at exp, unless an answer is under
// way. The refresh goes over HTTP on its own goroutine, so that snapshots keep flowing.
func (c *Conn) startReauth(exp time.Time) {
	c.mu.Lock()
	if c.reauthing || c.closing {
		c.mu.Unlock()
		return
	}
	c.reauthing = true
	gen := c.tokenGen
	c.wg.Add(1)
	c.mu.Unlock()
	go c.reauth(exp, gen)
}

func (c *Conn) reauth(exp time.Time, gen int) {
	defer c.wg.Done()
	defer func() {
		c.mu.Lock()
		c.reauthing = false
		c.mu.Unlock()
	}()
	// Clients that signed in together are told together; a random start within the first half
	// of the time left spreads their refreshes, which cost the server a database write each.
	if left := time.Until(exp) / 2; left > 0 && !sleep(c.ctx, rand.N(left)) {
		return
	}
	delay := c.opts.MinBackoff
	for {
		err := c.reauthOnce(exp, gen)
		if err == nil || c.ctx.Err() != nil {
			return
		}
		c.status(Status{Kind: StatusReauthFailed, Err: err})
		wait := jitter(delay)
		if terminal(err) || time.Until(exp) < wait {
			// The server closes the socket at exp; a reconnect then refreshes again.
			return
		}
		if !sleep(c.ctx, wait) {
			return
		}
		delay = min(delay*2, c.opts.MaxBackoff)
	}
}

func (c *Conn) reauthOnce(exp time.Time, gen int) error {
	ctx, cancel := context.WithDeadline(c.ctx, exp)
	defer cancel()
	tok, err := c.refresh(ctx, gen)
	if err != nil {
		return err
	}
	err = c.requestAsync(wire.TypeReauth, wire.Reauth{Token: tok.AccessToken}, func(env wire.Envelope) {
		if env.T == wire.TypeReauthOK {
			c.status(Status{Kind: StatusReauthed})
		} else {
			c.status(Status{Kind: StatusReauthFailed, Err: errorFrame(env)})
		}
	})
	if errors.Is(err, ErrConnectionLost) {
		return nil // the reconnect dials with the new token
	}
	return err
}
