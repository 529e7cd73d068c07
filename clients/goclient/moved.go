package goclient

import (
	"context"
	"fmt"
)

// moveError is a moved answer that could not be followed: the node it named did not take the
// socket.
type moveError struct {
	url string
	err error
}

func (e *moveError) Error() string {
	return fmt.Sprintf("tickwire: follow moved to %s: %v", e.url, e.err)
}
func (e *moveError) Unwrap() error { return e.err }

// moveTo moves the connection to the node at wsURL, after a join answered moved: it opens a
// socket there with the current access token, hands it to the reader in place of the one in
// use, and from then on dials that node when it reconnects. It returns once the new socket
// is in use.
func (c *Conn) moveTo(ctx context.Context, wsURL string) error {
	c.urlMu.Lock()
	old := c.url
	c.url = wsURL
	c.urlMu.Unlock()
	tok, _, _ := c.currentToken()
	if tok == "" {
		tok = c.dialToken
	}
	ws, _, err := c.dial(ctx, tok)
	if err != nil {
		c.urlMu.Lock()
		c.url = old
		c.urlMu.Unlock()
		return &moveError{url: wsURL, err: err}
	}
	c.writeMu.Lock()
	cur := c.ws
	c.writeMu.Unlock()
	select {
	case c.handoff <- ws:
	case <-c.ctx.Done():
		ws.Close()
		return ErrClosed
	case <-ctx.Done():
		ws.Close()
		return ctx.Err()
	}
	if cur != nil {
		cur.Close() // the reader fails on it and takes up ws
	}
	for {
		c.writeMu.Lock()
		now := c.ws
		c.writeMu.Unlock()
		if now == ws {
			return nil
		}
		c.mu.Lock()
		up := c.up
		c.mu.Unlock()
		select {
		case <-up:
		case <-c.done:
			ws.Close()
			return c.endErr()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
