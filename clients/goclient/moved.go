package goclient

import (
	"context"
	"fmt"
)

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
		return fmt.Errorf("tickwire: follow moved to %s: %w", wsURL, err)
	}
	c.writeMu.Lock()
	cur := c.ws
	c.writeMu.Unlock()
	c.handoff <- ws
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
			return c.endErr()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
